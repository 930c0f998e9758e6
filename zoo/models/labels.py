"""What a saved model says of itself, kept inside its `.keras` file: the class names it predicts
(ClassNames) and the checkpoint its weights came from (CheckpointRecord)."""

from __future__ import annotations

import json

import keras
from keras import layers

from zoo.weights import Weights


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


@keras.saving.register_keras_serializable(package="zoo")
class CheckpointRecord(layers.Layer):
    """Identity on a model's output whose config holds what `zoo.checkpoints.load_checkpoint`
    returned for the checkpoint its weights came from: the `Weights` record, the file's format and
    name, the tensors loaded and skipped, the preprocessing and class names.

    A model built or converted from a checkpoint ends in one (named "checkpoint"), so the saved
    and reloaded model still reports them (`checkpoint_info`).
    """

    def __init__(self, checkpoint, **kwargs):
        kwargs.setdefault("name", "checkpoint")
        super().__init__(**kwargs)
        # kept as JSON text: a plain dict attribute of a Keras layer becomes a tracked structure
        self._checkpoint = json.dumps(checkpoint, sort_keys=True)

    @property
    def checkpoint(self):
        return json.loads(self._checkpoint)

    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "checkpoint": self.checkpoint}


def checkpoint_info(model):
    """What the checkpoint behind `model`'s weights carries (its CheckpointRecord, searched in
    nested models too), with "weights" as a `Weights` record; None for a model without one."""
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, CheckpointRecord):
            info = layer.checkpoint
            return {**info, "weights": Weights.from_config(info["weights"])}
    return None


def weights_metadata(model):
    """What a model's weights carry, for transfer: {"preprocessing", "class_names", "pretrained"}.

    A model built from a checkpoint (`weights=`), or loaded from a `zoo convert` file, gives its
    checkpoint's preprocessing and class names (a ClassNames layer's first); any other model
    {"preprocessing": None, "class_names": its ClassNames or None, "pretrained": False}.
    """
    info = checkpoint_info(model)
    names = model_class_names(model)
    if info is None:
        return {"preprocessing": None, "class_names": names, "pretrained": False}
    return {"preprocessing": info["preprocessing"], "class_names": names or info["class_names"], "pretrained": True}
