"""`zoo tune`: the tuner factory, one search (plain, chief or worker), the results table, the best model.

KerasTuner is the engine: its oracles propose, its tuners train and checkpoint each trial in
`OUT/search/trial_*`. This module checks everything it can before the first trial trains
(tuner name, budget, objective against the default model's metric names, the search space),
resumes a search on rerun (`overwrite=False`), and writes the results: `results.json`,
`trials.csv`, `model.keras` (the best trial's network, or the untuned default's where `--baseline`
beat every trial), and the plots. OUT is a run folder of kind "tune"
(`zoo.training.runs`): its config.json and metrics.json carry the keys of every run.
"""

from __future__ import annotations

import difflib
import os
import shlex
import shutil
import time

import keras
import keras_tuner as kt

from zoo import registry
from zoo import io as zio
from zoo.data.fit import load_fitted, model_input_shape
from zoo.tasks import check_dataset
from zoo.training.runs import RunFolder, command_line, read_json_or_none
from zoo.tuning import adapter
from zoo.tuning.hypermodels import get_hypermodel
from zoo.tuning.results import (  # noqa: F401  (public names of zoo.tuning.search)
    HYPERBAND_FACTOR,
    SearchFailedError,
    failure_message,
    format_table,
    hyperband_plan,
    objective_direction,
    summarize,
    rounds_text,
    train_default,
    trial_number,
    trial_records,
)

TUNERS = ("random", "grid", "bayesian", "hyperband")
PROJECT = "search"
CONFIG_FILE = "config.json"
# Fields of a search that must match to resume it (the rest, e.g. --max-trials, may grow).
# Set by `zoo tune --workers K` in its children: their chief leaves the results to the launcher.
LAUNCHED_ENV = "ZOO_TUNE_LAUNCHED"
RESUME_KEYS = ("model", "dataset", "tuner", "seed", "epochs", "objective", "image_size", "space", "train_size")


# ----------------------------------------------------------------------------- checks
def check_tuner(tuner):
    if tuner not in TUNERS:
        close = difflib.get_close_matches(str(tuner), TUNERS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"`tuner` must be one of {', '.join(TUNERS)}.{hint} Received: tuner={tuner!r}")
    return tuner


