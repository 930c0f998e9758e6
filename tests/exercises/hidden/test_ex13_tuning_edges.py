"""Graded edge cases of exercise 13: every hyperparameter of the space reaches the model (units,
dropout, learning rate), and dropout moves in steps of 0.1."""

import pytest

from zoo.grading.checks import expect, expect_close, expect_equal

MODULE = "ex13_tuning"


@pytest.mark.points(2)
@pytest.mark.hidden
def test_hyperparameters_reach_the_model(ex):
    """units=64, dropout=0.3, learning_rate=0.005 chosen by the search build that model"""
    out = ex("build_model", {"__hp__": {"units": 64, "dropout": 0.3, "learning_rate": 0.005}}, probe="hypermodel")
    m = out["model"]
    dense = [l for l in m["layers"] if l["class"] == "Dense"]
    expect_equal(dense[0].get("units") if dense else None, 64, "units of the hidden Dense layer (hp units=64)")
    drops = [l for l in m["layers"] if l["class"] == "Dropout"]
    expect(drops and abs(drops[0].get("rate", -1) - 0.3) < 1e-9, f"dropout rate {[l.get('rate') for l in drops]}; hp dropout=0.3")
    expect_close(m.get("learning_rate") or -1.0, 0.005, "the optimizer's learning rate (hp learning_rate=0.005)", rtol=1e-6)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_dropout_step(ex):
    """dropout in [0, 0.5] in steps of 0.1"""
    space = {p["name"]: p for p in ex("build_model", {"__hp__": True}, probe="hypermodel")["space"]}
    d = space.get("dropout", {})
    expect_equal((d.get("min_value"), d.get("max_value"), d.get("step")), (0.0, 0.5, 0.1), "dropout range and step")
