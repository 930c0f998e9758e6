"""Batched, per-class non-maximum suppression in keras.ops (our own: keras.ops has no NMS).

Static shapes throughout (jit-compatible on JAX, graph-compatible on TensorFlow): the
candidates are the `pre_nms_top_k` highest (box, class) scores of each image; greedy NMS runs
on them with a fixed-length `fori_loop`, classes kept apart by offsetting each class's boxes
(as torchvision's batched_nms does); the output is padded to `max_detections` and comes with
`num_valid`.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.detection import boxes as box_utils


def nms(boxes, scores, *, max_detections=100, iou_threshold=0.45, score_threshold=0.01, pre_nms_top_k=400):
    """Per-class greedy NMS on a batch.

    Args:
        boxes: (B, N, 4) xyxy (any units; one box per candidate, shared by the classes).
        scores: (B, N, C) per-class scores (background excluded); a score <= score_threshold
            never becomes a detection.
        max_detections: D, detections kept per image (highest scores first).
        iou_threshold: a box is dropped when its IoU with a kept, higher-scoring box of the same
            class is > iou_threshold.
        pre_nms_top_k: K, candidates per image entering NMS (N * C when smaller).
    Returns:
        dict with "boxes" (B, D, 4), "scores" (B, D) (0 on padding), "classes" (B, D) int32
        (-1 on padding), "num_valid" (B,) int32, and "indices" (B, D) int32 index into N
        (-1 on padding).
    """
    boxes = ops.cast(ops.convert_to_tensor(boxes), "float32")
    scores = ops.cast(ops.convert_to_tensor(scores), "float32")
    n, c = scores.shape[1], scores.shape[2]
    k = int(min(pre_nms_top_k, n * c))
    d = int(max_detections)
    if d < 1:
        raise ValueError(f"`max_detections` must be >= 1. Received: max_detections={max_detections!r}")
    flat = ops.reshape(scores, (-1, n * c))
    top_scores, top_idx = ops.top_k(flat, k=k, sorted=True)  # (B, K), sorted descending
    box_idx = top_idx // c
    cls_idx = top_idx % c
    cand = ops.take_along_axis(boxes, ops.expand_dims(box_idx, -1), axis=1)  # (B, K, 4)
    # classes apart: shift every class's boxes beyond the extent of all boxes
    extent = ops.max(ops.abs(boxes)) * 2.0 + 1.0
    offset = ops.cast(cls_idx, "float32")[..., None] * extent
    overlap = box_utils.iou(cand + offset, cand + offset)  # (B, K, K)
    alive = ops.greater(top_scores, score_threshold)
    positions = ops.arange(k)

    def body(i, keep):
        row = ops.take(overlap, i, axis=1)  # (B, K)
        keep_i = ops.take(keep, i, axis=1)[:, None]
        suppress = ops.logical_and(ops.greater(row, iou_threshold), ops.greater(positions, i)[None])
        return ops.logical_and(keep, ops.logical_not(ops.logical_and(suppress, keep_i)))

    keep = ops.fori_loop(0, k, body, alive)
    ranked = ops.where(keep, top_scores, -1.0)
    kd = min(d, k)
    sel_scores, sel = ops.top_k(ranked, k=kd, sorted=True)  # (B, D)
    valid = ops.greater(sel_scores, -0.5)
    out_boxes = ops.take_along_axis(cand, ops.expand_dims(sel, -1), axis=1)
    out_cls = ops.take_along_axis(cls_idx, sel, axis=1)
    out_idx = ops.take_along_axis(box_idx, sel, axis=1)
    result = {
        "boxes": ops.where(valid[..., None], out_boxes, 0.0),
        "scores": ops.where(valid, sel_scores, 0.0),
        "classes": ops.cast(ops.where(valid, out_cls, -1), "int32"),
        "indices": ops.cast(ops.where(valid, out_idx, -1), "int32"),
        "num_valid": ops.cast(ops.sum(ops.cast(valid, "int32"), axis=1), "int32"),
    }
    if kd < d:  # fewer candidates than detections: pad to the promised static size
        pad = d - kd
        result["boxes"] = ops.pad(result["boxes"], [[0, 0], [0, pad], [0, 0]])
        result["scores"] = ops.pad(result["scores"], [[0, 0], [0, pad]])
        result["classes"] = ops.pad(result["classes"], [[0, 0], [0, pad]], constant_values=-1)
        result["indices"] = ops.pad(result["indices"], [[0, 0], [0, pad]], constant_values=-1)
    return result


def detect(class_logits, box_deltas, anchors, *, max_detections=100, iou_threshold=0.45,
           score_threshold=0.01, pre_nms_top_k=400, variances=box_utils.VARIANCES):
    """SSD post-processing: softmax, decode, per-class NMS.

    Args:
        class_logits: (B, A, C + 1), class 0 = background; box_deltas: (B, A, 4);
        anchors: (A, 4) relative xyxy.
    Returns:
        `nms`'s dict; "boxes" relative xyxy clipped to [0, 1], "classes" foreground 0..C-1.
    """
    probs = ops.softmax(ops.cast(class_logits, "float32"), axis=-1)[..., 1:]
    decoded = ops.clip(box_utils.decode(ops.cast(box_deltas, "float32"), anchors, variances), 0.0, 1.0)
    return nms(decoded, probs, max_detections=max_detections, iou_threshold=iou_threshold,
               score_threshold=score_threshold, pre_nms_top_k=pre_nms_top_k)


_COMPILED = {}


def compiled_detect(**kwargs):
    """`detect` with fixed keyword arguments, compiled for the backend (tf.function / jax.jit;
    eager elsewhere): the NMS loop is slow op by op. Cached per backend and arguments."""
    backend = keras.backend.backend()
    key = (backend, tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in kwargs.items())))
    if key not in _COMPILED:
        def fn(class_logits, box_deltas, anchors):
            return detect(class_logits, box_deltas, anchors, **kwargs)

        if backend == "tensorflow":
            import tensorflow as tf  # the running backend's compiler, imported on that backend only

            fn = tf.function(fn, reduce_retracing=True)
        elif backend == "jax":
            import jax  # the running backend's compiler, imported on that backend only

            fn = jax.jit(fn)
        _COMPILED[key] = fn
    return _COMPILED[key]
