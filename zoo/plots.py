"""Every figure the zoo draws (matplotlib, Agg backend). Each `plot_*` writes one PNG atomically
and returns its path."""

from __future__ import annotations

import csv
import os

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path):
    """Saves `fig` as PNG through a temporary file and closes it."""
    from zoo.io import atomic_path

    plt = _plt()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return os.fspath(path)


def read_history_csv(path):
    """Columns of a Keras CSVLogger file as {name: np.array}."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {k: np.array([float(r[k]) if r[k] not in ("", "nan") else np.nan for r in rows]) for k in rows[0]}


def plot_learning_curves(history, path, *, title="Learning curves"):
    """Loss and every metric per epoch, train and validation side by side.

    Args:
        history: {name: sequence per epoch}, e.g. `History.history` or `read_history_csv(...)`.
    """
    plt = _plt()
    history = {k: np.asarray(v, dtype=float) for k, v in history.items() if k not in ("epoch", "learning_rate", "lr")}
    bases = [k for k in history if not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(bases), figsize=(4.2 * len(bases), 3.4), squeeze=False)
    for ax, key in zip(axes[0], bases):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], "o-", ms=3, label="train")
        if "val_" + key in history:
            ax.plot(epochs, history["val_" + key], "s-", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        if key == "loss":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_confusion_matrix(y_true, y_pred, path, *, labels=None, title="Confusion matrix"):
    """Confusion matrix with counts in the cells and per-class recall on the rows."""
    plt = _plt()
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    n = int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    if labels is not None:
        n = max(n, len(labels))
    cm = np.zeros((n, n), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    labels = [str(i) for i in range(n)] if labels is None else [str(l) for l in labels]
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.5, 0.55 * n + 2))
    ax.imshow(cm, cmap="Blues")
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8, color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xticks(range(n), labels, rotation=45 if n > 12 else 0)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(f"{title} (accuracy {acc:.2%}, n={cm.sum()})")
    return save_figure(fig, path)


def plot_misclassified(images, y_true, y_pred, path, *, probabilities=None, labels=None, max_images=24, title="Misclassified samples"):
    """A grid of the misclassified images, each titled 'true -> predicted (p)'."""
    plt = _plt()
    images = np.asarray(images)
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    wrong = np.flatnonzero(y_true != y_pred)
    if probabilities is not None:  # most confident mistakes first
        wrong = wrong[np.argsort(-np.asarray(probabilities)[wrong])]
    wrong = wrong[:max_images]
    name = (lambda i: str(i)) if labels is None else (lambda i: str(labels[i]))
    cols = min(8, max(len(wrong), 1))
    rows = max(1, int(np.ceil(len(wrong) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.7 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    if len(wrong) == 0:
        axes[0, 0].text(0.5, 0.5, "no misclassified samples", ha="center", va="center")
    for ax, i in zip(axes.flat, wrong):
        img = images[i]
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        t = f"{name(y_true[i])} \u2192 {name(y_pred[i])}"
        if probabilities is not None:
            t += f" ({float(probabilities[i]):.2f})"
        ax.set_title(t, fontsize=8, color="crimson")
    fig.suptitle(f"{title}: {len(np.flatnonzero(y_true != y_pred))} of {len(y_true)}")
    return save_figure(fig, path)


# --- detection (ssd engineer) ---------------------------------------------------------------------

_BOX_COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45"]


def _draw_boxes(ax, boxes, names, scores=None, *, colours=None, dashed=False):
    """Rectangles with 'label score' tags on `ax`; boxes in pixel xyxy."""
    from matplotlib.patches import Rectangle

    for i, (b, n) in enumerate(zip(boxes, names)):
        colour = colours[i] if colours else _BOX_COLOURS[i % len(_BOX_COLOURS)]
        x1, y1, x2, y2 = [float(v) for v in b]
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour,
                               linewidth=1.0 if dashed else 1.8, linestyle="--" if dashed else "-"))
        if not dashed:
            tag = n if scores is None else f"{n} {float(scores[i]):.2f}"
            ax.text(x1, y1, tag, fontsize=7, color="white", va="bottom",
                    bbox=dict(facecolor=colour, edgecolor="none", pad=0.8, alpha=0.85))


def draw_detections(image, boxes, labels, scores, path, *, title=None):
    """One image (H, W, C) in [0, 1] with its detections (pixel xyxy boxes, names, scores) as PNG."""
    plt = _plt()
    image = np.asarray(image)
    h, w = image.shape[:2]
    fig, ax = plt.subplots(figsize=(max(3.0, 6.0 * w / max(h, w)), max(3.0, 6.0 * h / max(h, w))))
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
    colours = [_BOX_COLOURS[sum(map(ord, str(n))) % len(_BOX_COLOURS)] for n in labels]
    _draw_boxes(ax, boxes, labels, scores, colours=colours)
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.axis("off")
    ax.set_title(title or f"{len(boxes)} detection{'s' if len(boxes) != 1 else ''}", fontsize=9)
    return save_figure(fig, path)


def plot_detections(images, detections, path, *, class_names, ground_truths=None, score_threshold=0.3,
                    max_images=12, title="Detections"):
    """Grid of images with predicted boxes (solid, 'label score') and ground truth (dashed).

    Args:
        images: (N, H, W, C) in [0, 1].
        detections: per image {"boxes": (D, 4) relative xyxy, "scores", "labels"}.
        ground_truths: optional per image {"boxes": (M, 4) relative xyxy, "labels" (-1 = padding)}.
    """
    plt = _plt()
    images = np.asarray(images)[:max_images]
    n = len(images)
    cols = min(4, max(n, 1))
    rows = max(1, int(np.ceil(n / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 3.1 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, ax in enumerate(axes.flat[:n]):
        img = images[i]
        h, w = img.shape[:2]
        scale = np.array([w, h, w, h])
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
        if ground_truths is not None:
            g = ground_truths[i]
            keep = np.asarray(g["labels"]) >= 0
            gb = np.asarray(g["boxes"])[keep] * scale
            _draw_boxes(ax, gb, [""] * len(gb), colours=["white"] * len(gb), dashed=True)
        d = detections[i]
        keep = np.asarray(d["scores"]) >= score_threshold
        labs = [class_names[int(c)] if int(c) < len(class_names) else str(int(c)) for c in np.asarray(d["labels"])[keep]]
        colours = [_BOX_COLOURS[int(c) % len(_BOX_COLOURS)] for c in np.asarray(d["labels"])[keep]]
        _draw_boxes(ax, np.asarray(d["boxes"])[keep] * scale, labs, np.asarray(d["scores"])[keep], colours=colours)
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)
    fig.suptitle(f"{title} (score >= {score_threshold}; dashed: ground truth)", fontsize=10)
    return save_figure(fig, path)