def check_positive(arg, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{arg}` must be an integer >= 1. Received: {arg}={value!r}")
    return value


def default_objective(task):
    return "val_accuracy" if task == "classification" else "val_loss"


def reported_metrics(hypermodel, x, y):
    """The names `model.fit` reports (with validation data) for the default configuration,
    from a real evaluation of 2 examples: what KerasTuner would see after a trial."""
    model = hypermodel.build(_default_hp(hypermodel))
    xs, ys = hypermodel.fit_data(model, x[:2], y[:2] if not isinstance(y, dict) else {k: v[:2] for k, v in y.items()})
    names = list(model.evaluate(xs, ys, verbose=0, return_dict=True))
    return names + [f"val_{n}" for n in names]


def _default_hp(hypermodel):
    hp = kt.HyperParameters()
    hypermodel.values_of(hp)
    return hp


def check_objective(objective, available, model):
    if objective not in available:
        raise ValueError(
            f"objective {objective!r} is not reported by {model}; its fit reports: "
            f"{', '.join(available)}. Received: --objective {objective}"
        )
    return objective


# ----------------------------------------------------------------------------- data
def load_data(dataset, spec, *, image_size=None, seed=0, train_size=None):
    """(x_train, y_train), (x_val, y_val), (x_test, y_test), train ArrayDataset for tuning `spec`'s model,
    through `zoo.data.load` (its disjoint train / val / test splits).

    The objective is measured on "val"; "test" only reports the best model at the end.
    `train_size` keeps only that many training examples (and a quarter as many validation ones)
    for quick searches. The splits are fitted to the model as `zoo train` fits them (`zoo.data.fit`).
    """
    splits = load_fitted(dataset, spec.default_input_shape, min_shape=spec.min_input_shape, image_size=image_size,
                         seed=seed, model=spec.name)
    out = []
    for ds, limit in zip(splits, (train_size, None if train_size is None else max(1, train_size // 4), None)):
        x, y = ds.x, ds.y
        if limit is not None:
            x = x[:limit]
            y = {k: v[:limit] for k, v in y.items()} if isinstance(y, dict) else y[:limit]
        out.append((x, y))
    return out[0], out[1], out[2], splits[0]


# ----------------------------------------------------------------------------- tuners
def make_tuner(name, hypermodel, *, objective, max_trials, epochs, seed, directory, overwrite=False):
    """A KerasTuner tuner over `hypermodel` writing to `directory/search`."""
    check_tuner(name)
    objective = kt.Objective(objective, direction=objective_direction(objective))
    common = dict(objective=objective, seed=seed, directory=directory, project_name=PROJECT,
                  overwrite=overwrite, max_consecutive_failed_trials=3)
    if name == "random":
        return kt.RandomSearch(hypermodel, max_trials=max_trials, **common)
    if name == "grid":
        return kt.GridSearch(hypermodel, max_trials=max_trials, **common)
    if name == "bayesian":
        return kt.BayesianOptimization(hypermodel, max_trials=max_trials, num_initial_points=max(1, min(3, max_trials - 1)), **common)
    plan = hyperband_plan(epochs, max_trials)
    return kt.Hyperband(hypermodel, max_epochs=epochs, factor=HYPERBAND_FACTOR,
                        hyperband_iterations=plan["hyperband_iterations"], **common)


# ----------------------------------------------------------------------------- search
def prepare(model, dataset, tuner, out, *, max_trials=10, epochs=2, seed=0, objective=None,
            overwrite=False, image_size=None, space=None, train_size=None, check_metrics=True, open_now=True):
    """Everything up to the first trial: checks, data, HyperModel, then (`open_now`) the folder
    and the tuner (reloaded if a search is in `out`). Returns a dict with them. With
    open_now=False nothing is written yet: call `open_tuner(ctx)` inside `ctx["run"].writing()`."""
    adapter.install_atomic_json()
    check_tuner(tuner)
    check_positive("max_trials", max_trials)
    check_positive("epochs", epochs)
    if train_size is not None:
        check_positive("train_size", train_size)
    spec = registry.get_spec(model)
    model_input_shape(spec.default_input_shape, image_size, min_shape=spec.min_input_shape, model=spec.name)  # refused before any write
    check_dataset(spec.task, dataset, model=spec.name)  # before anything is written
    objective = objective or default_objective(spec.task)
    config = dict(kind="tune", model=spec.name, dataset=dataset, task=spec.task, tuner=tuner, seed=seed, epochs=epochs,
                  objective=objective, image_size=image_size, space=space or {}, train_size=train_size,
                  max_trials=max_trials)
    project = os.path.join(out, PROJECT)
    run = RunFolder(out, config, resume_keys=RESUME_KEYS, command=tune_command(config, out),
                    started=lambda r: not overwrite and os.path.isdir(project), progress=_completed_trial,
                    refusal=("another search", ", or pass `overwrite` to start over"))
    run.check(extend_key=None)
    out = run.out
    (x, y), (xv, yv), (xt, yt), train_ds = load_data(dataset, spec, image_size=image_size, seed=seed,
                                                         train_size=train_size)
    check_dataset(spec.task, train_ds, model=spec.name)  # a tfds name whose task shows only once loaded
    classes = train_ds.classes
    hypermodel = get_hypermodel(spec.name, input_shape=tuple(x.shape[1:]), classes=classes, epochs=epochs,
                                train_size=len(x), space=space, seed=seed, dataset=train_ds)
    if check_metrics:
        check_objective(objective, reported_metrics(hypermodel, x, y), spec.name)
    if overwrite and os.path.isdir(project):
        shutil.rmtree(project)
        for name in ("results.json", "trials.csv", "model.keras", "metrics.json", "labels.json"):
            if os.path.exists(os.path.join(out, name)):
                os.remove(os.path.join(out, name))
    ctx = dict(spec=spec, hypermodel=hypermodel, tuner=None, objective=objective, out=out, run=run,
               config=config, train=(x, y), val=(xv, yv), test=(xt, yt), classes=classes,
               class_names=list(train_ds.class_names))
    if open_now:  # the distributed launcher, chief and workers share the folder
        zio.ensure_out_dir(out)
        zio.write_json(run.path("config"), config)
        open_tuner(ctx)
    return ctx


def open_tuner(ctx):
    """Makes (or reloads) the tuner of a prepared search in ctx["out"]; returns it."""
    c = ctx["config"]
    tuner_obj = make_tuner(c["tuner"], ctx["hypermodel"], objective=ctx["objective"], max_trials=c["max_trials"],
                           epochs=c["epochs"], seed=c["seed"], directory=ctx["out"], overwrite=False)
    if not adapter.distributed() or adapter.is_chief():  # workers hold no oracle state
        adapter.drop_stale_retries(tuner_obj.oracle)
    ctx["tuner"] = tuner_obj
    return tuner_obj


def tune_command(config, out):
    """The `zoo tune` command that reruns (and so resumes) the search of `config` in `out`."""
    line = command_line("tune", config["model"], dataset=config["dataset"], tuner=config["tuner"],
                        max_trials=config["max_trials"], epochs=config["epochs"], seed=config["seed"],
                        objective=config["objective"], image_size=config["image_size"],
                        train_size=config["train_size"], out=out)
    for name, value in (config["space"] or {}).items():
        text = ":".join(map(str, value)) if isinstance(value, tuple) else ",".join(map(str, value)) if isinstance(value, list) else value
        line += f" --space {shlex.quote(f'{name}={text}')}"
    return line


def _completed_trial(run):
    """Whether the search in `run` finished a trial (then a failure keeps the folder)."""
    project = run.path(PROJECT)
    trials = [read_json_or_none(os.path.join(project, d, "trial.json")) for d in
              (os.listdir(project) if os.path.isdir(project) else []) if d.startswith("trial_")]
    return any(t and t.get("status") == "COMPLETED" for t in trials)


def run_search(model, dataset, tuner, out, *, max_trials=10, epochs=2, seed=0, objective=None,
               overwrite=False, image_size=None, space=None, train_size=None, patience=3, verbose=1,
               baseline=False):
    """Runs (or resumes) a search and returns the results dict. As a distributed worker
    (KERASTUNER_* set) it only runs trials and returns None; the chief serves the oracle until
    every worker is done, then writes the results (returns None under `zoo tune --workers K`,
    whose launcher writes them)."""
    t0 = time.time()
    distributed = adapter.distributed()
    ctx = prepare(model, dataset, tuner, out, max_trials=max_trials, epochs=epochs, seed=seed,
                  objective=objective, overwrite=overwrite and not distributed, image_size=image_size,
                  space=space, train_size=train_size, check_metrics=not distributed, open_now=distributed)
    if distributed:
        _search(ctx, distributed=True, max_trials=max_trials, patience=patience, verbose=verbose)
        if adapter.is_chief() and not os.environ.get(LAUNCHED_ENV):  # across machines: nobody else will
            return summarize(ctx, wall_time=time.time() - t0, baseline=baseline, verbose=verbose)
        return None
    with ctx["run"].writing():
        open_tuner(ctx)
        _search(ctx, distributed=False, max_trials=max_trials, patience=patience, verbose=verbose)
        return summarize(ctx, wall_time=time.time() - t0, baseline=baseline, verbose=verbose)


def _search(ctx, *, distributed, max_trials, patience, verbose):
    """The trials: KerasTuner's search with early stopping inside each trial."""
    tuner_obj, hm = ctx["tuner"], ctx["hypermodel"]
    ctx["patience"] = patience  # the baseline (summarize) stops early as the trials do
    tuner, epochs, dataset = ctx["config"]["tuner"], ctx["config"]["epochs"], ctx["config"]["dataset"]
    if verbose and not distributed:
        done = sum(t.status in ("COMPLETED", "FAILED") for t in tuner_obj.oracle.trials.values())
        budget = f"max_trials={max_trials}"
        if tuner == "hyperband":
            plan = hyperband_plan(epochs, max_trials)
            budget = (f"max_epochs={plan['max_epochs']}, factor={plan['factor']}, {plan['brackets']} bracket(s), "
                      f"{plan['trials_per_iteration']} trials per iteration x {plan['hyperband_iterations']} iteration(s)")
        print(f"zoo tune: {ctx['spec'].name} on {dataset} {ctx['train'][0].shape[1:]}, {tuner} search, {budget}, "
              f"objective {ctx['objective']} ({objective_direction(ctx['objective'])}), "
              f"{len(hm.space)} hyperparameters; {done} trial(s) already finished in {ctx['out']}", flush=True)
    (x, y), (xv, yv) = ctx["train"], ctx["val"]
    stop = keras.callbacks.EarlyStopping(monitor=ctx["objective"], mode=objective_direction(ctx["objective"]),
                                         patience=patience, restore_best_weights=False)
    if verbose and distributed:
        where = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
        role = (f"chief (the oracle) serving on {where}; it ends when every worker is done" if adapter.is_chief()
                else f"worker {os.environ['KERASTUNER_TUNER_ID']} of the chief at {where}")
        print(f"zoo tune: {ctx['spec'].name} on {dataset}, {tuner} search, max_trials={max_trials}: {role}; "
              f"shared folder {ctx['out']}", flush=True)
    if distributed and adapter.is_chief():
        adapter.serve_as_chief(tuner_obj, verbose=bool(verbose))
        return
    try:
        tuner_obj.search(x, y, validation_data=(xv, yv), epochs=epochs, callbacks=[stop],
                         verbose=2 if verbose else 0)
    except RuntimeError as e:
        if "consecutive failures" not in str(e):
            raise
        if distributed:
            raise
        raise SearchFailedError(failure_message(tuner_obj)) from None
