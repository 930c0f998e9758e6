"""Graded: exercise 9, transfer learning. The backbone (conv1, bn1, conv2, bn2 on 16x16x3,
2,944 weights of which 48 BN moving statistics) is built in the child by the grader."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array, expect_equal

MODULE = "ex09_transfer"
BACKBONE = {"__backbone__": {"input_shape": (16, 16, 3)}}
X = np.random.default_rng(0).random((4, 16, 16, 3)).astype("float32")
HEAD = 16 * 5 + 5  # Dense(16 -> 5)


def layer(s, name):
    rows = [l for l in s["layers"] if l["name"].endswith(name)]
    return rows[0] if rows else None


@pytest.mark.points(2)
def test_frozen_backbone_new_head(ex):
    """only the new head trains: 85 trainable weights"""
    s = ex("build_transfer_model", BACKBONE, 5, probe="model")
    expect_equal(s["output_shape"], [None, 5], "output shape for 5 classes")
    expect_equal(s["trainable_params"], HEAD, "trainable parameters (only the head's Dense 16 -> 5 should train)")
    expect(s["compiled"], "the model should be compiled")


@pytest.mark.points(1)
def test_head_is_softmax(ex):
    """head outputs probabilities"""
    s = ex("build_transfer_model", BACKBONE, 5, probe="model", probe_kwargs={"x": X})
    expect_array(np.asarray(s["pred"]).sum(axis=1), np.ones(4), "row sums of the head's output (softmax)", atol=1e-4)


@pytest.mark.points(2)
def test_fine_tune_unfreezes_top_only(ex):
    """n=2 (conv2 and bn2, the last two layers with weights) unfreezes conv2 only; BatchNorm stays frozen"""
    s = ex("fine_tune_model", BACKBONE, 5, 2, probe="model")
    # the last two weighted layers are conv2 and bn2: conv2 trains, bn2 stays frozen
    conv2 = 3 * 3 * 8 * 16 + 16
    expect_equal(s["trainable_params"], HEAD + conv2, "trainable parameters after unfreeze_top(n=2) (head + conv2; bn2 frozen)")
    bn = [l for l in s["layers"] if l["class"] == "BatchNormalization"]
    expect(bn and not any(l["trainable"] for l in bn), f"BatchNorm layers must stay frozen, trainable: {[l['name'] for l in bn if l['trainable']]}")
    conv1 = layer(s, "conv1")
    expect(conv1 is not None and not conv1["trainable"], "conv1 (not in the top 2 weighted layers) must stay frozen")


@pytest.mark.points(1)
def test_fine_tune_zero_layers(ex):
    """n=0 unfreezes nothing (mind l[-0:], which is the whole list)"""
    s = ex("fine_tune_model", BACKBONE, 5, 0, probe="model")
    expect_equal(s["trainable_params"], HEAD, "trainable parameters after unfreeze_top(n=0)")
