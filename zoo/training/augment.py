"""Augmentation, in one home: Keras preprocessing layers (active in training only, identity at
inference), grouped into named presets with documented strengths.

Every caller builds its augmentation here (`zoo train --augment`, `zoo demo`, the tuner's
`augment` hyperparameter, the transfer encoder's pretraining), so "strength 1" means the same
rotation, shift and zoom everywhere. At strength 1:

| kind        | what                                                     |
|-------------|----------------------------------------------------------|
| flip        | horizontal flip, probability 0.5                         |
| rotation    | +-0.05 turn (+-18 degrees)                               |
| translation | +-8 % of each side                                       |
| zoom        | +-10 % of each side                                      |
| crop        | a random crop of 80-100 % of each side, resized back     |
| color       | brightness and contrast jitter +-0.2                     |
| noise       | Gaussian pixel noise, standard deviation 0.1             |

Every amount scales linearly with `strength` (0.5 halves them; the flip probability does not scale).
"""

from __future__ import annotations

import keras
from keras import layers

from zoo.checks import check_number

AUGMENTATIONS = ("flip", "rotation", "crop", "color", "translation", "zoom", "noise")

# preset name -> (kinds, what it is for)
PRESETS = {
    "geometric": (
        ("rotation", "translation", "zoom"),
        "small rotations, shifts and zoom: digits and other data a flip would change the meaning of",
    ),
    "photo": (
        ("flip", "rotation", "crop", "color"),
        "flip, rotation, crop and colour jitter: photos of objects",
    ),
    "noise": (
        ("noise",),
        "Gaussian pixel noise only: masks, boxes and reconstruction targets stay aligned with the image",
    ),
}

# datasets whose classes a horizontal flip changes (a flipped 2 is no digit)
FLIP_SENSITIVE = ("digits", "mnist", "fashion_mnist", "kmnist", "emnist", "svhn_cropped")


def augmentation(kinds="photo", *, image_shape, strength=1.0, seed=None, name="augment"):
    """A `keras.Sequential` of augmentation layers for images of `image_shape` (H, W, C).

    Args:
        kinds: a preset name (one of PRESETS: "geometric", "photo", "noise") or a sequence of
            AUGMENTATIONS; the module docstring gives each kind's amount at strength 1.
        image_shape: (H, W, C) of the images.
        strength: number >= 0 scaling every amount (default 1.0).
        seed: seed of the random layers (default None).
        name: name of the Sequential (default "augment").

    Raises:
        ValueError: an unknown preset or kind, or a negative strength.
    """
    if isinstance(kinds, str):
        if kinds not in PRESETS:
            raise ValueError(f"`kinds` must be a preset ({', '.join(PRESETS)}) or a sequence of "
                             f"{', '.join(AUGMENTATIONS)}. Received: kinds={kinds!r}")
        kinds = PRESETS[kinds][0]
    bad = [k for k in kinds if k not in AUGMENTATIONS]
    if bad:
        raise ValueError(f"augmentation kinds must be among {', '.join(AUGMENTATIONS)}. Received: {bad!r}")
    s = check_number("strength", strength, low=0)
    out = []
    for k in kinds:
        if k == "flip":
            out.append(layers.RandomFlip("horizontal", seed=seed, name="flip"))
        elif k == "rotation":
            out.append(layers.RandomRotation(0.05 * s, fill_mode="constant", seed=seed, name="rotation"))
        elif k == "crop":
            # a random crop of 80-100 % of each side, resized back (zoom in): the image size stays
            out.append(layers.RandomZoom((-0.2 * s, 0.0), seed=seed, name="crop"))
        elif k == "color":
            out.append(layers.RandomBrightness(0.2 * s, value_range=(0.0, 1.0), seed=seed, name="brightness"))
            out.append(layers.RandomContrast(0.2 * s, seed=seed, name="contrast"))
        elif k == "translation":
            out.append(layers.RandomTranslation(0.08 * s, 0.08 * s, fill_mode="constant", seed=seed, name="translation"))
        elif k == "zoom":
            out.append(layers.RandomZoom(0.1 * s, fill_mode="constant", seed=seed, name="zoom"))
        elif k == "noise":
            out.append(layers.GaussianNoise(0.1 * s, seed=seed, name="noise"))
    return keras.Sequential([keras.Input(tuple(image_shape)), *out], name=name)


def preset_for(dataset_name):
    """The preset `zoo train --augment` applies to `dataset_name`: "geometric" for digit-like data
    (not flip-invariant), "photo" otherwise."""
    return "geometric" if dataset_name in FLIP_SENSITIVE else "photo"


def default_kinds(dataset_name):
    """The kinds of `preset_for(dataset_name)`."""
    return PRESETS[preset_for(dataset_name)][0]
