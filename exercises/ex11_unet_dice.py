# %%
"""Exercise 11 - U-Net segmentation with Dice and IoU.

Overlap metrics of binary masks A (truth) and B (prediction):
* Dice = 2 |A n B| / (|A| + |B|)
* IoU (Jaccard) = |A n B| / |A u B| = |A n B| / (|A| + |B| - |A n B|)
Both are 1 for a perfect match; define them as 1 when both masks are empty. A soft Dice loss
uses probabilities instead of 0/1: 1 - (2 sum(p t) + s) / (sum(p) + sum(t) + s).

A tiny U-Net (Ronneberger et al. 2015): an encoder that halves the resolution twice, a
bottleneck, and a decoder that doubles it back, CONCATENATING each decoder map with the
encoder map of the same resolution (skip connections), then a 1x1 conv with a softmax over
classes, so the output has the input's height and width.
"""

import keras
import numpy as np
from keras import layers


# %%
def dice(a, b):
    """Dice coefficient of two binary masks (any shape)."""
    a, b = np.asarray(a).astype(bool), np.asarray(b).astype(bool)
    # HINT: np.logical_and(a, b).sum()
    raise NotImplementedError


# %%
def iou(a, b):
    """Intersection over union of two binary masks."""
    a, b = np.asarray(a).astype(bool), np.asarray(b).astype(bool)
    raise NotImplementedError


# %%
def soft_dice_loss(probs, targets, smooth=1.0):
    """1 - soft Dice of probabilities and 0/1 targets."""
    p, t = np.asarray(probs, float), np.asarray(targets, float)
    raise NotImplementedError


# %%
def conv_block(x, filters):
    """Two 3x3 same convs with ReLU (given)."""
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)


# %%
def tiny_unet(input_shape=(16, 16, 1), classes=2, base=4):
    """A 2-level U-Net: conv_block(base) -> pool -> conv_block(2 base) -> pool ->
    conv_block(4 base) -> up + concat -> conv_block(2 base) -> up + concat -> conv_block(base)
    -> Conv2D(classes, 1, softmax). Upsample with Conv2DTranspose(f, 2, strides=2)."""
    inputs = keras.Input(input_shape)
    # HINT: keep e1, e2 (the encoder outputs) for the layers.Concatenate() skips
    raise NotImplementedError
    return keras.Model(inputs, outputs, name="tiny_unet")
