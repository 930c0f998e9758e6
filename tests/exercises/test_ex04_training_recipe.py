"""Graded: exercise 4, the training recipe (loss at init, baseline, overfit one batch)."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_close

MODULE = "ex04_training_recipe"


@pytest.mark.points(1)
def test_expected_initial_loss(ex):
    """-log(1/C)"""
    for c in (2, 10, 100):
        expect_close(ex("expected_initial_loss", c), np.log(c), f"expected_initial_loss({c})")


@pytest.mark.points(1)
def test_initial_loss_near_log_c(ex):
    """a fresh model's loss is near log(C)"""
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(64, 20)) * 0.1).astype("float32")
    y = rng.integers(0, 10, 64)
    loss = ex("initial_loss", x, y, 10)
    expect_close(loss, np.log(10), "initial_loss on 10 classes (small inputs)", rtol=0.1)


@pytest.mark.points(2)
def test_majority_baseline_uses_training_labels(ex):
    """the baseline's class comes from y_train, never y_test"""
    y_train = np.array([0] * 6 + [1] * 3 + [2] * 1)
    y_test = np.array([1] * 5 + [0] * 2 + [2] * 3)
    expect_close(ex("majority_baseline", y_train, y_test), 0.2,
                 "majority_baseline: y_train's majority is 0, which is 2 of 10 test labels "
                 "(choosing the class from y_test would leak test data)")


@pytest.mark.points(3)
def test_overfit_one_batch(ex):
    """16 samples: the loss falls below 5 % of its start, accuracy 100 %"""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 20)).astype("float32")
    y = rng.integers(0, 4, 16)
    first, last, acc = ex("overfit_one_batch", x, y, 4, steps=150)
    expect(abs(first - np.log(4)) < 0.5, f"the first loss should be near log(4) = {np.log(4):.3f}, got {first:.3f}")
    expect(last < 0.05 * first, f"the loss on one batch should fall below 5 % of its start: {first:.3f} -> {last:.3f}")
    expect_close(acc, 1.0, "accuracy on the overfitted batch")
