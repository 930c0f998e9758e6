"""`zoo train`: any registered model on any dataset, with a run folder that survives a kill -9.

The run folder is `zoo.training.runs`' (config.json, labels.json, history.csv, backup/, best.keras,
model.keras, metrics.json); `zoo train` adds:
    history.csv      CSVLogger, append=True; rows of an unfinished epoch are trimmed on resume
    best.keras       the best val_loss so far is read back from history.csv on resume, so a restart
                     never overwrites a better checkpoint
    optimizer.npz    the optimizer's state after the last epoch: an extension goes on with it
    seeds.npz        the random layers' state after the last epoch (augmentation, dropout): so does it
    tensorboard/     TensorBoard logs, where tensorboard and TensorFlow are importable
    *.png            learning curves and the task's figures
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import time
from dataclasses import dataclass

import keras
import numpy as np

from zoo import distribute as dist
from zoo import get_model, plots, registry
from zoo.checks import check_int, check_one_of
from zoo.data.fit import load_fitted
from zoo.io import save_model
from zoo.models import load_model
from zoo.registry import DEFAULT_RECIPE, RECIPE_KEYS
from zoo.tasks import check_dataset, get_task
from zoo.training import callbacks as cb
from zoo.training.augment import augmentation, default_kinds
from zoo.training.fitting import fit_epochs
from zoo.training.optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    add_l2,
    continue_optimizer,
    make_optimizer,
    plateau_callback,
    save_optimizer_state,
)
from zoo.training.runs import RunFolder, command_line, epochs_in, trim_history
from zoo.training.runtime import seeded

# Settings that must match for a rerun to resume the run in --out.
RESUME_KEYS = ("model", "dataset", "epochs", "batch_size", "optimizer", "lr", "schedule", "augment", "seed", "image_size", "l2", "weight_decay", "patience")


def load_splits(dataset, spec, *, image_size=None, seed=0, data_dir=None, splits=("train", "val", "test")):
    """The dataset splits a model of `spec` is built on, fitted to it (`zoo.data.fit`)."""
    return load_fitted(dataset, spec.default_input_shape, splits=splits, min_shape=spec.min_input_shape,
                       image_size=image_size, seed=seed, data_dir=data_dir, model=spec.name)


def resolve_recipe(spec, **given):
    """The training settings for model `spec`: each of `registry.RECIPE_KEYS` given (not None)
    wins; the rest come from the model's registered recipe, then from `registry.DEFAULT_RECIPE`.

    A recipe's learning rate belongs to its optimizer: with another optimizer given and no lr,
    that optimizer's default rate is used.

    Returns:
        (settings dict, {key: "recipe" | "default"} for the values not given).
    """

    recipe = dict(spec.recipe)
    if given.get("optimizer") is not None and recipe.get("optimizer", DEFAULT_RECIPE["optimizer"]) != given["optimizer"]:
        recipe.pop("lr", None)
    settings, sources = {}, {}
    for key in RECIPE_KEYS:
        if given.get(key) is not None:
            settings[key] = given[key]
        elif key in recipe:
            settings[key], sources[key] = recipe[key], "recipe"
        else:
            settings[key], sources[key] = DEFAULT_RECIPE[key], "default"
    return settings, sources


def _recipe_note(spec, settings, sources, kind="train"):
    """One line naming the settings taken from the model's recipe (None when there are none)."""
    from_recipe = [k for k, v in sources.items() if v == "recipe"]
    if not from_recipe:
        return None
    flags = " ".join(f"--{k.replace('_', '-')} {settings[k]}" for k in from_recipe)
    measured = f" (measured: {spec.recipe['measured']})" if spec.recipe.get("measured") else ""
    return f"zoo {kind}: {spec.name}'s recommended recipe: {flags}{measured}; a flag you pass overrides it"


