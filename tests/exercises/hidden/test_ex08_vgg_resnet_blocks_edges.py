"""Graded edge cases of exercise 8: a residual block with stride 1 that changes the channel
count needs a projection; VGG pooling halves; the counts by hand match the blocks."""

import pytest

from zoo.grading.checks import expect, expect_equal

MODULE = "ex08_vgg_resnet_blocks"


@pytest.mark.points(2)
@pytest.mark.hidden
def test_residual_stride_1_channel_change(ex):
    """8 -> 16 channels at stride 1: a 1x1 projection (+ BN) on the shortcut, counted by hand too"""
    s = ex("residual_block", 16, stride=1, probe="block", probe_kwargs={"input_shape": (6, 6, 8)})
    expect_equal(s["output_shape"], [None, 6, 6, 16], "output shape of residual_block(16, stride=1) on 6x6x8")
    convs = [l for l in s["layers"] if l["class"] == "Conv2D"]
    expect(any(l.get("kernel_size") == [1, 1] for l in convs), "the shortcut needs a 1x1 projection when the channel count changes")
    want = 9 * 8 * 16 + 9 * 16 * 16 + 8 * 16 + 8 * 16 + 4 * 16
    expect_equal(s["params"], want, "parameters of the block residual_block(16, stride=1) on 6x6x8 (with the projection)")
    expect_equal(ex("residual_block_params", 8, 16, 1), want, "residual_block_params(8, 16, 1), by hand")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_vgg_pool_halves_and_count(ex):
    """a VGG block halves 10x10 to 5x5; vgg_block_params(5, 6, 1) matches it"""
    s = ex("vgg_block", 6, convs=1, probe="block", probe_kwargs={"input_shape": (10, 10, 5)})
    expect_equal(s["output_shape"], [None, 5, 5, 6], "output shape of vgg_block(6, convs=1) on 10x10x5")
    want = (9 * 5 + 1) * 6  # the docstring's (9 * c_in + 1) * c_out: each of the two is compared with it alone
    expect_equal(s["params"], want, "parameters of the block vgg_block(6, convs=1) on 10x10x5")
    expect_equal(ex("vgg_block_params", 5, 6, 1), want, "vgg_block_params(5, 6, 1), by hand")
