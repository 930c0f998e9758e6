"""The segmentation task: a class id per pixel (U-Net).

A model outputs per-pixel probabilities: (B, H, W, classes) softmax, or (B, H, W, 1) sigmoid for
two classes (background / foreground). A dataset's y holds masks (N, H, W) of class ids.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from zoo import plots
from zoo.io import ensure_out_dir
from zoo.segmentation import losses as seg_losses
from zoo.segmentation import metrics as seg_metrics
from zoo.tasks.common import read_for_model

name = "segmentation"
dataset_tasks = ("segmentation",)


def _model_classes(model):
    """Number of classes the model predicts (2 for a single sigmoid map)."""
    c = int(model.outputs[0].shape[-1])
    return 2 if c == 1 else c


def check_data(images, masks, classes):
    """Checks an (images, masks) pair before training or evaluation; returns (x, y) arrays.

    Raises:
        ValueError: masks whose (N, H, W) does not match the images' (N, H, W, C), or class ids
            outside 0..classes-1.
    """
    x = np.asarray(images)
    y = np.asarray(masks)
    if x.ndim != 4:
        raise ValueError(f"images must have shape (N, H, W, C). Received: images of shape {x.shape}")
    if y.ndim == 4 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.shape != x.shape[:3]:
        raise ValueError(
            f"masks must have shape (N, H, W) = {x.shape[:3]} to match the images {x.shape}. "
            f"Received: masks of shape {np.asarray(masks).shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"masks must hold integer class ids. Received: masks of dtype {y.dtype} with fractions")
        y = y.astype(np.int32)
    lo, hi = int(y.min(initial=0)), int(y.max(initial=0))
    if lo < 0 or hi >= classes:
        bad = hi if hi >= classes else lo
        raise ValueError(
            f"mask class ids must be in 0..{classes - 1} for a model of {classes} classes. "
            f"Received: class id {bad} (masks range {lo}..{hi})"
        )
    return x.astype(np.float32, copy=False), y.astype(np.int32, copy=False)


def _check_fits(model, dataset):
    classes = _model_classes(model)
    if dataset.classes and dataset.classes != classes:
        raise ValueError(
            f"model {model.name!r} predicts {classes} classes but dataset {dataset.name!r} has "
            f"{dataset.classes} ({', '.join(map(str, dataset.class_names))}); build it with "
            f"classes={dataset.classes}" + (" (or classes=1 for a sigmoid map)" if dataset.classes == 2 else "")
        )
    out_hw = tuple(model.outputs[0].shape[1:3])
    in_hw = tuple(model.inputs[0].shape[1:3])
    if out_hw != in_hw and None not in out_hw:
        raise ValueError(
            f"model {model.name!r} maps {in_hw} to {out_hw} (padding='valid'); the zoo's segmentation "
            "task trains models whose output matches the input size: build it with padding='same'"
        )
    return classes


def compile_args(model, dataset):
    """Cross-entropy + Dice loss and the streaming mean IoU."""
    classes = _check_fits(model, dataset)
    return {"loss": seg_losses.BCEDiceLoss(), "metrics": [seg_metrics.MeanIoU(classes)]}


def fit_data(model, dataset):
    """(images, masks) after the checks of `check_data`."""
    classes = _check_fits(model, dataset)
    return check_data(dataset.x, dataset.y, classes)


def predict_masks(model, images, *, batch_size=32):
    """(class ids (N, H, W) int32, probabilities (N, H, W, C)) for `images` (N, H, W, C)."""
    prob = np.asarray(model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0))
    return seg_metrics.predicted_labels(prob), prob


def evaluate(model, dataset):
    """Held-out metrics: mean_iou first, then pixel accuracy, mean Dice, IoU and Dice per class."""
    classes = _check_fits(model, dataset)
    x, y = check_data(dataset.x, dataset.y, classes)
    pred, _ = predict_masks(model, x)
    cm = seg_metrics.confusion_matrix(y, pred, classes)
    iou = seg_metrics.iou_per_class(cm)
    dice = seg_metrics.dice_per_class(cm)
    names = list(dataset.class_names) or [str(i) for i in range(classes)]
    out = {
        "mean_iou": float(np.nanmean(iou)),
        "pixel_accuracy": float(np.trace(cm) / max(cm.sum(), 1)),
        "mean_dice": float(np.nanmean(dice)),
    }
    for class_name, v in zip(names, iou):
        out[f"iou_{class_name}"] = float(v)
    for class_name, v in zip(names, dice):
        out[f"dice_{class_name}"] = float(v)
    return out


def plot_predictions(model, dataset, path, *, count=6):
    """Image / true mask / predicted mask overlays for the first `count` images."""
    classes = _check_fits(model, dataset)
    x, y = check_data(dataset.x[:count], dataset.y[:count], classes)
    pred, _ = predict_masks(model, x)
    return plots.plot_segmentation(x, y, pred, path, class_names=dataset.class_names)


def figures(model, dataset, out, *, prefix="", name=None):
    """`predictions.png` (overlays of true and predicted masks) in folder `out`, `prefix` in front
    (no title names the model: `name` goes unused)."""
    return [os.path.basename(plot_predictions(model, dataset, os.path.join(out, f"{prefix}predictions.png")))]


def predict_files(model, paths, out_dir, class_names):
    """Segments image files; writes `<stem>_mask.png` (a palette PNG at the file's own size: class
    indices shown in the class colours) and `<stem>_overlay.png` (the file's pixels, at their aspect, overlaid).

    Returns:
        One record per file: {"path", "label" (the largest non-background class, or the
        background when nothing else is found), "probability" (its mean probability over its
        pixels), "mask", "overlay" (written PNGs), "class_pixels" {name: pixel count}}.
    """
    out_dir = ensure_out_dir(out_dir)
    classes = _model_classes(model)
    names = list(class_names) if class_names else [str(i) for i in range(classes)]
    if len(names) != classes:
        raise ValueError(f"class_names has {len(names)} names but the model predicts {classes} classes. Received: class_names={names!r}")
    records = []
    for path in paths:
        arr, original = read_for_model(path, model)
        pred, prob = predict_masks(model, arr[None])
        pred, prob = pred[0], prob[0]
        if prob.shape[-1] == 1:
            prob = np.concatenate([1.0 - prob, prob], axis=-1)
        counts = np.bincount(pred.ravel(), minlength=classes)
        fg = counts[1:]
        label = int(np.argmax(fg) + 1) if fg.sum() else 0
        sel = pred == label
        stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
        mask_path = os.path.join(out_dir, f"{stem}_mask.png")
        size = (original.shape[1], original.shape[0])
        plots.save_mask_png(pred, mask_path, classes=classes, size=size)
        full_pred = np.asarray(Image.fromarray(pred.astype(np.uint8)).resize(size, Image.NEAREST))
        overlay_path = plots.plot_segmentation(original[None], None, full_pred[None],  # at the file's own size and aspect
                                               os.path.join(out_dir, f"{stem}_overlay.png"), class_names=names)
        records.append(
            {
                "path": os.fspath(path),
                "label": names[label],
                "probability": float(prob[..., label][sel].mean()) if sel.any() else 0.0,
                "mask": mask_path,
                "overlay": overlay_path,
                "class_pixels": {names[i]: int(n) for i, n in enumerate(counts)},
            }
        )
    return records
