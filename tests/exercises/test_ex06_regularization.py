"""Graded: exercise 6, regularization (L2, dropout, augmentation, early stopping)."""

import numpy as np
import pytest

from zoo.grading.canonical import layer_sequence
from zoo.grading.checks import expect, expect_close, expect_equal, layers_of

MODULE = "ex06_regularization"


@pytest.mark.points(1)
def test_l2_penalty(ex):
    """lam * sum(w^2)"""
    ks = [np.arange(6.0).reshape(2, 3), np.ones((4,))]
    expect_close(ex("l2_penalty", ks, 0.01), 0.01 * (55 + 4), "l2_penalty([arange(6), ones(4)], lam=0.01)")


@pytest.mark.points(2)
def test_regularized_mlp(ex):
    """hidden layers carry L2 and are followed by Dropout"""
    s = ex("regularized_mlp", 20, 3, hidden=(16, 8), l2=1e-3, dropout=0.25, probe="model")
    dense = layers_of(s, "Dense")
    drops = layers_of(s, "Dropout")
    expect_equal(len(dense), 3, "Dense layers (2 hidden + output)")
    expect_equal([round(d["rate"], 6) for d in drops], [0.25, 0.25], "Dropout rates after the hidden layers")
    for d in dense[:2]:
        reg = d.get("kernel_regularizer")
        expect(reg is not None, f"hidden layer {d['name']} has no kernel_regularizer")
        expect_close(reg["config"].get("l2", 0.0), 1e-3, f"L2 factor of {d['name']}")
    order = [l["class"] for l in layer_sequence(s)]  # an InputLayer and separate activation layers are the same MLP
    expect(order == ["Dense", "Dropout", "Dense", "Dropout", "Dense"], f"layer order should be Dense, Dropout, Dense, Dropout, Dense; got {order}")
    expect_equal(s["output_shape"], [None, 3], "output shape")


@pytest.mark.points(2)
def test_augment(ex):
    """flips and shifts keep shape, content and stay deterministic"""
    rng = np.random.default_rng(0)
    x = rng.random((32, 8, 8, 1)).astype("float32")
    a = ex("augment", x, seed=1, max_shift=2)
    b = ex("augment", x, seed=1, max_shift=2)
    expect_equal(a.shape, x.shape, "augment output shape")
    expect(np.array_equal(a, b), "augment is not deterministic for a fixed seed")
    changed = np.mean([not np.array_equal(a[i], x[i]) for i in range(32)])
    expect(changed > 0.5, f"only {changed:.0%} of the images changed")
    # every output pixel is zero fill or an input pixel of the same (possibly flipped) image
    for i in range(32):
        vals = set(np.round(x[i].ravel(), 6)) | {0.0}
        expect(set(np.round(a[i].ravel(), 6)) <= vals, f"image {i}: augmented pixels are not taken from the image")
    flipped = [np.array_equal(ex("augment", x[:1] * 0 + np.arange(8.0)[None, None, :, None], seed=s, max_shift=0)[0, 0, :, 0], np.arange(8.0)[::-1]) for s in range(6)]
    expect(any(flipped), "no image was flipped left-right in 6 seeds (max_shift=0)")
    expect(not all(flipped), "every image was flipped (should be with probability 1/2)")


@pytest.mark.points(2)
def test_early_stopping(ex):
    """stops after `patience` epochs without improvement, restores the best"""
    losses = [1.0, 0.8, 0.7, 0.72, 0.71, 0.69, 0.75, 0.76, 0.77, 0.5]
    expect_equal(tuple(ex("early_stopping", losses, patience=3)), (8, 5), "early_stopping(losses, patience=3) -> (stop_epoch, best_epoch)")
    expect_equal(tuple(ex("early_stopping", losses, patience=5)), (9, 9), "early_stopping(losses, patience=5)")
    expect_equal(tuple(ex("early_stopping", [0.5, 0.6, 0.4], patience=1)), (1, 0), "early_stopping([0.5, 0.6, 0.4], patience=1)")
