"""Graded, hidden: exercise 1 against the references of the visible tests over generated inputs
(zoo.grading.differential): any shape of input and kernel the docstring allows, square or not,
every stride and padding, windows all negative or all large."""

import numpy as np
import pytest
from hypothesis import strategies as st

from zoo.grading.differential import differential, floats, matrices, same, shifted
from test_ex01_conv_pool import ref_conv, ref_pool

MODULE = "ex01_conv_pool"


@st.composite
def conv_cases(draw):
    x = draw(shifted(matrices(1, 7)))
    padding, stride = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    kh = draw(st.integers(1, x.shape[0] + 2 * padding))
    kw = draw(st.integers(1, x.shape[1] + 2 * padding))
    return x, draw(matrices(shape=(kh, kw), elements=floats(-10, 10))), stride, padding


@st.composite
def pool_cases(draw):
    x = draw(shifted(matrices(1, 8)))
    size = draw(st.integers(1, min(x.shape)))
    return x, size, draw(st.integers(1, 3))


@pytest.mark.points(1)
@pytest.mark.hidden
def test_output_size_over_its_domain(ex):
    """output_size for every n, k <= n + 2p, stride 1-5 and padding 0-3"""
    def check(case):
        n, p, s, k = case
        same(ex, "output_size", (n, k, s, p), want=(n + 2 * p - k) // s + 1)
    differential(st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, 3), st.integers(1, 5)))
                 .flatmap(lambda t: st.tuples(*map(st.just, t), st.integers(1, t[0] + 2 * t[1]))), check, max_examples=60)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_conv_any_kernel_shape_stride_padding(ex):
    """conv2d on inputs and kernels of any shape (non-square kernels), strides 1-3, padding 0-2"""
    def check(case):
        x, k, s, p = case
        same(ex, "conv2d", (x, k), {"stride": s, "padding": p}, want=ref_conv(x, k, s, p), rtol=1e-7, atol=1e-6)
    differential(conv_cases(), check, max_examples=60)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_max_pool_any_window(ex):
    """max_pool2d on any input (windows all negative too), sizes and strides"""
    def check(case):
        x, size, s = case
        same(ex, "max_pool2d", (x,), {"size": size, "stride": s}, want=ref_pool(x, size, s, np.max))
    differential(pool_cases(), check, max_examples=60)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_avg_pool_any_window(ex):
    """avg_pool2d on any input, sizes and strides"""
    def check(case):
        x, size, s = case
        same(ex, "avg_pool2d", (x,), {"size": size, "stride": s}, want=ref_pool(x, size, s, np.mean), rtol=1e-7, atol=1e-6)
    differential(pool_cases(), check, max_examples=60)
