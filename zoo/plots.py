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


# ----------------------------------------------------------------------------- classifiers: zoo bench
def plot_bench(result, path):
    """Bar chart of `zoo bench`: median training images/s per model, each round as a dot,
    the zoo/reference ratios in the title."""
    plt = _plt()
    rows = result["results"]
    labels = [r["label"] for r in rows]
    medians = [r["median_images_per_s"] for r in rows]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(rows) + 2), 3.8))
    colors = ["tab:blue" if l.startswith("zoo") else "tab:gray" for l in labels]
    ax.bar(range(len(rows)), medians, color=colors)
    for i, r in enumerate(rows):
        ax.plot([i] * len(r["images_per_s"]), r["images_per_s"], "k.", ms=5)
        ax.text(i, medians[i], f"{medians[i]:.3g}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([l.replace(" (", "\n(") for l in labels], fontsize=7, rotation=0)
    ax.set_ylabel("training images/s (median; dots: rounds)")
    ratios = ", ".join(f"{k} = {v:.2f}" for k, v in result.get("ratios", {}).items())
    ax.set_title(
        f"{result['model']}: {result['backend']}, {result['precision']}, batch {result['batch_size']}, "
        f"input {result['input_shape'][0]}\n{ratios}",
        fontsize=9,
    )
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)
