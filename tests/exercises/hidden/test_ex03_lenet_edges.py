"""Graded edge cases of exercise 3: the arguments (classes, activation) reach the model, F6
keeps its 84 units, and the count by hand agrees with the model for another class count."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_equal

MODULE = "ex03_lenet"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_arguments_reach_the_model(ex):
    """classes=7 and activation='tanh' change the model"""
    s = ex("build_lenet5", classes=7, activation="tanh", probe="model")
    expect_equal(s["output_shape"], [None, 7], "output shape of build_lenet5(classes=7)")
    hidden = [l for l in s["layers"] if l["class"] in ("Conv2D", "Dense") and l["name"] != "predictions"]
    expect(hidden and all(l.get("activation") == "tanh" for l in hidden),
           f"activation='tanh' should reach every hidden layer, got {[(l['name'], l.get('activation')) for l in hidden]}")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_f6_and_count_for_seven_classes(ex):
    """F6 has 84 units; lenet5_parameter_count(7) equals the model's count"""
    s = ex("build_lenet5", classes=7, probe="model")
    dense = [l for l in s["layers"] if l["class"] == "Dense"]
    expect_equal([l.get("units") for l in dense], [120, 84, 7], "units of the Dense layers (F5, F6, output)")
    expect_equal(ex("lenet5_parameter_count", 7), s["params"], "lenet5_parameter_count(classes=7) vs the model")
