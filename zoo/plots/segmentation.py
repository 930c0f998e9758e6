"""Figures of segmenters: masks as palette PNGs, mask overlays, image / true / predicted rows."""

from __future__ import annotations

import os

import numpy as np
from matplotlib.patches import Patch
from PIL import Image

from zoo.io import atomic_path
from zoo.plots import style
from zoo.plots.style import _plt, _show, class_colours


def save_mask_png(mask, path, *, classes, size=None):
    """Writes a class-index mask (H, W) as a palette PNG (PIL mode "P"): a viewer shows each class
    in its `class_colours` colour, and `np.asarray(PIL.Image.open(path))` gives the class indices
    back. `size` (width, height) resizes it (nearest neighbour: indices stay indices)."""
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


def plot_segmentation(images, true_masks, pred_masks, path, *, class_names=None, max_images=6, title="Segmentation"):
    """Per image a row: image, true-mask overlay (if given), predicted-mask overlay, with a legend
    of the class colours and each image's IoU of the prediction."""
    plt = _plt()
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
    return style.save_figure(fig, path)