def train(
    model,
    dataset,
    out,
    *,
    epochs=None,
    batch_size=None,
    optimizer=None,
    lr=None,
    schedule=None,
    augment=False,
    seed=0,
    image_size=None,
    data_dir=None,
    l2=None,
    weight_decay=None,
    patience=None,
    verbose=None,
    datasets=None,
    kind="train",
    distribute=None,
    deterministic=False,
):
    """Trains registered model `model` on `dataset`, writing the run folder `out` (`zoo.training.runs`);
    returns its metrics.

    `epochs`, `batch_size`, `optimizer`, `lr` and `schedule` left at None come from the model's
    recommended recipe in the registry (`ModelSpec.recipe`), else from `registry.DEFAULT_RECIPE`
    (10 epochs, batch 32, adam at its default rate, cosine); see `resolve_recipe`.

    Rerunning with the same arguments resumes after the last finished epoch; on a finished run it
    returns the metrics unchanged, and with more `epochs` it trains the missing ones. `datasets`
    may pass pre-loaded (train, val, test) ArrayDatasets (tests, notebooks); `dataset` then only
    names them. `kind` is the run folder's kind ("demo" when `zoo demo` calls).

    `distribute="data"` (JAX) trains data-parallel over every device of every process
    (`zoo.distribute.setup`; several processes from the KERAS_DISTRIBUTION_* variables): the
    global `batch_size` is split over the devices, each process fits its shard of the data, and
    only process 0 writes the run folder, evaluates and draws; it returns the metrics, the other
    processes return None.

    `seed` seeds Python, NumPy and the backend; `deterministic=True` also turns TensorFlow's op
    determinism on for the run (`zoo.training.runtime`): the demo does, `zoo train --deterministic`
    asks for it. It is off by default because it costs ResNet-50 7-11 % of its step on the CPU
    (docs/benchmarks.md), and the same seed already repeats a run on one machine.

    Raises:
        ValueError: bad argument, or `out` holds a run with other settings.
        TrainingDiverged: the loss became NaN/inf (message names likely causes).
        RunInterrupted: Ctrl-C; its message is the command that resumes the run.
    """

    spec = registry.get_spec(model)
    settings, sources = resolve_recipe(spec, epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr, schedule=schedule)
    epochs, batch_size, optimizer, lr, schedule = (settings[k] for k in ("epochs", "batch_size", "optimizer", "lr", "schedule"))
    check_int("epochs", epochs)
    check_int("batch_size", batch_size)
    check_one_of("optimizer", optimizer, OPTIMIZERS)
    check_one_of("schedule", schedule, SCHEDULES)
    tasks = get_task(spec.task)
    check_dataset(tasks, dataset if datasets is None else datasets[0], model=spec.name)
    if augment and spec.task != "classification":
        raise ValueError(
            f"--augment is for classifiers; {model} is a {spec.task} model (its masks/boxes would have to move with the image)"
        )
    topo = dist.setup(distribute, batch_size=batch_size) if distribute is not None else dist.LOCAL
    config = {
        "kind": kind, "model": spec.name, "dataset": dataset, "task": spec.task, "epochs": epochs,
        "batch_size": batch_size, "optimizer": optimizer, "lr": lr, "schedule": schedule, "augment": bool(augment),
        "seed": seed, "image_size": list(image_size) if isinstance(image_size, (tuple, list)) else image_size,
        "l2": l2, "weight_decay": weight_decay, "patience": patience, "distribute": topo.config(),
        "deterministic": bool(deterministic),
    }
    run = RunFolder(out, config, resume_keys=RESUME_KEYS, command=rerun_command(config, out, data_dir=data_dir))
    modes = ("new", "resume", "finished", "extend")
    dist.agree((modes.index(run.check()), run.finished), topo, f"the run folder {run.out!r}",
               lambda v: f"{modes[v[0]]} run" + (f" after epoch {v[1]}" if v[1] else ""))
    if run.mode == "finished":
        print(f"zoo {kind}: {run.out} holds a finished run of {epochs} epochs; metrics.json unchanged "
              "(pass more epochs to train on)", flush=True)
        return run.old_metrics
    note = _recipe_note(spec, settings, sources, kind)
    if note and topo.writer:
        print(note, flush=True)

    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    with seeded(seed, deterministic=deterministic):  # zoo.training.runtime
        if datasets is None:
            splits = load_splits(dataset, spec, image_size=image_size, seed=seed, data_dir=data_dir)
            check_dataset(tasks, splits[0], model=spec.name)  # a tfds name whose task shows only once loaded
        else:
            splits = [d.check_finite() for d in datasets]
        ds_train = splits[0]
        with topo.scope():
            net, trainer, opt, steps_per_epoch = _build(spec, ds_train, config, tasks, devices=topo.devices)
        initial_epoch = 0
        if run.mode == "extend":  # a finished run with more epochs now: go on from its last network

            net.set_weights(load_model(run.path("model")).get_weights())
            initial_epoch = epochs_in(run.read_history())
            with topo.scope():  # the optimizer's variables are placed as the model's
                continue_optimizer(opt, trainer.trainable_variables, run.path("optimizer"), initial_epoch * steps_per_epoch)
            cb.load_seed_state(trainer, run.path("seeds"))  # epochs 5, 6 draw the uninterrupted run's flips and masks
        job = FitJob(run, spec, tasks, splits, net, trainer, opt, steps_per_epoch, initial_epoch=initial_epoch,
                     verbose=verbose if topo.writer else 0, topo=topo)
        if not topo.writer:
            return _fit_and_finish(job)
        with run.writing():
            run.write_labels(ds_train.class_names)
            return _fit_and_finish(job)


