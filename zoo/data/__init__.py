"""Datasets: embedded real data (scikit-learn's digits), synthetic scenes, tfds, image folders."""

from __future__ import annotations

import dataclasses
from typing import Any

from zoo.data.digits import load_digits


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

    @property
    def classes(self):
        return len(self.class_names)


__all__ = ["ArrayDataset", "load_digits"]
