"""Graded, hidden: exercise 5 against the update rules and schedules of its docstring over
generated inputs (zoo.grading.differential): every argument off its default (mu, b1, b2, eps,
drop, every, steps, lr), steps far from the visible tests' ones."""

import math

import numpy as np
import pytest
from hypothesis import strategies as st

from zoo.grading.differential import differential, floats, matrices, same

MODULE = "ex05_optimizers"


def vectors(lo=-5, hi=5):
    return st.integers(1, 6).flatmap(lambda n: st.tuples(*[matrices(shape=(n,), elements=floats(lo, hi))] * 3))


@pytest.mark.points(1)
@pytest.mark.hidden
def test_sgd_and_momentum_any_arguments(ex):
    """sgd_step and momentum_step with lr from 1e-4 to 1 and mu from 0 to 0.99"""
    def check(case):
        (w, g, v), lr, mu = case
        same(ex, "sgd_step", (w, g, lr), want=w - lr * g)
        same(ex, "momentum_step", (w, g, v, lr), {"mu": mu}, want=(w + mu * v - lr * g, mu * v - lr * g))
    differential(st.tuples(vectors(), st.sampled_from([1e-4, 0.01, 0.1, 1.0]), st.sampled_from([0.0, 0.5, 0.9, 0.99])), check, max_examples=40)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_adam_any_arguments(ex):
    """adam_step at steps t from 1 to 1000 with b1, b2, eps and lr off their defaults"""
    def check(case):
        (w, g, m), v, t, lr, b1, b2, eps = case
        v = np.abs(v)
        m2 = b1 * m + (1 - b1) * g
        v2 = b2 * v + (1 - b2) * g * g
        want = w - lr * (m2 / (1 - b1**t)) / (np.sqrt(v2 / (1 - b2**t)) + eps)
        same(ex, "adam_step", (w, g, m, v, t), {"lr": lr, "b1": b1, "b2": b2, "eps": eps}, want=(want, m2, v2), rtol=1e-6, atol=1e-9)
    differential(st.tuples(vectors(), matrices(shape=(1,), elements=floats(0, 5)), st.sampled_from([1, 2, 3, 10, 1000]),
                           st.sampled_from([1e-3, 0.1]), st.sampled_from([0.9, 0.5, 0.0]), st.sampled_from([0.999, 0.9]),
                           st.sampled_from([1e-8, 1e-3, 0.5])),
                 check, max_examples=40)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_schedules_any_arguments(ex):
    """step_decay, cosine_decay and warmup at steps 0-300 with drop, every, total and warmup_steps off their defaults"""
    def check(case):
        step, lr0, drop, every, total = case
        same(ex, "step_decay", (step, lr0), {"drop": drop, "every": every}, want=lr0 * drop ** (step // every), rtol=1e-9, atol=1e-15)
        same(ex, "cosine_decay", (step, lr0, total), want=lr0 * 0.5 * (1 + math.cos(math.pi * min(step, total) / total)), rtol=1e-9, atol=1e-12)
        same(ex, "warmup", (step, lr0, total), want=lr0 * (step + 1) / total if step < total else lr0, rtol=1e-9, atol=1e-15)
    differential(st.tuples(st.integers(0, 300), st.sampled_from([0.1, 1.0, 3e-4]), st.sampled_from([0.5, 0.1, 0.9]),
                           st.integers(1, 40), st.integers(1, 200)), check, max_examples=60)


def ref_compare(steps, lr):
    a = np.array([1.0, 50.0])
    loss = lambda w: 0.5 * float(np.sum(a * w * w))  # noqa: E731
    w = np.ones(2)
    for _ in range(steps):
        w = w - lr * a * w
    out = {"sgd": loss(w)}
    w, v = np.ones(2), np.zeros(2)
    for _ in range(steps):
        v = 0.9 * v - lr * a * w
        w = w + v
    out["momentum"] = loss(w)
    w, m, v = np.ones(2), np.zeros(2), np.zeros(2)
    for t in range(1, steps + 1):
        g = a * w
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        w = w - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    out["adam"] = loss(w)
    return out


@pytest.mark.points(1)
@pytest.mark.hidden
def test_compare_runs_what_it_is_asked(ex):
    """compare(steps, lr) for steps 1-60 and lr 0.001-0.03: the losses of those runs"""
    def check(case):
        steps, lr = case
        got = same(ex, "compare", (), {"steps": steps, "lr": lr}, want=ref_compare(steps, lr), rtol=1e-6, atol=1e-12)
        return got
    differential(st.tuples(st.integers(1, 60), st.sampled_from([0.001, 0.01, 0.03])), check, max_examples=12)
