"""Datasets: embedded real data (scikit-learn's digits), synthetic scenes, tfds, image folders."""

from __future__ import annotations

import importlib
import os

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from zoo.data.arrays import ArrayDataset, size_hw
from zoo.data.digits import load_digits
from zoo.data.imagefolder import load_folder
from zoo.data.order import epoch_order
from zoo.data.tfds import KNOWN as _TFDS_KNOWN
from zoo.data.tfds import load_tfds

# --------------------------------------------------------------------------- load (training workbench)
SPLITS = ("train", "val", "test")
SYNTHETIC = {"shapes": "zoo.data.shapes", "shapes-det": "zoo.data.shapes_det"}


def _split_seed(seed, split):
    """A seed per (seed, split), so generated splits never share samples."""
    return int(seed) * 1000 + SPLITS.index(split) + 1


def load(name, split="train", *, image_size=None, seed=0, data_dir=None, **kw):
    """One split of a dataset by name (see `_load`), refused when a pixel is NaN or inf."""
    ds = _load(name, split, image_size=image_size, seed=seed, data_dir=data_dir, **kw)
    return ds.check_finite() if isinstance(ds, ArrayDataset) else ds


def _load(name, split="train", *, image_size=None, seed=0, data_dir=None, **kw):
    """One split of a dataset by name, as an `ArrayDataset` (x float32 (N, H, W, C) in [0, 1]).

    Args:
        name: "digits" (scikit-learn, embedded), "shapes" / "shapes-det" (synthetic segmentation /
            detection scenes), a tfds name ("mnist", "fashion_mnist", "cifar10", "cifar100",
            "oxford_iiit_pet", "voc", ...) or "folder:PATH" (one sub-folder per class).
        split: "train", "val" or "test"; the three are disjoint.
        image_size: int or (H, W) to resize to; None keeps the dataset's default.
        seed: seed of the split (digits, folders) or of the generator (synthetic sets).
        data_dir: tfds data folder (tfds names only; nothing is downloaded).
        **kw: passed on (digits: channels=1|3; tfds: max_examples=N).

    Raises:
        ValueError: unknown name or split, or a sample with NaN/inf pixels; FileNotFoundError: tfds
            data not present.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset name must be a non-empty string. Received: name={name!r}")
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {', '.join(map(repr, SPLITS))}. Received: split={split!r}")
    key = name.strip()
    if key.lower() == "digits":
        return _load_digits_split(split, image_size=image_size, seed=seed, **kw)
    if key.lower() in SYNTHETIC:
        module_name = SYNTHETIC[key.lower()]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name not in (module_name, module_name.rsplit(".", 1)[0]):
                raise
            raise ValueError(
                f"dataset {name!r} needs {module_name}, which this installation of zoo does not have "
                "(it comes with the segmentation / detection models)"
            ) from None
        return module.load(split, image_size=image_size, seed=seed, **kw)
    if key.lower() in DEDICATED_TFDS:  # tfds data with checks and class ids of their own
        module = importlib.import_module(DEDICATED_TFDS[key.lower()])
        return module.load(split, image_size=image_size, seed=seed, data_dir=data_dir, **kw)
    if key.startswith("folder:"):
        return load_folder(key[len("folder:"):], split, image_size=image_size, seed=seed, arg="--dataset folder:", **kw)
    if os.path.isdir(os.path.expanduser(key)) or key.startswith(("/", "./", "../", "~")):
        exists = "" if os.path.isdir(os.path.expanduser(key)) else " (no such folder here)"
        raise ValueError(f"dataset {name!r} is a path{exists}: an image folder (one sub-folder per class) is passed "
                         f"as 'folder:{key}'; a named dataset as 'digits', 'shapes', 'shapes-det' or a tfds name. "
                         f"Received: dataset={name!r}")
    return load_tfds(key, split, image_size=image_size, seed=seed, data_dir=data_dir, **kw)


# tfds datasets with a loader of their own: pets (masks 0 background, 1 pet, 2 border, as in
# `shapes`) and voc (boxes checked ymin <= ymax, relative xyxy).
DEDICATED_TFDS = {"oxford_iiit_pet": "zoo.data.pets", "voc": "zoo.data.voc"}


def _load_digits_split(split, *, image_size=None, seed=0, channels=1, val_fraction=0.1, **kw):
    """digits: the stratified 80/20 split of `load_digits`; "val" is a stratified tenth of train."""
    h, w = size_hw(image_size, (32, 32))
    if h != w:
        raise ValueError(f"digits are square: pass one size. Received: image_size={image_size!r}")
    (xtr, ytr), (xte, yte) = load_digits(h, channels=channels, seed=seed, **kw)
    if split == "test":
        x, y = xte, yte
    else:
        xa, xb, ya, yb = train_test_split(xtr, ytr, test_size=val_fraction, stratify=ytr, random_state=seed)
        x, y = (xa, ya) if split == "train" else (xb, yb)
    return ArrayDataset(
        x=np.ascontiguousarray(x, dtype=np.float32),
        y=np.asarray(y, dtype=np.int64),
        task="classification",
        class_names=[str(i) for i in range(10)],
        name="digits",
        meta={"split": split, "seed": seed, "source": "scikit-learn load_digits", "source_shape": (8, 8, 1)},
    )


def as_pydataset(ds, batch_size=32, *, shuffle=True, seed=0):
    """A `keras.utils.PyDataset` over an ArrayDataset (numpy only: works on JAX without TensorFlow).

    Yields (x, y) batches; y is a dict of arrays for detection. Reshuffled every epoch when `shuffle`."""
    class _Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch = 0
            self.order = np.arange(len(ds))
            self.on_epoch_end()

        def __len__(self):
            return int(np.ceil(len(ds) / batch_size))

        def __getitem__(self, i):
            idx = self.order[i * batch_size : (i + 1) * batch_size]
            y = {k: v[idx] for k, v in ds.y.items()} if isinstance(ds.y, dict) else np.asarray(ds.y)[idx]
            return ds.x[idx], y

        def on_epoch_end(self):
            if shuffle:
                self.order = epoch_order(len(ds), seed, self.epoch)
            self.epoch += 1

    return _Batches()


# The task of each dataset known by name (`ArrayDataset.task` once loaded); folder:PATH is classification.
DATASET_TASKS = {
    "digits": "classification",
    "shapes": "segmentation",
    "shapes-det": "detection",
    "oxford_iiit_pet": "segmentation",
    "voc": "detection",
    **{name: "classification" for name in _TFDS_KNOWN},
}


def dataset_task(name):
    """The task of dataset `name` before loading it ("folder:PATH" is classification), or None for a
    tfds name the zoo does not know (its task is known once loaded)."""
    key = str(name).strip()
    if key.startswith("folder:"):
        return "classification"
    return DATASET_TASKS.get(key.lower())


def dataset_names():
    """The names `load` accepts besides tfds names and folder:PATH (for messages and --help)."""
    return ["digits", *SYNTHETIC]


__all__ = ["ArrayDataset", "DATASET_TASKS", "as_pydataset", "dataset_task", "load", "load_digits", "SPLITS"]
