"""`shapes-det`: seeded synthetic detection scenes (circles, squares, triangles on a noisy canvas).

Each image holds 1..`max_objects` non-overlapping shapes of random colour and size; the
ground truth is the tight box of each drawn shape (relative xyxy, Keras' "rel_xyxy") and its
class. Splits draw from independent seeds derived from `seed` and the split name, so
"train", "val" and "test" never share a scene.
"""

from __future__ import annotations

import numpy as np

from zoo.checks import check_int
from zoo.data.arrays import ArrayDataset

CLASS_NAMES = ["circle", "square", "triangle"]
SPLITS = {"train": 0, "val": 1, "test": 2}
DEFAULT_SIZES = {"train": 2000, "val": 300, "test": 300}


def _image_hw(image_size):
    if image_size is None:
        return 64, 64
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        hw = (int(image_size), int(image_size))
    elif isinstance(image_size, (tuple, list)) and len(image_size) in (2, 3):
        hw = (int(image_size[0]), int(image_size[1]))
    else:
        hw = None
    if hw is None or min(hw) < 32:
        raise ValueError(
            "`image_size` must be None (64), an int or (height, width) with every side >= 32. "
            f"Received: image_size={image_size!r}"
        )
    return hw


def _draw(rng, h, w, *, max_objects, min_frac, max_frac):
    bg = rng.uniform(0.0, 0.35, size=3)
    img = np.clip(bg.astype("float32") + 0.04 * rng.standard_normal((h, w, 3), dtype=np.float32), 0, 1)
    boxes, labels = [], []
    n = int(rng.integers(1, max_objects + 1))
    side = min(h, w)
    for _ in range(n):
        for _attempt in range(20):
            s = int(rng.integers(int(min_frac * side), int(max_frac * side) + 1))
            x0 = int(rng.integers(0, w - s + 1))
            y0 = int(rng.integers(0, h - s + 1))
            box = (x0, y0, x0 + s, y0 + s)
            if all(box[0] >= b[2] + 1 or box[2] + 1 <= b[0] or box[1] >= b[3] + 1 or box[3] + 1 <= b[1] for b in boxes):
                break
        else:
            continue
        cls = int(rng.integers(0, len(CLASS_NAMES)))
        yy, xx = np.mgrid[0:s, 0:s] + 0.5  # pixel centres inside the shape's square
        if cls == 0:  # circle
            r = s / 2
            mask = (xx - r) ** 2 + (yy - r) ** 2 <= r * r
        elif cls == 1:  # square
            mask = np.ones((s, s), bool)
        else:  # triangle, apex up: half-width grows linearly from the apex to the base
            mask = np.abs(xx - s / 2) <= yy / 2
        ys, xs = np.nonzero(mask)
        if len(ys) == 0:
            continue
        colour = rng.uniform(0.55, 1.0, size=3)
        colour[rng.integers(0, 3)] *= rng.uniform(0.2, 1.0)
        img[y0 : y0 + s, x0 : x0 + s][mask] = colour
        boxes.append((x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1))
        labels.append(cls)
    return img, boxes, labels


def load(split="train", *, image_size=None, seed=0, num_examples=None, max_objects=4, min_size=0.15,
         max_size=0.45, data_dir=None):
    """The `shapes-det` split as an ArrayDataset.

    Args:
        split: "train" (2,000 scenes), "val" (300) or "test" (300).
        image_size: None (64x64), an int or (height, width).
        seed: base seed; each split derives its own.
        num_examples: number of scenes (default per split as above).
        max_objects: most shapes per scene (M, the padded box count).
        min_size, max_size: shape side as a fraction of the shorter image side.
        data_dir: ignored (generated data).
    Returns:
        ArrayDataset: x (N, H, W, 3) float32 in [0, 1]; y {"boxes": (N, M, 4) float32 rel_xyxy,
        "labels": (N, M) int32, -1 = padding}; task "detection".
    """
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {', '.join(SPLITS)}. Received: split={split!r}")
    h, w = _image_hw(image_size)
    n = DEFAULT_SIZES[split] if num_examples is None else num_examples
    n = check_int("num_examples", n)
    max_objects = check_int("max_objects", max_objects)
    if not 0 < min_size <= max_size <= 1:
        raise ValueError(
            f"need 0 < min_size <= max_size <= 1. Received: min_size={min_size!r}, max_size={max_size!r}"
        )
    rng = np.random.default_rng([int(seed), SPLITS[split], 7])
    x = np.zeros((n, h, w, 3), "float32")
    boxes = np.zeros((n, max_objects, 4), "float32")
    labels = -np.ones((n, max_objects), "int32")
    scale = np.array([w, h, w, h], "float32")
    for i in range(n):
        img, b, lab = _draw(rng, h, w, max_objects=max_objects, min_frac=min_size, max_frac=max_size)
        x[i] = img
        if b:
            boxes[i, : len(b)] = np.asarray(b, "float32") / scale
            labels[i, : len(lab)] = lab
    return ArrayDataset(
        x=x,
        y={"boxes": boxes, "labels": labels},
        task="detection",
        class_names=list(CLASS_NAMES),
        name="shapes-det",
        meta={"box_format": "rel_xyxy", "split": split, "seed": int(seed), "image_size": (h, w)},
    )
