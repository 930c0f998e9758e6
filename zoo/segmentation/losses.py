"""Segmentation losses in keras.ops (every backend), registered so saved models load.

Shapes: `y_true` holds class ids, (B, H, W) or (B, H, W, 1); `y_pred` holds probabilities,
(B, H, W, C) softmax for C >= 2 classes or (B, H, W, 1) sigmoid for a binary mask. Each loss
returns one value per image (Keras then averages over the batch).
"""

from __future__ import annotations

import keras
from keras import ops

EPS = 1e-7


def _targets(y_true, y_pred):
    """y_true as float (B, H, W, C) matching y_pred: one-hot for C >= 2, the 0/1 mask for C = 1."""
    channels = y_pred.shape[-1]
    if len(y_true.shape) == len(y_pred.shape):
        y_true = ops.squeeze(y_true, axis=-1)
    if channels == 1:
        return ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1)
    return ops.one_hot(ops.cast(y_true, "int32"), channels, dtype=y_pred.dtype)


def _per_image(x):
    return ops.mean(ops.reshape(x, (ops.shape(x)[0], -1)), axis=-1)


def soft_dice(y_true, y_pred, smooth=1.0):
    """Soft Dice per image and class, (B, C): (2 sum(p t) + s) / (sum p + sum t + s)."""
    t = _targets(y_true, y_pred)
    axes = (1, 2)
    inter = ops.sum(t * y_pred, axis=axes)
    denom = ops.sum(t, axis=axes) + ops.sum(y_pred, axis=axes)
    return (2.0 * inter + smooth) / (denom + smooth)


def cross_entropy(y_true, y_pred):
    """Pixel-wise binary (C = 1) or categorical cross-entropy, averaged per image, (B,)."""
    t = _targets(y_true, y_pred)
    p = ops.clip(y_pred, EPS, 1.0 - EPS)
    if y_pred.shape[-1] == 1:
        ce = -(t * ops.log(p) + (1.0 - t) * ops.log(1.0 - p))
    else:
        ce = -ops.sum(t * ops.log(p), axis=-1)
    return _per_image(ce)


@keras.saving.register_keras_serializable(package="zoo")
class DiceLoss(keras.losses.Loss):
    """1 - mean soft Dice over classes (Milletari et al. 2016, V-Net, Eq. 1, with smoothing)."""

    def __init__(self, smooth=1.0, name="dice_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        return 1.0 - ops.mean(soft_dice(y_true, y_pred, self.smooth), axis=-1)

    def get_config(self):
        return {**super().get_config(), "smooth": self.smooth}


@keras.saving.register_keras_serializable(package="zoo")
class FocalLoss(keras.losses.Loss):
    """Focal loss -alpha (1 - p_t)^gamma log p_t per pixel (Lin et al. 2017, Eq. 5)."""

    def __init__(self, gamma=2.0, alpha=0.25, name="focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else float(alpha)

    def call(self, y_true, y_pred):
        t = _targets(y_true, y_pred)
        p = ops.clip(y_pred, EPS, 1.0 - EPS)
        if y_pred.shape[-1] == 1:
            p_t = t * p + (1.0 - t) * (1.0 - p)
            a_t = 1.0 if self.alpha is None else t * self.alpha + (1.0 - t) * (1.0 - self.alpha)
        else:
            p_t = ops.sum(t * p, axis=-1, keepdims=True)
            a_t = 1.0 if self.alpha is None else self.alpha
        return _per_image(-a_t * ops.power(1.0 - p_t, self.gamma) * ops.log(p_t))

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="zoo")
class BCEDiceLoss(keras.losses.Loss):
    """Cross-entropy (binary for C = 1, categorical otherwise) + `dice_weight` * Dice loss."""

    def __init__(self, dice_weight=1.0, smooth=1.0, name="bce_dice_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dice_weight = float(dice_weight)
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        dice = 1.0 - ops.mean(soft_dice(y_true, y_pred, self.smooth), axis=-1)
        return cross_entropy(y_true, y_pred) + self.dice_weight * dice

    def get_config(self):
        return {**super().get_config(), "dice_weight": self.dice_weight, "smooth": self.smooth}


LOSSES = {"dice": DiceLoss, "focal": FocalLoss, "bce_dice": BCEDiceLoss}


def get(name, **kwargs):
    """A loss by name: "dice", "focal" or "bce_dice"."""
    if name not in LOSSES:
        raise ValueError(f"`loss` must be one of {', '.join(map(repr, LOSSES))}. Received: loss={name!r}")
    return LOSSES[name](**kwargs)
