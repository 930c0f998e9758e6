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


def _integer_ticks(axis):
    """Integer ticks only on `axis` (ax.xaxis): epochs and trials are counted, not measured."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _short(name, limit=14):
    """`name` cut to `limit` characters with an ellipsis, so captions fit their panel."""
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "\u2026"


def read_history_csv(path):
    """Columns of a Keras CSVLogger file as {name: np.array}."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {k: np.array([float(r[k]) if r[k] not in ("", "nan") else np.nan for r in rows]) for k in rows[0]}


def plot_learning_curves(history, path, *, title="Learning curves", marks=None):
    """Loss and every metric per epoch, train and validation side by side.

    Args:
        history: {name: sequence per epoch}, e.g. `History.history` or `read_history_csv(...)`.
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
        for epoch, label in (marks or {}).items():
            ax.axvline(epoch - 0.5, color="gray", ls="--", lw=1)
            ax.annotate(label, (epoch - 0.5, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                        textcoords="offset points", fontsize=8, color="gray")
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


# ============================================================================ class colours
# One palette for every figure and mask PNG: black for a segmenter's background (class 0), then
# 11 distinct colours (from Sasha Trubetskoy's list of 20), repeating after that.
_PALETTE = np.array(
    [[0, 0, 0], [230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25], [145, 30, 180],
     [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40]],
    dtype=np.float32,
) / 255.0


def class_colours(classes, *, background=True):
    """(classes, 3) RGB colours in [0, 1], one per class index, the same in training, evaluation
    and predict figures and in mask PNGs.

    With `background=True` (segmentation: class 0 is the background) index 0 is black. Detectors
    have no background class (`background=False`): their label k gets the colour after black at
    k, so a detector's first class and a segmenter's first foreground class look alike.
    """
    start = 0 if background else 1
    reps = int(np.ceil((classes + start) / (len(_PALETTE) - 1))) + 1
    colours = np.concatenate([_PALETTE[:1]] + [_PALETTE[1:]] * reps)
    return colours[start:start + classes]


def save_mask_png(mask, path, *, classes, size=None):
    """Writes a class-index mask (H, W) as a palette PNG (PIL mode "P"): a viewer shows each class
    in its `class_colours` colour, and `np.asarray(PIL.Image.open(path))` gives the class indices
    back. `size` (width, height) resizes it (nearest neighbour: indices stay indices)."""
    from PIL import Image

    from zoo.io import atomic_path

    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.min(initial=0) < 0 or mask.max(initial=0) >= max(classes, 1) or classes > 256:
        raise ValueError(f"`mask` must be (H, W) class indices in [0, {classes}) with classes <= 256. "
                         f"Received: mask of shape {mask.shape} with values {mask.min(initial=0)}..{mask.max(initial=0)}")
    im = Image.fromarray(mask.astype(np.uint8), mode="P")
    im.putpalette((class_colours(classes) * 255).round().astype(np.uint8).ravel().tolist())
    if size is not None:
        im = im.resize(tuple(size), Image.NEAREST)
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG")
    return os.fspath(path)


# ============================================================================ autoencoders, U-Net


def _show(ax, img, **kw):
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1, **kw)
    ax.set_xticks([])
    ax.set_yticks([])


def overlay_mask(image, mask, *, alpha=0.8):
    """The image (H, W, C), in gray so the mask colours read true, with every non-background
    class painted in its colour (`class_colours`)."""
    image = np.asarray(image, dtype=np.float32)
    gray = image.mean(axis=-1, keepdims=True)
    rgb = np.repeat(gray, 3, axis=-1)
    mask = np.asarray(mask).astype(int)
    colours = class_colours(max(int(mask.max(initial=0)) + 1, 2))
    out = rgb.copy()
    fg = mask > 0
    out[fg] = (1 - alpha) * rgb[fg] + alpha * colours[mask[fg]]
    return np.clip(out, 0, 1)


def plot_reconstructions(rows, path, *, reference=None, max_images=10, title="Reconstructions"):
    """A grid: one row per entry of `rows` ({"input": images, "output": images, ...}), one
    column per image, each row labelled with its MSE against the `reference` row (default: the
    first)."""
    plt = _plt()
    names = list(rows)
    reference = names[0] if reference is None else reference
    if reference not in rows:
        raise ValueError(f"`reference` must be one of {names}. Received: reference={reference!r}")
    arrays = [np.asarray(rows[n])[:max_images] for n in names]
    n = min(len(a) for a in arrays)
    fig, axes = plt.subplots(len(names), n, figsize=(1.2 * n + 0.8, 1.3 * len(names) + 0.5), squeeze=False)
    ref = np.asarray(rows[reference])[:n]
    for r, (name, arr) in enumerate(zip(names, arrays)):
        for c in range(n):
            _show(axes[r, c], arr[c])
        label = name if name == reference else f"{name}\nMSE {np.mean((arr[:n] - ref) ** 2):.4f}"
        axes[r, 0].set_ylabel(label, fontsize=9, rotation=0, ha="right", va="center")
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_vae_samples(images, path, *, title="VAE samples from the prior N(0, I)"):
    """A square grid of generated images (N, H, W, C)."""
    plt = _plt()
    images = np.asarray(images)
    k = int(np.ceil(np.sqrt(len(images))))
    fig, axes = plt.subplots(k, k, figsize=(1.1 * k, 1.1 * k + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img in zip(axes.flat, images):
        _show(ax, img)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def plot_latent_map(codes, labels, path, *, decoder_grid=None, extent=3.0, title="VAE latent space",
                    axis_labels=("z[0]", "z[1]")):
    """Left: the 2-D codes (z_mean) of held-out images coloured by label. Right (optional):
    `decoder_grid` (n, n, H, W, C), the images decoded on an n x n grid over
    [-extent, extent]^2. `axis_labels` names the two coordinates (e.g. principal components)."""
    plt = _plt()
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"a latent map needs codes of shape (N, 2) or more. Received: codes of shape {codes.shape}")
    panels = 2 if decoder_grid is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.6), squeeze=False)
    ax = axes[0, 0]
    sc = ax.scatter(codes[:, 0], codes[:, 1], c=None if labels is None else np.asarray(labels),
                    cmap="tab10" if labels is not None else None, s=7, alpha=0.8)
    if labels is not None:
        fig.colorbar(sc, ax=ax, label="label")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title("codes of held-out images")
    ax.grid(alpha=0.3)
    if decoder_grid is not None:
        grid = np.asarray(decoder_grid)
        n, _, h, w = grid.shape[:4]
        canvas = np.concatenate([np.concatenate(list(grid[i]), axis=1) for i in range(n)], axis=0)
        ax = axes[0, 1]
        img = canvas[..., 0] if canvas.shape[-1] == 1 else canvas
        ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, extent=(-extent, extent, -extent, extent))
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
        ax.set_title(f"decoded on a {n}x{n} grid")
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_segmentation(images, true_masks, pred_masks, path, *, class_names=None, max_images=6, title="Segmentation"):
    """Per image a row: image, true-mask overlay (if given), predicted-mask overlay, with a legend
    of the class colours and each image's IoU of the prediction."""
    plt = _plt()
    from matplotlib.patches import Patch

    images = np.asarray(images)[:max_images]
    pred_masks = np.asarray(pred_masks)[: len(images)]
    has_true = true_masks is not None
    cols = 3 if has_true else 2
    n = len(images)
    classes = int(max(pred_masks.max(initial=0), 0 if not has_true else np.asarray(true_masks).max(initial=0)) + 1)
    if class_names is not None:
        classes = max(classes, len(class_names))
    names = list(class_names) if class_names is not None else [str(i) for i in range(classes)]
    img_h, img_w = images.shape[1:3]
    panel_w, panel_h = 2.4 * img_w / max(img_h, img_w), 2.4 * img_h / max(img_h, img_w)  # the image's aspect
    fig, axes = plt.subplots(n, cols, figsize=(panel_w * cols, (panel_h + 0.3) * n + 0.8), squeeze=False,
                             layout="constrained")
    for i in range(n):
        _show(axes[i, 0], images[i])
        heads = ["image", "true mask", "predicted mask"] if has_true else ["image", "predicted mask"]
        if has_true:
            t = np.asarray(true_masks[i])
            _show(axes[i, 1], overlay_mask(images[i], t))
            present = [c for c in range(classes) if (t == c).any() or (pred_masks[i] == c).any()]
            ious = [((t == c) & (pred_masks[i] == c)).sum() / max(((t == c) | (pred_masks[i] == c)).sum(), 1) for c in present]
            heads[2] = f"predicted (IoU {np.mean(ious):.2f})"
        _show(axes[i, cols - 1], overlay_mask(images[i], pred_masks[i]))
        if i == 0 or has_true:  # column heads on the first row; each row's IoU over its prediction
            for c, h in enumerate(heads):
                if i == 0 or c == cols - 1:
                    axes[i, c].set_title(h, fontsize=8)
    colours = class_colours(classes)
    handles = [Patch(color=colours[c], label=names[c]) for c in range(1, classes)]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), fontsize=8, frameon=False)
    fig.suptitle(title)
    return save_figure(fig, path)


