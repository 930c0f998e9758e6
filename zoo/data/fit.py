"""Fitting a dataset to a model: the one home of the image size, channel count and value range a
model is given, and of the line that says so whenever the data is converted.

Every command that feeds images to a model (train, tune, evaluate, predict, transfer, bench,
convert) asks here. The loaders resize and colour the images themselves where they can (the
digits keep their padded border, folders are read once at the size asked); what a loader cannot
do (a tfds set in the wrong colour, a set that ignores the size, pixels in 0-255) is converted
afterwards, and the line names the dataset's own form and the model's.
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

from zoo.data import load
from zoo.data.arrays import ArrayDataset, size_hw

# Image folders train at most 64 px per side by default: a run on a CPU stays minutes, not
# hours; `image_size` asks for more.
FOLDER_SIDE_CAP = 64
DIGITS_SIDE = 32  # LeNet-5's 32x32, the digits' default for every model that takes it
LOADER_CHANNELS = ("digits", "folder:")  # loaders that colour the images themselves
LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601-2, as Pillow's "L"


def model_input_shape(default_shape, image_size=None, *, min_shape=None, model=None, arg="image_size"):
    """(height, width, channels) of a model built at `image_size` (an int N, or (H, W); None keeps
    `default_shape`), refused below the model's `min_shape`.

    Raises:
        ValueError: `image_size` is not an int or a pair of ints >= 1, or a side is below the minimum.
    """
    h, w = size_hw(image_size, default_shape[:2]) if image_size is not None else tuple(default_shape[:2])
    if min_shape is not None and image_size is not None:
        low_h, low_w = min_shape[:2]
        if (low_h and h < low_h) or (low_w and w < low_w):
            raise ValueError(f"`{arg}` must be at least {low_h}x{low_w} for {model or 'this model'} (its smallest input). "
                             f"Received: {arg}={_text(image_size)}")
    return (h, w, default_shape[-1])


def target(dataset, input_shape, *, min_shape=None, image_size=None, fixed=False):
    """((height, width) or None for the dataset's own size, channels) that `dataset` is fitted to.

    `fixed`: the model exists (evaluate, predict): its input shape wins wherever it is known.
    Otherwise the model is built on the data (train, tune): `image_size` wins; the digits get
    32x32 (or the model's minimum side), image folders the model's default size up to
    `FOLDER_SIDE_CAP` per side, other datasets their own size (raised to the model's minimum).
    The digits and folders are coloured for the model as they are read; other datasets keep
    their own channels (None), which the model is built on.
    """
    h, w, c = input_shape
    if fixed and h is not None and w is not None:
        return (int(h), int(w)), c
    low = tuple(int(v or 1) for v in (min_shape or (1, 1))[:2])
    key = str(dataset).strip()
    if image_size is not None:
        size = size_hw(image_size, None)
    elif key.lower() == "digits":
        size = (max(DIGITS_SIDE, *low),) * 2
    elif key.startswith("folder:"):
        size = tuple(max(lo, min(int(s or FOLDER_SIDE_CAP), FOLDER_SIDE_CAP)) for s, lo in zip((h, w), low))
    else:
        size = None
    return size, c if fixed or key.lower().startswith(LOADER_CHANNELS) else None


def load_fitted(dataset, input_shape, *, splits=("train", "val", "test"), min_shape=None, image_size=None,
                fixed=False, seed=0, data_dir=None, model=None, file=None, scan=None):
    """The `splits` of `dataset`, each fitted to a model of `input_shape` (H, W, C; see `target`):
    sized, coloured and in [0, 1]. Prints one line to `file` (default stdout) when the data is
    converted, naming its own form and the model's (`model`, a name for the line). `scan`: an
    image folder's `FolderScan` made before (the folder is then not scanned again).

    Raises:
        ValueError: the data cannot be fitted (a segmentation or detection set at another size,
            images of 2 or 5 channels).
    """
    size, channels = target(dataset, input_shape, min_shape=min_shape, image_size=image_size, fixed=fixed)
    key = str(dataset).strip()
    kw = {"channels": channels} if channels in (1, 3) and key.lower().startswith(LOADER_CHANNELS) else {}
    if scan is not None:
        kw["scan"] = scan
    out, changes = [], []
    for split in splits:
        ds = load(dataset, split, image_size=size, seed=seed, data_dir=data_dir, **kw)
        before = source_shape(ds)
        ds, _ = fit_arrays(ds, size, channels, min_shape=min_shape)
        if not changes:
            changes = describe(before, tuple(ds.x.shape[1:]), ds.meta.get("source_range"))
        out.append(ds)
    announce(key, changes, model, file)
    return out


def announce(what, changes, model=None, file=None):
    """The one line that says data was converted to fit a model (nothing when `changes` is empty)."""
    if changes:
        print(f"data: {what} {', '.join(changes)} to fit {model or 'the model'}", file=file or sys.stdout, flush=True)


def source_shape(ds):
    """The dataset's own (H, W, C) as its loader recorded it (None for a side that varies), else
    the shape loaded."""
    return tuple(ds.meta.get("source_shape") or ds.x.shape[1:])


def fit_arrays(ds, size, channels, *, min_shape=None):
    """(`ds` with x at `size` (H, W; None keeps it, up to `min_shape`), `channels` and in [0, 1],
    the list of conversions made). A classification set is resized here; a segmentation or
    detection set, whose masks and boxes would have to move with it, is refused instead."""
    x = np.asarray(ds.x)
    made = []
    if x.dtype.kind in "ui" or (x.size and float(x.max()) > 2.0):  # 0-255 pixels, not a rounding overshoot
        x = x.astype(np.float32) / 255.0
        ds.meta["source_range"] = (0, 255)
        made.append("range")
    h, w = x.shape[1:3]
    want = size
    if want is None and min_shape is not None:
        want = (max(h, int(min_shape[0] or 1)), max(w, int(min_shape[1] or 1)))
    if want is not None and (h, w) != tuple(want):
        if ds.task != "classification":
            raise ValueError(f"dataset {ds.name!r} gives {h}x{w} images and the model takes {want[0]}x{want[1]}; its "
                             f"{ds.task} labels cannot be resized with the images: load it at image_size={want}")
        x = resize_images(x, want)
        made.append("size")
    if channels is not None and x.shape[-1] != channels:
        x = convert_channels(x, channels, ds.name)
        made.append("channels")
    if made:
        ds.x = np.ascontiguousarray(x, dtype=np.float32)
    return ds, made


def resize_images(x, size):
    """(N, h, w, C) float images -> (N, *size, C), bilinear, one channel at a time (Pillow's "F")."""
    h, w = size
    out = np.empty((len(x), h, w, x.shape[-1]), np.float32)
    for i, img in enumerate(x):
        for c in range(x.shape[-1]):
            out[i, :, :, c] = np.asarray(Image.fromarray(img[:, :, c].astype(np.float32), "F").resize((w, h), Image.BILINEAR))
    return np.clip(out, 0.0, 1.0)


def convert_channels(x, channels, name="data"):
    """Grey to RGB (repeated), RGB to grey (luminance), RGBA to RGB (alpha dropped)."""
    have = x.shape[-1]
    if have == channels:
        return x
    if have == 1 and channels == 3:
        return np.repeat(x, 3, axis=-1)
    if have in (3, 4) and channels == 1:
        return (x[..., :3] @ LUMA)[..., None]
    if have == 4 and channels == 3:
        return x[..., :3]
    raise ValueError(f"dataset {name!r} has {have}-channel images; the model takes {channels} channel(s) "
                     "and only grey <-> RGB (and RGBA -> RGB) are converted")


def describe(before, after, source_range=None):
    """The conversions from the dataset's own (H, W, C) `before` to `after`, as short phrases
    ("1 → 3 channels", "28×28 → 32×32", "values 0–255 → 0–1"); [] when nothing changed."""
    phrases = []
    if before[-1] != after[-1]:
        phrases.append(f"{before[-1]} → {after[-1]} channel{'' if after[-1] == 1 else 's'}")
    if tuple(before[:2]) != tuple(after[:2]):
        own = f"{before[0]}×{before[1]}" if None not in before[:2] else "images of several sizes"
        phrases.append(f"{own} → {after[0]}×{after[1]}")
    if source_range:
        phrases.append(f"values {source_range[0]}–{source_range[1]} → 0–1")
    return phrases


def _text(image_size):
    return "x".join(map(str, image_size)) if isinstance(image_size, (tuple, list)) else repr(image_size)


__all__ = ["ArrayDataset", "FOLDER_SIDE_CAP", "announce", "describe", "fit_arrays", "load_fitted", "model_input_shape", "target"]
