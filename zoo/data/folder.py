"""Class-per-folder image directories (`folder:PATH`): PATH/<class>/<image>. Loaded with Pillow
into memory; a stratified, seeded train / val / test split."""

from __future__ import annotations

import os

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def list_images(folder):
    """Sorted image files under `folder` (recursively)."""
    found = []
    for root, _, files in os.walk(folder):
        found += [os.path.join(root, f) for f in files if f.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


def read_image(path, size, channels):
    """One image file as float32 (H, W, channels) in [0, 1]."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("L" if channels == 1 else "RGB").resize((size[1], size[0]), Image.BILINEAR)
        a = np.asarray(im, dtype=np.float32) / 255.0
    return a[..., None] if channels == 1 else a


def load_folder(path, split="train", *, image_size=None, seed=0, channels=3, val_fraction=0.1, test_fraction=0.2):
    """PATH/<class>/* images as an ArrayDataset; classes are the sorted sub-folder names."""
    from zoo.data import ArrayDataset, _size_hw

    if not os.path.isdir(path):
        raise FileNotFoundError(f"dataset 'folder:{path}': no such folder (expected PATH/<class>/<image files>)")
    classes = sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)) and not d.startswith("."))
    files, labels = [], []
    for k, c in enumerate(classes):
        imgs = list_images(os.path.join(path, c))
        files += imgs
        labels += [k] * len(imgs)
    if len(classes) < 2 or not files:
        raise ValueError(
            f"dataset 'folder:{path}' needs at least 2 class sub-folders with images "
            f"({', '.join(IMAGE_EXTENSIONS)}); found {len(classes)} folders and {len(files)} images"
        )
    size = _size_hw(image_size, (64, 64))
    labels = np.asarray(labels, np.int64)
    rng = np.random.default_rng(seed)
    which = np.empty(len(files), dtype=object)
    for k in range(len(classes)):  # stratified: each class split on its own
        idx = rng.permutation(np.flatnonzero(labels == k))
        n_test = int(round(len(idx) * test_fraction))
        n_val = int(round(len(idx) * val_fraction))
        which[idx[:n_test]] = "test"
        which[idx[n_test : n_test + n_val]] = "val"
        which[idx[n_test + n_val :]] = "train"
    keep = np.flatnonzero(which == split)
    x = np.stack([read_image(files[i], size, channels) for i in keep]) if len(keep) else np.zeros((0, *size, channels), np.float32)
    return ArrayDataset(
        x=x.astype(np.float32),
        y=labels[keep],
        task="classification",
        class_names=classes,
        name=f"folder:{path}",
        meta={"split": split, "seed": seed, "files": [files[i] for i in keep]},
    )
