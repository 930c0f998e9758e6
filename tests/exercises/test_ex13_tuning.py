"""Graded: exercise 13, a KerasTuner search space and a random search."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_equal

MODULE = "ex13_tuning"


@pytest.fixture
def space(ex):
    return ex("build_model", {"__hp__": True}, probe="hypermodel")


@pytest.mark.points(2)
def test_search_space(space):
    """units, dropout and a log-sampled learning rate"""
    hp = {p["name"]: p for p in space["space"]}
    expect(set(hp) >= {"units", "dropout", "learning_rate"}, f"hyperparameters declared: {sorted(hp)}; expected units, dropout, learning_rate")
    expect_equal(list(hp["units"].get("values", [])), [16, 32, 64], "choices of units")
    lr = hp["learning_rate"]
    expect_equal((lr.get("min_value"), lr.get("max_value")), (1e-4, 1e-2), "learning_rate range")
    expect_equal(lr.get("sampling"), "log", "learning_rate sampling (learning rates span orders of magnitude)")


@pytest.mark.points(2)
def test_build_model_compiled(space):
    """returns a compiled 20 -> units -> 3 softmax model"""
    m = space["model"]
    expect(m["compiled"], "build_model(hp) must return a compiled model (the tuner trains it as is)")
    expect_equal(m["output_shape"], [None, 3], "output shape")
    dense = [l for l in m["layers"] if l["class"] == "Dense"]
    expect(dense and dense[-1].get("activation") == "softmax", "the output layer should use softmax")


@pytest.mark.points(2)
def test_search_runs(ex):
    """2 trials complete; best values come from the space"""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 20)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    best, done = ex("search", x[:64], y[:64], x[64:], y[64:], {"__tmpdir__": True}, max_trials=2, epochs=2, timeout=240)
    expect_equal(done, 2, "completed trials (max_trials=2)")
    expect(best.get("units") in (16, 32, 64), f"best units should be one of the choices, got {best.get('units')!r}")
    expect(1e-4 <= best.get("learning_rate", -1) <= 1e-2, f"best learning_rate outside its range: {best.get('learning_rate')!r}")
