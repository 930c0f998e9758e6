# %%
"""Exercise 9 - Transfer learning: freeze the backbone, add a new head, fine-tune.

Given a pretrained `backbone` (a keras.Model mapping images to a feature map):
1. Freeze it (`backbone.trainable = False`) so only the new head learns at first.
2. New head: GlobalAveragePooling2D -> Dropout(0.2) -> Dense(classes, softmax). Call the
   backbone with `training=False`: its BatchNorm layers then stay in inference mode even
   when they are unfrozen later (their statistics belong to the pretraining data).
3. Fine-tune: of the backbone's layers that have weights (its Conv, Dense AND
   BatchNormalization layers: BatchNorm counts among them), take the last `n`; unfreeze those
   except the BatchNormalization layers, which all stay frozen. So on a backbone ending in
   conv2, bn2, n=1 unfreezes nothing and n=2 unfreezes conv2. Recompile with a small learning
   rate (1e-5 here).
"""

import keras
from keras import layers


# %%
def freeze(backbone):
    """Freezes every weight of `backbone`; returns it."""
    raise NotImplementedError


# %%
def build_transfer_model(backbone, classes):
    """Frozen backbone + new head; compiled with Adam(1e-3) and sparse categorical cross-entropy."""
    freeze(backbone)
    # HINT: inputs = keras.Input(backbone.input_shape[1:]); x = backbone(inputs, training=False); ...
    raise NotImplementedError


# %%
def unfreeze_top(model, backbone, n):
    """Unfreezes the last `n` layers of `backbone` that have weights (BatchNorm layers count
    among the `n` but stay frozen) and recompiles `model` with Adam(1e-5); returns model."""
    # HINT: backbone.trainable = True first, then set layer.trainable per layer
    raise NotImplementedError


# %%
def fine_tune_model(backbone, classes, n):
    """build_transfer_model, then unfreeze_top(n) (the graded entry point)."""
    model = build_transfer_model(backbone, classes)
    return unfreeze_top(model, backbone, n)
