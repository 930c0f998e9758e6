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
    # BEGIN SOLUTION hint: cell centres are (index + 0.5) / feature_size
    boxes = []
    for i in range(feature_size):
        for j in range(feature_size):
            cx, cy = (j + 0.5) / feature_size, (i + 0.5) / feature_size
            for ar in aspect_ratios:
                boxes.append([cx, cy, scale * np.sqrt(ar), scale / np.sqrt(ar)])
    return np.array(boxes)
    # END SOLUTION


# %%
def to_corners(boxes):
    """(cx, cy, w, h) -> (x_min, y_min, x_max, y_max) (given)."""
    b = np.asarray(boxes, float)
    return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], axis=1)


# %%
def iou_matrix(a, b):
    """(len(a), len(b)) IoU of corner boxes a (N, 4) and b (M, 4)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    # BEGIN SOLUTION hint: broadcast a[:, None] against b[None]; clamp widths/heights of the intersection at 0
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter)
    # END SOLUTION


# %%
def match(anchors, gt_boxes, threshold=0.5):
    """Index of the matched ground-truth box for every anchor (corner boxes), -1 for background."""
    # BEGIN SOLUTION hint: iou = iou_matrix(anchors, gt_boxes); then force each gt's best anchor
    iou = iou_matrix(anchors, gt_boxes)
    idx = iou.argmax(axis=1)
    idx[iou.max(axis=1) < threshold] = -1
    for g in range(len(gt_boxes)):
        idx[iou[:, g].argmax()] = g
    return idx
    # END SOLUTION


# %%
def nms(boxes, scores, iou_threshold=0.5):
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    boxes, scores = np.asarray(boxes, float), np.asarray(scores, float)
    # BEGIN SOLUTION hint: order = np.argsort(-scores); keep order[0], drop those with IoU > threshold, repeat
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        best = order.pop(0)
        keep.append(int(best))
        if order:
            ious = iou_matrix(boxes[[best]], boxes[order])[0]
            order = [o for o, v in zip(order, ious) if v <= iou_threshold]
    return np.array(keep, dtype=int)
    # END SOLUTION
