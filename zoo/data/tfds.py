"""tfds datasets as `ArrayDataset`s, each with its own preprocessing. Nothing is downloaded: the
data must already be in tfds' data folder (`data_dir=` / `--data-dir`). Tests use
`tfds.testing.mock_data`. TensorFlow is imported here only, inside the functions."""

from __future__ import annotations

import difflib

import numpy as np

# name -> (task, default image size (H, W) or None = the dataset's own, splits held by tfds)
KNOWN = {
    "mnist": ("classification", None, ("train", "test")),
    "fashion_mnist": ("classification", None, ("train", "test")),
    "kmnist": ("classification", None, ("train", "test")),
    "emnist": ("classification", None, ("train", "test")),
    "cifar10": ("classification", None, ("train", "test")),
    "cifar100": ("classification", None, ("train", "test")),
    "svhn_cropped": ("classification", None, ("train", "test")),
    "tf_flowers": ("classification", (128, 128), ("train",)),
    "oxford_iiit_pet": ("segmentation", (128, 128), ("train", "test")),
    "voc": ("detection", (300, 300), ("train", "validation", "test")),
}
DEFAULT_SIZE = (128, 128)  # for datasets whose images have no fixed size


def _tfds_splits(name, val_fraction):
    """tfds split strings for train / val / test (val carved from train when tfds has none)."""
    held = KNOWN.get(name, (None, None, ("train", "test")))[2]
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


def load_tfds(name, split="train", *, image_size=None, seed=0, data_dir=None, max_examples=None, task=None, val_fraction=0.1):
    """A tfds dataset split, preprocessed to the zoo's arrays.

    Classification: images resized to `image_size`, scaled to [0, 1], integer labels.
    oxford_iiit_pet (task "segmentation", default): masks 0 = pet, 1 = background, 2 = border
    (tfds' trimap minus one), nearest-neighbour resized; task="classification" gives the 37 breeds.
    voc (detection): boxes as xyxy pixels of the resized image, labels padded with -1.

    Raises:
        ValueError: unknown name; FileNotFoundError: the data is not in the data folder.
    """
    from zoo.data import ArrayDataset, _size_hw

    try:
        import tensorflow as tf  # noqa: F401
        import tensorflow_datasets as tfds
    except ImportError:
        raise ValueError(
            f"dataset {name!r} is a tfds dataset and needs tensorflow and tensorflow-datasets, which are not "
            "installed here; use 'digits', 'shapes', 'shapes-det' or 'folder:PATH' instead"
        ) from None
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        close = difflib.get_close_matches(name, list(KNOWN) + ["digits", "shapes", "shapes-det"], n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown dataset {name!r}.{hint} Accepted: 'digits', 'shapes', 'shapes-det', 'folder:PATH' or a tfds "
            f"name such as {', '.join(KNOWN)}"
        ) from None
    features = builder.info.features
    task = task or KNOWN.get(name, ("classification",))[0]
    if task not in ("classification", "segmentation", "detection"):
        raise ValueError(f"`task` must be 'classification', 'segmentation' or 'detection'. Received: task={task!r}")
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
    if "image" not in features:
        raise ValueError(f"tfds dataset {name!r} has no 'image' feature; zoo loads image datasets only")
    native = features["image"].shape[:2]
    default = tuple(native) if native and None not in native else DEFAULT_SIZE
    size = _size_hw(image_size, KNOWN.get(name, (None, None))[1] or default)
    channels = features["image"].shape[-1] or 3
    xs, ys = [], []
    for ex in tfds.as_numpy(ds):
        img = ex["image"]
        h0, w0 = img.shape[:2]
        xs.append(_resize(img, size))
        if task == "classification":
            ys.append(int(ex["label"]))
        elif task == "segmentation":
            mask = ex["segmentation_mask"]
            ys.append(_resize(mask, size, nearest=True)[..., 0].astype(np.int64) - 1)
        else:
            obj = ex["objects"]
            b = np.asarray(obj["bbox"], np.float32).reshape(-1, 4)  # ymin, xmin, ymax, xmax in [0, 1]
            boxes = np.stack([b[:, 1] * size[1], b[:, 0] * size[0], b[:, 3] * size[1], b[:, 2] * size[0]], axis=-1)
            ys.append((boxes, np.asarray(obj["label"], np.int64).reshape(-1)))
    x = np.stack(xs).astype(np.float32) / 255.0 if xs else np.zeros((0, *size, channels), np.float32)
    if task == "classification":
        names = list(getattr(features["label"], "names", None) or range(features["label"].num_classes))
        y = np.asarray(ys, np.int64)
        meta = {}
    elif task == "segmentation":
        names = ["pet", "background", "border"] if name == "oxford_iiit_pet" else ["0", "1", "2"]
        y = np.stack(ys) if ys else np.zeros((0, *size), np.int64)
        meta = {}
    else:
        m = max([len(l) for _, l in ys] + [1])
        boxes = np.zeros((len(ys), m, 4), np.float32)
        labels = np.full((len(ys), m), -1, np.int64)
        for i, (b, l) in enumerate(ys):
            boxes[i, : len(l)] = b
            labels[i, : len(l)] = l
        y = {"boxes": boxes, "labels": labels}
        names = list(features["objects"]["label"].names)
        meta = {"box_format": "xyxy", "box_units": "pixels"}
    meta.update({"split": split, "tfds_split": tfds_split, "seed": seed, "source": "tfds"})
    return ArrayDataset(x=x, y=y, task=task, class_names=[str(n) for n in names], name=name, meta=meta)


def _resize(img, size, nearest=False):
    """(H, W, C) uint8 -> (size, C) through Pillow (bilinear; nearest for masks)."""
    from PIL import Image

    img = np.asarray(img)
    if img.ndim == 2:
        img = img[..., None]
    if tuple(img.shape[:2]) == tuple(size):
        return img
    mode = Image.NEAREST if nearest else Image.BILINEAR
    chans = [np.asarray(Image.fromarray(img[..., c]).resize((size[1], size[0]), mode)) for c in range(img.shape[-1])]
    return np.stack(chans, axis=-1)
