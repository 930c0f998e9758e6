"""Graded: exercise 2, linear classifier losses and a numeric gradient check (NumPy references here)."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array, expect_close

MODULE = "ex02_linear_classifier"


def data(seed=0, n=12, d=5, c=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d, c)) * 0.5, rng.normal(size=(n, d)), rng.integers(0, c, size=n)


def ref_softmax(s):
    z = s - s.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def ref_softmax_loss(W, X, y):
    return -np.mean(np.log(ref_softmax(X @ W)[np.arange(len(y)), y]))


def central(f, w, h=1e-6):
    g = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[i] = h
        g[i] = (f(w + e) - f(w - e)) / (2 * h)
    return g


@pytest.mark.points(2)
def test_softmax_stable(ex):
    """softmax rows sum to 1 and survive scores of 1000"""
    s = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 999.0], [-5.0, 0.0, 5.0]])
    expect_array(ex("softmax", s), ref_softmax(s), "softmax(scores with a row of 1000s)")


@pytest.mark.points(1)
def test_loss_at_init(ex):
    """with W = 0 the softmax loss is log(C)"""
    _, X, y = data(1, c=10)
    loss, _ = ex("softmax_loss", np.zeros((5, 10)), X, y)
    expect_close(loss, np.log(10), "softmax_loss at W = 0 with 10 classes (should be -log(1/10))")


@pytest.mark.points(2)
def test_softmax_loss_and_gradient(ex):
    """loss and dW against a reference"""
    W, X, y = data(2)
    loss, dW = ex("softmax_loss", W, X, y)
    expect_close(loss, ref_softmax_loss(W, X, y), "softmax_loss value")
    expect_array(dW, central(lambda w: ref_softmax_loss(w, X, y), W), "softmax_loss gradient dW", rtol=1e-4, atol=1e-6)


@pytest.mark.points(2)
def test_numeric_gradient(ex):
    """central differences on f(w) = sum(w^3) + sum(w[i] w[i+1]): error below 1e-7"""
    w = np.random.default_rng(4).normal(size=(3, 4))
    flat = w.ravel()
    want = 3 * flat**2
    want[:-1] += flat[1:]
    want[1:] += flat[:-1]
    expect_array(ex("numeric_gradient", {"__callable__": "cubic"}, w, h=1e-4), want.reshape(w.shape),
                 "numeric_gradient(cubic, w, h=1e-4)", rtol=1e-7, atol=1e-7)
