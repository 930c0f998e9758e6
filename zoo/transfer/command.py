"""`zoo transfer`: the whole recipe on a class-per-folder directory, its run folder, and prediction
of image files with the result."""

from __future__ import annotations

import os
import shutil
import sys
import warnings

import keras
import numpy as np
from PIL import Image

from zoo import plots
from zoo.checks import check_int
from zoo.data import _size_hw as size_hw
from zoo.data import imagefolder
from zoo.data.imagefolder import read_image
from zoo.io import save_model, write_text
from zoo.training.runs import RunFolder, command_line
from zoo.transfer.backbones import _channels, build_backbone
from zoo.transfer.finetune import fine_tune
from zoo.transfer.heads import new_head


def predict_images(model, paths, class_names, *, batch_size=64):
    """Label and probability for image files, read the zoo's way (Pillow, [0, 1], resized to the
    model's input, RGB or grayscale by its channels): [{"path", "label", "index", "probability"}]."""
    h, w, c = model.input_shape[1:]
    if not paths:
        return []
    x = np.stack([read_image(p, (h, w), "grayscale" if c == 1 else "rgb") for p in paths])
    probs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    out = []
    for p, row in zip(paths, probs):
        k = int(np.argmax(row))
        out.append({"path": os.fspath(p), "label": str(class_names[k]), "index": k, "probability": float(row[k])})
    return out


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
    scan = _scan(data)
    if image_size is None:
        net, mode = build_backbone(backbone, weights=weights)
    else:
        net, mode = build_backbone(backbone, input_shape=(*size_hw(image_size, None), _channels(backbone, weights)), weights=weights)
    shape = tuple(net.input_shape[1:])
    if None in shape[:2]:
        raise ValueError(f"backbone {backbone!r} has no fixed input size; pass --image-size")
    color = "grayscale" if shape[-1] == 1 else "rgb"
    if shape[-1] not in (1, 3):
        raise ValueError(f"backbone {backbone!r} takes {shape[-1]} channels; image folders give 1 (grayscale) or 3 (RGB)")
    parts = imagefolder.split_indices(scan.labels, seed=seed, val_fraction=0.1, test_fraction=0.2)
    arrays = {}
    for split, idx in parts.items():
        arrays[split] = (imagefolder.load_images([scan.files[i] for i in idx], shape[:2], color), scan.labels[idx])
    print(
        f"backbone: {backbone} ({net.count_params():,} parameters, input {shape}, preprocessing {mode!r}"
        f"{', weights ' + os.fspath(weights) if weights else ', random init'}); "
        f"split {len(arrays['train'][1])} train / {len(arrays['val'][1])} val / {len(arrays['test'][1])} test",
        flush=True,
    )
    _announce_channels(scan.files, shape[-1], backbone)
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
        result = fine_tune(model, *arrays["train"], validation_data=arrays["val"] if len(arrays["val"][1]) else None,
                           epochs=(epochs, fine_tune_epochs), learning_rates=learning_rates, unfreeze=unfreeze,
                           batch_size=batch_size, verbose=verbose, callbacks=[_EpochLine()], from_scratch=scratch,
                           backup_dir=run.path("backup"), seed=seed)
        metrics = _finish(run, model, scan, arrays, result, mode=mode, shape=shape)
    shutil.rmtree(run.path("backup"), ignore_errors=True)  # finished: a rerun returns metrics.json
    return metrics


