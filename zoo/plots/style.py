"""What every zoo figure shares: the Agg backend, atomic saving, integer ticks, short captions, one
class palette."""

from __future__ import annotations

import os

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from zoo.io import atomic_path


def _plt():
    """pyplot on the Agg backend, chosen when a figure is drawn rather than at import, so importing
    zoo leaves a notebook's backend alone."""
    matplotlib.use("Agg", force=True)
    return plt


def save_figure(fig, path):
    """Saves `fig` as PNG through a temporary file and closes it."""
    plt = _plt()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return os.fspath(path)


def _integer_ticks(axis):
    """Integer ticks only on `axis` (ax.xaxis): epochs and trials are counted, not measured."""
    axis.set_major_locator(MaxNLocator(integer=True))


def _short(name, limit=14):
    """`name` cut to `limit` characters with an ellipsis, so captions fit their panel."""
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "\u2026"


def _show(ax, img, **kw):
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1, **kw)
    ax.set_xticks([])
    ax.set_yticks([])


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
