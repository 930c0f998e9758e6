"""`zoo check`: the recipe checks pass on LeNet-5 / digits and warn on planted bugs."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from zoo.data import ArrayDataset, load  # noqa: E402
from zoo.training.recipe import format_table, run_checks  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    d = load("digits", "train")
    return ArrayDataset(d.x[:512], d.y[:512], d.task, d.class_names, d.name)


def test_lenet5_on_digits_passes_every_check(digits, tmp_path):
    results = run_checks("lenet5", digits, out=str(tmp_path), verbose=False)
    table = format_table(results)
    assert [r.status for r in results] == ["pass"] * 6, table
    assert "6 pass, 0 warn, 0 fail" in table
    assert (tmp_path / "lr_range_test.png").exists()
    assert 1e-4 < results[4].data["suggested_lr"] < 1e-1
    assert results[5].data["dtype"] == "float64" and results[5].data["max_rel_error"] < 1e-5


def _planted(kernel_init="glorot_uniform", softmax=True):
    def build():
        i = keras.Input((32, 32, 1))
        x = keras.layers.Conv2D(8, 3, activation="relu", kernel_initializer=kernel_init)(i)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(10, kernel_initializer=kernel_init)(x)
        if softmax:
            x = keras.layers.Softmax()(x)
        return keras.Model(i, x)

    return build


@pytest.mark.portable
def test_softmax_before_a_logits_loss_is_flagged(digits):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    b, d = run_checks(_planted(), digits, loss=loss, checks="bd", verbose=False)
    assert b.status == "warn" and "softmax applied twice" in b.detail
    if keras.backend.backend() != "tensorflow":
        # TensorFlow quietly takes the logits from under a Softmax layer; JAX/torch really apply
        # softmax twice, and then the loss has a floor (ln(1 + 9/e) = 1.46 for 10 classes)
        assert d.status == "warn" and "cannot reach 0" in d.detail, d.detail


def test_too_large_init_is_flagged(digits):
    big = keras.initializers.RandomNormal(stddev=30.0, seed=1)
    (b,) = run_checks(_planted(kernel_init=big, softmax=False), digits, checks="b", verbose=False)
    assert b.status == "warn" and "too large" in b.detail, b.detail
    (ok,) = run_checks(_planted(softmax=False), digits, checks="b", verbose=False)
    assert ok.status == "pass", ok.detail