# --- detection (ssd engineer) ---------------------------------------------------------------------

def _draw_boxes(ax, boxes, names, scores=None, *, colours=None, dashed=False):
    """Rectangles with 'label score' tags on `ax`; boxes in pixel xyxy."""
    from matplotlib.patches import Rectangle

    h, w = ax.images[-1].get_array().shape[:2] if ax.images else (1.0, 1.0)
    placed = []  # tag anchors so far: a tag that would cover another goes under its box instead
    order = range(len(names)) if scores is None else np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    for i in order:
        colour = colours[i] if colours else class_colours(i + 1, background=False)[i]
        x1, y1, x2, y2 = [float(v) for v in boxes[i]]
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour,
                               linewidth=1.0 if dashed else 1.8, linestyle="--" if dashed else "-"))
        if not dashed:
            tag = names[i] if scores is None else f"{names[i]} {float(scores[i]):.2f}"
            clash = any(abs(x1 - px) < 0.3 * w and abs(y1 - py) < 0.08 * h for px, py in placed)
            y, va = (y2, "top") if clash else (y1, "bottom")
            placed.append((x1, y))
            ax.text(x1, y, tag, fontsize=7, color="white", va=va,
                    bbox=dict(facecolor=colour, edgecolor="none", pad=0.8, alpha=0.85))


