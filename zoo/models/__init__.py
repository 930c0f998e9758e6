"""Every model family of the zoo. Importing this module registers all models and all custom
layers, so `keras.models.load_model` works on any saved zoo model afterwards."""

from zoo.models import lenet  # noqa: F401
from zoo.models import alexnet, resnet, vgg  # noqa: F401
from zoo.models import autoencoder  # noqa: F401
from zoo.models import unet  # noqa: F401
from zoo.models import ssd  # noqa: F401

__all__ = ["lenet", "alexnet", "resnet", "vgg", "autoencoder", "unet", "ssd"]
