"""Graded: exercise 7, BatchNorm and Dropout in training vs inference (NumPy references here)."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array, expect_close

MODULE = "ex07_batchnorm_dropout"
RNG = np.random.default_rng(0)
X = RNG.normal(3.0, 2.0, size=(16, 4))
GAMMA, BETA = RNG.normal(size=4), RNG.normal(size=4)
RM, RV = RNG.normal(size=4), RNG.random(4) + 0.5


@pytest.mark.points(2)
def test_batchnorm_training(ex):
    """batch statistics and running-average update"""
    y, m, v = ex("batchnorm_forward", X, GAMMA, BETA, RM, RV, True, momentum=0.9, eps=1e-3)
    mu, var = X.mean(0), X.var(0)
    expect_array(y, GAMMA * (X - mu) / np.sqrt(var + 1e-3) + BETA, "batchnorm output in training")
    expect_array(m, 0.9 * RM + 0.1 * mu, "running mean after one training step")
    expect_array(v, 0.9 * RV + 0.1 * var, "running variance after one training step")


@pytest.mark.points(2)
def test_batchnorm_inference(ex):
    """inference uses the running statistics and changes nothing"""
    y, m, v = ex("batchnorm_forward", X, GAMMA, BETA, RM, RV, False, momentum=0.9, eps=1e-3)
    expect_array(y, GAMMA * (X - RM) / np.sqrt(RV + 1e-3) + BETA, "batchnorm output at inference (running statistics)")
    expect_array(m, RM, "running mean must not change at inference")
    expect_array(v, RV, "running variance must not change at inference")
    one, _, _ = ex("batchnorm_forward", X[:1], GAMMA, BETA, RM, RV, False, momentum=0.9, eps=1e-3)
    expect_array(one, y[:1], "at inference a sample's output must not depend on the rest of the batch")


@pytest.mark.points(2)
def test_dropout_training(ex):
    """inverted dropout keeps the expectation"""
    x = np.ones((200, 50))
    y = ex("dropout_forward", x, 0.4, True, seed=3)
    zeros = np.mean(y == 0)
    expect(abs(zeros - 0.4) < 0.03, f"share of dropped units: expected about 0.40, got {zeros:.3f}")
    kept = y[y != 0]
    expect_close(float(kept.min()), 1 / 0.6, "value of a kept unit of 1.0 (scaled by 1/(1-rate))")
    expect_close(float(y.mean()), 1.0, "mean activation after dropout (expectation unchanged)", rtol=0.05)


@pytest.mark.points(1)
def test_dropout_inference(ex):
    """dropout is the identity at inference"""
    x = RNG.normal(size=(5, 7))
    expect_array(ex("dropout_forward", x, 0.5, False, seed=1), x, "dropout_forward(x, 0.5, training=False)")