def draw_detections(image, boxes, labels, scores, path, *, class_ids=None, title=None):
    """One image (H, W, C) in [0, 1] with its detections (pixel xyxy boxes, names, scores) as PNG;
    each box in its class's colour (`class_colours(..., background=False)` of `class_ids`)."""
    plt = _plt()
    image = np.asarray(image)
    h, w = image.shape[:2]
    fig, ax = plt.subplots(figsize=(max(3.0, 6.0 * w / max(h, w)), max(3.0, 6.0 * h / max(h, w))))
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
    ids = np.arange(len(labels)) if class_ids is None else np.asarray(class_ids, dtype=int)
    palette = class_colours(int(ids.max(initial=0)) + 1, background=False)
    colours = [palette[c] for c in ids]
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
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 3.1 * rows + 0.4), squeeze=False, layout="constrained")
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
        palette = class_colours(max(len(class_names), 1), background=False)
        colours = [palette[int(c) % len(palette)] for c in np.asarray(d["labels"])[keep]]
        _draw_boxes(ax, np.asarray(d["boxes"])[keep] * scale, labs, np.asarray(d["scores"])[keep], colours=colours)
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)
    fig.suptitle(f"{title} (score >= {score_threshold}; dashed: ground truth)", fontsize=10)
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
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    ids = [int(r["trial_id"]) for r in records]
    scores = np.array([r["score"] for r in records], dtype=float)
    order = np.argsort(ids)
    ids, scores = np.array(ids)[order], scores[order]
    ax.plot(ids, scores, "o", label="trial")
    if len(scores):
        best = np.maximum.accumulate(scores) if direction == "max" else np.minimum.accumulate(scores)
        ax.step(ids, best, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    _integer_ticks(ax.xaxis)
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
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.7 * rows + 0.4), squeeze=False, layout="constrained")
    scores = np.array([r["score"] for r in records], dtype=float)
    for ax, name in zip(axes.flat, names):
        vals = [r["hyperparameters"].get(name) for r in records]
        num = _tuning_numeric(vals) if vals else None
        if num is not None:
            ax.plot(num, scores, "o", alpha=0.8)
            if len(num) and num.min() > 0 and num.max() / num.min() > 20:
                ax.set_xscale("log")
            elif all(float(v).is_integer() for v in num):
                _integer_ticks(ax.xaxis)  # filters, batch sizes, depths
            else:  # 0, 1e-5, 1e-4: "0 1 2 ... x1e-4", not 0.00000 0.00002 ... side by side
                from matplotlib.ticker import MaxNLocator

                ax.xaxis.set_major_locator(MaxNLocator(5))
                ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 4))
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
    return save_figure(fig, path)


def plot_parallel_coordinates(records, objective, path, *, names, direction="max"):
    """Parallel coordinates: one line per completed trial through every hyperparameter axis
    (scaled to [0, 1]; log scale for wide positive ranges) and the objective, coloured by it."""
    plt = _plt()
    names = [n for n in names if len({str(r["hyperparameters"].get(n)) for r in records}) > 1] or list(names)
    axes_names = names + [objective]
    fig, ax = plt.subplots(figsize=(max(6, 1.7 * len(axes_names)), 4.5), layout="constrained")
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
    ax.set_xticklabels(labels, fontsize=8)  # level: rotated multi-line labels run into their neighbours
    ax.set_yticks([])
    for x in range(len(labels)):
        ax.axvline(x, color="0.7", lw=0.8)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, label=objective)
    ax.set_title(f"Parallel coordinates of {len(scores)} completed trials")
    return save_figure(fig, path)
