"""Graded edge cases of exercise 3: the arguments (input_shape, classes, activation) reach the
model, F6 keeps its 84 units, and the count by hand agrees with the model for another class
count. The output layer is the last Dense layer, whatever its name; a nonlinearity is a layer's
own activation or an Activation/ReLU/Softmax layer after it."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_equal, layers_of, output_layer, weighted_layers

MODULE = "ex03_lenet"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_arguments_reach_the_model(ex):
    """classes=7 and activation='tanh' change the model"""
    s = ex("build_lenet5", classes=7, activation="tanh", probe="model")
    expect_equal(s["output_shape"], [None, 7], "output shape of build_lenet5(classes=7)")
    out = output_layer(s)
    hidden = [l for l in weighted_layers(s) if l["name"] != out["name"]]
    expect(hidden and all(l["effective_activation"] == "tanh" for l in hidden),
           f"activation='tanh' should reach every hidden layer, got {[(l['name'], l['effective_activation']) for l in hidden]}")
    expect_equal(out["effective_activation"], "softmax", f"activation of the output layer {out['name']!r} with activation='tanh'")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_f6_and_count_for_seven_classes(ex):
    """F6 has 84 units; lenet5_parameter_count(7) equals the model's count"""
    s = ex("build_lenet5", classes=7, probe="model")
    dense = [l for l in s["layers"] if l["class"] == "Dense"]
    expect_equal([l.get("units") for l in dense], [120, 84, 7], "units of the Dense layers (F5, F6, output)")
    expect_equal(ex("lenet5_parameter_count", 7), s["params"], "lenet5_parameter_count(classes=7) vs the model")


def _lenet_on(h, w, c, classes):
    """The shapes and parameter count the docstring fixes for input (h, w, c)."""
    c1 = (h - 4, w - 4)
    s2 = (c1[0] // 2, c1[1] // 2)
    c3 = (s2[0] - 4, s2[1] - 4)
    s4 = (c3[0] // 2, c3[1] // 2)
    flat = s4[0] * s4[1] * 16
    params = (25 * c + 1) * 6 + (25 * 6 + 1) * 16 + (flat + 1) * 120 + 121 * 84 + 85 * classes
    return [[None, *c1, 6], [None, *c3, 16]], params


@pytest.mark.points(1)
@pytest.mark.hidden
def test_input_shape_reaches_the_model(ex):
    """input_shape=(28, 28, 1) and (36, 40, 3): the conv shapes, parameter count and activations follow"""
    for shape, classes, activation in (((28, 28, 1), 10, "relu"), ((36, 40, 3), 5, "sigmoid")):
        x = np.random.default_rng(1).random((2, *shape)).astype("float32")
        s = ex("build_lenet5", input_shape=shape, classes=classes, activation=activation, probe="model", probe_kwargs={"x": x})
        convs, params = _lenet_on(*shape, classes)
        what = f"build_lenet5(input_shape={shape}, classes={classes}, activation={activation!r})"
        expect_equal(s["input_shape"], [None, *shape], f"input shape of {what}")
        expect_equal([l["output_shape"] for l in layers_of(s, "Conv2D")], convs, f"C1 and C3 output shapes of {what}")
        expect_equal(s["params"], params, f"parameters of {what}")
        out = output_layer(s)
        hidden = [l["effective_activation"] for l in weighted_layers(s) if l["name"] != out["name"]]
        expect_equal(hidden, [activation] * 4, f"activations of C1, C3, F5, F6 of {what}")
        p = np.asarray(s["pred"], float)
        expect(p.shape == (2, classes) and np.allclose(p.sum(axis=1), 1, atol=1e-4),
               f"{what}: the output rows should be probabilities over {classes} classes")
