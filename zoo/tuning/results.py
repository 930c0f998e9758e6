"""The results of a `zoo tune` search: trial records and table, the best model, results.json,
trials.csv, the plots and metrics.json of the run folder (kind "tune")."""

from __future__ import annotations

import csv
import io
import math
import os
import warnings

import keras_tuner as kt

from zoo import io as zio
from zoo import plots
from zoo.tuning import adapter

HYPERBAND_FACTOR = 3


class SearchFailedError(RuntimeError):
    """Every trial of the search failed; the message holds the first trial's error."""


def objective_direction(name):
    """'min' for losses and errors, 'max' for accuracies, IoU, mAP, AUC..."""
    low = name.lower()
    return "min" if any(k in low for k in ("loss", "error", "mse", "mae", "crossentropy")) else "max"


def hyperband_plan(epochs, max_trials):
    """How `--epochs`/`--max-trials` map onto Hyperband: max_epochs = epochs, factor 3, and
    enough full Hyperband iterations to reach about `max_trials` trials."""
    brackets, per_iteration = adapter.hyperband_iteration(epochs, HYPERBAND_FACTOR)
    iterations = max(1, math.ceil(max_trials / per_iteration))
    return dict(max_epochs=epochs, factor=HYPERBAND_FACTOR, brackets=brackets,
                trials_per_iteration=per_iteration, hyperband_iterations=iterations,
                trials=per_iteration * iterations)


def failure_message(tuner_obj):
    trials = sorted(tuner_obj.oracle.trials.values(), key=lambda t: t.trial_id)
    first = next((t for t in trials if t.status in ("FAILED", "INVALID")), None)
    msg = (first.message or "").strip().splitlines() if first else []
    last = msg[-1] if msg else "no error message recorded"
    n = sum(t.status in ("FAILED", "INVALID") for t in trials)
    return f"all {n} trial(s) of the search failed; trial {first.trial_id if first else '?'}: {last}"


def trial_records(tuner_obj, objective):
    """One dict per trial, in trial-id order: id, status, score, hyperparameters, best metrics."""
    rows = []
    for t in sorted(tuner_obj.oracle.trials.values(), key=lambda t: t.trial_id):
        metrics = {}
        for name in sorted(t.metrics.metrics):
            try:
                metrics[name] = float(t.metrics.get_best_value(name))
            except Exception:  # noqa: BLE001  (metric without values)
                pass
        error = None
        if t.message:
            lines = t.message.strip().splitlines()
            error = lines[-1] if lines else None
        rows.append(dict(trial_id=t.trial_id, status=str(t.status),
                         score=None if t.score is None or not math.isfinite(t.score) else float(t.score),
                         hyperparameters=dict(t.hyperparameters.values), metrics=metrics, error=error))
    return rows