def _announce_channels(files, channels, backbone, sample=32):
    """One line when the folder's images are converted to the backbone's channels (colour photos to
    grey for a 1-channel LeNet-5, grey scans to RGB for a 3-channel ResNet); judged on a sample."""
    grey = 0
    seen = files[:: max(1, len(files) // sample)][:sample]
    for f in seen:
        try:
            with Image.open(f) as im:
                grey += im.mode in ("1", "L", "LA", "I", "I;16", "F")
        except OSError:
            continue
    colour = len(seen) - grey
    if channels == 1 and colour:
        print(f"zoo transfer: {backbone} takes 1 channel: colour images are converted to grayscale "
              f"({colour} of {len(seen)} sampled files are colour)", flush=True)
    elif channels == 3 and grey:
        print(f"zoo transfer: {backbone} takes 3 channels: grayscale images are repeated to RGB "
              f"({grey} of {len(seen)} sampled files are grayscale)", flush=True)


def _scan(data):
    """The class-per-folder scan of `data`, its ImageFolderWarnings printed as `zoo: warning:` lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", imagefolder.ImageFolderWarning)
        scan = imagefolder.scan_image_folder(data)
    for w in caught:
        if issubclass(w.category, imagefolder.ImageFolderWarning):
            print(f"zoo: warning: {w.message}", file=sys.stderr, flush=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print(f"data: {scan.summary()}", flush=True)
    return scan


def _finish(run, model, scan, arrays, result, *, mode, shape):
    """history.csv, model.keras, the figures and metrics.json of a finished transfer; returns the metrics."""
    hist = dict(result["history"])
    hist["phase"] = result["phase"]
    keys = list(hist)
    rows = [",".join(["epoch", *keys])] + [
        ",".join([str(i), *(f"{hist[k][i]:.6g}" for k in keys)]) for i in range(len(result["phase"]))
    ]
    write_text(run.path("history"), "\n".join(rows) + "\n")

    def accuracy(x, y):
        if not len(y):
            return None, np.zeros(0, int), np.zeros(0)
        p = np.asarray(model.predict(x, batch_size=256, verbose=0))
        return float((p.argmax(1) == y).mean()), p.argmax(1), p.max(1)

    (x_test, y_test), backbone = arrays["test"], run.config["model"]
    train_acc, _, _ = accuracy(*arrays["train"])
    val_acc, _, _ = accuracy(*arrays["val"])
    test_acc, y_pred, _ = accuracy(x_test, y_test)
    save_model(model, run.path("model"))
    split2 = result["phase"].count(1) + 1
    plots.plot_learning_curves(
        dict(result["history"]), os.path.join(run.out, "learning_curves.png"),
        title=f"Transfer: {backbone} on {os.path.basename(os.path.normpath(scan.root))}"
        + (f" (phase 2 from epoch {split2})" if 2 in result["phase"] and 1 in result["phase"] else
           " (from scratch)" if not run.config["weights"] else ""),
        marks={split2: "phase 2"} if 2 in result["phase"] and 1 in result["phase"] else None,
    )
    figures = ["learning_curves.png"]
    if len(y_test):
        plots.plot_confusion_matrix(y_test, y_pred, os.path.join(run.out, "confusion_matrix.png"), labels=scan.class_names,
                                    title=f"{backbone}, held-out images")
        figures.append("confusion_matrix.png")
    test = {} if test_acc is None else {"accuracy": test_acc, "errors": int((y_pred != y_test).sum())}
    metrics = run.write_metrics(
        status="finished", headline={"accuracy": test_acc} if test else None, test=test,
        epochs=run.config["epochs"] + (run.config["fine_tune_epochs"] if run.config["unfreeze"] or not run.config["weights"] else 0),
        epochs_run=len(result["phase"]), parameters=int(model.count_params()),
        images={s: int(len(arrays[s][1])) for s in ("train", "val", "test")}, figures=figures,
        backbone=backbone, weights=run.config["weights"], preprocessing=mode, input_shape=list(shape), data=scan.root,
        classes=list(scan.class_names), skipped_files=[p for p, _ in scan.skipped], seed=run.config["seed"],
        pretrained=bool(run.config["weights"]), phases=result["phases"], train_accuracy=train_acc, val_accuracy=val_acc, test_accuracy=test_acc,
    )
    rows = [
        [f"phase {p['phase']}", p["epochs"], f"{p['learning_rate']:g}", f"{p['trainable_params']:,}", f"{p.get('accuracy', float('nan')):.3f}", "-" if "val_accuracy" not in p else f"{p['val_accuracy']:.3f}", f"{p['seconds']:.1f}"]
        for p in result["phases"]
    ]
    print(_table(rows, ["phase", "epochs", "lr", "trainable", "train acc", "val acc", "seconds"]), flush=True)
    fmt = lambda a: "-" if a is None else f"{a:.2%}"  # noqa: E731
    print(
        f"accuracy: train {fmt(train_acc)}, val {fmt(val_acc)}, test {fmt(test_acc)} ({len(y_test)} held-out images); "
        f"{metrics['timings']['wall_seconds']:.0f} s; run folder {run.out}/ (model.keras, labels.json, metrics.json, "
        "history.csv, learning_curves.png, confusion_matrix.png)",
        flush=True,
    )
    return metrics


class _EpochLine(keras.callbacks.Callback):
    """One progress line per epoch (when Keras' own bar is off)."""
    def on_epoch_end(self, epoch, logs=None):
        if self.params.get("verbose"):
            return
        logs = logs or {}
        shown = ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k != "learning_rate")
        print(f"  epoch {epoch + 1}/{self.params.get('epochs')}: {shown}", flush=True)
