"""Augmentation as Keras preprocessing layers (active in training only, identity at inference):
flip, rotation, crop (pad + random crop), colour jitter (brightness, contrast)."""

from __future__ import annotations

AUGMENTATIONS = ("flip", "rotation", "crop", "color", "translation", "zoom")


def augmentation(kinds=("flip", "rotation", "crop", "color"), *, image_shape, strength=1.0, seed=None):
    """A `keras.Sequential` of augmentation layers for images of `image_shape` (H, W, C).

    Args:
        kinds: any of AUGMENTATIONS. flip = horizontal flip; rotation = +-0.05 turns x strength;
            crop = a random crop of 80-100 % of each side, resized back to (H, W);
            color = brightness and contrast jitter (+-0.2 x strength);
            translation / zoom = +-8 % / 10 % x strength.
        image_shape: (H, W, C) of the images.
    """
    import keras
    from keras import layers

    bad = [k for k in kinds if k not in AUGMENTATIONS]
    if bad:
        raise ValueError(f"augmentation kinds must be among {', '.join(AUGMENTATIONS)}. Received: {bad!r}")
    h, w, _ = image_shape
    out = []
    for k in kinds:
        if k == "flip":
            out.append(layers.RandomFlip("horizontal", seed=seed, name="flip"))
        elif k == "rotation":
            out.append(layers.RandomRotation(0.05 * strength, fill_mode="constant", seed=seed, name="rotation"))
        elif k == "crop":
            # a random crop of 80-100 % of each side, resized back (zoom in): the image size stays
            out.append(layers.RandomZoom((-0.2 * strength, 0.0), seed=seed, name="crop"))
        elif k == "color":
            out.append(layers.RandomBrightness(0.2 * strength, value_range=(0.0, 1.0), seed=seed, name="brightness"))
            out.append(layers.RandomContrast(0.2 * strength, seed=seed, name="contrast"))
        elif k == "translation":
            out.append(layers.RandomTranslation(0.08 * strength, 0.08 * strength, fill_mode="constant", seed=seed, name="translation"))
        elif k == "zoom":
            out.append(layers.RandomZoom(0.1 * strength, fill_mode="constant", seed=seed, name="zoom"))
    return keras.Sequential([keras.Input(tuple(image_shape)), *out], name="augment")


def default_kinds(dataset_name):
    """What `--augment` applies: digits / mnist-like data are not flip-invariant (a flipped 2 is no
    digit), so they get small rotations, shifts and zoom; photos get flip, crop and colour jitter."""
    if dataset_name in ("digits", "mnist", "fashion_mnist", "kmnist", "emnist", "svhn_cropped"):
        return ("rotation", "translation", "zoom")
    return ("flip", "rotation", "crop", "color")
