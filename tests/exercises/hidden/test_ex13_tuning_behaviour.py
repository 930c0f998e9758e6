"""Graded behaviour of exercise 13: a search is judged by what it left on disk, the trials
KerasTuner wrote into `directory` (read by the grader, not reported by the submission), not only
by what `search()` returns: the trials asked for ran, each validated on the validation data and
ranked by val_accuracy, and the values returned are those of the best of them."""

import json
import math

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_equal

MODULE = "ex13_tuning"
SPACE = ("units", "dropout", "learning_rate")


def _data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(96, 20)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    return x[:64], y[:64], x[64:], y[64:]


def _completed(ex, before=()):
    """The completed trials of the trial.json files the exercise's calls wrote (apart from the
    paths in `before`: an earlier search's)."""
    trials = []
    for path, text in ex.files("trial.json"):
        if path in before:
            continue
        try:
            trial = json.loads(text)
        except ValueError:
            continue
        if isinstance(trial, dict) and trial.get("status") == "COMPLETED" and isinstance(trial.get("score"), (int, float)):
            trials.append(trial)
    return trials


def _observed(trial, metric):
    """The best value of `metric` the trial recorded, None when it recorded none."""
    observations = (((trial.get("metrics") or {}).get("metrics") or {}).get(metric) or {}).get("observations") or []
    values = [v for o in observations if isinstance(o, dict) for v in (o.get("value") or []) if isinstance(v, (int, float))]
    return max(values) if values else None


@pytest.mark.points(3)
@pytest.mark.hidden
def test_the_search_runs_max_trials_ranks_by_val_accuracy_and_returns_the_best(ex):
    """search(max_trials=4, epochs=1, seed=0): four completed trials in `directory`, four
    returned, each validated on x_val and scored by its val_accuracy, and the values returned are
    the best trial's"""
    before = {path for path, _ in ex.files("trial.json")}
    x, y, x_val, y_val = _data(1)
    out = ex("search", x, y, x_val, y_val, {"__tmpdir__": True}, max_trials=4, epochs=1, seed=0, probe="fits", timeout=240)
    best, done = out["result"] if isinstance(out, dict) and isinstance(out.get("result"), (list, tuple)) and len(out["result"]) == 2 else (None, None)
    trials = _completed(ex, before)
    expect_equal(len(trials), 4, "completed trials KerasTuner wrote into `directory` (max_trials=4)")
    expect_equal(done, 4, "the number of completed trials search() returned (max_trials=4; count the tuner's trials)")
    fits = [f for f in out.get("fits", []) if isinstance(f, dict)] if isinstance(out, dict) else []
    expect(fits and all(f.get("val_x") is not None and np.array_equal(np.asarray(f["val_x"]), x_val) for f in fits),
           "every trial should be validated on the validation data passed in (validation_data=(x_val, y_val)), "
           "never on the training rows")
    for t in trials:
        val = _observed(t, "val_accuracy")
        expect(val is not None and math.isclose(float(t["score"]), val, rel_tol=1e-6),
               f"trial {t.get('trial_id')} is scored {t['score']!r} but its val_accuracy is {val!r}: the objective "
               "should be \"val_accuracy\", measured on the validation data")
    top = max(float(t["score"]) for t in trials)
    winners = [t.get("hyperparameters", {}).get("values", {}) for t in trials if float(t["score"]) == top]
    chosen = {k: best.get(k) for k in SPACE} if isinstance(best, dict) else best
    expect(any(isinstance(best, dict) and all(w.get(k) == best.get(k) for k in SPACE) for w in winners),
           f"search() returned {chosen!r}; the best trial on disk (val_accuracy {top:.4f}) has "
           f"{ {k: winners[0].get(k) for k in SPACE} !r}")
