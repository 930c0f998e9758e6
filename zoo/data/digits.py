"""scikit-learn's embedded handwritten digits (1,797 real 8x8 images, UCI optdigits test set),
resized for the zoo's models. No download: the data ships inside scikit-learn."""

from __future__ import annotations

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits as _sk_digits
from sklearn.model_selection import train_test_split

from zoo.checks import check_int


def _resize(images, size):
    """Bilinear resize of (N, h, w) float images to (N, size, size), through Pillow."""
    out = np.empty((len(images), size, size), dtype=np.float32)
    for i, img in enumerate(images):
        out[i] = np.asarray(Image.fromarray(img.astype(np.float32), mode="F").resize((size, size), Image.BILINEAR))
    return out


def load_digits(
    size=32,
    *,
    channels=1,
    test_fraction=0.2,
    seed=0,
    classes=None,
    border=None,
):
    """The digits as float32 images in [0, 1], split stratified into train and test.

    Like MNIST in LeNet-5's paper, the digit is resized to `size - 2*border` pixels and padded
    with a blank border (default `size // 16`, 2 pixels at 32x32).

    Args:
        size: output side in pixels (8 keeps the originals), default 32.
        channels: 1 (grayscale) or 3 (the gray value repeated, for RGB models).
        test_fraction: held-out share, stratified by class (default 0.2 = 360 images).
        seed: seed of the split.
        classes: optional list of digit classes to keep (labels are kept as digits).
        border: blank border in pixels; default `size // 16`.

    Returns:
        ((x_train, y_train), (x_test, y_test)) with x of shape (N, size, size, channels)
        and integer labels y of shape (N,).
    """
    check_int("size", size, 8)
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"`test_fraction` must be in (0, 1). Received: test_fraction={test_fraction!r}")
    data = _sk_digits()
    x = data.images.astype(np.float32) / 16.0
    y = data.target.astype(np.int64)
    if classes is not None:
        bad = [c for c in classes if c not in range(10)]
        if bad or not classes:
            raise ValueError(f"`classes` must be a non-empty list of digits 0-9. Received: classes={classes!r}")
        keep = np.isin(y, list(classes))
        x, y = x[keep], y[keep]
    if border is None:
        border = size // 16
    inner = size - 2 * border
    if inner < 4:
        raise ValueError(f"`border`={border} leaves {inner} pixels for the digit at size={size}; use a smaller border")
    if inner != 8:
        x = _resize(x, inner)
    x = np.clip(x, 0.0, 1.0)
    if border:
        x = np.pad(x, ((0, 0), (border, border), (border, border)))
    x = x[..., None]
    if channels == 3:
        x = np.repeat(x, 3, axis=-1)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    return (x_train, y_train), (x_test, y_test)
