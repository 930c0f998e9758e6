"""A new classification head on a backbone (pooling, dropout, Dense) and the way back to the backbone."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from zoo.checks import check_int
from zoo.models import common
from zoo.models.preprocessing import PREPROCESSING_MODES, ImagePreprocessing


def new_head(
    backbone,
    classes,
    dropout=0.2,
    *,
    preprocessing="none",
    pooling="auto",
    classifier_activation="softmax",
    normalize=False,
    backbone_training=False,
    name=None,
):
    """A classifier on `backbone`: raw [0, 1] images -> preprocessing -> backbone (inference mode)
    -> pooling -> [BatchNormalization] -> dropout -> Dense(classes).

    Args:
        backbone: a Keras model without its top (feature map or feature vector output).
        classes: int >= 2, number of classes.
        dropout: float in [0, 1), dropout before the new Dense layer (default 0.2).
        preprocessing: an `ImagePreprocessing` mode ("none", "tf", "caffe", "torch", "raw255").
        pooling: "avg", "max" or "flatten" for a 4-D feature map; "auto" (default) flattens a
            small map (<= 4,096 values, e.g. LeNet-5's 5x5x16, where position matters) and
            averages a large one (ResNet's 7x7x512).
        classifier_activation: "softmax" (default) or None (logits).
        normalize: put a BatchNormalization layer ("head_norm", momentum 0.9) in the head, before
            the Dense layer: it standardises each feature, as one would before a linear classifier.
            Features whose scale is arbitrary (an autoencoder's dense code) need it; default False.
        backbone_training: call the backbone in training mode during fit (its BatchNormalization
            learns batch statistics): for a backbone trained from random init, default False.
        name: model name; default "<backbone>_transfer".

    Returns:
        A Functional model (B, H, W, C) -> (B, classes); the backbone is its nested layer
        (`backbone_of(model)`), the new Dense layer is named "predictions".
    """
    if not isinstance(backbone, keras.Model):
        raise TypeError(f"`backbone` must be a Keras model. Received: backbone of type {type(backbone).__name__}")
    check_int("classes", classes, 2)
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
    common.check_one_of("preprocessing", preprocessing, tuple(PREPROCESSING_MODES))
    common.check_one_of("pooling", pooling, ("auto", "avg", "max", "flatten"))
    inputs = keras.Input(shape=backbone.input_shape[1:], name="image")
    x = inputs if preprocessing == "none" else ImagePreprocessing(preprocessing, name="preprocessing")(inputs)
    # BatchNormalization of a pretrained backbone stays in inference mode (its statistics are task A's);
    # a backbone trained from random init normalises with batch statistics like any network.
    x = backbone(x) if backbone_training else backbone(x, training=False)
    if len(x.shape) == 4:
        if pooling == "auto":
            size = None if None in x.shape[1:] else int(np.prod(x.shape[1:]))
            pooling = "flatten" if size is not None and size <= 4096 else "avg"
        pool = {"avg": layers.GlobalAveragePooling2D, "max": layers.GlobalMaxPooling2D, "flatten": layers.Flatten}[pooling]
        x = pool(name="head_pool")(x)
    elif len(x.shape) != 2:
        x = layers.Flatten(name="head_pool")(x)
    if normalize:
        x = layers.BatchNormalization(momentum=0.9, name="head_norm")(x)
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, outputs, name=name or f"{backbone.name}_transfer")


def backbone_of(model):
    """The nested backbone of a `new_head` model."""
    nested = [l for l in model.layers if isinstance(l, keras.Model)]
    if len(nested) != 1:
        raise ValueError(f"model {model.name!r} has {len(nested)} nested models; expected one backbone (a `new_head` model)")
    return nested[0]
