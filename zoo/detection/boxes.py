"""Box formats, validation, IoU and the SSD box codec (Liu et al. 2016, §2.2 "Training objective").

Formats are Keras' (`keras.utils.bounding_boxes`): "xyxy", "yxyx", "xywh", "center_xywh",
"center_yxhw" in pixels, and "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh" relative to
the image (x divided by the width, y by the height). Conversion and IoU are Keras' own
functions; this module adds the checks (format names, x2 < x1, boxes outside the image) and the
SSD codec with variances (0.1, 0.2).
"""

from __future__ import annotations

import numpy as np
from keras import ops
from keras.utils import bounding_boxes as kbb

FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)
VARIANCES = (0.1, 0.2)


def check_format(fmt, arg="format"):
    """Returns `fmt` lower-cased; an unknown format raises ValueError listing the accepted ones."""
    if not isinstance(fmt, str) or fmt.lower() not in FORMATS:
        raise ValueError(f"`{arg}` must be one of {', '.join(FORMATS)}. Received: {arg}={fmt!r}")
    return fmt.lower()


def convert_format(boxes, source, target, *, height=None, width=None):
    """Converts boxes (..., 4) from `source` to `target` format (Keras' converter, checked first).

    Args:
        boxes: (..., 4) array or tensor.
        source, target: names from `FORMATS`.
        height, width: image size in pixels, needed when exactly one side is relative.
    Returns:
        (..., 4) float32 tensor in `target` format.
    Raises:
        ValueError: unknown format, last dimension not 4, or missing height/width.
    """
    source = check_format(source, "source")
    target = check_format(target, "target")
    shape = tuple(ops.shape(boxes))
    if not shape or shape[-1] != 4:
        raise ValueError(f"`boxes` must have shape (..., 4). Received: boxes.shape={shape}")
    if source.startswith("rel_") != target.startswith("rel_") and (height is None or width is None):
        raise ValueError(
            f"converting {source!r} to {target!r} needs the image size: pass height= and width=. "
            f"Received: height={height!r}, width={width!r}"
        )
    return kbb.convert_format(boxes, source=source, target=target, height=height, width=width)


def validate_boxes(boxes, fmt="rel_xyxy", *, height=None, width=None, labels=None, tolerance=1e-3, arg="boxes"):
    """Checks ground-truth boxes in NumPy and returns them as relative xyxy float32.

    Rows with label -1 (padding) are not checked. A box is refused when x2 < x1 or y2 < y1, or
    when it lies outside the image by more than `tolerance` (relative units); the message names
    the first bad box's index and value.

    Args:
        boxes: (..., 4) boxes in `fmt`.
        fmt: format name; pixel formats need `height` and `width`.
        labels: optional (...,) int labels, -1 marks padding.
    Returns:
        np.ndarray (..., 4) float32, relative xyxy, clipped to [0, 1].
    Raises:
        ValueError: as described.
    """
    fmt = check_format(fmt, "format")
    b = np.asarray(boxes, dtype="float32")
    if b.ndim < 1 or b.shape[-1] != 4:
        raise ValueError(f"`{arg}` must have shape (..., 4). Received: {arg}.shape={b.shape}")
    if not fmt.startswith("rel_") and (height is None or width is None):
        raise ValueError(
            f"{arg} in pixel format {fmt!r} need the image size: pass height= and width=. "
            f"Received: height={height!r}, width={width!r}"
        )
    h = 1.0 if height is None else float(height)
    w = 1.0 if width is None else float(width)
    if not fmt.startswith("rel_"):
        xyxy = np.asarray(convert_format(b, fmt, "xyxy")) / np.array([w, h, w, h], "float32")
    else:
        xyxy = np.asarray(convert_format(b, fmt, "rel_xyxy", height=h, width=w))
    valid = np.ones(b.shape[:-1], bool) if labels is None else np.asarray(labels) >= 0
    bad = valid & ((xyxy[..., 2] < xyxy[..., 0]) | (xyxy[..., 3] < xyxy[..., 1]))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{arg}{list(idx)}={b[idx].tolist()} ({fmt}) has x2 < x1 or y2 < y1: boxes must have "
            "non-negative width and height"
        )
    bad = valid & ((xyxy < -tolerance) | (xyxy > 1 + tolerance)).any(-1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{arg}{list(idx)}={b[idx].tolist()} ({fmt}) lies outside the image"
            + (f" of {int(w)}x{int(h)} pixels" if height is not None else "")
            + ": every coordinate must be inside the image (clip boxes before passing them)"
        )
    return np.clip(xyxy, 0.0, 1.0).astype("float32")


def iou(boxes1, boxes2):
    """Pairwise IoU of xyxy boxes (Keras' compute_iou; relative or pixel units alike).

    Args:
        boxes1: (N, 4) or (B, N, 4); boxes2: (M, 4) or (B, M, 4).
    Returns:
        (N, M) or (B, N, M) float32.
    """
    return kbb.compute_iou(boxes1, boxes2, "xyxy")


def encode(boxes, anchors, variances=VARIANCES):
    """SSD regression targets of relative xyxy `boxes` w.r.t. relative xyxy `anchors`.

    t_cx = (g_cx - a_cx) / (a_w v0), t_w = log(g_w / a_w) / v1 (likewise y, h); Liu et al. 2016 eq. 2
    with the released model's variances (0.1, 0.2).

    Args:
        boxes: (A, 4) or (B, A, 4) relative xyxy, one box per anchor.
        anchors: (A, 4) relative xyxy.
    Returns:
        Same shape as `boxes`, float32 deltas (cx, cy, w, h).
    """
    v = [variances[0], variances[0], variances[1], variances[1]]
    return kbb.encode_box_to_deltas(
        anchors, boxes, anchor_format="xyxy", box_format="xyxy", encoding_format="center_xywh", variance=v
    )


def decode(deltas, anchors, variances=VARIANCES):
    """Inverse of `encode`: deltas (..., A, 4) -> relative xyxy boxes (..., A, 4)."""
    v = [variances[0], variances[0], variances[1], variances[1]]
    return kbb.decode_deltas_to_boxes(
        anchors, deltas, anchor_format="xyxy", box_format="xyxy", encoded_format="center_xywh", variance=v
    )
