"""`zoo train`: any registered model on any dataset, with a run folder that survives a kill -9.

The run folder is `zoo.training.runs`' (config.json, labels.json, history.csv, backup/, best.keras,
model.keras, metrics.json); `zoo train` adds:
    history.csv      CSVLogger, append=True; rows of an unfinished epoch are trimmed on resume
    best.keras       the best val_loss so far is read back from history.csv on resume, so a restart
                     never overwrites a better checkpoint
    optimizer.npz    the optimizer's state after the last epoch: an extension goes on with it
    tensorboard/     TensorBoard logs, where tensorboard and TensorFlow are importable
    *.png            learning curves and the task's figures
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import time

import keras
import numpy as np

from zoo import distribute as dist
from zoo import get_model, plots, registry
from zoo.checks import check_int, check_one_of
from zoo.data import load
from zoo.io import save_model
from zoo.models import load_model
from zoo.registry import DEFAULT_RECIPE, RECIPE_KEYS
from zoo.tasks import check_dataset, get_task
from zoo.training import callbacks as cb
from zoo.training.augment import augmentation, default_kinds
from zoo.training.optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    add_l2,
    continue_optimizer,
    make_optimizer,
    plateau_callback,
    save_optimizer_state,
)
from zoo.training.runs import (  # noqa: F401
    RunFolder,
    command_line,
    read_csv_rows,
    read_json_or_none,
    trim_history,
)
from zoo.training.runtime import seeded

# Settings that must match for a rerun to resume the run in --out.
RESUME_KEYS = ("model", "dataset", "epochs", "batch_size", "optimizer", "lr", "schedule", "augment", "seed", "image_size", "l2", "weight_decay", "patience")


def dataset_kwargs(dataset, spec):
    """Loader arguments that fit the model: digits / folders get the model's channel count and at
    least its minimum input size."""
    kw = {}
    channels = spec.default_input_shape[-1]
    if dataset == "digits" or dataset.startswith("folder:"):
        kw["channels"] = channels
    return kw


def default_image_size(dataset, spec, image_size):
    if image_size is not None:
        return image_size
    if dataset == "digits":
        return max(32, *spec.min_input_shape[:2])
    if dataset.startswith("folder:"):
        return tuple(spec.default_input_shape[:2]) if max(spec.default_input_shape[:2]) <= 64 else (64, 64)
    return None


def load_splits(dataset, spec, *, image_size=None, seed=0, data_dir=None, splits=("train", "val", "test")):
    """The dataset splits a model needs, sized and coloured for it."""

    size = default_image_size(dataset, spec, image_size)
    kw = dataset_kwargs(dataset, spec)
    return [load(dataset, s, image_size=size, seed=seed, data_dir=data_dir, **kw) for s in splits]


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
            initial_epoch = len(read_csv_rows(run.path("history"))[1])
            with topo.scope():  # the optimizer's variables are placed as the model's
                continue_optimizer(opt, trainer.trainable_variables, run.path("optimizer"), initial_epoch * steps_per_epoch)
        if not topo.writer:
            return _fit_and_finish(run, spec, tasks, splits, net, trainer, opt, steps_per_epoch, initial_epoch, 0, topo)
        with run.writing():
            run.write_labels(ds_train.class_names)
            return _fit_and_finish(run, spec, tasks, splits, net, trainer, opt, steps_per_epoch, initial_epoch, verbose, topo)


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


def _fit_and_finish(run, spec, tasks, splits, net, trainer, opt, steps_per_epoch, initial_epoch, verbose, topo):
    """Fits (resuming from backup/ when it holds epochs), then saves, evaluates, draws and writes metrics.json.

    Under a distribution (`topo`) every process fits its shard; process 0 alone writes, then
    evaluates and draws with the saved model.keras on its own (one device, no other process)."""


    config, t0 = run.config, time.time()
    ds_train, ds_val, ds_test = splits
    x, y = dist.shard(tasks.fit_data(net, ds_train), topo)
    val = dist.shard(tasks.fit_data(net, ds_val), topo) if len(ds_val) >= topo.devices else None
    writer = topo.writer  # the other processes of a distributed run fit their shard and write nothing
    rows = []
    if writer and run.mode == "resume":
        rows = trim_history(run.path("history"), run.finished)
    elif writer:  # new (no history) or extend (all of it)
        header, raw = read_csv_rows(run.path("history"))
        rows = [dict(zip(header, r)) for r in raw]
    best_so_far = min((float(r["val_loss"]) for r in rows if r.get("val_loss") not in (None, "", "nan")), default=None)
    nan_guard, timer = cb.NaNGuard(), cb.EpochTimer()
    callbacks = [nan_guard]
    if writer:
        callbacks += [keras.callbacks.CSVLogger(run.path("history"), append=True),
                      cb.BestModel(net, run.path("best"), best=best_so_far)]
    if config["schedule"] == "plateau":
        callbacks.append(plateau_callback(opt))
    if config["patience"]:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=config["patience"], verbose=int(writer)))
    tb_note = _tensorboard(callbacks, os.path.join(run.out, "tensorboard")) if writer else ""
    callbacks.append(cb.AtomicBackupAndRestore(run.path("backup"), double_checkpoint=False) if writer
                     else cb.RestoreOnly(run.path("backup")))
    callbacks.append(timer)  # last: an epoch's time includes the others' checkpoints
    n_params, kind = int(net.count_params()), config["kind"]
    lr = config["lr"] if config["lr"] is not None else "default"
    if writer:
        print(
            f"zoo {kind}: {spec.name} ({n_params:,} parameters) on {config['dataset']}: {len(ds_train)} train / {len(ds_val)} val / "
            f"{len(ds_test)} test images {tuple(ds_train.x.shape[1:])}, {config['epochs']} epochs, batch {config['batch_size']}, "
            f"{config['optimizer']} lr {lr} ({config['schedule']}){', augmented' if config['augment'] else ''}, seed {config['seed']}; {tb_note}",
            flush=True,
        )
    if writer and topo.distribution is not None:
        print(f"zoo {kind}: {topo.describe()}: batch {config['batch_size']} = {topo.devices} x "
              f"{config['batch_size'] // topo.devices} per device; {len(ds_train) % topo.devices} train image(s) left out "
              "to split evenly; process 0 writes the run folder", flush=True)
    if writer and run.mode == "resume":
        print(f"zoo {kind}: resuming {run.out} after epoch {run.finished} of {config['epochs']} (from {run.path('backup')}/); "
              f"best val_loss so far {best_so_far}", flush=True)
    elif writer and run.mode == "extend":
        print(f"zoo {kind}: extending the finished run in {run.out} from {initial_epoch} to {config['epochs']} epochs", flush=True)
    elif not writer:
        print(f"zoo {kind}: {topo.describe()}: {len(x)} train images in this shard; process 0 writes {run.out}/", flush=True)
    with topo.scope():
        trainer.fit(x, y, validation_data=val, epochs=config["epochs"], initial_epoch=initial_epoch,
                    batch_size=config["batch_size"] // topo.processes, shuffle=True, verbose=verbose, callbacks=callbacks)
    if nan_guard.nan_at is not None:
        msg = cb.nan_message(getattr(nan_guard, "epoch", 0), nan_guard.nan_at)
        if writer:
            run.write_metrics(status="diverged", message=msg, parameters=n_params)
        raise cb.TrainingDiverged(msg)
    if not writer:
        print(f"zoo {kind}: process {topo.process_id} finished its {config['epochs']} epochs", flush=True)
        return None
    train_seconds = time.time() - t0
    save_model(net, run.path("model"))
    save_optimizer_state(opt, run.path("optimizer"))  # an extension goes on with its moments and schedule
    if topo.distribution is not None:  # evaluate and draw here alone: the other processes are done
        net = load_model(run.path("model"))
    test = tasks.evaluate(net, ds_test)
    figures = _figures(run, spec, tasks, net, ds_test)
    history = plots.read_history_csv(run.path("history")) if read_csv_rows(run.path("history"))[1] else {}
    val_losses = np.asarray(history.get("val_loss", []), dtype=float)
    best_epoch = int(np.nanargmin(val_losses)) + 1 if len(val_losses) and np.isfinite(val_losses).any() else None
    headline = next(iter(test))
    metrics = run.write_metrics(
        status="finished", headline={headline: test[headline]}, test=test,
        epochs_run=len(read_csv_rows(run.path("history"))[1]), parameters=n_params,
        images={"train": len(ds_train), "val": len(ds_val), "test": len(ds_test)},
        timings={"train_seconds_this_session": round(train_seconds, 1), "steps_per_second": timer.steps_per_second(steps_per_epoch),
                 "images_per_second": timer.images_per_second(len(ds_train)),
                 "step_images_per_second": timer.step_images_per_second(len(ds_train)),
                 "epoch_overhead_seconds": timer.overhead_seconds(),
                 "epoch_seconds": [round(t, 4) for t in timer.times], "step_seconds": [round(t, 4) for t in timer.step_times]},
        figures=figures, resumed_after_epoch=run.finished or None,
        extended_from_epoch=initial_epoch or None, best_epoch=best_epoch,
        best_val_loss=float(np.nanmin(val_losses)) if best_epoch else None, backend=keras.backend.backend(),
        distribute=topo.config(),
    )
    speed = metrics["timings"]
    speed = (f"; {speed['step_images_per_second']:g} images/s in the training steps, {speed['epoch_overhead_seconds']:g} s "
             "per epoch beyond them (validation, checkpoints)") if speed["step_images_per_second"] else ""
    print(
        f"zoo {kind}: test {headline} {test[headline]:.4f}" + (f", best val_loss at epoch {best_epoch}" if best_epoch else "")
        + f"; {time.time() - t0:.0f} s{speed}; run folder {run.out}/",
        flush=True,
    )
    return metrics


def _figures(run, spec, tasks, net, ds_test):
    """Learning curves and the task's figures in the run folder; returns their file names."""

    out, figures = run.out, []
    if read_csv_rows(run.path("history"))[1]:
        plots.plot_learning_curves(plots.read_history_csv(run.path("history")), os.path.join(out, "learning_curves.png"),
                                   title=f"{spec.name} on {run.config['dataset']}")
        figures.append("learning_curves.png")
    return figures + tasks.figures(net, ds_test, out)


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
