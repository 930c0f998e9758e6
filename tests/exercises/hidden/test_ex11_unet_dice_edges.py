"""Graded edge cases of exercise 11: two empty masks (IoU 1, not NaN), the soft Dice of empty
probabilities and targets, the class count reaching the U-Net's head."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_close, expect_equal

MODULE = "ex11_unet_dice"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_empty_masks(ex):
    """IoU of two empty masks is 1 (not NaN); soft Dice loss of empty p and t is 0"""
    got = ex("iou", np.zeros((4, 4)), np.zeros((4, 4)))
    expect(got == got, "iou of two empty masks is NaN; define it as 1")
    expect_close(got, 1.0, "iou of two empty masks")
    expect_close(ex("soft_dice_loss", np.zeros((3, 3)), np.zeros((3, 3)), smooth=1.0), 0.0, "soft_dice_loss of empty p and t")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_unet_classes(ex):
    """tiny_unet(..., classes=5): five output channels at the input's size"""
    s = ex("tiny_unet", (8, 8, 2), 5, base=2, probe="model")
    expect_equal(s["output_shape"], [None, 8, 8, 5], "output shape of tiny_unet((8, 8, 2), classes=5)")
