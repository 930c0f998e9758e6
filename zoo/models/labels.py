"""Class names kept inside a saved model, so a `.keras` file alone says what it predicts."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.preprocessing import ImagePreprocessing


@keras.saving.register_keras_serializable(package="zoo")
class ClassNames(layers.Layer):
    """Identity on the classifier's output whose config holds the class names (index = class).

    Input and output: (B, classes); `names` must have `classes` entries.
    """

    def __init__(self, names, **kwargs):
        super().__init__(**kwargs)
        self.names = [str(n) for n in names]

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != len(self.names):
            raise ValueError(
                f"ClassNames got {len(self.names)} names for an output of {input_shape[-1]} classes. "
                f"Received: names of length {len(self.names)}"
            )

    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "names": list(self.names)}


def model_class_names(model):
    """The names of the model's ClassNames layer (searched in nested models too), or None."""
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, ClassNames):
            return list(layer.names)
    return None


def weights_metadata(model):
    """What a model's weights carry, for transfer: {"preprocessing", "class_names", "pretrained"}.

    A model built with a checkpoint (`weights=`) gives its `checkpoint_info`; a model loaded from
    a `zoo convert` file gives the mode of its "preprocessing" layer and its ClassNames; any other
    model {"preprocessing": None, "class_names": None, "pretrained": False}.
    """
    info = getattr(model, "checkpoint_info", None)
    if info:
        return {k: info[k] for k in ("preprocessing", "class_names", "pretrained")}
    pre = next((l for l in model.layers if isinstance(l, ImagePreprocessing) and l.name == "preprocessing"), None)
    converted = pre is not None and any(hasattr(l, "layers") for l in model.layers)
    return {
        "preprocessing": pre.mode if converted else None,
        "class_names": model_class_names(model),
        "pretrained": converted,
    }