def rerun_command(config, out, *, data_dir=None):
    """The shell command that reruns (and so resumes) the run of `config` in `out`."""
    if config["kind"] == "demo":
        return command_line("demo", epochs=config["epochs"], batch_size=config["batch_size"], seed=config["seed"], out=out)
    flags = {k: config[k] for k in ("epochs", "batch_size", "optimizer", "lr", "schedule", "augment", "seed")}
    return command_line("train", config["model"], dataset=config["dataset"], **flags, out=out,
                        image_size=config["image_size"], data_dir=data_dir, l2=config["l2"],
                        weight_decay=config["weight_decay"], patience=config["patience"],
                        distribute=(config.get("distribute") or {}).get("strategy"),
                        deterministic=config.get("deterministic", False))


def _build(spec, ds_train, config, tasks, devices=1):
    """(network, what fits — the network behind augmentation if any —, optimizer, steps per epoch), compiled.
    Over several `devices` the last len % devices samples are left out (`zoo.distribute.shard`)."""
    shape = tuple(ds_train.x.shape[1:])
    net = get_model(spec.name, input_shape=shape, classes=ds_train.classes)
    if config["l2"]:
        add_l2(net, config["l2"])
    trainer = net
    if config["augment"]:
        aug = augmentation(default_kinds(config["dataset"]), image_shape=shape, seed=config["seed"])
        trainer = keras.Sequential([keras.Input(shape), aug, net], name=f"{net.name}_augmented")
    steps = int(math.ceil((len(ds_train) - len(ds_train) % devices) / config["batch_size"]))
    opt = make_optimizer(config["optimizer"], config["lr"], schedule=config["schedule"], total_steps=config["epochs"] * steps,
                         steps_per_epoch=steps, weight_decay=config["weight_decay"])
    trainer.compile(optimizer=opt, **tasks.compile_args(net, ds_train))
    return net, trainer, opt, steps


@dataclass
class FitJob:
    """One run's fit, as `train` prepared it: the run folder, the model's spec and task, the
    (train, val, test) splits, the network and what fits it (the network behind augmentation if
    any), its optimizer, and where the fit starts."""

    run: RunFolder
    spec: object
    tasks: object
    splits: list
    net: object
    trainer: object
    opt: object
    steps_per_epoch: int
    initial_epoch: int = 0
    verbose: int = 0
    topo: object = dist.LOCAL


