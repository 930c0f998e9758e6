"""`zoo transfer`: the whole recipe on a class-per-folder directory, in the run folder of `zoo train`
(`zoo.training.runs`) plus a `phase` column in history.csv. The fit, its log, its checkpoints, the
held-out metrics, the figures and prediction (`zoo predict`) are the classification task's
(`zoo.tasks.classification`); what is transfer's own is the backbone, the head and the phases."""

from __future__ import annotations

import os
import shutil
import sys
import warnings

import keras

from zoo import plots
from zoo.checks import check_int
from zoo.data import imagefolder
from zoo.data.fit import load_fitted
from zoo.io import save_model
from zoo.tasks import get_task
from zoo.training.callbacks import EpochLine, TrainingDiverged
from zoo.training.runs import RunFolder, command_line, epochs_in, trim_history
from zoo.transfer.backbones import build_backbone
from zoo.transfer.finetune import fine_tune
from zoo.transfer.heads import new_head


SPLITS = ("train", "val", "test")


# ----------------------------------------------------------------------------- `zoo transfer`
def _table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def run_transfer(
    data,
    backbone,
    out,
    *,
    weights=None,
    epochs=5,
    fine_tune_epochs=None,
    batch_size=32,
    seed=0,
    image_size=None,
    unfreeze=1,
    learning_rates=(1e-3, 1e-4),
    dropout=0.2,
    verbose=None,
):
    """`zoo transfer`: fine-tune `backbone` on a class-per-folder directory; writes the run folder of
    kind "transfer" (`zoo.training.runs`): model.keras (takes raw [0, 1] images), labels.json,
    config.json, metrics.json, history.csv, learning_curves.png, confusion_matrix.png.

    A rerun with the same settings resumes a run cut by a kill or Ctrl-C (a finished phase is not
    trained again; the cut one goes on after its last finished epoch) and returns a finished run's
    metrics; other settings are refused. Returns the metrics dict.
    """
    check_int("epochs", epochs, 0)
    fine_tune_epochs = epochs if fine_tune_epochs is None else check_int("fine_tune_epochs", fine_tune_epochs, 0)
    check_int("batch_size", batch_size)
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 0
    config = {"kind": "transfer", "model": backbone, "dataset": f"folder:{os.fspath(data)}", "task": "classification",
              "weights": os.fspath(weights) if weights else None, "epochs": epochs, "fine_tune_epochs": fine_tune_epochs,
              "unfreeze": unfreeze, "learning_rates": list(learning_rates), "dropout": dropout, "batch_size": batch_size,
              "image_size": image_size, "seed": seed}
    command = command_line("transfer", data=data, backbone=backbone, weights=weights, epochs=epochs,
                           fine_tune_epochs=fine_tune_epochs, unfreeze=unfreeze, lr=learning_rates[0],
                           image_size=image_size, batch_size=batch_size, seed=seed, out=out)
    run = RunFolder(out, config, resume_keys=[k for k in config if k != "kind"], command=command)
    if run.check(extend_key=None) == "finished":
        print(f"zoo transfer: {run.out} holds this finished run; metrics.json unchanged", flush=True)
        return run.old_metrics
    keras.utils.set_random_seed(seed)
    scan = _scan(data, config["dataset"])
    net, mode = build_backbone(backbone, image_size=image_size, weights=weights)
    shape = tuple(net.input_shape[1:])
    if None in shape[:2]:
        raise ValueError(f"backbone {backbone!r} has no fixed input size; pass --image-size")
    if shape[-1] not in (1, 3):
        raise ValueError(f"backbone {backbone!r} takes {shape[-1]} channels; image folders give 1 (grayscale) or 3 (RGB)")
    splits = dict(zip(SPLITS, load_fitted(config["dataset"], shape, splits=SPLITS, fixed=True, seed=seed, model=backbone, scan=scan)))
    arrays = {split: (ds.x, ds.y) for split, ds in splits.items()}
    print(
        f"backbone: {backbone} ({net.count_params():,} parameters, input {shape}, preprocessing {mode!r}"
        f"{', weights ' + os.fspath(weights) if weights else ', random init'}); "
        f"split {len(arrays['train'][1])} train / {len(arrays['val'][1])} val / {len(arrays['test'][1])} test",
        flush=True,
    )
    scratch = weights is None  # random features: freezing them would train a head on noise
    if scratch:
        print(f"zoo transfer: no --weights, so {backbone} starts from random weights: the whole network trains "
              f"for {epochs + fine_tune_epochs} epochs at lr {learning_rates[0]:g} (pass a pretrained --weights "
              "file for the two-phase recipe: head first, then the top blocks)", flush=True)
    model = new_head(net, len(scan.class_names), dropout, preprocessing=mode, backbone_training=scratch)
    if run.mode == "resume":
        print(f"zoo transfer: resuming {run.out} after epoch {run.finished} (from {run.path('backup')}/)", flush=True)
    with run.writing():
        run.write_labels(scan.class_names)
        if run.mode == "resume":  # history.csv keeps the epochs the backup holds
            trim_history(run.path("history"), run.finished)
        log = [EpochLine(), PhaseLogger(run.path("history"), epochs + fine_tune_epochs if scratch else epochs)]
        try:
            result = fine_tune(model, *arrays["train"], validation_data=arrays["val"] if len(arrays["val"][1]) else None,
                               epochs=(epochs, fine_tune_epochs), learning_rates=learning_rates, unfreeze=unfreeze,
                               batch_size=batch_size, verbose=verbose, callbacks=log, from_scratch=scratch,
                               backup_dir=run.path("backup"), seed=seed)
        except TrainingDiverged as diverged:  # as zoo train: the run folder says so
            run.write_metrics(status="diverged", message=str(diverged), parameters=int(model.count_params()))
            raise
        metrics = _finish(run, model, splits, result, mode=mode, shape=shape, scan=scan)
    shutil.rmtree(run.path("backup"), ignore_errors=True)  # finished: a rerun returns metrics.json
    return metrics


