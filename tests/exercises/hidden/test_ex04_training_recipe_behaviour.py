"""Graded, hidden: exercise 4 judged by what the code did. The grader seeds every call the
same way, so the first small_classifier a call builds is the model the trusted probe rebuilds
(zoo.grading.probes): its loss and accuracy on the batch are computed here from that model's
outputs, and the numbers a function reports must be those of its own run (a loss from another
model, from logits, or made up does not pass). Numbers are compared with references over
generated inputs (zoo.grading.differential)."""

import numpy as np
import pytest
from hypothesis import assume, strategies as st

from zoo.grading.checks import fail
from zoo.grading.differential import difference, differential, same

MODULE = "ex04_training_recipe"
EPS = 1e-7  # Keras clips probabilities to [EPS, 1 - EPS] in its cross-entropy


def batch(seed, n, d, classes, scale):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)) * scale).astype("float32"), rng.integers(0, classes, n)


def fresh_model(ex, x, y, classes):
    """(loss, accuracy) on (x, y) of the first small_classifier a graded call builds."""
    p = np.asarray(ex("small_classifier", x.shape[1], classes, probe="model", probe_kwargs={"x": x})["pred"], dtype=np.float64)
    picked = np.clip(p[np.arange(len(y)), y], EPS, 1 - EPS)
    return float(-np.mean(np.log(picked))), float(np.mean(p.argmax(axis=1) == y))


# inputs large enough that a fresh model is far from uniform (its loss is not log C)
CASES = [(1, 24, 20, 10, 3.0), (2, 16, 5, 4, 4.0)]


@pytest.mark.points(1)
@pytest.mark.hidden
def test_expected_initial_loss_any_classes(ex):
    """expected_initial_loss for 1 to 100,000 classes"""
    differential(st.integers(1, 100_000), lambda c: same(ex, "expected_initial_loss", (c,), want=float(np.log(c)), rtol=1e-9, atol=1e-12),
                 max_examples=30)


@pytest.mark.points(2)
@pytest.mark.hidden
def test_initial_loss_is_the_fresh_models_loss(ex):
    """initial_loss equals the cross-entropy of the fresh small_classifier's probabilities, on inputs where it is far from log C"""
    for seed, n, d, classes, scale in CASES[:1]:
        x, y = batch(seed, n, d, classes, scale)
        want, _ = fresh_model(ex, x, y, classes)
        got = ex("initial_loss", x, y, classes)
        problem = difference(got, want, rtol=1e-3, atol=1e-4)
        if problem:
            fail(f"initial_loss(<{n} points, {d} features, scale {scale:g}>, y, {classes}): {problem} "
                 f"(the fresh model's cross-entropy on its probabilities; log({classes}) = {np.log(classes):.4g})")


@pytest.mark.points(2)
@pytest.mark.hidden
def test_overfit_one_batch_reports_its_own_run(ex):
    """overfit_one_batch(steps=1): the first loss is that of the model it trains, and one step cannot overfit (150 do: the visible test)"""
    seed, n, d, classes, scale = CASES[1]
    x, y = batch(seed, n, d, classes, scale)
    start, _ = fresh_model(ex, x, y, classes)
    what = f"overfit_one_batch(<{n} points, {d} features>, y, {classes}, steps={{}})"
    first, last, _ = ex("overfit_one_batch", x, y, classes, steps=1)
    problem = difference(first, start, rtol=1e-3, atol=1e-4)
    if problem:
        fail(f"{what.format(1)}: the loss before training: {problem} (the loss of the model it trains, before its first step)")
    if not last > 0.4 * first:  # one step of this batch takes the loss from 2.93 to 2.33
        fail(f"{what.format(1)}: the loss fell from {first:.4g} to {last:.4g} in one step of Adam at 1e-2, "
             "which moves each weight by 0.01: more steps ran than asked for")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_majority_baseline_any_labels(ex):
    """majority_baseline on label sets with gaps (labels 0, 3, 7, ...), one training majority"""
    def check(case):
        y_train, y_test = (np.array(v) for v in case)
        counts = np.bincount(y_train)
        assume(np.sum(counts == counts.max()) == 1)
        same(ex, "majority_baseline", (y_train, y_test), want=float(np.mean(y_test == counts.argmax())), rtol=1e-9, atol=1e-12)
    labels = st.sampled_from([0, 3, 7, 8, 12])
    differential(st.tuples(st.lists(labels, min_size=1, max_size=12), st.lists(labels, min_size=1, max_size=12)), check, max_examples=40)
