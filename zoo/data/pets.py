"""The Oxford-IIIT Pet segmentation data (Parkhi et al. 2012) through TensorFlow Datasets.

Needs the prepared `oxford_iiit_pet` in tfds' data dir (the zoo downloads nothing at run time:
prepare it once with `tfds build oxford_iiit_pet` on a machine with internet). The trimaps
(1 pet, 2 background, 3 border) become class ids 0 background, 1 pet, 2 border.
"""

from __future__ import annotations

import numpy as np

from zoo.data.arrays import ArrayDataset

CLASS_NAMES = ["background", "pet", "border"]
TFDS_NAME = "oxford_iiit_pet"
TFDS_SPLITS = {"train": "train[:90%]", "val": "train[90%:]", "test": "test"}
# trimap value -> zoo class id (index 0 unused by the trimaps)
_TRIMAP_TO_CLASS = np.array([0, 1, 0, 2], dtype=np.int32)


def load(split="train", *, image_size=None, seed=0, data_dir=None, num_examples=None, **kw):
    """A split of oxford_iiit_pet as an in-memory `zoo.data.ArrayDataset` (task segmentation).

    Args:
        split: "train" (first 90 % of tfds' train), "val" (last 10 %) or "test".
        image_size: side the images (bilinear) and masks (nearest) are resized to; default 128.
        seed: accepted for the zoo.data.load contract (the tfds splits are fixed).
        data_dir: tfds data dir holding the prepared dataset.
        num_examples: keep only the first `num_examples` examples.

    Returns:
        ArrayDataset, x (N, S, S, 3) float32 in [0, 1], y (N, S, S) int32 in 0..2.

    Raises:
        ValueError: an unknown split, or trimap values outside 1..3.
        FileNotFoundError: the dataset is not prepared in `data_dir`.
    """
    # a TensorFlow-only path (tfds), imported when this dataset is loaded: JAX machines have no TensorFlow
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if split not in TFDS_SPLITS:
        raise ValueError(f"`split` must be one of {tuple(TFDS_SPLITS)}. Received: split={split!r}")
    if isinstance(image_size, (tuple, list)):
        image_size = image_size[0]
    size = 128 if image_size is None else int(image_size)
    try:
        ds = tfds.load(TFDS_NAME, split=TFDS_SPLITS[split], data_dir=data_dir, download=False)
    except (AssertionError, FileNotFoundError) as e:  # tfds raises AssertionError for "not found"
        raise FileNotFoundError(
            f"{TFDS_NAME} is not prepared in data_dir={data_dir!r} (the zoo downloads nothing): run "
            f"`tfds build {TFDS_NAME}` where there is internet, then pass its data dir. ({str(e)[:200]})"
        ) from None
    if num_examples is not None:
        ds = ds.take(int(num_examples))

    def prepare(ex):
        img = tf.image.resize(tf.cast(ex["image"], tf.float32) / 255.0, (size, size), method="bilinear")
        mask = tf.image.resize(ex["segmentation_mask"], (size, size), method="nearest")[..., 0]
        raw = tf.cast(ex["segmentation_mask"], tf.int32)
        return tf.clip_by_value(img, 0.0, 1.0), tf.cast(mask, tf.int32), tf.reduce_min(raw), tf.reduce_max(raw)

    xs, ys = [], []
    for img, mask, lo, hi in tfds.as_numpy(ds.map(prepare)):
        if lo < 1 or hi > 3:  # checked on the full-size trimap, before resizing
            bad = int(lo) if lo < 1 else int(hi)
            raise ValueError(
                f"{TFDS_NAME} trimaps must hold 1 (pet), 2 (background) or 3 (border). "
                f"Received: value {bad} in example {len(xs)}"
            )
        xs.append(img)
        ys.append(mask)
    if not xs:
        raise ValueError(f"{TFDS_NAME} split {split!r} is empty")
    trimaps = np.stack(ys)
    return ArrayDataset(
        x=np.stack(xs).astype(np.float32),
        y=_TRIMAP_TO_CLASS[trimaps],
        task="segmentation",
        class_names=list(CLASS_NAMES),
        name=TFDS_NAME,
        meta={"split": split, "tfds_split": TFDS_SPLITS[split], "image_size": size},
    )