def _scan(data, name):
    """The class-per-folder scan of `data` (called `name`), its ImageFolderWarnings printed as
    `zoo: warning:` lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", imagefolder.ImageFolderWarning)
        scan = imagefolder.scan_image_folder(data)
    for w in caught:
        if issubclass(w.category, imagefolder.ImageFolderWarning):
            print(f"zoo: warning: {w.message}", file=sys.stderr, flush=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print(f"data: {scan.summary(name)}", flush=True)
    return scan


def _finish(run, model, splits, result, *, mode, shape, scan):
    """model.keras, the classification task's held-out metrics and figures, the learning curves
    (from history.csv, read once) and metrics.json of a finished transfer; returns the metrics."""
    tasks, backbone, dataset = get_task("classification"), run.config["model"], run.config["dataset"]
    save_model(model, run.path("model"))
    test = tasks.evaluate(model, splits["test"]) if len(splits["test"]) else {}
    accuracy = {s: tasks.evaluate(model, splits[s], mistakes=0)["accuracy"] if len(splits[s]) else None for s in ("train", "val")}
    history = run.read_history()
    phase = [int(p) for p in history.get("phase", [])]
    two = 1 in phase and 2 in phase
    split2 = phase.count(1) + 1
    plots.plot_learning_curves(
        {k: v for k, v in history.items() if k != "phase"}, os.path.join(run.out, "learning_curves.png"),
        title=f"{backbone} on {dataset}" + (f" (phase 2 from epoch {split2})" if two else
                                           " (from scratch)" if not run.config["weights"] else ""),
        marks={split2: "phase 2"} if two else None,
    )
    figures = ["learning_curves.png"] + (tasks.figures(model, splits["test"], run.out, name=backbone) if test else [])
    test_acc = test.get("accuracy")
    metrics = run.write_metrics(
        status="finished", headline={"accuracy": test_acc} if test else None, test=test,
        epochs=run.config["epochs"] + (run.config["fine_tune_epochs"] if run.config["unfreeze"] or not run.config["weights"] else 0),
        epochs_run=epochs_in(history), parameters=int(model.count_params()),
        images={s: len(splits[s]) for s in ("train", "val", "test")}, figures=figures,
        backbone=backbone, weights=run.config["weights"], preprocessing=mode, input_shape=list(shape),
        classes=list(scan.class_names), skipped_files=[os.path.relpath(p, scan.root) for p, _ in scan.skipped], seed=run.config["seed"],
        pretrained=bool(run.config["weights"]), phases=result["phases"], train_accuracy=accuracy["train"],
        val_accuracy=accuracy["val"], test_accuracy=test_acc,
    )
    rows = [
        [f"phase {p['phase']}", p["epochs"], f"{p['learning_rate']:g}", f"{p['trainable_params']:,}", f"{p.get('accuracy', float('nan')):.3f}", "-" if "val_accuracy" not in p else f"{p['val_accuracy']:.3f}", f"{p['seconds']:.1f}"]
        for p in result["phases"]
    ]
    print(_table(rows, ["phase", "epochs", "lr", "trainable", "train acc", "val acc", "seconds"]), flush=True)
    fmt = lambda a: "-" if a is None else f"{a:.2%}"  # noqa: E731
    print(
        f"zoo transfer: {backbone} on {dataset}: accuracy train {fmt(accuracy['train'])}, val {fmt(accuracy['val'])}, "
        f"test {fmt(test_acc)} ({len(splits['test'])} held-out images); {metrics['timings']['wall_seconds']:.0f} s; "
        f"run folder {run.out}/ ({', '.join(['model.keras', 'labels.json', 'metrics.json', 'history.csv', *figures])})",
        flush=True,
    )
    return metrics


class PhaseLogger(keras.callbacks.CSVLogger):
    """train's history.csv (a CSVLogger appending one row per finished epoch) plus a `phase` column:
    1 for the first `phase1_epochs` epochs of the run, then 2."""

    def __init__(self, filename, phase1_epochs):
        super().__init__(filename, append=True)
        self.phase1_epochs = phase1_epochs

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, {**(logs or {}), "phase": 1 if epoch < self.phase1_epochs else 2})