def _fit_and_finish(job):
    """Fits (resuming from backup/ when it holds epochs), then saves, evaluates, draws and writes metrics.json.

    Under a distribution (`job.topo`) every process fits its shard; process 0 alone writes, then
    evaluates and draws with the saved model.keras on its own (one device, no other process)."""
    run, topo, t0 = job.run, job.topo, time.time()
    config, kind = run.config, run.config["kind"]
    ds_train, ds_val, _ = job.splits
    x, y = dist.shard(job.tasks.fit_data(job.net, ds_train), topo)
    val = dist.shard(job.tasks.fit_data(job.net, ds_val), topo) if len(ds_val) >= topo.devices else None
    callbacks, timer = _callbacks(job, len(x))
    try:
        with topo.scope():
            fit_epochs(job.trainer, x, y, batch_size=config["batch_size"] // topo.processes, seed=config["seed"],
                       epochs=config["epochs"], initial_epoch=job.initial_epoch, validation_data=val,
                       callbacks=callbacks, verbose=job.verbose)
    except cb.TrainingDiverged as diverged:
        if topo.writer:
            run.write_metrics(status="diverged", message=str(diverged), parameters=int(job.net.count_params()))
        raise
    if not topo.writer:  # the other processes of a distributed run fit their shard and write nothing
        print(f"zoo {kind}: process {topo.process_id} finished its {config['epochs']} epochs", flush=True)
        return None
    return _finish(job, timer, t0)


def _callbacks(job, shard_images):
    """(callbacks, their EpochTimer) of the fit; prints the run's opening lines.
    On a resume history.csv keeps the epochs the backup holds and best.keras its best val_loss."""
    run, topo = job.run, job.topo
    writer = topo.writer
    if writer and run.mode == "resume":
        trim_history(run.path("history"), run.finished)
    val_losses = np.asarray(run.read_history().get("val_loss", []) if writer else [], dtype=float)
    best_so_far = float(np.nanmin(val_losses)) if np.isfinite(val_losses).any() else None
    timer = cb.EpochTimer()
    callbacks = []
    if writer:
        callbacks += [keras.callbacks.CSVLogger(run.path("history"), append=True),
                      cb.BestModel(job.net, run.path("best"), best=best_so_far)]
    if run.config["schedule"] == "plateau":
        callbacks.append(plateau_callback(job.opt))
    if run.config["patience"]:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=run.config["patience"], verbose=int(writer)))
    tb_note = _tensorboard(callbacks, os.path.join(run.out, "tensorboard")) if writer else ""
    callbacks.append(cb.AtomicBackupAndRestore(run.path("backup"), double_checkpoint=False) if writer
                     else cb.RestoreOnly(run.path("backup")))
    callbacks.append(timer)  # last: an epoch's time includes the others' checkpoints
    _announce(job, shard_images, best_so_far, tb_note)
    return callbacks, timer


def _announce(job, shard_images, best_so_far, tb_note):
    """The lines that open a fit: the model, data and settings; the distribution; resume or extension."""
    run, topo, config = job.run, job.topo, job.run.config
    kind, (ds_train, ds_val, ds_test) = config["kind"], job.splits
    lr = config["lr"] if config["lr"] is not None else "default"
    if topo.writer:
        print(
            f"zoo {kind}: {job.spec.name} ({int(job.net.count_params()):,} parameters) on {config['dataset']}: "
            f"{len(ds_train)} train / {len(ds_val)} val / {len(ds_test)} test images {tuple(ds_train.x.shape[1:])}, "
            f"{config['epochs']} epoch{'s' if config['epochs'] != 1 else ''}, batch {config['batch_size']}, {config['optimizer']} lr {lr} ({config['schedule']})"
            f"{', augmented' if config['augment'] else ''}, seed {config['seed']}; {tb_note}",
            flush=True,
        )
    if topo.writer and topo.distribution is not None:
        print(f"zoo {kind}: {topo.describe()}: batch {config['batch_size']} = {topo.devices} x "
              f"{config['batch_size'] // topo.devices} per device; {len(ds_train) % topo.devices} train image(s) left out "
              "to split evenly; process 0 writes the run folder", flush=True)
    if topo.writer and run.mode == "resume":
        print(f"zoo {kind}: resuming {run.out} after epoch {run.finished} of {config['epochs']} (from {run.path('backup')}/); "
              f"best val_loss so far {best_so_far}", flush=True)
    elif topo.writer and run.mode == "extend":
        print(f"zoo {kind}: extending the finished run in {run.out} from {job.initial_epoch} to {config['epochs']} epochs", flush=True)
    elif not topo.writer:
        print(f"zoo {kind}: {topo.describe()}: {shard_images} train images in this shard; process 0 writes {run.out}/", flush=True)


