"""Graded behaviour of exercise 7 over the arguments the docstring allows: BatchNorm against
the formulas for generated batches (batch size 1 included) with momentum and eps off their
defaults and at their defaults, and dropout's mask drawn per unit from the given seed."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array

MODULE = "ex07_batchnorm_dropout"


def _cases():
    """(x, gamma, beta, running_mean, running_var, training, kwargs): generated, fixed seed."""
    rng = np.random.default_rng(7)
    out = []
    for k, (n, d) in enumerate([(1, 3), (2, 1), (5, 4), (9, 2), (17, 6), (3, 5)]):
        x = rng.normal(rng.uniform(-50, 50), rng.uniform(0.01, 100), size=(n, d))
        kwargs = [{}, {"momentum": 0.0}, {"momentum": 0.5, "eps": 1.0}, {"eps": 1e-5}, {"momentum": 0.999, "eps": 0.1}, {"eps": 3.0}][k]
        out.append((x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=d), rng.random(d) + 0.1, bool(k % 2 == 0), kwargs))
        out.append((x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=d), rng.random(d) + 0.1, bool(k % 2 == 1), kwargs))
    return out


def _reference(x, gamma, beta, rm, rv, training, momentum=0.99, eps=1e-3):
    if training:
        mean, var = x.mean(axis=0), x.var(axis=0)
        rm, rv = momentum * rm + (1 - momentum) * mean, momentum * rv + (1 - momentum) * var
    else:
        mean, var = rm, rv
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, rm, rv


@pytest.mark.points(2)
@pytest.mark.hidden
def test_batchnorm_any_batch_momentum_and_eps(ex):
    """batchnorm_forward on 12 generated batches (1 to 17 rows), momentum 0 to 0.999 and eps 1e-5 to 3, and the defaults"""
    for x, gamma, beta, rm, rv, training, kwargs in _cases():
        call = f"batchnorm_forward(x of shape {x.shape}, training={training}, {', '.join(f'{k}={v}' for k, v in kwargs.items()) or 'default momentum and eps'})"
        y, m, v = ex("batchnorm_forward", x, gamma, beta, rm, rv, training, **kwargs)
        want = _reference(x, gamma, beta, rm, rv, training, **kwargs)
        expect_array(y, want[0], f"{call}: output", rtol=1e-6, atol=1e-6)
        expect_array(m, want[1], f"{call}: running mean", rtol=1e-6, atol=1e-9)
        expect_array(v, want[2], f"{call}: running variance", rtol=1e-6, atol=1e-9)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_dropout_mask_per_unit_from_the_seed(ex):
    """each unit of each row is dropped on its own draw; the same seed gives the same mask, another seed another"""
    x = np.ones((300, 20))
    y = np.asarray(ex("dropout_forward", x, 0.75, True, seed=11))
    again = np.asarray(ex("dropout_forward", x, 0.75, True, seed=11))
    other = np.asarray(ex("dropout_forward", x, 0.75, True, seed=12))
    expect_array(again, y, "dropout_forward(x, 0.75, training=True, seed=11) called twice (the seed fixes the mask)")
    expect(not np.array_equal(other, y), "dropout_forward with seed=12 gave the same mask as seed=11: the mask must come from the seed")
    expect(set(np.unique(y)) <= {0.0, 4.0}, f"with rate 0.75 a unit of 1.0 becomes 0 or 4, got values {np.unique(y)[:6]}")
    rows = np.mean(y == 0, axis=1)
    expect(len({tuple(r) for r in (y == 0)}) > 250,
           "the rows share their dropout masks: each unit of each row must be dropped on its own draw")
    cols = np.mean(y == 0, axis=0)
    expect(np.all((cols > 0.6) & (cols < 0.9)) and abs(rows.mean() - 0.75) < 0.03,
           f"share of dropped units per column should be about 0.75 everywhere, got {np.round(cols, 2)}")
