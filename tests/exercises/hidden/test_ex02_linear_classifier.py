"""Graded, hidden (never in the student release): exercise 2, the tests students see only after
publication. Helpers and MODULE come from the visible tests/exercises/test_ex02_linear_classifier.py."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array, expect_close
from test_ex02_linear_classifier import MODULE, central, data


def ref_hinge(W, X, y, delta=1.0):
    s = X @ W
    m = np.maximum(0, s - s[np.arange(len(y)), y][:, None] + delta)
    m[np.arange(len(y)), y] = 0
    return m.sum() / len(y)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_hinge_loss_and_gradient(ex):
    """hinge loss (the correct class adds nothing) and dW"""
    W, X, y = data(3)
    loss, dW = ex("hinge_loss", W, X, y, delta=1.0)
    expect_close(loss, ref_hinge(W, X, y), "hinge_loss value (delta=1)")
    expect_array(dW, central(lambda w: ref_hinge(w, X, y), W), "hinge_loss gradient dW", rtol=1e-4, atol=1e-6)
