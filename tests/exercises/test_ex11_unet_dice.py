"""Graded: exercise 11, Dice/IoU and a tiny U-Net (references computed here)."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array, expect_close, expect_equal, layers_of

MODULE = "ex11_unet_dice"
RNG = np.random.default_rng(0)
A = RNG.random((12, 12)) > 0.5
B = RNG.random((12, 12)) > 0.6


@pytest.mark.points(2)
def test_dice(ex):
    """2|A n B| / (|A| + |B|)"""
    expect_close(ex("dice", A, B), 2 * (A & B).sum() / (A.sum() + B.sum()), "dice(A, B)")
    expect_close(ex("dice", A, A), 1.0, "dice(A, A)")
    expect_close(ex("dice", np.zeros((3, 3)), np.zeros((3, 3))), 1.0, "dice of two empty masks")


@pytest.mark.points(2)
def test_iou(ex):
    """|A n B| / |A u B|"""
    expect_close(ex("iou", A, B), (A & B).sum() / (A | B).sum(), "iou(A, B)")
    expect_close(ex("iou", A, ~A), 0.0, "iou of disjoint masks")


@pytest.mark.points(1)
def test_soft_dice_loss(ex):
    """1 - (2 sum(pt) + s) / (sum p + sum t + s)"""
    p = RNG.random((8, 8))
    t = (RNG.random((8, 8)) > 0.5).astype(float)
    expect_close(ex("soft_dice_loss", p, t, smooth=1.0), 1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1), "soft_dice_loss(p, t, smooth=1)")


@pytest.mark.points(3)
def test_tiny_unet(ex):
    """16x16x1 -> 16x16x3 softmax, two skip concatenations"""
    x = RNG.random((2, 16, 16, 1)).astype("float32")
    s = ex("tiny_unet", (16, 16, 1), 3, base=4, probe="model", probe_kwargs={"x": x})
    expect_equal(s["output_shape"], [None, 16, 16, 3], "tiny_unet output shape (same H, W as the input, one channel per class)")
    cats = layers_of(s, "Concatenate")
    expect_equal(len(cats), 2, "number of skip connections (Concatenate layers)")
    expect_equal(sorted(c["output_shape"][1] for c in cats), [8, 16], "resolutions of the skip concatenations")
    expect_array(np.asarray(s["pred"]).sum(axis=-1), np.ones((2, 16, 16)), "per-pixel class probabilities sum", atol=1e-4)
