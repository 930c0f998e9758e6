"""What the task modules share: image files read for a model through the one image reader
(`zoo.data.imagefolder.read_image`: RGBA, palette, 16-bit and grey/RGB handled the same way for
every task), and class names looked up safely."""

from __future__ import annotations

import os

from zoo.data.imagefolder import read_image


def color_mode(channels):
    """The reader's colour mode for a model input of `channels` channels (1: grey, else RGB)."""
    return "grayscale" if channels == 1 else "rgb"


def read_for_model(path, model):
    """(pixels sized for `model`'s input (H, W, C), pixels at the file's own size (h, w, C)), float32
    in [0, 1], both through `read_image`: a PNG gives every task the same pixels.

    Raises:
        FileNotFoundError: `path` is not a file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"image file not found: {path!r}")
    h, w, c = model.inputs[0].shape[1:]
    original = read_image(path, None, color_mode(c))
    resized = original if h is None or w is None else read_image(path, (h, w), color_mode(c))
    return resized, original


def class_name(class_names, k):
    """Name of class `k`, or its number when `class_names` has no entry for it."""
    k = int(k)
    return str(class_names[k]) if class_names and 0 <= k < len(class_names) else str(k)
