"""Graded, hidden (never in the student release): exercise 1, the tests students see only after
publication. Helpers and MODULE come from the visible tests/exercises/test_ex01_conv_pool.py."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array
from test_ex01_conv_pool import MODULE, ref_conv


@pytest.mark.points(2)
@pytest.mark.hidden
def test_conv_stride_and_padding(ex):
    """random 7x6 input, 3x3 kernel, stride 2, padding 1"""
    rng = np.random.default_rng(1)
    x, k = rng.normal(size=(7, 6)), rng.normal(size=(3, 3))
    for s, p in [(2, 1), (1, 2), (3, 0)]:
        expect_array(ex("conv2d", x, k, stride=s, padding=p), ref_conv(x, k, s, p), f"conv2d(7x6 input, 3x3 kernel, stride={s}, padding={p})")
