"""PASCAL VOC detection through tensorflow-datasets (`voc/2007`, `voc/2012`), as an ArrayDataset.

The data must already be in tfds' data dir (the zoo downloads nothing at run time); tfds and
TensorFlow are imported only inside `load`. tfds stores boxes as relative (ymin, xmin, ymax,
xmax); they are checked (ymin <= ymax, inside the image) and converted to relative xyxy.
"""

from __future__ import annotations

import numpy as np

from zoo.data.arrays import ArrayDataset
from zoo.detection.boxes import validate_boxes

SPLITS = {"train": "train", "val": "validation", "validation": "validation", "test": "test"}


def load(split="train", *, image_size=300, seed=0, num_examples=None, data_dir=None, year="2007"):
    """VOC images resized to `image_size` with their boxes.

    Args:
        split: "train", "val" (tfds "validation") or "test".
        image_size: int or (height, width) the images are resized to (boxes are relative, so
            they need no change).
        seed: unused (tfds' order is fixed); kept for the loader contract.
        num_examples: take only the first N examples (the whole split by default; VOC 2007
            train is 2,501 images, about 2.7 GB in memory at 300x300 float32).
        data_dir: tfds data dir.
        year: "2007" or "2012".
    Returns:
        ArrayDataset: x (N, H, W, 3) float32 in [0, 1]; y {"boxes": (N, M, 4) rel_xyxy,
        "labels": (N, M) int32, -1 = padding}, M = most objects in one image; meta["difficult"]
        (N, M) bool.
    Raises:
        ValueError: unknown split/year, or a box with ymin > ymax or outside the image.
    """
    # a TensorFlow-only path (tfds), imported when this dataset is loaded: JAX machines have no TensorFlow
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {', '.join(SPLITS)}. Received: split={split!r}")
    if str(year) not in ("2007", "2012"):
        raise ValueError(f"`year` must be '2007' or '2012'. Received: year={year!r}")
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)[:2]
    name = f"voc/{year}"
    ds, info = tfds.load(name, split=SPLITS[split], data_dir=data_dir, with_info=True, shuffle_files=False)
    if num_examples is not None:
        ds = ds.take(int(num_examples))
    class_names = list(info.features["objects"]["label"].names)
    images, boxes, labels, difficult = [], [], [], []
    for i, ex in enumerate(tfds.as_numpy(ds)):
        img = tf.image.resize(tf.cast(ex["image"], tf.float32) / 255.0, size).numpy()
        objects = ex["objects"]
        lab = np.asarray(objects["label"], "int32").reshape(-1)
        b = validate_boxes(np.asarray(objects["bbox"], "float32").reshape(-1, 4), "rel_yxyx",
                           labels=lab, arg=f"{name} example {i} objects['bbox']")
        images.append(img.astype("float32"))
        boxes.append(b)
        labels.append(lab)
        difficult.append(np.asarray(objects.get("is_difficult", np.zeros(len(lab), bool)), bool).reshape(-1))
    if not images:
        raise ValueError(f"{name} split {split!r} gave no examples (num_examples={num_examples!r})")
    m = max(1, max(len(l) for l in labels))
    n = len(images)
    yb = np.zeros((n, m, 4), "float32")
    yl = -np.ones((n, m), "int32")
    yd = np.zeros((n, m), bool)
    for i, (b, l, d) in enumerate(zip(boxes, labels, difficult)):
        yb[i, : len(l)] = b
        yl[i, : len(l)] = l
        yd[i, : len(d)] = d
    return ArrayDataset(
        x=np.stack(images), y={"boxes": yb, "labels": yl}, task="detection", class_names=class_names,
        name="voc", meta={"box_format": "rel_xyxy", "split": split, "year": str(year), "difficult": yd},
    )
