"""Graded edge cases of exercise 9: freeze() freezes, and fine-tuning recompiles at a learning
rate far below the first one."""

import pytest

from zoo.grading.checks import expect, expect_equal

MODULE = "ex09_transfer"
BACKBONE = {"__backbone__": {"input_shape": (16, 16, 3)}}


@pytest.mark.points(1)
@pytest.mark.hidden
def test_freeze_freezes(ex):
    """freeze(backbone) leaves no trainable weight"""
    s = ex("freeze", BACKBONE, probe="model")
    expect_equal(s["trainable_params"], 0, "trainable parameters of freeze(backbone)")


@pytest.mark.points(2)
@pytest.mark.hidden
def test_fine_tune_recompiles_at_a_low_learning_rate(ex):
    """after unfreezing, the model is compiled again with a learning rate <= 1e-4, below the first"""
    first = ex("build_transfer_model", BACKBONE, 5, probe="model")["learning_rate"]
    tuned = ex("fine_tune_model", BACKBONE, 5, 2, probe="model")["learning_rate"]
    expect(first is not None and tuned is not None, "both models must be compiled")
    expect(tuned <= 1e-4 and tuned < first / 5,
           f"fine-tuning learning rate {tuned:g} (first {first:g}): recompile with a far lower one (e.g. 1e-5)")
