"""Graded edge cases of exercise 4: the baseline is a fraction, and overfitting one batch
reaches full accuracy after training (not before)."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_close

MODULE = "ex04_training_recipe"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_majority_baseline_is_a_fraction(ex):
    """7 of 10 test labels are the training majority: 0.7"""
    got = ex("majority_baseline", np.array([2, 2, 1, 2, 0]), np.array([2, 2, 2, 1, 2, 2, 0, 2, 1, 2]))
    expect_close(got, 0.7, "majority_baseline(...) (a fraction of the test labels)")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_overfit_reports_accuracy_after_training(ex):
    """12 random points, 3 classes: the loss falls and the accuracy afterwards is 1"""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 6)).astype("float32")
    y = np.arange(12) % 3
    first, last, acc = ex("overfit_one_batch", x, y, 3, steps=150)
    expect(last < 0.2 * first, f"loss after overfitting one batch: {last:.3f} (first {first:.3f}); expected a fall of 80 % or more")
    expect_close(acc, 1.0, "accuracy on the batch after overfitting")
