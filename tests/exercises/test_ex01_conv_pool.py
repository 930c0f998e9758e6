"""Graded: exercise 1, convolution and pooling by hand. References are computed here with an
independent NumPy implementation (sliding_window_view) and the slide's own numbers."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array, expect_equal

MODULE = "ex01_conv_pool"
SLIDE_INPUT = np.array([[6, 5, 5, 5], [3, 2, 6, 8], [4, 3, 3, 2], [3, 2, 9, 6]], dtype=float)
SLIDE_KERNEL = np.array([[2, 4], [-5, 1]], dtype=float)


def ref_conv(x, k, stride=1, padding=0):
    x = np.pad(np.asarray(x, float), padding)
    win = np.lib.stride_tricks.sliding_window_view(x, k.shape)[::stride, ::stride]
    return np.einsum("ijkl,kl->ij", win, k)


def ref_pool(x, size, stride, op):
    win = np.lib.stride_tricks.sliding_window_view(np.asarray(x, float), (size, size))[::stride, ::stride]
    return op(win, axis=(2, 3))


@pytest.mark.points(1)
def test_output_size(ex):
    """output side = floor((n + 2p - k) / s) + 1"""
    for n, k, s, p in [(4, 2, 1, 0), (32, 5, 1, 0), (7, 3, 2, 1), (224, 11, 4, 2), (6, 3, 2, 0)]:
        expect_equal(ex("output_size", n, k, s, p), (n + 2 * p - k) // s + 1, f"output_size(n={n}, k={k}, stride={s}, padding={p})")


@pytest.mark.points(2)
def test_conv_slide_example(ex):
    """the lecture's worked example: y11 = 19, y21 = 26"""
    got = expect_array(ex("conv2d", SLIDE_INPUT, SLIDE_KERNEL), ref_conv(SLIDE_INPUT, SLIDE_KERNEL), "conv2d(slide input, slide kernel)")
    expect_equal(float(got[0, 0]), 19.0, "y11 of the slide (row 0, column 0)")
    expect_equal(float(got[0, 1]), 26.0, "y21 of the slide (row 0, column 1)")


@pytest.mark.points(1)
def test_max_pool_slide_example(ex):
    """max pooling 2x2 stride 2 of the slide's map gives [[6, 8], [4, 9]]"""
    expect_array(ex("max_pool2d", SLIDE_INPUT), np.array([[6.0, 8.0], [4.0, 9.0]]), "max_pool2d(slide input)")
    x = np.random.default_rng(2).normal(size=(7, 9))
    expect_array(ex("max_pool2d", x, size=3, stride=2), ref_pool(x, 3, 2, np.max), "max_pool2d(7x9 input, size=3, stride=2)")


@pytest.mark.points(1)
def test_avg_pool(ex):
    """average pooling 2x2 stride 2 of the slide's map gives [[4, 6], [3, 5]]"""
    expect_array(ex("avg_pool2d", SLIDE_INPUT), np.array([[4.0, 6.0], [3.0, 5.0]]), "avg_pool2d(slide input)")
    x = np.random.default_rng(3).normal(size=(6, 8))
    expect_array(ex("avg_pool2d", x, size=2, stride=1), ref_pool(x, 2, 1, np.mean), "avg_pool2d(6x8 input, size=2, stride=1)")
