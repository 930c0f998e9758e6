"""Figures of detectors: boxes with 'label score' tags, one image or a grid with ground truth."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from zoo.plots import style
from zoo.plots.style import _plt, class_colours


def _draw_boxes(ax, boxes, names, scores=None, *, colours=None, dashed=False):
    """Rectangles with 'label score' tags on `ax`; boxes in pixel xyxy."""
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
    return style.save_figure(fig, path)


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
    return style.save_figure(fig, path)
