"""`zoo train`: any registered model on any dataset, with a run folder that survives a kill -9.

Run folder (`--out DIR`):
    config.json      the settings; a rerun with the same settings resumes, other settings are refused
    labels.json      class names (index = label)
    history.csv      one row per finished epoch (CSVLogger, append=True; rows of an unfinished epoch are
                     trimmed on resume), the source of every curve
    backup/          BackupAndRestore state while training (weights + optimizer + epoch), removed at the end
    best.keras       the network at its best val_loss so far (the best value is read back from history.csv
                     on resume, so a restart never overwrites a better checkpoint)
    model.keras      the network after the last epoch
    metrics.json     held-out test metrics of the task, timings, best epoch
    tensorboard/     TensorBoard logs, where tensorboard and TensorFlow are importable
    *.png            learning curves and the task's figures
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time

import numpy as np

from zoo.tasks import check_dataset, get_task

# Settings that must match for a rerun to resume the run in --out.
RESUME_KEYS = ("model", "dataset", "epochs", "batch_size", "optimizer", "lr", "schedule", "augment", "seed", "image_size", "l2", "weight_decay", "patience")


def read_json_or_none(path):
    """The JSON content of `path`, or None when it is missing or unreadable (e.g. cut by a kill)."""
    import json

    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


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
    from zoo.data import load

    size = default_image_size(dataset, spec, image_size)
    kw = dataset_kwargs(dataset, spec)
    return [load(dataset, s, image_size=size, seed=seed, data_dir=data_dir, **kw) for s in splits]


def read_csv_rows(path):
    """Complete rows of a CSVLogger file (a row cut by a kill is dropped)."""
    if not os.path.isfile(path):
        return [], []
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    if not lines:
        return [], []
    if not text.endswith("\n"):
        lines = lines[:-1]  # the last line was cut mid-write
    reader = csv.reader(lines)
    header = next(reader, [])
    rows = [r for r in reader if len(r) == len(header)]
    return header, rows


def trim_history(path, finished_epochs):
    """Keeps the rows of epochs < finished_epochs (the epochs the backup holds), atomically."""
    from zoo.io import write_text

    header, rows = read_csv_rows(path)
    if not header:
        return []
    keep = [r for r in rows if int(float(r[header.index("epoch")])) < finished_epochs]
    seen, unique = set(), []
    for r in keep:
        e = int(float(r[0]))
        if e not in seen:
            seen.add(e)
            unique.append(r)
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(unique)
    write_text(path, buf.getvalue())
    return [dict(zip(header, r)) for r in unique]


def resolve_recipe(spec, **given):
    """The training settings for model `spec`: each of `registry.RECIPE_KEYS` given (not None)
    wins; the rest come from the model's registered recipe, then from `registry.DEFAULT_RECIPE`.

    A recipe's learning rate belongs to its optimizer: with another optimizer given and no lr,
    that optimizer's default rate is used.

    Returns:
        (settings dict, {key: "recipe" | "default"} for the values not given).
    """
    from zoo.registry import DEFAULT_RECIPE, RECIPE_KEYS

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


def _recipe_note(spec, settings, sources):
    """One line naming the settings taken from the model's recipe (None when there are none)."""
    from_recipe = [k for k, v in sources.items() if v == "recipe"]
    if not from_recipe:
        return None
    flags = " ".join(f"--{k.replace('_', '-')} {settings[k]}" for k in from_recipe)
    measured = f" (measured: {spec.recipe['measured']})" if spec.recipe.get("measured") else ""
    return f"zoo train: {spec.name}'s recommended recipe: {flags}{measured}; a flag you pass overrides it"


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
):
    """Trains registered model `model` on `dataset`, writing the run folder `out`; returns metrics.

    `epochs`, `batch_size`, `optimizer`, `lr` and `schedule` left at None come from the model's
    recommended recipe in the registry (`ModelSpec.recipe`), else from `registry.DEFAULT_RECIPE`
    (10 epochs, batch 32, adam at its default rate, cosine); see `resolve_recipe`.

    Rerunning with the same arguments resumes after the last finished epoch. `datasets` may pass
    pre-loaded (train, val, test) ArrayDatasets (tests, notebooks); `dataset` then only names them.

    Raises:
        ValueError: bad argument, or `out` holds a run with other settings.
        TrainingDiverged: the loss became NaN/inf (message names likely causes).
    """
    from zoo import registry
    from zoo.io import ensure_out_dir, write_json

    from zoo.training import callbacks as cb
    from zoo.training.optimizers import OPTIMIZERS, SCHEDULES

    spec = registry.get_spec(model)
    settings, sources = resolve_recipe(spec, epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr, schedule=schedule)
    epochs, batch_size, optimizer, lr, schedule = (settings[k] for k in ("epochs", "batch_size", "optimizer", "lr", "schedule"))
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"--epochs must be an integer >= 1. Received: epochs={epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"--batch-size must be an integer >= 1. Received: batch_size={batch_size!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}. Received: optimizer={optimizer!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"--schedule must be one of {', '.join(SCHEDULES)}. Received: schedule={schedule!r}")
    tasks = get_task(spec.task)
    check_dataset(tasks, dataset if datasets is None else datasets[0], model=spec.name)
    if augment and spec.task != "classification":
        raise ValueError(
            f"--augment is for classifiers; {model} is a {spec.task} model (its masks/boxes would have to move with the image)"
        )
    out = ensure_out_dir(out)
    config = {
        "model": spec.name, "dataset": dataset, "epochs": epochs, "batch_size": batch_size, "optimizer": optimizer,
        "lr": lr, "schedule": schedule, "augment": bool(augment), "seed": seed,
        "image_size": list(image_size) if isinstance(image_size, (tuple, list)) else image_size,
        "l2": l2, "weight_decay": weight_decay, "patience": patience, "task": spec.task,
    }
    paths = {k: os.path.join(out, v) for k, v in {
        "config": "config.json", "csv": "history.csv", "backup": "backup", "best": "best.keras",
        "model": "model.keras", "metrics": "metrics.json", "labels": "labels.json", "tb": "tensorboard",
    }.items()}
    old = read_json_or_none(paths["config"])
    finished = cb.backup_epoch(paths["backup"])
    old_metrics = read_json_or_none(paths["metrics"])
    done = bool(old_metrics and old_metrics.get("status") == "finished")
    if old is not None and (finished or done):
        diff = [f"{k}: {old.get(k)!r} in the run, {config[k]!r} now" for k in RESUME_KEYS if old.get(k) != config[k]]
        if diff:
            raise ValueError(
                f"--out {out!r} holds a run with other settings ({'; '.join(diff)}). Rerun with the same flags to "
                "resume it, or pass a new --out"
            )
    if done and not finished:
        print(f"zoo train: {out} holds a finished run of {epochs} epochs; metrics.json unchanged", flush=True)
        return old_metrics
    if not finished and os.path.exists(paths["csv"]):  # an earlier attempt that never finished an epoch
        os.replace(paths["csv"], os.path.join(out, f"history-{int(time.time())}.csv"))
    write_json(paths["config"], config)
    note = _recipe_note(spec, settings, sources)
    if note:
        print(note, flush=True)

    t0 = time.time()
    import keras

    from zoo import get_model
    from zoo.training.optimizers import add_l2, make_optimizer, plateau_callback

    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    keras.utils.set_random_seed(seed)
    if datasets is None:
        ds_train, ds_val, ds_test = load_splits(dataset, spec, image_size=image_size, seed=seed, data_dir=data_dir)
        check_dataset(tasks, ds_train, model=spec.name)  # a tfds name whose task shows only once loaded
    else:
        ds_train, ds_val, ds_test = (d.check_finite() for d in datasets)
    write_json(paths["labels"], list(ds_train.class_names))
    net = get_model(spec.name, input_shape=tuple(ds_train.x.shape[1:]), classes=ds_train.classes)
    if l2:
        add_l2(net, l2)
    trainer = net
    if augment:
        from zoo.training.augment import augmentation, default_kinds

        aug = augmentation(default_kinds(dataset), image_shape=ds_train.x.shape[1:], seed=seed)
        trainer = keras.Sequential([keras.Input(ds_train.x.shape[1:]), aug, net], name=f"{net.name}_augmented")
    steps_per_epoch = int(math.ceil(len(ds_train) / batch_size))
    opt = make_optimizer(optimizer, lr, schedule=schedule, total_steps=epochs * steps_per_epoch, steps_per_epoch=steps_per_epoch, weight_decay=weight_decay)
    trainer.compile(optimizer=opt, **tasks.compile_args(net, ds_train))
    x, y = tasks.fit_data(net, ds_train)
    val = tasks.fit_data(net, ds_val) if len(ds_val) else None

    rows = trim_history(paths["csv"], finished) if finished else []
    best_so_far = min((float(r["val_loss"]) for r in rows if r.get("val_loss") not in (None, "", "nan")), default=None)
    best_cb = cb.BestModel(net, paths["best"], best=best_so_far)
    nan_guard = cb.NaNGuard()
    timer = cb.EpochTimer()
    callbacks = [nan_guard, timer, keras.callbacks.CSVLogger(paths["csv"], append=True), best_cb]
    if schedule == "plateau":
        callbacks.append(plateau_callback(opt))
    if patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, verbose=1))
    tb_note = _tensorboard(callbacks, paths["tb"])
    callbacks.append(cb.AtomicBackupAndRestore(paths["backup"], double_checkpoint=False))
    n_params = int(net.count_params())
    print(
        f"zoo train: {spec.name} ({n_params:,} parameters) on {dataset}: {len(ds_train)} train / {len(ds_val)} val / "
        f"{len(ds_test)} test images {tuple(ds_train.x.shape[1:])}, {epochs} epochs, batch {batch_size}, {optimizer}"
        f" lr {lr if lr is not None else 'default'} ({schedule}){', augmented' if augment else ''}, seed {seed}; {tb_note}",
        flush=True,
    )
    if finished:
        print(f"zoo train: resuming {out} after epoch {finished} of {epochs} (from {paths['backup']}/); "
              f"best val_loss so far {best_so_far}", flush=True)
    trainer.fit(
        x, y, validation_data=val, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose, callbacks=callbacks
    )
    if nan_guard.nan_at is not None:
        msg = cb.nan_message(getattr(nan_guard, "epoch", 0), nan_guard.nan_at)
        write_json(paths["metrics"], {"status": "diverged", "message": msg, **{k: config[k] for k in ("model", "dataset")}})
        raise cb.TrainingDiverged(msg)
    train_seconds = time.time() - t0
    from zoo.io import save_model

    save_model(net, paths["model"])
    test = tasks.evaluate(net, ds_test)
    history = {}
    header, all_rows = read_csv_rows(paths["csv"])
    epochs_run = len(all_rows)
    from zoo import plots

    if all_rows:
        history = plots.read_history_csv(paths["csv"])
        plots.plot_learning_curves(history, os.path.join(out, "learning_curves.png"), title=f"{spec.name} on {dataset}")
    figures = ["learning_curves.png"] if all_rows else []
    figures += tasks.figures(net, ds_test, out)
    headline = next(iter(test))
    val_losses = history.get("val_loss", np.array([]))
    best_epoch = int(np.nanargmin(val_losses)) + 1 if len(val_losses) and np.isfinite(val_losses).any() else None
    metrics = {
        "status": "finished",
        "model": spec.name,
        "dataset": dataset,
        "task": spec.task,
        "parameters": n_params,
        "train_images": len(ds_train),
        "val_images": len(ds_val),
        "test_images": len(ds_test),
        "epochs": epochs,
        "epochs_run": epochs_run,
        "resumed_after_epoch": finished or None,
        "headline": {headline: test[headline]},
        "test": test,
        "best_epoch": best_epoch,
        "best_val_loss": float(np.nanmin(val_losses)) if best_epoch else None,
        "train_seconds_this_session": round(train_seconds, 1),
        "steps_per_second": timer.steps_per_second(steps_per_epoch),
        "images_per_second": timer.images_per_second(len(ds_train)),
        "backend": keras.backend.backend(),
        "figures": figures,
    }
    write_json(paths["metrics"], metrics)
    print(
        f"zoo train: test {headline} {test[headline]:.4f}" + (f", best val_loss at epoch {best_epoch}" if best_epoch else "")
        + f"; {time.time() - t0:.0f} s; run folder {out}/",
        flush=True,
    )
    return metrics


def _tensorboard(callbacks, log_dir):
    """Adds a TensorBoard callback where tensorboard and TensorFlow import; returns a note either way."""
    import importlib.util

    import keras

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
