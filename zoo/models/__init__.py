"""Every model family of the zoo. Importing this module registers all models and all custom
layers, so `keras.models.load_model` works on any saved zoo model afterwards."""

import os

import keras

from zoo.checks import check_model_file
from zoo.models import lenet  # noqa: F401
from zoo.models import alexnet, resnet, vgg  # noqa: F401
from zoo.models import efficientnet  # noqa: F401
from zoo.models import autoencoder  # noqa: F401
from zoo.models import unet  # noqa: F401
from zoo.models import ssd  # noqa: F401
from zoo.models import preprocessing  # noqa: F401  (ImagePreprocessing, used by transfer models)
from zoo.models import labels  # noqa: F401  (ClassNames, kept in converted models)


def load_model(path, **kwargs):
    """Loads a saved zoo model (a .keras file or a run folder's model.keras); the zoo's layers are
    registered by importing this package, so no custom_objects are needed."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path!r}")
    if os.path.isdir(path):
        candidate = os.path.join(path, "model.keras")
        if not os.path.isfile(candidate):
            raise FileNotFoundError(f"{path!r} is a folder without model.keras (a run folder has one)")
        path = candidate
    if not path.endswith(".keras"):
        raise ValueError(f"expected a .keras file or a run folder. Received: {path!r}")
    return keras.saving.load_model(check_model_file("path", path), **kwargs)


__all__ = ["load_model", "lenet", "alexnet", "resnet", "vgg", "efficientnet", "autoencoder", "unet", "ssd", "preprocessing"]
