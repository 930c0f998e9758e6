"""Ground truth to default boxes (Liu et al. 2016, §2.2 "Matching strategy").

Each ground-truth box takes its best-overlapping default box, then every default box whose
best IoU with any ground truth is >= `threshold` (0.5) is matched to that ground truth too.
Everything else is background. Padded ground truth (label -1) is ignored, so an image without
objects gives all-background targets (no special case needed: its IoUs are all -1).
"""

from __future__ import annotations

from keras import ops

from zoo.detection import boxes as box_utils


def match(gt_boxes, gt_labels, anchors, *, threshold=0.5, variances=box_utils.VARIANCES):
    """Per-anchor training targets for a batch.

    Args:
        gt_boxes: (B, M, 4) relative xyxy, padded.
        gt_labels: (B, M) int foreground labels 0..C-1, -1 for padding.
        anchors: (A, 4) relative xyxy default boxes.
        threshold: IoU from which a default box is a positive.
    Returns:
        (class_targets (B, A) int32 with 0 = background and label + 1 for a match,
         box_targets (B, A, 4) float32 encoded deltas (zeros on background)).
    """
    gt_boxes = ops.cast(ops.convert_to_tensor(gt_boxes), "float32")
    gt_labels = ops.cast(ops.convert_to_tensor(gt_labels), "int32")
    anchors = ops.cast(ops.convert_to_tensor(anchors), "float32")
    b, m = ops.shape(gt_labels)[0], gt_labels.shape[1]
    a = anchors.shape[0]
    if m == 0:
        return ops.zeros((b, a), "int32"), ops.zeros((b, a, 4), "float32")
    valid = ops.greater_equal(gt_labels, 0)  # (B, M)
    overlap = box_utils.iou(gt_boxes, anchors)  # (B, M, A)
    overlap = ops.where(valid[:, :, None], overlap, -1.0)
    best_gt = ops.argmax(overlap, axis=1)  # (B, A)
    best_gt_iou = ops.max(overlap, axis=1)  # (B, A)
    best_anchor = ops.argmax(overlap, axis=2)  # (B, M)
    forced = ops.logical_and(ops.cast(ops.one_hot(best_anchor, a), "bool"), valid[:, :, None])  # (B, M, A)
    forced_any = ops.any(forced, axis=1)  # (B, A)
    forced_gt = ops.argmax(ops.cast(forced, "int32"), axis=1)
    matched = ops.where(forced_any, forced_gt, best_gt)  # (B, A)
    positive = ops.logical_or(forced_any, ops.greater_equal(best_gt_iou, threshold))
    labels = ops.take_along_axis(gt_labels, matched, axis=1)
    cls = ops.where(positive, labels + 1, 0)
    matched_boxes = ops.take_along_axis(gt_boxes, ops.expand_dims(matched, -1), axis=1)  # (B, A, 4)
    matched_boxes = ops.where(positive[..., None], matched_boxes, anchors[None])
    deltas = box_utils.encode(matched_boxes, anchors, variances)
    deltas = ops.where(positive[..., None], deltas, 0.0)
    return ops.cast(cls, "int32"), ops.cast(deltas, "float32")
