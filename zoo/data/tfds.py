"""tfds image-classification datasets as `ArrayDataset`s. Nothing is downloaded: the data must
already be in tfds' data folder (`data_dir=` / `--data-dir`). Tests use `tfds.testing.mock_data`.
Segmentation (oxford_iiit_pet) and detection (voc) have checked loaders of their own,
zoo/data/pets.py and zoo/data/voc.py, which `zoo.data.load` dispatches to.
TensorFlow is imported here only, inside the functions."""

from __future__ import annotations

import difflib

import numpy as np
from PIL import Image

from zoo.data.arrays import ArrayDataset, size_hw

# name -> (default image size (H, W) or None = the dataset's own, splits held by tfds)
KNOWN = {
    "mnist": (None, ("train", "test")),
    "fashion_mnist": (None, ("train", "test")),
    "kmnist": (None, ("train", "test")),
    "emnist": (None, ("train", "test")),
    "cifar10": (None, ("train", "test")),
    "cifar100": (None, ("train", "test")),
    "svhn_cropped": (None, ("train", "test")),
    "tf_flowers": ((128, 128), ("train",)),
}
DEDICATED = ("oxford_iiit_pet", "voc")  # zoo/data/pets.py, zoo/data/voc.py
DEFAULT_SIZE = (128, 128)  # for datasets whose images have no fixed size


def _tfds_splits(name, val_fraction):
    """tfds split strings for train / val / test (val carved from train when tfds has none)."""
    held = KNOWN.get(name, (None, ("train", "test")))[1]
    pct = int(round(100 * (1 - val_fraction)))
    train = "train" if "validation" in held else f"train[:{pct}%]"
    val = "validation" if "validation" in held else f"train[{pct}%:]"
    if "test" in held:
        test = "test"
    elif "validation" in held:
        test = "validation"
    else:  # train only (tf_flowers): 80 / 10 / 10 of train
        train, val, test = "train[:80%]", "train[80%:90%]", "train[90%:]"
    return {"train": train, "val": val, "test": test}


def load_tfds(name, split="train", *, image_size=None, seed=0, data_dir=None, max_examples=None, val_fraction=0.1):
    """A tfds image-classification split: images resized to `image_size` and scaled to [0, 1],
    integer labels.

    Raises:
        ValueError: unknown name, or a dataset without `image` and `label` features;
        FileNotFoundError: the data is not in the data folder.
    """
    try:  # a TensorFlow-only path, imported when a tfds dataset is loaded: JAX machines have no TensorFlow
        import tensorflow as tf  # noqa: F401
        import tensorflow_datasets as tfds
    except ImportError:
        raise ValueError(
            f"dataset {name!r} is a tfds dataset and needs tensorflow and tensorflow-datasets, which are not "
            "installed here; use 'digits', 'shapes', 'shapes-det' or 'folder:PATH' instead"
        ) from None
    known = list(KNOWN) + list(DEDICATED)
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except (tfds.core.registered.DatasetNotFoundError, ValueError):  # ValueError: not even a tfds name's form
        close = difflib.get_close_matches(name, known + ["digits", "shapes", "shapes-det"], n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown dataset {name!r}.{hint} Accepted: 'digits', 'shapes', 'shapes-det', 'folder:PATH' or a tfds "
            f"name such as {', '.join(known)}"
        ) from None
    features = builder.info.features
    if "image" not in features or "label" not in features:
        raise ValueError(
            f"tfds dataset {name!r} has no 'image' and 'label' features (it has: {', '.join(features)}); zoo loads "
            f"tfds image-classification datasets, plus {' and '.join(DEDICATED)} through loaders of their own"
        )
    tfds_split = _tfds_splits(name, val_fraction)[split]
    try:
        ds = tfds.load(name, split=tfds_split, data_dir=data_dir, download=False, shuffle_files=False)
    except (AssertionError, FileNotFoundError, tfds.core.registered.DatasetNotFoundError) as e:
        where = data_dir or "tfds' default folder (~/tensorflow_datasets or $TFDS_DATA_DIR)"
        raise FileNotFoundError(
            f"tfds dataset {name!r} is not in {where} and zoo does not download data. Prepare it on a machine with "
            f"internet (`python -c \"import tensorflow_datasets as tfds; tfds.builder('{name}').download_and_prepare()\"`), "
            f"copy the folder here and pass it with --data-dir DIR (Python: data_dir=DIR). ({str(e).splitlines()[0][:160]})"
        ) from None
    if max_examples is not None:
        ds = ds.take(int(max_examples))
    native = features["image"].shape[:2]
    default = tuple(native) if native and None not in native else DEFAULT_SIZE
    size = size_hw(image_size, KNOWN.get(name, (None,))[0] or default)
    channels = features["image"].shape[-1] or 3
    xs, ys = [], []
    for ex in tfds.as_numpy(ds):
        xs.append(_resize(ex["image"], size))
        ys.append(int(ex["label"]))
    x = np.stack(xs).astype(np.float32) / 255.0 if xs else np.zeros((0, *size, channels), np.float32)
    names = list(getattr(features["label"], "names", None) or range(features["label"].num_classes))
    meta = {"split": split, "tfds_split": tfds_split, "seed": seed, "source": "tfds",
            "source_shape": (*(native or (None, None)), channels)}
    return ArrayDataset(x=x, y=np.asarray(ys, np.int64), task="classification", class_names=[str(n) for n in names],
                        name=name, meta=meta)


def _resize(img, size, nearest=False):
    """(H, W, C) uint8 -> (size, C) through Pillow (bilinear; nearest for masks)."""
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[..., None]
    if tuple(img.shape[:2]) == tuple(size):
        return img
    mode = Image.NEAREST if nearest else Image.BILINEAR
    chans = [np.asarray(Image.fromarray(img[..., c]).resize((size[1], size[0]), mode)) for c in range(img.shape[-1])]
    return np.stack(chans, axis=-1)
