"""The results of a `zoo tune` search: trial records and table, the best model, results.json,
trials.csv, the plots and metrics.json of the run folder (kind "tune")."""

from __future__ import annotations

import csv
import io
import math
import os
import warnings

import keras
import keras_tuner as kt

from zoo import io as zio
from zoo import plots
from zoo.training.report import train_command
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


def trial_number(trial_id, fallback):
    """The number of KerasTuner trial `trial_id`, from 1, as its "Search: Running Trial #N" lines
    count (ids are "3", "03" or "0003" depending on the tuner and --max-trials)."""
    try:
        return int(trial_id) + 1
    except (TypeError, ValueError):
        return fallback


def _tuner_trials(tuner_obj):
    """KerasTuner's trials in the order they were created (ids are zero-padded numbers)."""
    return sorted(tuner_obj.oracle.trials.values(), key=lambda t: (len(str(t.trial_id)), str(t.trial_id)))


def failure_message(tuner_obj):
    trials = _tuner_trials(tuner_obj)
    failed = [(i, t) for i, t in enumerate(trials, 1) if t.status in ("FAILED", "INVALID")]
    first_number, first = failed[0] if failed else (None, None)
    msg = (first.message or "").strip().splitlines() if first else []
    last = msg[-1] if msg else "no error message recorded"
    which = trial_number(first.trial_id, first_number) if first else "?"
    return f"all {len(failed)} trial(s) of the search failed; trial {which}: {last}"


def trial_records(tuner_obj, objective):
    """One dict per trial, in trial order: `trial` (its number, from 1, as KerasTuner's
    "Search: Running Trial #N" lines count them), status, score, hyperparameters (the search
    space's values, without the tuner's bookkeeping), the metrics of its best epoch, error, and
    `rounds`: one dict per training run (trial number, folder under OUT, epochs trained up to,
    status, score). A trial that Hyperband continued has several rounds and is one record: its
    score, status and metrics are those of its best round."""
    better = max if objective_direction(objective) == "max" else min
    project = os.path.basename(os.path.normpath(tuner_obj.project_dir))
    rows, row_of = [], {}
    for i, t in enumerate(_tuner_trials(tuner_obj), 1):
        values = dict(t.hyperparameters.values)
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
        score = None if t.score is None or not math.isfinite(t.score) else float(t.score)
        run = dict(trial=trial_number(t.trial_id, i), folder=f"{project}/trial_{t.trial_id}",
                   epochs=adapter.round_epochs(values), status=str(t.status), score=score)
        row = row_of.get(adapter.continued_from(values))
        if row is None:
            row = dict(trial=run["trial"], status=run["status"], score=score, hyperparameters=adapter.space_values(values),
                       metrics=metrics, error=error, rounds=[run])
            rows.append(row)
        else:
            row["rounds"].append(run)
            done = [r for r in row["rounds"] if r["status"] == "COMPLETED" and r["score"] is not None]
            row["status"] = "COMPLETED" if done else run["status"]
            best = better(done, key=lambda r: r["score"]) if done else None
            if best is run:
                row["metrics"] = metrics
            row["score"] = best["score"] if best else None
            row["error"] = error or row["error"]
        row_of[t.trial_id] = row
    return rows


def rounds_text(record):
    """A Hyperband trial's epochs per round, e.g. "1 > 3"; "" for other tuners."""
    epochs = [r.get("epochs") for r in record.get("rounds", [])]
    return " > ".join(str(e) for e in epochs) if epochs and all(e is not None for e in epochs) else ""


