"""SSD default boxes (Liu et al. 2016, §2.2 "Choosing scales and aspect ratios for default boxes").

Scales: s_k = s_min + (s_max - s_min)(k - 1)/(m - 1), k = 1..m, with the paper's s_min = 0.2,
s_max = 0.9 by default. The released SSD300 gives the first map (conv4_3) the smaller scale 0.1
and spreads 0.2..0.9 over the other five: pass `first_scale=0.1` for that (ssd300_vgg16 does).
Each cell gets one box per aspect ratio a (w = s sqrt(a), h = s / sqrt(a)) plus an extra square
box of scale s'_k = sqrt(s_k s_{k+1}) (s_{m+1} = 1.0). Centres ((j + 0.5)/W_k, (i + 0.5)/H_k).

Order (the SSD head reshapes its maps the same way): level, row i, column j, box.
"""

from __future__ import annotations

import math

import numpy as np

# aspect ratios for a 4-box and a 6-box cell (the extra square box makes the count)
RATIOS_4 = (1.0, 2.0, 0.5)
RATIOS_6 = (1.0, 2.0, 3.0, 0.5, 1.0 / 3.0)
SSD300_FEATURE_SHAPES = ((38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1))
SSD300_RATIOS = (RATIOS_4, RATIOS_6, RATIOS_6, RATIOS_6, RATIOS_4, RATIOS_4)


def scales(num_levels, s_min=0.2, s_max=0.9, first_scale=None):
    """The m + 1 scales s_1..s_{m+1} (the last one, 1.0, only feeds the extra square box)."""
    if num_levels < 1:
        raise ValueError(f"`feature_shapes` must name at least one map. Received: {num_levels} maps")
    if not 0 < s_min <= s_max <= 1:
        raise ValueError(f"scales need 0 < s_min <= s_max <= 1. Received: s_min={s_min!r}, s_max={s_max!r}")
    if first_scale is not None:
        rest = scales(num_levels - 1, s_min, s_max)[:-1] if num_levels > 1 else []
        return [float(first_scale)] + list(rest) + [1.0]
    if num_levels == 1:
        return [float(s_min), 1.0]
    step = (s_max - s_min) / (num_levels - 1)
    return [s_min + step * k for k in range(num_levels)] + [1.0]


def boxes_per_cell(aspect_ratios):
    """Boxes per cell for each level: one per ratio plus the extra square box."""
    return [len(r) + 1 for r in aspect_ratios]


def default_boxes(feature_shapes, aspect_ratios=None, *, s_min=0.2, s_max=0.9, first_scale=None, clip=True):
    """All default boxes, relative xyxy.

    Args:
        feature_shapes: [(H_k, W_k), ...] of the maps the head predicts from (ints are squares).
        aspect_ratios: per level, a tuple of ratios w/h (1.0 should be among them); default
            RATIOS_6 everywhere.
        s_min, s_max, first_scale: see the module docstring.
        clip: clip boxes to [0, 1] (as the released SSD does).
    Returns:
        np.ndarray (A, 4) float32, A = sum_k H_k W_k (len(ratios_k) + 1).
    Example:
        >>> default_boxes(SSD300_FEATURE_SHAPES, SSD300_RATIOS, first_scale=0.1).shape
        (8732, 4)
    """
    shapes = [(int(s), int(s)) if np.isscalar(s) else tuple(int(v) for v in s) for s in feature_shapes]
    if aspect_ratios is None:
        aspect_ratios = [RATIOS_6] * len(shapes)
    if len(aspect_ratios) != len(shapes):
        raise ValueError(
            "`aspect_ratios` needs one tuple per feature map. "
            f"Received: {len(shapes)} feature_shapes and {len(aspect_ratios)} aspect_ratios"
        )
    s = scales(len(shapes), s_min, s_max, first_scale)
    out = []
    for k, ((fh, fw), ratios) in enumerate(zip(shapes, aspect_ratios)):
        if fh < 1 or fw < 1:
            raise ValueError(f"feature map sizes must be >= 1. Received: feature_shapes[{k}]={(fh, fw)}")
        if any(r <= 0 for r in ratios):
            raise ValueError(f"aspect ratios must be > 0. Received: aspect_ratios[{k}]={tuple(ratios)}")
        wh = [(s[k] * math.sqrt(r), s[k] / math.sqrt(r)) for r in ratios]
        extra = math.sqrt(s[k] * s[k + 1])
        wh.insert(1, (extra, extra))  # order: ratio 1, extra square, then the rest
        wh = np.asarray(wh, "float32")  # (k, 2)
        cy, cx = np.meshgrid((np.arange(fh) + 0.5) / fh, (np.arange(fw) + 0.5) / fw, indexing="ij")
        centres = np.stack([cx, cy], -1).reshape(-1, 1, 2).astype("float32")  # (HW, 1, 2)
        half = wh[None] / 2
        level = np.concatenate([centres - half, centres + half], -1).reshape(-1, 4)
        out.append(level)
    boxes = np.concatenate(out, 0).astype("float32")
    return np.clip(boxes, 0.0, 1.0) if clip else boxes
