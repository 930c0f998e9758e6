"""Graded: exercise 3, LeNet-5 (61,706 parameters, LeCun et al. 1998 as taught)."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array, expect_equal, layers_of, output_layer, weighted_layers

MODULE = "ex03_lenet"
X = np.random.default_rng(0).random((3, 32, 32, 1)).astype("float32")


def lenet_params(classes):
    return (26 * 6) + (151 * 16) + (401 * 120) + (121 * 84) + (85 * classes)


@pytest.fixture
def lenet(ex):
    return ex("build_lenet5", probe="model", probe_kwargs={"x": X})


@pytest.mark.points(2)
def test_parameter_count(lenet):
    """61,706 parameters"""
    expect_equal(lenet["params"], 61706, "parameters of build_lenet5() on 32x32x1, 10 classes")


@pytest.mark.points(1)
def test_parameter_count_by_hand(ex):
    """lenet5_parameter_count(classes) by hand"""
    for c in (10, 3):
        expect_equal(ex("lenet5_parameter_count", c), lenet_params(c), f"lenet5_parameter_count(classes={c})")


@pytest.mark.points(2)
def test_feature_map_shapes(lenet):
    """28x28x6 -> 14x14x6 -> 10x10x16 -> 5x5x16"""
    convs = layers_of(lenet, "Conv2D")
    pools = layers_of(lenet, ("MaxPooling2D", "AveragePooling2D"))
    expect_equal(len(convs), 2, "number of Conv2D layers")
    expect_equal(len(pools), 2, "number of pooling layers")
    expect_equal([c["output_shape"] for c in convs], [[None, 28, 28, 6], [None, 10, 10, 16]], "C1 and C3 output shapes")
    expect_equal([p["output_shape"] for p in pools], [[None, 14, 14, 6], [None, 5, 5, 16]], "S2 and S4 output shapes")
    expect_equal(len(layers_of(lenet, "Dense")), 3, "number of Dense layers (F5, F6, output)")


@pytest.mark.points(2)
def test_nonlinearities(lenet):
    """conv and hidden dense layers use an activation"""
    out = output_layer(lenet)["name"]
    hidden = [l for l in weighted_layers(lenet) if l["name"] != out]
    linear = [l["name"] for l in hidden if l["effective_activation"] == "linear"]
    expect(not linear, f"layers without a nonlinearity: {linear} (without one, stacked layers collapse to one linear map)")


@pytest.mark.points(1)
def test_softmax_output(lenet):
    """output (None, 10), rows are probabilities"""
    expect_equal(lenet["output_shape"], [None, 10], "output shape")
    p = np.asarray(lenet["pred"], float)
    expect_array(p.sum(axis=1), np.ones(3), "sum of each output row (softmax probabilities)", atol=1e-4)
    expect(p.min() >= 0, "the outputs must be probabilities (>= 0)")
    last = output_layer(lenet)
    expect(last["effective_activation"] == "softmax",
           f"the output layer {last['name']!r} should apply softmax once and nothing else, got {last['effective_activation']!r}")
