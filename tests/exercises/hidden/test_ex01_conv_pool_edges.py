"""Graded edge cases of exercise 1: non-square inputs, overlapping pooling windows, pools of
another size than 2, output sizes that do not divide evenly (references from the visible tests)."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array, expect_equal
from test_ex01_conv_pool import ref_conv, ref_pool  # the visible file's references

MODULE = "ex01_conv_pool"
X = np.arange(35, dtype=float).reshape(5, 7) % 11 - 4.0


@pytest.mark.points(1)
@pytest.mark.hidden
def test_conv_non_square_padded(ex):
    """a 5x7 input, padding 1 on every side, stride 2"""
    k = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 3.0], [2.0, 0.0, -1.0]])
    expect_array(ex("conv2d", X, k, stride=2, padding=1), ref_conv(X, k, 2, 1), "conv2d(5x7 input, 3x3 kernel, stride=2, padding=1)")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_pools_overlapping_and_size_3(ex):
    """max pool 3x3 with stride 2 on 6x8 (windows overlap, the last row and column are left over);
    average pool 3x3 with stride 3"""
    x = np.arange(48, dtype=float).reshape(6, 8) % 7
    expect_array(ex("max_pool2d", x, size=3, stride=2), ref_pool(x, 3, 2, np.max), "max_pool2d(6x8, size=3, stride=2)")
    expect_array(ex("avg_pool2d", X, size=3, stride=3), ref_pool(X, 3, 3, np.mean), "avg_pool2d(5x7, size=3, stride=3)")
