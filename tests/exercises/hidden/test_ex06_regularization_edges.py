"""Graded edge cases of exercise 6: every argument of the MLP reaches the model, lambda scales
the penalty, a plateau (equal losses) is not an improvement."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_close, expect_equal

MODULE = "ex06_regularization"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_mlp_arguments_reach_the_model(ex):
    """hidden=(12,), l2=0.05, dropout=0.4"""
    s = ex("regularized_mlp", 5, 2, hidden=(12,), l2=0.05, dropout=0.4, probe="model")
    dense = [l for l in s["layers"] if l["class"] == "Dense"]
    expect_equal([l.get("units") for l in dense], [12, 2], "units of the Dense layers")
    reg = dense[0].get("kernel_regularizer") or {}
    expect_close(reg.get("config", {}).get("l2", -1), 0.05, "L2 factor of the hidden layer", rtol=1e-6)
    drops = [l for l in s["layers"] if l["class"] == "Dropout"]
    expect(drops and all(abs(l.get("rate", 0) - 0.4) < 1e-9 for l in drops), f"dropout rates: {[l.get('rate') for l in drops]}; expected 0.4")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_penalty_scales_with_lambda_and_plateau(ex):
    """l2_penalty is linear in lambda; equal losses do not reset the patience"""
    expect_close(ex("l2_penalty", [np.ones((2, 2))], 0.5), 2.0, "l2_penalty([ones(2, 2)], lam=0.5)")
    expect_equal(tuple(ex("early_stopping", [1.0, 0.8, 0.8, 0.8, 0.8, 0.7], patience=3)), (4, 1),
                 "early_stopping([1.0, 0.8, 0.8, 0.8, 0.8, 0.7], patience=3) (equal is not better)")
