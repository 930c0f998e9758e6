"""The MultiBox loss (Liu et al. 2016, §2.2 "Training objective" and "Hard negative mining").

L = (L_conf + alpha L_loc) / N with N the number of positive default boxes in the batch:
L_loc is smooth L1 on the positives' encoded offsets, L_conf softmax cross-entropy on the
positives plus the hardest negatives (highest background loss), at most 3 negatives per
positive and image. An image without objects contributes nothing (no positives, no negatives
mined) and a batch without any positives gives 0, with finite gradients (N is clamped at 1).

Keras compiles one loss per output, so the two halves are two `Loss` objects that share the
normalisation: `ClassLoss` on the "classes" output (targets (B, A) int, 0 = background) and
`BoxLoss` on the "boxes" output, whose targets (B, A, 5) carry the class target in the last
channel so it knows the positives. `zoo.tasks.detection.fit_data` builds both.
"""

from __future__ import annotations

import keras
from keras import ops


def _num_positives(cls_true):
    return ops.maximum(ops.sum(ops.cast(ops.greater(cls_true, 0), "float32")), 1.0)


def smooth_l1(diff, delta=1.0):
    """Huber / smooth L1 of `diff` elementwise (Girshick 2015, Fast R-CNN eq. 3)."""
    a = ops.abs(diff)
    return ops.where(a < delta, 0.5 * a * a / delta, a - 0.5 * delta)


def hard_negative_mask(ce, positive, neg_pos_ratio=3.0):
    """(B, A) bool: the `neg_pos_ratio` x #positives highest-loss negatives of each image.

    Args:
        ce: (B, A) cross-entropy of each default box against its target (background for negatives).
        positive: (B, A) bool.
    """
    ce = ops.stop_gradient(ce)
    num_pos = ops.sum(ops.cast(positive, "int32"), axis=1, keepdims=True)
    num_neg = ops.cast(ops.cast(num_pos, "float32") * neg_pos_ratio, "int32")
    neg_loss = ops.where(positive, -1.0, ce)  # positives rank last (ce >= 0)
    order = ops.argsort(-neg_loss, axis=1)
    rank = ops.argsort(order, axis=1)
    return ops.logical_and(ops.less(rank, num_neg), ops.logical_not(positive))


@keras.saving.register_keras_serializable(package="zoo")
class ClassLoss(keras.losses.Loss):
    """Confidence half of the MultiBox loss: CE on positives + mined negatives, / #positives.

    y_true (B, A) int class targets (0 = background); y_pred (B, A, classes + 1) logits.
    """

    def __init__(self, neg_pos_ratio=3.0, name="multibox_class", reduction="sum", **kwargs):
        super().__init__(name=name, reduction=reduction, **kwargs)
        self.neg_pos_ratio = float(neg_pos_ratio)

    def call(self, y_true, y_pred):
        y_true = ops.cast(ops.reshape(y_true, ops.shape(y_pred)[:-1]), "int32")
        ce = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)  # (B, A)
        positive = ops.greater(y_true, 0)
        keep = ops.logical_or(positive, hard_negative_mask(ce, positive, self.neg_pos_ratio))
        per_image = ops.sum(ops.where(keep, ce, 0.0), axis=1)
        return per_image / _num_positives(y_true)

    def get_config(self):
        return {**super().get_config(), "neg_pos_ratio": self.neg_pos_ratio}


@keras.saving.register_keras_serializable(package="zoo")
class BoxLoss(keras.losses.Loss):
    """Localisation half of the MultiBox loss: smooth L1 on positives, / #positives.

    y_true (B, A, 5): encoded targets (4) and the class target (0 = background); y_pred (B, A, 4).
    """

    def __init__(self, name="multibox_box", reduction="sum", **kwargs):
        super().__init__(name=name, reduction=reduction, **kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        cls_true = y_true[..., 4]
        positive = ops.cast(ops.greater(cls_true, 0), "float32")
        loss = ops.sum(smooth_l1(y_pred - y_true[..., :4]), axis=-1) * positive
        return ops.sum(loss, axis=1) / _num_positives(cls_true)


def multibox_loss(cls_true, box_true, cls_pred, box_pred, *, alpha=1.0, neg_pos_ratio=3.0):
    """The whole loss as one scalar (for custom loops and tests).

    Args:
        cls_true: (B, A) int; box_true: (B, A, 4) encoded targets;
        cls_pred: (B, A, C + 1) logits; box_pred: (B, A, 4).
    """
    box_true5 = ops.concatenate([ops.cast(box_true, "float32"), ops.cast(cls_true, "float32")[..., None]], -1)
    return ClassLoss(neg_pos_ratio)(cls_true, cls_pred) + alpha * BoxLoss()(box_true5, box_pred)
