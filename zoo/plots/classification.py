"""Figures of classifiers: confusion matrix, misclassified samples, first-layer filters, feature
maps, gradient saliency."""

from __future__ import annotations

import textwrap

import numpy as np

from zoo.plots import style
from zoo.plots.style import _plt, _short


# Above this many classes a confusion matrix is drawn as a recall-coloured map without counts in
# the cells, at a capped size: at 0.55 inch per class, 1,000 classes made a 55,000-pixel square
# figure that matplotlib could not allocate.
CONFUSION_CELLS_MAX = 30
CONFUSION_INCHES_MAX = 12


def plot_confusion_matrix(y_true, y_pred, path, *, labels=None, title="Confusion matrix"):
    """Confusion matrix: counts in the cells up to `CONFUSION_CELLS_MAX` classes; above, each row
    coloured by the share of its true class (recall on the diagonal), every k-th class named, and
    the most confused pairs listed under the matrix."""
    plt = _plt()
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    given = [] if labels is None else [str(l) for l in labels]
    n = max(int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1), len(given))
    names = [_short(l, 24) for l in given + [str(i) for i in range(len(given), n)]]
    cm = np.zeros((n, n), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    caption = f"{title} (accuracy {np.trace(cm) / max(cm.sum(), 1):.2%}, n={cm.sum()}"
    if n <= CONFUSION_CELLS_MAX:
        fig, ax = plt.subplots(figsize=(0.55 * n + 2.5, 0.55 * n + 2))
        _draw_counts(ax, cm, names)
        ax.set_title(caption + ")")
    else:
        fig, ax = plt.subplots(figsize=(CONFUSION_INCHES_MAX, CONFUSION_INCHES_MAX + 1.5))
        _draw_shares(fig, ax, cm, names)
        ax.set_title(caption + f", {n} classes)")
    return style.save_figure(fig, path)


def _draw_counts(ax, cm, names):
    """Every cell with its count, every class named (long names stand up)."""
    n = len(names)
    ax.imshow(cm, cmap="Blues")
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8, color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xticks(range(n), names, rotation=90 if n > 12 or max(map(len, names)) > 6 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")


def _draw_shares(fig, ax, cm, names):
    """Each row coloured by the share of its true class, one class in k named, the most confused
    pairs under the matrix."""
    n = len(names)
    im = ax.imshow(cm / np.maximum(cm.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.04, label="share of the true class's images")
    step = int(np.ceil(n / CONFUSION_CELLS_MAX))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [names[i] for i in ticks], rotation=90, fontsize=7)
    ax.set_yticks(ticks, [names[i] for i in ticks], fontsize=7)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    top = [divmod(int(k), n) for k in np.argsort(off, axis=None)[::-1][:5] if off.flat[k]]
    pairs = "; ".join(f"{names[t]} as {names[p]}: {off[t, p]}" for t, p in top)
    named = f"one class in {step} named" if step > 1 else "every class named"
    ax.set_xlabel(f"predicted ({named})"
                  + ("\n" + textwrap.fill(f"most confused (true as predicted: images): {pairs}", 110) if pairs else ""))
    ax.set_ylabel(f"true ({named})")


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
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.9 * rows + 0.5), squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    if len(wrong) == 0:
        axes[0, 0].text(0.5, 0.5, "no misclassified samples", ha="center", va="center")
    for ax, i in zip(axes.flat, wrong):
        img = images[i]
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        t = f"true {_short(name(y_true[i]))}\npred {_short(name(y_pred[i]))}"
        if probabilities is not None:
            t += f" ({float(probabilities[i]):.2f})"
        ax.set_title(t, fontsize=7, color="crimson")
    fig.suptitle(f"{title}: {len(np.flatnonzero(y_true != y_pred))} of {len(y_true)}")
    return style.save_figure(fig, path)


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
    return style.save_figure(fig, path)


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
    return style.save_figure(fig, path)


def plot_saliency(images, saliency, path, *, predicted=None, true=None, probabilities=None, labels=None,
                  titles=None, title="Gradient saliency |d score / d input|"):
    """Images above their saliency maps (max |gradient| over channels, per image normalised).

    Each image is captioned "pred NAME (p)" over "true NAME" when `predicted` (and `true`) class
    indices are given (green when right, red when wrong), else with `titles`.
    """
    plt = _plt()
    images, saliency = np.asarray(images), np.asarray(saliency, dtype=float)
    n = len(images)
    if predicted is not None:
        def name(c):
            c = int(c)
            return str(labels[c]) if labels is not None and 0 <= c < len(labels) else str(c)

        titles = []
        for i in range(n):
            t = f"pred {_short(name(predicted[i]))}"
            t += "" if probabilities is None else f" ({float(probabilities[i]):.2f})"
            t += "" if true is None else f"\ntrue {_short(name(true[i]))}"
            titles.append(t)
    fig, axes = plt.subplots(2, n, figsize=(1.7 * n, 3.9), squeeze=False, layout="constrained")
    for i in range(n):
        img = images[i]
        axes[0, i].imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
        s = np.abs(saliency[i]).max(axis=-1)
        axes[1, i].imshow(s / (s.max() or 1.0), cmap="hot")
        if titles is not None:
            wrong = predicted is not None and true is not None and int(predicted[i]) != int(true[i])
            colour = "black" if predicted is None or true is None else ("crimson" if wrong else "darkgreen")
            axes[0, i].set_title(str(titles[i]), fontsize=7, color=colour)
        axes[0, i].axis("off")
        axes[1, i].axis("off")
    fig.suptitle(title)
    return style.save_figure(fig, path)