def format_table(records, objective, names):
    """The trials as a fixed-width text table in trial order (Hyperband: with each trial's epochs per round)."""
    short = {"learning_rate": "lr", "weight_decay": "wd", "batch_size": "batch"}
    with_rounds = any(rounds_text(r) for r in records)
    cols = ["trial", "status", objective] + (["epochs"] if with_rounds else []) + [short.get(n, n) for n in names]
    body = []
    for r in records:
        hp = r["hyperparameters"]
        body.append([str(r["trial"]), r["status"], "-" if r["score"] is None else f"{r['score']:.4f}"]
                    + ([rounds_text(r)] if with_rounds else []) + [_fmt(hp.get(n, "")) for n in names])
    widths = [max(len(str(c)), *(len(row[i]) for row in body)) if body else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in body]
    return "\n".join(lines)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def summarize(ctx, *, wall_time=None, baseline=False, verbose=1):
    """After the search: check something completed, then the table, the best model, test
    metrics, results.json, trials.csv and the plots. With `baseline`, the untuned default
    configuration is trained with the same budget and compared on the objective: model.keras
    holds the better of it and the best trial (results.json's `model_source` says which)."""
    tuner_obj, hm, out, objective = ctx["tuner"], ctx["hypermodel"], ctx["out"], ctx["objective"]
    direction = objective_direction(objective)
    records = trial_records(tuner_obj, objective)
    completed = [r for r in records if r["status"] == "COMPLETED" and r["score"] is not None]
    if not completed:
        if records:
            raise SearchFailedError(failure_message(tuner_obj))
        raise SearchFailedError(f"the search in {out!r} ran no trial")
    names = [s.name for s in hm.space]
    table = format_table(records, objective, names)
    best = _best(tuner_obj, records, completed)
    default = default_model = None
    if baseline:
        default, default_model = train_default(ctx)
        better = default["score"] > best["score"] if direction == "max" else default["score"] < best["score"]
        default["won"] = bool(better)
        default["train_command"] = train_command(default["hyperparameters"], ctx["config"],
                                                 out=f"runs/{ctx['config']['model']}-default")[0]
    source = "baseline" if default and default["won"] else "best_trial"
    if source == "baseline":
        saved = default_model
    else:
        with warnings.catch_warnings():  # the checkpoints hold no optimizer state on purpose
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            saved = tuner_obj.get_best_models(1)[0]
    saved.optimizer.build(saved.trainable_variables)  # saved with a complete optimizer: loads quietly
    model_path = ctx["run"].path("model")
    zio.save_model(saved, model_path)
    ctx["run"].write_labels(ctx["class_names"])  # as every run folder: predict and evaluate name the classes
    xt, yt = hm.fit_data(saved, *ctx["test"])
    test_metrics = {k: float(v) for k, v in saved.evaluate(xt, yt, verbose=0, return_dict=True).items()}
    score = default["score"] if source == "baseline" else best["score"]
    results = dict(
        config=ctx["config"], objective=objective, direction=direction,
        trials_completed=len(completed), trials_total=len(records), best=best,
        model_source=source, best_model=model_path, best_test_metrics=test_metrics,
        default_hyperparameters=hm.default_values(), trials=records,
        wall_time_s=None if wall_time is None else round(wall_time, 1),
    )
    if ctx["config"]["tuner"] == "hyperband":
        results["hyperband"] = hyperband_plan(ctx["config"]["epochs"], ctx["config"]["max_trials"])
    if default:
        results["baseline"] = default
    zio.write_text(os.path.join(out, "trials.csv"), trials_csv(records, objective, names))
    results["plots"] = plots.plot_tuning_results(records, objective, os.path.join(out, "plots"),
                                                 names=names, direction=direction)
    zio.write_json(os.path.join(out, "results.json"), results)
    (x, _), (xv, _) = ctx["train"], ctx["val"]
    ctx["run"].write_metrics(
        status="finished", headline={objective: score}, test=test_metrics,
        parameters=int(saved.count_params()), images={"train": len(x), "val": len(xv), "test": len(xt)},
        timings={"wall_seconds": results["wall_time_s"]},
        figures=[os.path.relpath(p, out) for p in results["plots"].values()],
        objective=objective, direction=direction, trials_completed=len(completed), trials_total=len(records),
        best_trial=best, model_source=source, best_model=os.path.basename(model_path))
    if verbose:
        _print_summary(table, best, default, names, objective, model_path=model_path, test_metrics=test_metrics, out=out)
    return results


def _best(tuner_obj, records, completed):
    """{trial, score, hyperparameters[, epochs]} of the oracle's best trial, numbered as `records`."""
    best_trial = tuner_obj.oracle.get_best_trials(1)[0]
    best_number = trial_number(best_trial.trial_id, None)
    record = next((r for r in records if any(x["trial"] == best_number for x in r["rounds"])), completed[0])
    best = dict(trial=record["trial"], score=float(best_trial.score), hyperparameters=record["hyperparameters"])
    if rounds_text(record):
        best["epochs"] = rounds_text(record)
    return best


def trials_csv(records, objective, names):
    """trials.csv's text: one row per trial (Hyperband: with its epochs per round)."""
    with_rounds = any(rounds_text(r) for r in records)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["trial", "status", objective] + (["epochs"] if with_rounds else []) + names)
    for r in records:
        writer.writerow([r["trial"], r["status"], r["score"]] + ([rounds_text(r)] if with_rounds else [])
                        + [r["hyperparameters"].get(n, "") for n in names])
    return buf.getvalue()


def _print_summary(table, best, default, names, objective, *, model_path, test_metrics, out):
    """The trials table, the best trial's values and which model model.keras holds."""
    print("\nTrials:\n" + table)
    rounds = f" (epochs {best['epochs']})" if "epochs" in best else ""
    print(f"\nBest trial {best['trial']}{rounds}: {objective} = {best['score']:.4f}")
    for k in names:
        if k in best["hyperparameters"]:
            print(f"  {k:>14}: {_fmt(best['hyperparameters'][k])}")
    shown = ", ".join(f"{k} {v:.4f}" for k, v in test_metrics.items())
    if default and default["won"]:
        print(f"Untuned default won: {objective} = {default['score']:.4f}, better than the best trial's "
              f"{best['score']:.4f}; model.keras holds the default configuration's network.")
        print(f"Train the default: {default['train_command']}")
        print(f"Model: {model_path} (the untuned default; test split: {shown})")
    else:
        if default:
            print(f"Untuned default: {objective} = {default['score']:.4f} (the best trial is better)")
        print(f"Best model: {model_path} (trial {best['trial']}; test split: {shown})")
    print(f"Results: {os.path.join(out, 'results.json')}, plots in {os.path.join(out, 'plots')}")


def train_default(ctx):
    """Trains the untuned default configuration with the search's budget (its epochs, and the
    early stopping of its trials). Returns ({score: the objective of its best epoch,
    hyperparameters}, the model with that epoch's weights)."""
    hm, objective, epochs = ctx["hypermodel"], ctx["objective"], ctx["config"]["epochs"]
    direction = objective_direction(objective)
    hp = kt.HyperParameters()
    hm.values_of(hp)
    model = hm.build(hp)
    (x, y), (xv, yv) = ctx["train"], ctx["val"]
    keep_best = keras.callbacks.EarlyStopping(monitor=objective, mode=direction, patience=ctx.get("patience") or epochs,
                                              restore_best_weights=True)
    history = hm.fit(hp, model, x, y, validation_data=(xv, yv), epochs=epochs, callbacks=[keep_best], verbose=0)
    values = history.history[objective]
    best = max(values) if direction == "max" else min(values)
    return dict(score=float(best), hyperparameters=dict(hp.values)), model
