"""Segmentation metrics: a streaming Keras `MeanIoU` for `compile`, and NumPy functions for
held-out evaluation (confusion matrix, IoU and Dice per class).

A class that appears neither in the truth nor in the prediction has no IoU; it is left out of
the mean (as keras.metrics.MeanIoU does).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def predicted_labels(probabilities, threshold=0.5):
    """Class ids from probabilities: argmax over C >= 2 channels, `p > threshold` for C = 1."""
    p = np.asarray(probabilities)
    if p.shape[-1] == 1:
        return (p[..., 0] > threshold).astype(np.int32)
    return p.argmax(axis=-1).astype(np.int32)


def confusion_matrix(y_true, y_pred, classes):
    """(classes, classes) pixel counts, rows = true class, columns = predicted class."""
    t = np.asarray(y_true).astype(np.int64).ravel()
    p = np.asarray(y_pred).astype(np.int64).ravel()
    return np.bincount(t * classes + p, minlength=classes * classes).reshape(classes, classes)


def iou_per_class(cm):
    """IoU = TP / (TP + FP + FN) per class; NaN for a class absent from truth and prediction."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, tp / np.maximum(denom, 1e-12), np.nan)


def dice_per_class(cm):
    """Dice = 2 TP / (2 TP + FP + FN) per class; NaN for a class absent from both."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.maximum(denom, 1e-12), np.nan)


def mean_iou(y_true, y_pred, classes):
    """Mean IoU over the classes present in truth or prediction (y_* are class-id arrays)."""
    return float(np.nanmean(iou_per_class(confusion_matrix(y_true, y_pred, classes))))


@keras.saving.register_keras_serializable(package="zoo")
class MeanIoU(keras.metrics.Metric):
    """Streaming mean IoU from probabilities (softmax (B,H,W,C) or sigmoid (B,H,W,1)).

    Args:
        num_classes: number of classes (2 for a sigmoid output).
        threshold: for a sigmoid output, the probability above which a pixel is foreground.
    """

    def __init__(self, num_classes, threshold=0.5, name="mean_iou", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = int(num_classes)
        self.threshold = float(threshold)
        self.cm = self.add_variable(
            shape=(self.num_classes, self.num_classes), initializer="zeros", name="confusion", dtype="float32"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, axis=-1)
        if y_pred.shape[-1] == 1:
            pred = ops.cast(y_pred[..., 0] > self.threshold, "int32")
        else:
            pred = ops.argmax(y_pred, axis=-1)
        t = ops.one_hot(ops.reshape(ops.cast(y_true, "int32"), (-1,)), self.num_classes, dtype="float32")
        p = ops.one_hot(ops.reshape(ops.cast(pred, "int32"), (-1,)), self.num_classes, dtype="float32")
        self.cm.assign(self.cm + ops.matmul(ops.transpose(t), p))

    def result(self):
        cm = ops.convert_to_tensor(self.cm)
        tp = ops.diagonal(cm)
        denom = ops.sum(cm, axis=0) + ops.sum(cm, axis=1) - tp
        present = ops.cast(denom > 0, "float32")
        iou = tp / ops.maximum(denom, 1e-12)
        return ops.sum(iou * present) / ops.maximum(ops.sum(present), 1.0)

    def reset_state(self):
        self.cm.assign(ops.zeros((self.num_classes, self.num_classes), dtype="float32"))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes, "threshold": self.threshold}
