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


# ============================================================================ training workbench
def _smooth(values, beta=0.9):
    """Exponential moving average with bias correction (the LR finder's smoothing)."""
    out, avg = [], 0.0
    for i, v in enumerate(np.asarray(values, dtype=float), 1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta**i))
    return np.array(out)


def plot_first_layer_filters(kernel, path, *, title="First-layer filters"):
    """The first conv layer's kernels (kh, kw, in, out) as images: RGB when in == 3, else the
    mean over input channels in gray; each filter scaled to its own range."""
    plt = _plt()
    k = np.asarray(kernel, dtype=float)
    n = k.shape[-1]
    cols = min(8, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols, 1.2 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, ax in zip(range(n), axes.flat):
        f = k[..., i]
        f = f if f.shape[-1] == 3 else f.mean(axis=-1)
        f = (f - f.min()) / (np.ptp(f) or 1.0)
        ax.imshow(f, cmap=None if f.ndim == 3 else "gray", interpolation="nearest")
        ax.set_title(str(i), fontsize=7)
    fig.suptitle(f"{title} ({k.shape[0]}x{k.shape[1]}, {k.shape[2]} in, {n} out)")
    return save_figure(fig, path)


def plot_feature_maps(image, maps, path, *, max_channels=8, title="Feature maps"):
    """One input image and, per layer, its first `max_channels` activation maps.

    Args:
        image: (H, W, C) in [0, 1].
        maps: {layer name: (h, w, channels)} activations for that image.
    """
    plt = _plt()
    rows = len(maps)
    cols = max_channels + 1
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.35 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    img = np.asarray(image)
    for r, (name, m) in enumerate(maps.items()):
        if r == 0:
            axes[r, 0].imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
            axes[r, 0].set_title("input", fontsize=7)
        m = np.asarray(m)
        for c in range(min(max_channels, m.shape[-1])):
            axes[r, c + 1].imshow(m[..., c], cmap="viridis")
            if c == 0:
                axes[r, c + 1].set_title(f"{name} {m.shape[0]}x{m.shape[1]}x{m.shape[2]}", fontsize=7, loc="left")
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_saliency(images, saliency, path, *, titles=None, title="Gradient saliency |d score / d input|"):
    """Images above their saliency maps (max |gradient| over channels, per image normalised)."""
    plt = _plt()
    images, saliency = np.asarray(images), np.asarray(saliency, dtype=float)
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.6 * n, 3.6), squeeze=False)
    for i in range(n):
        img = images[i]
        axes[0, i].imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
        s = np.abs(saliency[i]).max(axis=-1)
        axes[1, i].imshow(s / (s.max() or 1.0), cmap="hot")
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=8)
        axes[0, i].axis("off")
        axes[1, i].axis("off")
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_lr_range_test(lrs, losses, path, *, suggested=None, title="Learning-rate range test"):
    """Loss (raw and smoothed) against a log-scaled learning rate, the suggestion marked."""
    plt = _plt()
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(lrs, losses, color="0.75", lw=1, label="loss per step")
    ax.plot(lrs, _smooth(losses), lw=2, label="smoothed")
    if suggested:
        ax.axvline(suggested, color="crimson", ls="--", label=f"suggested lr {suggested:.2g}")
    ax.set_xscale("log")
    finite = losses[np.isfinite(losses)]
    if finite.size:
        ax.set_ylim(max(0.0, finite.min() * 0.8), min(finite.max(), 3 * float(np.median(finite[: max(3, len(finite) // 4)]))) * 1.05)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title(title)
    return save_figure(fig, path)


def plot_optimizer_comparison(curves, path, *, title="Optimizers compared", xlabel="iteration"):
    """One training-loss curve per optimizer (smoothed; raw values faint), log-scaled loss.

    Args:
        curves: {label: losses per step}.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for i, (name, losses) in enumerate(curves.items()):
        losses = np.asarray(losses, dtype=float)
        steps = np.arange(1, len(losses) + 1)
        color = f"C{i % 10}"
        ax.plot(steps, losses, color=color, alpha=0.2, lw=0.8)
        ax.plot(steps, _smooth(losses), color=color, lw=2, label=name)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(ncol=2, fontsize=8)
    ax.set_title(title)
    return save_figure(fig, path)


# ----------------------------------------------------------------------------- tuning (issue 9)
def _tuning_numeric(values):
    """Values as floats when every one is a number (bools excluded), else None (categories).
    Numbers spanning decades with a 0 among them (weight decay) are shown as categories too."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        num = np.array(values, dtype=float)
        pos = num[num > 0]
        if len(pos) and (num == 0).any() and pos.max() / pos.min() > 20:
            return None
        return num
    return None


def _tuning_sort_key(text):
    """Numbers in numeric order before words in alphabetical order."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def plot_tuning_results(records, objective, out_dir, *, names=None, direction="max"):
    """The three figures of a search: objective per trial (with the best so far), objective vs
    each hyperparameter, and parallel coordinates of the completed trials. Returns their paths.

    `records` are `zoo.tuning.search.trial_records` dicts (trial_id, status, score, hyperparameters).
    """
    os.makedirs(out_dir, exist_ok=True)
    done = [r for r in records if r["status"] == "COMPLETED" and r["score"] is not None]
    names = list(names or sorted({k for r in records for k in r["hyperparameters"]}))
    paths = {}
    paths["objective_per_trial"] = plot_objective_per_trial(done, objective, os.path.join(out_dir, "objective_per_trial.png"), direction=direction)
    paths["objective_vs_hyperparameters"] = plot_objective_vs_hyperparameters(
        done, objective, os.path.join(out_dir, "objective_vs_hyperparameters.png"), names=names
    )
    paths["parallel_coordinates"] = plot_parallel_coordinates(
        done, objective, os.path.join(out_dir, "parallel_coordinates.png"), names=names, direction=direction
    )
    return paths


def plot_objective_per_trial(records, objective, path, *, direction="max"):
    """Objective of each completed trial in trial order, and the best value so far."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    ids = [int(r["trial_id"]) for r in records]
    scores = np.array([r["score"] for r in records], dtype=float)
    order = np.argsort(ids)
    ids, scores = np.array(ids)[order], scores[order]
    ax.plot(ids, scores, "o", label="trial")
    if len(scores):
        best = np.maximum.accumulate(scores) if direction == "max" else np.minimum.accumulate(scores)
        ax.step(ids, best, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(objective)
    ax.set_title(f"{objective} per trial ({len(scores)} completed)")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_objective_vs_hyperparameters(records, objective, path, *, names):
    """One panel per hyperparameter: the objective against its values (log axis for ranges
    that span more than a factor 20, categories spread along the axis)."""
    plt = _plt()
    n = max(1, len(names))
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    scores = np.array([r["score"] for r in records], dtype=float)
    for ax, name in zip(axes.flat, names):
        vals = [r["hyperparameters"].get(name) for r in records]
        num = _tuning_numeric(vals) if vals else None
        if num is not None:
            ax.plot(num, scores, "o", alpha=0.8)
            if len(num) and num.min() > 0 and num.max() / num.min() > 20:
                ax.set_xscale("log")
        else:
            cats = sorted({str(v) for v in vals}, key=_tuning_sort_key)
            pos = {c: i for i, c in enumerate(cats)}
            ax.plot([pos[str(v)] for v in vals], scores, "o", alpha=0.8)
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats, rotation=30, fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(objective)
    fig.suptitle(f"{objective} vs each hyperparameter")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_parallel_coordinates(records, objective, path, *, names, direction="max"):
    """Parallel coordinates: one line per completed trial through every hyperparameter axis
    (scaled to [0, 1]; log scale for wide positive ranges) and the objective, coloured by it."""
    plt = _plt()
    names = [n for n in names if len({str(r["hyperparameters"].get(n)) for r in records}) > 1] or list(names)
    axes_names = names + [objective]
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(axes_names)), 4.5))
    columns, labels = [], []
    for name in axes_names:
        vals = [r["score"] if name == objective else r["hyperparameters"].get(name) for r in records]
        num = _tuning_numeric(vals)
        if num is not None:
            if name != objective and len(num) and num.min() > 0 and num.max() / num.min() > 20:
                num = np.log10(num)
                labels.append(f"log10 {name}")
            else:
                labels.append(name)
            lo, hi = (num.min(), num.max()) if len(num) else (0, 1)
            columns.append((num - lo) / (hi - lo) if hi > lo else np.full(len(num), 0.5))
        else:
            cats = sorted({str(v) for v in vals}, key=_tuning_sort_key)
            pos = {c: i for i, c in enumerate(cats)}
            columns.append(np.array([pos[str(v)] / max(1, len(cats) - 1) if len(cats) > 1 else 0.5 for v in vals]))
            labels.append(f"{name}\n({', '.join(cats)})" if len(cats) <= 4 else name)
    scores = np.array([r["score"] for r in records], dtype=float)
    cmap = plt.get_cmap("viridis" if direction == "max" else "viridis_r")
    lo, hi = (scores.min(), scores.max()) if len(scores) else (0, 1)
    for i in np.argsort(scores if direction == "max" else -scores):
        ys = [c[i] for c in columns]
        color = cmap((scores[i] - lo) / (hi - lo) if hi > lo else 0.5)
        ax.plot(range(len(columns)), ys, color=color, alpha=0.85, lw=1.5)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, fontsize=8, ha="right")
    ax.set_yticks([])
    for x in range(len(labels)):
        ax.axvline(x, color="0.7", lw=0.8)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, label=objective)
    ax.set_title(f"Parallel coordinates of {len(scores)} completed trials")
    return save_figure(fig, path)
