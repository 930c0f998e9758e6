"""Class-per-folder image directories, scanned and validated with Pillow before any dataset exists.

Real folders are messy. `keras.utils.image_dataset_from_directory` alone (measured, Keras 3.15)
counts an empty folder as a class, folds nested folders into their parent's class and crashes
mid-epoch on a truncated JPEG. `scan_image_folder` opens and decodes every file first and decides
for each one:

- decodable image, RGB                      -> kept
- grayscale / RGBA / palette / CMYK / 16-bit -> kept, converted to the requested colour mode
  (transparent pixels composited onto white)
- corrupt or truncated image, non-image file, image smaller than `min_size` pixels a side,
  files at the top level, files in nested sub-folders -> skipped, ALL listed in ONE warning line
- a class with a single image                -> kept, named in the same warning (it cannot be in
  both the training and the held-out split)
- a class folder without a usable image, or fewer than 2 classes -> ValueError naming the folder

Extensions are matched case-insensitively (`.JPG`), hidden files (`.DS_Store`) are ignored.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections import Counter

import numpy as np
from PIL import Image

from zoo.data.arrays import ArrayDataset, size_hw

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
COLOR_MODES = ("rgb", "grayscale")


class ImageFolderWarning(UserWarning):
    """Files of an image folder that were skipped (one warning per scan, listing them all)."""


@dataclasses.dataclass
class FolderScan:
    """What `scan_image_folder` found.

    Attributes:
        root: the folder scanned.
        class_names: sorted class sub-folder names (index = label).
        files: usable image paths, sorted by class then name.
        labels: (N,) int labels of `files`.
        sizes: (width, height) of each usable file as stored.
        modes: Pillow mode of each usable file as stored ("RGB", "L", "RGBA", ...).
        skipped: [(path, reason)] for every file left out.
        single: class names with a single usable image.
    """

    root: str
    class_names: list
    files: list
    labels: np.ndarray
    sizes: list
    modes: list
    skipped: list
    single: list

    @property
    def converted(self):
        """Paths whose colour mode is not RGB (converted when loaded)."""
        return [f for f, m in zip(self.files, self.modes) if m != "RGB"]

    def counts(self):
        """{class name: number of usable images}."""
        return {c: int((self.labels == k).sum()) for k, c in enumerate(self.class_names)}

    def summary(self, name=None):
        """One line: classes, images, skipped, colour modes as stored (all are converted to one);
        the folder called `name` where the caller has a name for it (default: the path)."""
        modes = ", ".join(f"{m} {n}" for m, n in Counter(self.modes).most_common())
        return (
            f"{len(self.files)} images in {len(self.class_names)} classes under {name or self.root} "
            f"({len(self.skipped)} skipped; stored colour modes: {modes or 'none'})"
        )


def _check_image(path, min_size):
    """(None, (w, h), mode) for a usable image, else (reason, None, None). Decodes the pixels."""
    try:
        with Image.open(path) as im:
            mode, size = im.mode, im.size
            im.load()  # a full decode: truncated files fail here, not mid-epoch
    except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError, DecompressionBombError...
        detail = " ".join(str(e).split())[:80] or type(e).__name__
        return f"corrupt or truncated ({detail})", None, None
    if min(size) < min_size:
        return f"too small ({size[0]}x{size[1]} < {min_size} px)", None, None
    return None, size, mode


def _short(path, root):
    return os.path.relpath(path, root)


def _named(arg, root):
    return f"{arg}{root}" if arg.endswith(":") else f"{arg}={root!r}"


def scan_image_folder(path, *, min_size=8, warn=True, arg="--data"):
    """Scans `path`/<class>/<image> and validates every file with Pillow.

    Args:
        path: the folder, one sub-folder per class (as `image_dataset_from_directory` expects).
        min_size: int, images with a side smaller than this (pixels) are skipped; default 8.
        warn: emit one `ImageFolderWarning` listing every skipped file and single-image class.
        arg: how errors name the folder (`--data` for zoo transfer, `--dataset folder:` for zoo train).

    Returns:
        A `FolderScan`.

    Raises:
        FileNotFoundError / NotADirectoryError: `path` is missing or not a folder.
        ValueError: a class folder has no usable image, or there are fewer than 2 classes.
    """
    root = os.fspath(path)
    if not os.path.exists(root):
        raise FileNotFoundError(f"{_named(arg, root)}: no such folder (expected DIR/<class>/<image files>)")
    if not os.path.isdir(root):
        raise NotADirectoryError(f"{_named(arg, root)} is a file; pass a folder with one sub-folder per class")
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise ValueError(f"`min_size` must be an integer >= 1. Received: min_size={min_size!r}")
    entries = sorted(e for e in os.listdir(root) if not e.startswith("."))
    class_names = [e for e in entries if os.path.isdir(os.path.join(root, e))]
    skipped = [(os.path.join(root, e), "file at the top level, not in a class folder") for e in entries if e not in class_names]
    files, labels, sizes, modes, empty, single = [], [], [], [], [], []
    for k, name in enumerate(class_names):
        folder = os.path.join(root, name)
        kept = 0
        for entry in sorted(os.listdir(folder)):
            full = os.path.join(folder, entry)
            if entry.startswith("."):
                continue
            if os.path.isdir(full):
                n = sum(len(fs) for _, _, fs in os.walk(full))
                skipped.append((full + os.sep, f"nested folder ({n} files) ignored: its class would be ambiguous"))
                continue
            if not entry.lower().endswith(IMAGE_EXTENSIONS):
                skipped.append((full, "not an image file"))
                continue
            reason, size, mode = _check_image(full, min_size)
            if reason:
                skipped.append((full, reason))
                continue
            files.append(full)
            labels.append(k)
            sizes.append(size)
            modes.append(mode)
            kept += 1
        if kept == 0:
            empty.append(name)
        elif kept == 1:
            single.append(name)
    if warn and (skipped or single):
        parts = []
        if skipped:
            parts.append(f"skipped {len(skipped)} file(s): " + "; ".join(f"{_short(p, root)} ({r})" for p, r in skipped))
        if single:
            parts.append(f"class(es) with a single image (kept, training split only): {', '.join(single)}")
        warnings.warn(f"image folder {root}: " + " | ".join(parts), ImageFolderWarning, stacklevel=2)
    if empty:
        raise ValueError(
            f"{_named(arg, root)}: class folder(s) {', '.join(repr(e) for e in empty)} contain no usable image "
            f"({', '.join(IMAGE_EXTENSIONS)}, at least {min_size} px a side); add images or remove the folder"
        )
    if len(class_names) < 2:
        raise ValueError(
            f"{_named(arg, root)} needs at least 2 class sub-folders with images; found {len(class_names)}"
            + (f" ({class_names[0]!r})" if class_names else "") + ": add a sub-folder of images for each class"
        )
    return FolderScan(
        root=root,
        class_names=class_names,
        files=files,
        labels=np.asarray(labels, dtype=np.int64),
        sizes=sizes,
        modes=modes,
        skipped=skipped,
        single=single,
    )


def list_images(folder):
    """Sorted image files under `folder` (recursively, any case of extension)."""
    found = []
    for root, _, files in os.walk(folder):
        found += [os.path.join(root, f) for f in files if f.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


def read_image(path, size, color_mode="rgb"):
    """One image file as float32 (H, W, C) in [0, 1], C = 3 (rgb) or 1 (grayscale).

    Any Pillow mode is converted: RGBA/LA/transparent palettes are composited onto white, 16-bit
    and float grayscale are scaled to 8 bits. `size` is (height, width) or None (keep).
    """
    with Image.open(path) as im:
        im.load()
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            a = np.asarray(im, dtype=np.float32)
            im = Image.fromarray(np.clip(a / max(float(a.max()), 1.0) * 255.0, 0, 255).astype(np.uint8), "L")
        elif im.mode == "F":
            a = np.asarray(im, dtype=np.float32)
            im = Image.fromarray(np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8), "L")
        if im.mode == "P" and "transparency" in im.info:
            im = im.convert("RGBA")
        if im.mode in ("RGBA", "LA", "PA"):
            rgba = im.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            im = Image.alpha_composite(background, rgba)
        im = im.convert("L" if color_mode == "grayscale" else "RGB")
        if size is not None and im.size != (size[1], size[0]):
            im = im.resize((size[1], size[0]), Image.BILINEAR)
        a = np.asarray(im, dtype=np.float32) / 255.0
    return a[..., None] if a.ndim == 2 else a


def split_indices(labels, *, seed=0, val_fraction=0.1, test_fraction=0.2):
    """{"train", "val", "test": index arrays}, stratified per class and seeded.

    Each class keeps at least one image for training; a class with 1 image is in "train" only.
    """
    labels = np.asarray(labels)
    for arg, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 <= v < 1:
            raise ValueError(f"`{arg}` must be in [0, 1). Received: {arg}={v!r}")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1. Received: val_fraction={val_fraction!r}, test_fraction={test_fraction!r}"
        )
    rng = np.random.default_rng(seed)
    out = {"train": [], "val": [], "test": []}
    for k in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == k))
        n = len(idx)
        n_test = min(int(round(n * test_fraction)), max(n - 1, 0))
        n_val = min(int(round(n * val_fraction)), max(n - 1 - n_test, 0))
        out["test"] += list(idx[:n_test])
        out["val"] += list(idx[n_test : n_test + n_val])
        out["train"] += list(idx[n_test + n_val :])
    return {k: np.sort(np.asarray(v, dtype=np.int64)) for k, v in out.items()}


def load_images(files, size, color_mode="rgb"):
    """float32 (N, H, W, C) in [0, 1] from `files` (validated by a scan first)."""
    c = 1 if color_mode == "grayscale" else 3
    if not files:
        return np.zeros((0, *size, c), np.float32)
    return np.stack([read_image(f, size, color_mode) for f in files]).astype(np.float32)


def load_folder(
    path,
    split="train",
    *,
    image_size=None,
    seed=0,
    channels=3,
    val_fraction=0.1,
    test_fraction=0.2,
    min_size=8,
    scan=None,
    arg="--data",
):
    """One split of PATH/<class>/<image> as a `zoo.data.ArrayDataset` (x float32 in [0, 1]).

    Every file is validated first (`scan_image_folder`); the split is stratified and seeded, so
    "train", "val" and "test" are disjoint for the same `seed`.

    Args:
        path: the folder.
        split: "train", "val", "test" or "all".
        image_size: int or (height, width); default (64, 64).
        seed: seed of the split.
        channels: 3 (RGB) or 1 (grayscale).
        val_fraction, test_fraction: held-out shares per class.
        min_size: smaller images are skipped.
        scan: a `FolderScan` from an earlier scan of `path` (skips rescanning).
    """
    if split not in ("train", "val", "test", "all"):
        raise ValueError(f"`split` must be one of 'train', 'val', 'test', 'all'. Received: split={split!r}")
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")
    size = size_hw(image_size, (64, 64))
    scan = scan or scan_image_folder(path, min_size=min_size, arg=arg)
    if split == "all":
        keep = np.arange(len(scan.files))
    else:
        keep = split_indices(scan.labels, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)[split]
    files = [scan.files[i] for i in keep]
    x = load_images(files, size, "grayscale" if channels == 1 else "rgb")
    return ArrayDataset(
        x=x,
        y=scan.labels[keep],
        task="classification",
        class_names=list(scan.class_names),
        name=f"folder:{scan.root}",
        meta={"split": split, "seed": seed, "files": files, "skipped": [p for p, _ in scan.skipped],
              "source_shape": stored_shape([scan.sizes[i] for i in keep], [scan.modes[i] for i in keep])},
    )


def stored_shape(sizes, modes):
    """The files' own (H, W, C): a side that differs between files is None; C is 1 when every file
    is grey ("L", "I;16", "F", ...), else 3."""
    hs, ws = {h for _, h in sizes}, {w for w, _ in sizes}
    grey = all(m in GREY_MODES for m in modes)
    return (hs.pop() if len(hs) == 1 else None, ws.pop() if len(ws) == 1 else None, 1 if grey else 3)
