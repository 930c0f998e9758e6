"""Graded edge cases of exercise 7: the running statistics after one training step, beta's
shift, and how many units dropout keeps."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array

MODULE = "ex07_batchnorm_dropout"
X = np.random.default_rng(1).normal(2.0, 3.0, size=(64, 3))


@pytest.mark.points(1)
@pytest.mark.hidden
def test_running_statistics_after_one_step(ex):
    """running = momentum * running + (1 - momentum) * batch statistic (variance, not std)"""
    rm, rv = np.zeros(3), np.ones(3)
    _, m, v = ex("batchnorm_forward", X, np.ones(3), np.zeros(3), rm, rv, True, momentum=0.8, eps=1e-3)
    expect_array(m, 0.8 * rm + 0.2 * X.mean(axis=0), "running mean after one training step (momentum=0.8)")
    expect_array(v, 0.8 * rv + 0.2 * X.var(axis=0), "running variance after one training step (momentum=0.8)")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_beta_shifts_and_dropout_keeps_one_minus_rate(ex):
    """beta = 5 shifts the normalised output's mean to 5; rate 0.2 keeps about 80 % of the units"""
    y, _, _ = ex("batchnorm_forward", X, np.ones(3), np.full(3, 5.0), np.zeros(3), np.ones(3), True)
    expect_array(np.asarray(y).mean(axis=0), np.full(3, 5.0), "mean of the output with beta=5", atol=1e-6)
    kept = float(np.mean(np.asarray(ex("dropout_forward", np.ones((100, 100)), 0.2, True, seed=3)) != 0))
    expect(0.75 < kept < 0.85, f"dropout_forward(rate=0.2) kept {kept:.0%} of the units; expected about 80 %")
