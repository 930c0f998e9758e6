"""The in-memory dataset every loader returns, and the image-size argument they share."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class ArrayDataset:
    """One split held in memory.

    Attributes:
        x: images, float32 (N, H, W, C) in [0, 1].
        y: labels (N,) int for classification; masks (N, H, W) int for segmentation;
            {"boxes": (N, M, 4) float32, "labels": (N, M) int, padded with label -1} for detection.
        task: "classification", "segmentation" or "detection".
        class_names: names of the classes (index = label).
        name: dataset name, e.g. "digits".
        meta: anything else worth keeping (box format, split seed, ...).
    """

    x: Any
    y: Any
    task: str
    class_names: list
    name: str
    meta: dict = dataclasses.field(default_factory=dict)

    def __len__(self):
        return len(self.x)

    def check_finite(self):
        """Raises ValueError naming the first sample whose pixels hold NaN or inf; returns self.

        NaN pixels do not reliably turn the loss NaN (max-pooling and ReLU kernels drop them on
        some CPUs), so they would be trained on silently: refuse them where the data is loaded."""
        x = np.asarray(self.x)
        if x.dtype.kind == "f":
            bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
            if bad.any():
                idx = np.flatnonzero(bad)
                split = self.meta.get("split")
                where = f"the {split} split of " if split else ""
                raise ValueError(
                    f"{where}dataset {self.name!r} holds non-finite pixel values (NaN or inf) in {len(idx)} "
                    f"sample(s), first at index {int(idx[0])}"
                    + (f" ({self.meta['files'][int(idx[0])]})" if len(self.meta.get("files", ())) > idx[0] else "")
                    + ": expected finite floats in [0, 1]; fix or drop those images"
                )
        return self

    @property
    def classes(self):
        return len(self.class_names)


def size_hw(image_size, default):
    """(height, width) from an int, a pair of ints or None (= `default`); anything else is refused."""
    if image_size is None:
        return tuple(default)
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in image_size)
    ):
        raise ValueError(f"`image_size` must be an int or (height, width) of ints >= 1. Received: image_size={image_size!r}")
    return tuple(image_size)
