"""Graded edge cases of exercise 2: a batch of several rows, a margin other than 1, the
gradient checked against a numeric one computed here, a function left as it was."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array, expect_close

MODULE = "ex02_linear_classifier"
RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 4))
W = RNG.normal(size=(4, 3)) * 0.5
Y = np.array([0, 2, 1, 1, 0, 2])


def softmax_loss_ref(w):
    s = X @ w
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(Y)), Y]))


def hinge_ref(w, delta):
    s = X @ w
    m = np.maximum(0, s - s[np.arange(len(Y)), Y][:, None] + delta)
    m[np.arange(len(Y)), Y] = 0
    return m.sum() / len(Y)


def numeric(f, w, h=1e-6):
    g = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        a, b = w.copy(), w.copy()
        a[idx] += h
        b[idx] -= h
        g[idx] = (f(a) - f(b)) / (2 * h)
    return g


@pytest.mark.points(1)
@pytest.mark.hidden
def test_softmax_rows_of_a_batch(ex):
    """every row of a batch of 6 sums to 1"""
    p = ex("softmax", X @ W)
    expect_array(np.asarray(p).sum(axis=1), np.ones(6), "row sums of softmax over a batch of 6")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_softmax_gradient_matches_numeric(ex):
    """the analytic gradient equals a numeric one (mean over the batch)"""
    loss, dw = ex("softmax_loss", W, X, Y)
    expect_close(loss, softmax_loss_ref(W), "softmax_loss")
    expect_array(dw, numeric(softmax_loss_ref, W), "dW of softmax_loss", rtol=1e-4, atol=1e-6)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_hinge_margin_delta(ex):
    """the margin delta is the argument's (delta=2.5)"""
    loss, _ = ex("hinge_loss", W, X, Y, delta=2.5)
    expect_close(loss, hinge_ref(W, 2.5), "hinge_loss(delta=2.5)")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_numeric_gradient_of_a_coupled_function(ex):
    """each entry is measured with the others at their value (cubic couples neighbours)"""
    w = np.array([0.3, -1.2, 0.7, 2.0])
    want = 3 * w**2 + np.concatenate([w[1:], [0]]) + np.concatenate([[0], w[:-1]])
    expect_array(ex("numeric_gradient", {"__callable__": "cubic"}, w, h=1e-5), want, "numeric_gradient(cubic, 4 weights)", rtol=1e-5, atol=1e-5)
