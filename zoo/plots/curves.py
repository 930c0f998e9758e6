"""Figures of training runs: learning curves, the learning-rate range test, optimizers compared,
`zoo bench` throughput."""

from __future__ import annotations

import textwrap

import numpy as np

from zoo.plots import style
from zoo.plots.style import _integer_ticks, _plt


def plot_learning_curves(history, path, *, title="Learning curves", marks=None):
    """Loss and every metric per epoch, train and validation side by side.

    Args:
        history: {name: sequence per epoch}, e.g. `History.history` or the columns of a run folder's history.csv.
        marks: optional {epoch: label}: a dashed vertical line before that (1-based) epoch, e.g.
            {4: "phase 2"} where fine-tuning starts.
    """
    plt = _plt()
    history = {k: np.asarray(v, dtype=float) for k, v in history.items() if k not in ("epoch", "learning_rate", "lr")}
    bases = [k for k in history if not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(bases), figsize=(4.2 * len(bases), 3.6), squeeze=False, layout="constrained")
    for ax, key in zip(axes[0], bases):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], "o-", ms=3, label="train")
        if "val_" + key in history:
            ax.plot(epochs, history["val_" + key], "s-", ms=3, label="validation")
        ax.set_xlabel("epoch")
        _integer_ticks(ax.xaxis)
        ax.set_title(key, fontsize=10)
        finite = history[key][np.isfinite(history[key]) & (history[key] > 0)]
        if key == "loss" and len(finite) and finite.max() > 10 * finite.min():  # log only for a wide range
            ax.set_yscale("log")
        if marks:  # labelled above the frame, as ticks of a top axis: no curve runs through them
            for epoch in marks:
                ax.axvline(epoch - 0.5, color="gray", ls="--", lw=1)
            top = ax.secondary_xaxis("top")
            top.set_xticks([epoch - 0.5 for epoch in marks], [str(label) for label in marks.values()])
            top.tick_params(length=0, labelsize=8, labelcolor="gray")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return style.save_figure(fig, path)


def _smooth(values, beta=0.9):
    """Exponential moving average with bias correction (the LR finder's smoothing)."""
    out, avg = [], 0.0
    for i, v in enumerate(np.asarray(values, dtype=float), 1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta**i))
    return np.array(out)


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
    return style.save_figure(fig, path)


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
    return style.save_figure(fig, path)


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
    highest = max([*medians, *(v for r in rows for v in r["images_per_s"])], default=1.0)
    for i, r in enumerate(rows):
        ax.plot([i] * len(r["images_per_s"]), r["images_per_s"], "k.", ms=5)
        # the median's value above the highest round's dot, which would otherwise sit on it
        ax.annotate(f"{medians[i]:.3g}", (i, max([medians[i], *r["images_per_s"]])), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, highest * 1.15)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([textwrap.fill(l, 22, break_long_words=False) for l in labels], fontsize=7, rotation=0)
    ax.set_ylabel("training images/s (median; dots: rounds)")
    ratios = "\n".join(f"{k} = {v:.2f}" for k, v in result.get("ratios", {}).items())
    ax.set_title(
        f"{result['model']}: {result['backend']}, {result['precision']}, batch {result['batch_size']}, "
        f"input {result['input_shape'][0]}\n{ratios}",
        fontsize=9,
    )
    ax.grid(axis="y", alpha=0.3)
    return style.save_figure(fig, path)
