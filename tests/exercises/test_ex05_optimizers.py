"""Graded: exercise 5, optimizer update rules and LR schedules (references written here)."""

import math

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array, expect_close

MODULE = "ex05_optimizers"
RNG = np.random.default_rng(0)
W, G = RNG.normal(size=5), RNG.normal(size=5)


@pytest.mark.points(1)
def test_sgd_and_momentum(ex):
    """SGD step and two momentum steps"""
    expect_array(ex("sgd_step", W, G, 0.1), W - 0.1 * G, "sgd_step(w, g, lr=0.1)")
    v = np.zeros(5)
    w1, v1 = ex("momentum_step", W, G, v, 0.1, mu=0.9)
    w2, v2 = ex("momentum_step", w1, G, v1, 0.1, mu=0.9)
    rv1 = -0.1 * G
    rv2 = 0.9 * rv1 - 0.1 * G
    expect_array(v2, rv2, "velocity after two momentum steps")
    expect_array(w2, W + rv1 + rv2, "w after two momentum steps")


@pytest.mark.points(2)
def test_adam_bias_correction(ex):
    """Adam's first steps are bias-corrected"""
    w, m, v = W.copy(), np.zeros(5), np.zeros(5)
    rw, rm, rv = W.copy(), np.zeros(5), np.zeros(5)
    for t in (1, 2, 3):
        g = G * t
        w, m, v = ex("adam_step", w, g, m, v, t, lr=0.01)
        rm = 0.9 * rm + 0.1 * g
        rv = 0.999 * rv + 0.001 * g * g
        rw = rw - 0.01 * (rm / (1 - 0.9**t)) / (np.sqrt(rv / (1 - 0.999**t)) + 1e-8)
        expect_array(w, rw, f"w after Adam step t={t}")


@pytest.mark.points(2)
def test_schedules(ex):
    """step decay, cosine decay, warm-up"""
    for s in (0, 9, 10, 25):
        expect_close(ex("step_decay", s, 0.1, drop=0.5, every=10), 0.1 * 0.5 ** (s // 10), f"step_decay(step={s}, lr0=0.1, drop=0.5, every=10)")
    for s in (0, 25, 50, 100, 150):
        expect_close(ex("cosine_decay", s, 0.1, 100), 0.1 * 0.5 * (1 + math.cos(math.pi * min(s, 100) / 100)), f"cosine_decay(step={s}, lr0=0.1, total=100)", atol=1e-9)
    for s in (0, 4, 5, 20):
        expect_close(ex("warmup", s, 0.1, 5), 0.1 * (s + 1) / 5 if s < 5 else 0.1, f"warmup(step={s}, lr0=0.1, warmup_steps=5)")


@pytest.mark.points(1)
def test_compare(ex):
    """momentum and Adam beat SGD on an ill-conditioned quadratic"""
    out = ex("compare")
    expect(isinstance(out, dict) and {"sgd", "momentum", "adam"} <= set(out), f"compare() should return a dict with sgd, momentum, adam; got {out!r}")
    a, w = np.array([1.0, 50.0]), np.ones(2)
    for _ in range(100):
        w = w - 0.02 * a * w
    expect_close(out["sgd"], 0.5 * float(np.sum(a * w * w)), "final SGD loss (lr=0.02, 100 steps)")
    expect(out["momentum"] < out["sgd"], f"momentum ({out['momentum']:.3g}) should beat SGD ({out['sgd']:.3g})")
    expect(out["adam"] < out["sgd"], f"Adam ({out['adam']:.3g}) should beat SGD ({out['sgd']:.3g})")
