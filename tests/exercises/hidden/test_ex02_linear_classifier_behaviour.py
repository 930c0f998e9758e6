"""Graded, hidden: exercise 2 against references written here over generated inputs
(zoo.grading.differential): batches of one row and more, scores of 1000 and more, margins
from 0 to 5, steps h of every size."""

import numpy as np
import pytest
from hypothesis import assume, strategies as st

from zoo.grading.differential import differential, floats, matrices, same
from test_ex02_linear_classifier import ref_softmax

MODULE = "ex02_linear_classifier"


def ref_loss(W, X, y):
    s = X @ W
    z = s - s.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    p = np.exp(logp)
    p[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean()), X.T @ p / n


def ref_hinge(W, X, y, delta):
    n = len(y)
    s = X @ W
    m = np.maximum(0.0, s - s[np.arange(n), y][:, None] + delta)
    m[np.arange(n), y] = 0.0
    mask = (m > 0).astype(float)
    mask[np.arange(n), y] = -mask.sum(axis=1)
    return float(m.sum() / n), X.T @ mask / n


@st.composite
def classifiers(draw, offset=True):
    """(W, X, y): 1-6 rows, 1-5 features, 2-5 classes; the first feature is a constant 1 whose
    weights add one large offset to every score (1000 and more: the loss and dW are unchanged)."""
    n, d, c = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.integers(2, 5))
    W = draw(matrices(shape=(d + 1, c), elements=floats(-3, 3)))
    X = draw(matrices(shape=(n, d + 1), elements=floats(-3, 3)))
    X[:, 0] = 1.0
    W[0] = draw(st.sampled_from([0.0, 1000.0, -1000.0, 5000.0])) if offset else 0.0
    return W, X, np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))


@pytest.mark.points(1)
@pytest.mark.hidden
def test_softmax_any_scores(ex):
    """softmax of 1-6 rows of 2-5 scores, from -1e4 to 1e4"""
    differential(matrices(1, 6, elements=floats(-1e4, 1e4)).filter(lambda s: s.shape[1] >= 2),
                 lambda s: same(ex, "softmax", (s,), want=ref_softmax(s), rtol=1e-6, atol=1e-9), max_examples=50)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_softmax_loss_any_batch(ex):
    """softmax_loss and dW on batches of 1-6 rows, scores offset by up to 5000"""
    def check(case):
        W, X, y = case
        same(ex, "softmax_loss", (W, X, y), want=ref_loss(W, X, y), rtol=1e-6, atol=1e-8)
    differential(classifiers(), check, max_examples=50)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_hinge_loss_any_batch_and_margin(ex):
    """hinge_loss and dW on batches of 1-6 rows, margins delta from 0 to 5"""
    def check(case):
        (W, X, y), delta = case
        s = X @ W
        raw = s - s[np.arange(len(y)), y][:, None] + delta
        raw[np.arange(len(y)), y] = 1.0
        assume(np.all(np.abs(raw) > 1e-9))  # at a kink (a margin of exactly 0) any subgradient is right
        same(ex, "hinge_loss", (W, X, y), {"delta": delta}, want=ref_hinge(W, X, y, delta), rtol=1e-6, atol=1e-8)
    differential(st.tuples(classifiers(offset=False), st.sampled_from([0.0, 0.5, 1.0, 2.5, 5.0])), check, max_examples=50)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_numeric_gradient_any_shape_and_step(ex):
    """numeric_gradient of the cubic test function at weights of any shape, steps h from 1e-6 to 1e-3"""
    def check(case):
        w, h = case
        flat = w.ravel()
        want = 3 * flat**2 + h**2  # the central difference of w^3 is exact up to h^2
        want[:-1] += flat[1:]
        want[1:] += flat[:-1]
        # the step's h^2 is in the answer; rounding adds about 1e-14 * |f| / h
        same(ex, "numeric_gradient", ({"__callable__": "cubic"}, w), {"h": h}, want=want.reshape(w.shape), rtol=1e-7, atol=1e-12 / h,
             shown=f"numeric_gradient(cubic, w of shape {w.shape}, h={h:g})")
    shapes = st.sampled_from([(1,), (5,), (2, 3), (3, 1), (2, 2, 2)])
    differential(st.tuples(shapes.flatmap(lambda s: matrices(shape=s, elements=floats(-2, 2))), st.sampled_from([1e-6, 1e-5, 1e-4, 1e-3])),
                 check, max_examples=20)