def format_table(records, objective, names):
    """The trials as a fixed-width text table (best first is not assumed: trial order)."""
    short = {"learning_rate": "lr", "weight_decay": "wd", "batch_size": "batch"}
    cols = ["trial", "status", objective] + [short.get(n, n) for n in names]
    body = []
    for r in records:
        hp = r["hyperparameters"]
        body.append([r["trial_id"], r["status"], "-" if r["score"] is None else f"{r['score']:.4f}"]
                    + [_fmt(hp.get(n, "")) for n in names])
    widths = [max(len(str(c)), *(len(row[i]) for row in body)) if body else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in body]
    return "\n".join(lines)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def summarize(ctx, *, wall_time=None, baseline=False, verbose=1):
    """After the search: check something completed, then the table, best model, test metrics,
    optional baseline (default hyperparameters), results.json, trials.csv and the plots."""
    tuner_obj, hm, out, objective = ctx["tuner"], ctx["hypermodel"], ctx["out"], ctx["objective"]
    records = trial_records(tuner_obj, objective)
    completed = [r for r in records if r["status"] == "COMPLETED" and r["score"] is not None]
    if not completed:
        if records:
            raise SearchFailedError(failure_message(tuner_obj))
        raise SearchFailedError(f"the search in {out!r} ran no trial")
    names = [s.name for s in hm.space]
    table = format_table(records, objective, names)
    best_trial = tuner_obj.oracle.get_best_trials(1)[0]
    with warnings.catch_warnings():  # the checkpoints hold no optimizer state on purpose
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        best_model = tuner_obj.get_best_models(1)[0]
    best_model.optimizer.build(best_model.trainable_variables)  # saved with a complete optimizer: loads quietly
    model_path = ctx["run"].path("model")
    zio.save_model(best_model, model_path)
    xt, yt = hm.fit_data(best_model, *ctx["test"])
    test_metrics = {k: float(v) for k, v in best_model.evaluate(xt, yt, verbose=0, return_dict=True).items()}
    results = dict(
        config=ctx["config"], objective=objective, direction=objective_direction(objective),
        trials_completed=len(completed), trials_total=len(records),
        best=dict(trial_id=best_trial.trial_id, score=float(best_trial.score),
                  hyperparameters=dict(best_trial.hyperparameters.values)),
        best_model=model_path, best_test_metrics=test_metrics,
        default_hyperparameters=hm.default_values(), trials=records,
        wall_time_s=None if wall_time is None else round(wall_time, 1),
    )
    if ctx["config"]["tuner"] == "hyperband":
        results["hyperband"] = hyperband_plan(ctx["config"]["epochs"], ctx["config"]["max_trials"])
    if baseline:
        results["baseline"] = train_default(ctx)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["trial_id", "status", objective] + names)
    for r in records:
        writer.writerow([r["trial_id"], r["status"], r["score"]] + [r["hyperparameters"].get(n, "") for n in names])
    zio.write_text(os.path.join(out, "trials.csv"), buf.getvalue())
    results["plots"] = plots.plot_tuning_results(records, objective, os.path.join(out, "plots"),
                                                 names=names, direction=objective_direction(objective))
    zio.write_json(os.path.join(out, "results.json"), results)
    (x, _), (xv, _) = ctx["train"], ctx["val"]
    ctx["run"].write_metrics(
        status="finished", headline={objective: float(best_trial.score)}, test=test_metrics,
        parameters=int(best_model.count_params()), images={"train": len(x), "val": len(xv), "test": len(xt)},
        timings={"wall_seconds": results["wall_time_s"]},
        figures=[os.path.relpath(p, out) for p in results["plots"].values()],
        objective=objective, direction=results["direction"], trials_completed=len(completed), trials_total=len(records),
        best_trial=results["best"], best_model=os.path.basename(model_path))
    if verbose:
        print("\nTrials:\n" + table)
        print(f"\nBest trial {best_trial.trial_id}: {objective} = {best_trial.score:.4f}")
        for k in names:
            if k in best_trial.hyperparameters.values:
                print(f"  {k:>14}: {_fmt(best_trial.hyperparameters.values[k])}")
        shown = ", ".join(f"{k} {v:.4f}" for k, v in test_metrics.items())
        print(f"Best model: {model_path} (test split: {shown})")
        if baseline:
            b = results["baseline"]
            print(f"Untuned default: {objective} = {b['score']:.4f}")
        print(f"Results: {os.path.join(out, 'results.json')}, plots in {os.path.join(out, 'plots')}")
    return results


def train_default(ctx):
    """Trains the untuned default configuration with the search's budget (for comparison)."""
    hm, objective, epochs = ctx["hypermodel"], ctx["objective"], ctx["config"]["epochs"]
    hp = kt.HyperParameters()
    hm.values_of(hp)
    model = hm.build(hp)
    (x, y), (xv, yv) = ctx["train"], ctx["val"]
    history = hm.fit(hp, model, x, y, validation_data=(xv, yv), epochs=epochs, verbose=0)
    values = history.history[objective]
    best = max(values) if objective_direction(objective) == "max" else min(values)
    return dict(score=float(best), hyperparameters=dict(hp.values))
