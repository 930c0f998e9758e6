# %%
"""Exercise 12 - SSD pieces: default boxes, IoU, matching, non-maximum suppression.

Boxes are (x_min, y_min, x_max, y_max) in [0, 1] unless said otherwise.
* Default (anchor) boxes on an f x f feature map: one box per cell and aspect ratio, centred
  at ((j + 0.5) / f, (i + 0.5) / f) for row i, column j, with width s*sqrt(ar) and height
  s/sqrt(ar) for scale s. Order: row-major over cells, then aspect ratios. Given as
  (cx, cy, w, h).
* IoU of two boxes: intersection area / union area; no overlap gives 0 (clamp at 0).
* Matching (SSD): each default box takes the ground-truth box it overlaps most if that IoU
  is >= threshold, else it is background (-1); and each ground-truth box also claims the
  default box that overlaps it most, so no object is left without an anchor.
* NMS: repeatedly keep the highest-scoring box and drop the remaining boxes whose IoU with
  it exceeds iou_threshold. Returns the kept indices in descending score order.
Use NumPy only.
"""

import numpy as np


# %%
def default_boxes(feature_size, scale, aspect_ratios=(1.0, 2.0, 0.5)):
    """(f * f * len(aspect_ratios), 4) default boxes (cx, cy, w, h)."""
    # HINT: cell centres are (index + 0.5) / feature_size
    raise NotImplementedError


# %%
def to_corners(boxes):
    """(cx, cy, w, h) -> (x_min, y_min, x_max, y_max) (given)."""
    b = np.asarray(boxes, float)
    return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], axis=1)


# %%
def iou_matrix(a, b):
    """(len(a), len(b)) IoU of corner boxes a (N, 4) and b (M, 4)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    # HINT: broadcast a[:, None] against b[None]; clamp widths/heights of the intersection at 0
    raise NotImplementedError


# %%
def match(anchors, gt_boxes, threshold=0.5):
    """Index of the matched ground-truth box for every anchor (corner boxes), -1 for background."""
    # HINT: iou = iou_matrix(anchors, gt_boxes); then force each gt's best anchor
    raise NotImplementedError


# %%
def nms(boxes, scores, iou_threshold=0.5):
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    boxes, scores = np.asarray(boxes, float), np.asarray(scores, float)
    # HINT: order = np.argsort(-scores); keep order[0], drop those with IoU > threshold, repeat
    raise NotImplementedError