def _finish(job, timer, t0):
    """model.keras, optimizer.npz, the test metrics, the figures and metrics.json of a finished fit
    (history.csv read once); returns the metrics."""
    run, net, config = job.run, job.net, job.run.config
    ds_train, ds_val, ds_test = job.splits
    train_seconds = time.time() - t0
    save_model(net, run.path("model"))
    save_optimizer_state(job.opt, run.path("optimizer"))  # an extension goes on with its moments and schedule
    cb.save_seed_state(job.trainer, run.path("seeds"))  # and with the random layers' state
    if job.topo.distribution is not None:  # evaluate and draw here alone: the other processes are done
        net = load_model(run.path("model"))
    test = job.tasks.evaluate(net, ds_test)
    history = run.read_history()
    figures = _figures(run, job.spec, job.tasks, net, ds_test, history=history)
    val_losses = np.asarray(history.get("val_loss", []), dtype=float)
    best_epoch = int(np.nanargmin(val_losses)) + 1 if np.isfinite(val_losses).any() else None
    headline = next(iter(test))
    metrics = run.write_metrics(
        status="finished", headline={headline: test[headline]}, test=test,
        epochs_run=epochs_in(history), parameters=int(net.count_params()),
        images={"train": len(ds_train), "val": len(ds_val), "test": len(ds_test)},
        timings={"train_seconds_this_session": round(train_seconds, 1), "steps_per_second": timer.steps_per_second(job.steps_per_epoch),
                 "images_per_second": timer.images_per_second(len(ds_train)),
                 "step_images_per_second": timer.step_images_per_second(len(ds_train)),
                 "epoch_overhead_seconds": timer.overhead_seconds(),
                 "epoch_seconds": [round(t, 4) for t in timer.times], "step_seconds": [round(t, 4) for t in timer.step_times]},
        figures=figures, resumed_after_epoch=run.finished or None,
        extended_from_epoch=job.initial_epoch or None, best_epoch=best_epoch,
        best_val_loss=float(np.nanmin(val_losses)) if best_epoch else None, backend=keras.backend.backend(),
        distribute=job.topo.config(),
    )
    speed = metrics["timings"]
    speed = (f"; {speed['step_images_per_second']:g} images/s in the training steps, {speed['epoch_overhead_seconds']:g} s "
             "per epoch beyond them (validation, checkpoints)") if speed["step_images_per_second"] else ""
    print(
        f"zoo {config['kind']}: test {headline} {test[headline]:.4f}" + (f", best val_loss at epoch {best_epoch}" if best_epoch else "")
        + f"; {time.time() - t0:.0f} s{speed}; run folder {run.out}/",
        flush=True,
    )
    return metrics


def _figures(run, spec, tasks, net, ds_test, *, history):
    """Learning curves (from `history`, history.csv's columns) and the task's figures in the run
    folder; returns their file names."""
    figures = []
    if history:
        plots.plot_learning_curves(history, os.path.join(run.out, "learning_curves.png"),
                                   title=f"{spec.name} on {run.config['dataset']}")
        figures.append("learning_curves.png")
    return figures + tasks.figures(net, ds_test, run.out)


def _tensorboard(callbacks, log_dir):
    """Adds a TensorBoard callback where tensorboard and TensorFlow import; returns a note either way."""

    missing = []
    for m in ("tensorboard", "tensorflow"):
        try:
            if importlib.util.find_spec(m) is None:
                missing.append(m)
        except (ImportError, ValueError):
            missing.append(m)
    if missing:
        return f"TensorBoard logs skipped ({' and '.join(missing)} not installed)"
    callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir, write_graph=False, profile_batch=0))
    return f"TensorBoard logs in {log_dir}"
