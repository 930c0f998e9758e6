"""Graded edge cases of exercise 5: Adam's moments on a first step, Adam with tiny gradients
(epsilon outside the root), warm-up's first step."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array, expect_close

MODULE = "ex05_optimizers"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_adam_first_step_moments(ex):
    """m = (1 - b1) g and v = (1 - b2) g^2 after one step; the step is lr * sign(g)"""
    g = np.array([0.5, -2.0, 3.0])
    w, m, v = ex("adam_step", np.zeros(3), g, np.zeros(3), np.zeros(3), 1, lr=0.1)
    expect_array(m, 0.1 * g, "m after the first step")
    expect_array(v, 0.001 * g * g, "v after the first step (squared gradients)")
    expect_array(w, -0.1 * np.sign(g), "w after the first step (lr * sign(g))", atol=1e-6)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_adam_tiny_gradients(ex):
    """gradients of 1e-6 still move the weights by about lr (epsilon is added after the root)"""
    g = np.full(2, 1e-6)
    w, _, _ = ex("adam_step", np.zeros(2), g, np.zeros(2), np.zeros(2), 1, lr=0.01)
    expect_array(w, -0.01 * 1e-6 / (1e-6 + 1e-8) * np.ones(2), "w after a step with gradients of 1e-6", rtol=1e-4)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_warmup_first_step_and_cosine_end(ex):
    """warm-up's step 0 is lr0 / warmup_steps; cosine stays 0 after its end"""
    expect_close(ex("warmup", 0, 0.2, 4), 0.05, "warmup(step=0, lr0=0.2, warmup_steps=4)")
    expect_close(ex("cosine_decay", 150, 0.1, 100), 0.0, "cosine_decay(step=150, lr0=0.1, total=100)", atol=1e-12)
