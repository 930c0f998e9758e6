"""Graded: exercise 8, VGG and ResNet blocks (shapes and parameter counts from the papers' formulas)."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_equal, layers_of, weighted_layers

MODULE = "ex08_vgg_resnet_blocks"


def vgg_params(c_in, f, convs):
    return sum((9 * (c_in if i == 0 else f) + 1) * f for i in range(convs))


def res_params(c_in, f, stride):
    p = 9 * c_in * f + 9 * f * f + 8 * f
    return p + (c_in * f + 4 * f if stride != 1 or c_in != f else 0)


@pytest.mark.points(2)
def test_vgg_block(ex):
    """16x16x3 -> 8x8x32, 2 convs: 10,144 parameters"""
    s = ex("vgg_block", 32, convs=2, probe="block", probe_kwargs={"input_shape": (16, 16, 3)})
    expect_equal(s["output_shape"], [None, 8, 8, 32], "vgg_block(16x16x3 input, 32 filters) output shape")
    expect_equal(s["params"], vgg_params(3, 32, 2), "vgg_block parameters")
    convs = weighted_layers(s, "Conv2D")  # a conv's own ReLU or a ReLU layer after it
    expect(all(c["effective_activation"] == "relu" for c in convs),
           f"every conv of the VGG block needs a ReLU, got {[(c['name'], c['effective_activation']) for c in convs]}")
    s3 = ex("vgg_block", 8, convs=3, probe="block", probe_kwargs={"input_shape": (8, 8, 4)})
    expect_equal(s3["output_shape"], [None, 4, 4, 8], "vgg_block(8x8x4, 8 filters, 3 convs) output shape")


@pytest.mark.points(1)
def test_vgg_block_params_by_hand(ex):
    """(9 c_in + 1) c_out per conv"""
    for args in [(3, 64, 2), (128, 256, 3)]:
        expect_equal(ex("vgg_block_params", *args), vgg_params(*args), f"vgg_block_params{args}")


@pytest.mark.points(2)
def test_residual_block_identity(ex):
    """stride 1, same channels: identity shortcut"""
    s = ex("residual_block", 8, stride=1, probe="block", probe_kwargs={"input_shape": (8, 8, 8),
           "x": np.random.default_rng(0).normal(size=(2, 8, 8, 8)).astype("float32")})
    expect_equal(s["output_shape"], [None, 8, 8, 8], "residual_block(8x8x8, 8 filters, stride 1) output shape")
    expect_equal(s["params"], res_params(8, 8, 1), "residual_block(8 -> 8, stride 1) parameters")
    expect(len(layers_of(s, "Add")) == 1, "the block must add the shortcut (one Add layer)")
    expect(float(np.min(s["pred"])) >= 0.0, "the block's output must pass through a final ReLU (found negative values)")


@pytest.mark.points(3)
def test_residual_block_downsampling(ex):
    """stride 2, 8 -> 16 channels: projection shortcut, stride in the first conv"""
    s = ex("residual_block", 16, stride=2, probe="block", probe_kwargs={"input_shape": (8, 8, 8)})
    expect_equal(s["output_shape"], [None, 4, 4, 16], "residual_block(8x8x8, 16 filters, stride 2) output shape")
    expect_equal(s["params"], res_params(8, 16, 2), "residual_block(8 -> 16, stride 2) parameters (with the 1x1 projection)")
    convs = layers_of(s, "Conv2D")
    three = [c for c in convs if c["kernel_size"] == [3, 3]]
    expect(len(three) == 2 and three[0]["strides"] == [2, 2] and three[1]["strides"] == [1, 1],
           f"the 3x3 convs' strides should be [2, 2] then [1, 1], got {[c['strides'] for c in three]}")
    expect(all(not c["use_bias"] for c in convs), "convs followed by BatchNorm need no bias (use_bias=False)")


@pytest.mark.points(1)
def test_residual_block_params_by_hand(ex):
    """parameter formula, with and without projection"""
    for args in [(64, 64, 1), (64, 128, 2)]:
        expect_equal(ex("residual_block_params", *args), res_params(*args), f"residual_block_params{args}")
