"""`shapes`: seeded synthetic segmentation scenes — 1 to 4 non-overlapping circles, squares and
triangles of random size, rotation and colour on a textured background, with per-pixel class
masks.

Any image size; every split draws from its own seed (derived from `seed` and the split name),
so train, val and test never share a scene. Pure NumPy: runs anywhere, no download.
"""

from __future__ import annotations

import numpy as np

from zoo.checks import check_int
from zoo.data.arrays import ArrayDataset

CLASS_NAMES = ["background", "circle", "square", "triangle"]
SPLITS = {"train": 0, "val": 1, "test": 2}
DEFAULT_SIZE = 64
DEFAULT_EXAMPLES = {"train": 1000, "val": 200, "test": 200}


def _texture(rng, size):
    """A low-contrast, weakly tinted background: a smooth gradient, stripes and pixel noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = (rng.uniform(0.3, 0.7) + rng.uniform(-0.06, 0.06, 3)).astype(np.float32)
    slope = rng.uniform(-0.15, 0.15, (2, 3)).astype(np.float32)
    img = base + yy[..., None] * slope[0] + xx[..., None] * slope[1]
    angle = rng.uniform(0, np.pi)
    freq = rng.uniform(4, 12)
    stripes = np.sin(2 * np.pi * freq * (np.cos(angle) * xx + np.sin(angle) * yy))
    img += 0.06 * stripes[..., None]
    img += rng.normal(0, 0.03, img.shape).astype(np.float32)
    return img


def _shape_mask(rng, kind, size, yy, xx):
    """Boolean mask of one shape of class `kind` (1 circle, 2 square, 3 triangle)."""
    r = rng.uniform(0.09, 0.2) * size
    cy, cx = rng.uniform(r, size - r, 2)
    if kind == 1:
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    theta = rng.uniform(0, 2 * np.pi)
    dy, dx = yy - cy, xx - cx
    u = np.cos(theta) * dx + np.sin(theta) * dy
    v = -np.sin(theta) * dx + np.cos(theta) * dy
    if kind == 2:
        half = r / np.sqrt(2) * 1.15
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    # equilateral triangle with circumradius r*1.2: inside all three half-planes
    inside = np.ones_like(u, dtype=bool)
    for k in range(3):
        a = theta + np.pi / 2 + k * 2 * np.pi / 3
        inside &= (np.cos(a) * dx + np.sin(a) * dy) <= 0.6 * r
    return inside


def make_scenes(n, *, image_size=DEFAULT_SIZE, seed=0, max_shapes=4):
    """`n` scenes: (images float32 (n, S, S, 3) in [0, 1], masks int32 (n, S, S) in 0..3)."""
    check_int("image_size", image_size, 16)
    check_int("num_examples", n)
    rng = np.random.default_rng(seed)
    size = image_size
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    images = np.empty((n, size, size, 3), np.float32)
    masks = np.zeros((n, size, size), np.int32)
    for i in range(n):
        img = _texture(rng, size)
        mask = masks[i]
        for _ in range(rng.integers(1, max_shapes + 1)):
            kind = int(rng.integers(1, len(CLASS_NAMES)))
            for _try in range(10):  # shapes do not overlap: a scene keeps every shape whole
                m = _shape_mask(rng, kind, size, yy, xx)
                if not (mask[m] > 0).any():
                    break
            else:
                continue
            # a colour that stands out from the local background
            colour = rng.uniform(0, 1, 3).astype(np.float32)
            bg = img[m].mean(axis=0) if m.any() else img.mean(axis=(0, 1))
            while np.abs(colour - bg).max() < 0.35:
                colour = rng.uniform(0, 1, 3).astype(np.float32)
            shade = 1.0 + 0.08 * ((xx - xx.mean()) / size)[..., None]
            img[m] = (colour * shade[m]) + rng.normal(0, 0.02, (int(m.sum()), 3))
            mask[m] = kind
        images[i] = np.clip(img, 0.0, 1.0)
    return images, masks


def split_seed(seed, split):
    """The generator seed of `split` for a dataset `seed` (distinct per split)."""
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {tuple(SPLITS)}. Received: split={split!r}")
    return int(np.random.SeedSequence([int(seed), 7919, SPLITS[split]]).generate_state(1)[0])


def load(split="train", *, image_size=None, seed=0, num_examples=None, max_shapes=4, **kw):
    """The `shapes` split as a `zoo.data.ArrayDataset` (task "segmentation").

    Args:
        split: "train" (1000 scenes), "val" (200) or "test" (200).
        image_size: side in pixels (int or (S, S)); default 64.
        seed: dataset seed; splits use distinct seeds derived from it.
        num_examples: number of scenes (default per split above).
        max_shapes: at most this many shapes per scene (default 4).
        **kw: `max_examples` is taken as `num_examples`; the rest (e.g. data_dir) is ignored.

    Returns:
        ArrayDataset with x (N, S, S, 3) float32 in [0, 1] and y (N, S, S) int32 class ids
        (0 background, 1 circle, 2 square, 3 triangle).
    """
    if isinstance(image_size, (tuple, list)):
        if len(image_size) != 2 or image_size[0] != image_size[1]:
            raise ValueError(f"`image_size` must be an int or a square (S, S). Received: image_size={image_size!r}")
        image_size = image_size[0]
    image_size = DEFAULT_SIZE if image_size is None else image_size
    s = split_seed(seed, split)
    if num_examples is None:  # zoo.data.load's spelling for tfds sets
        num_examples = kw.get("max_examples")
    n = DEFAULT_EXAMPLES[split] if num_examples is None else num_examples
    x, y = make_scenes(n, image_size=image_size, seed=s, max_shapes=max_shapes)
    return ArrayDataset(
        x=x, y=y, task="segmentation", class_names=list(CLASS_NAMES), name="shapes",
        meta={"split": split, "seed": seed, "split_seed": s, "image_size": image_size},
    )
