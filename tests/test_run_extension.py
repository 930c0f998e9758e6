"""`zoo train --epochs 6` on a finished 4-epoch run goes on with the optimizer's state: Adam's
step count and moments, and the learning-rate schedule where it stopped."""

import keras
import numpy as np
import pytest

from tests.test_train import _small
from zoo.data import ArrayDataset
from zoo.training.optimizers import (
    continue_optimizer,
    learning_rate_at,
    make_optimizer,
    save_optimizer_state,
)


def test_4_epochs_extended_by_2_train_as_6_epochs(tmp_path):
    """"The same" here: the weights and the optimizer's variables of 4 + 2 epochs equal those of
    an uninterrupted 6-epoch run up to float32 rounding (atol 1e-6). The steps are full batches
    at a constant rate, so neither the shuffle order nor the schedule's length can differ between
    the two; an extension that started a fresh Adam moves each weight by about lr (1e-3) in its
    first step instead and fails by far."""
    import zoo
    from zoo.training.train import train

    tr, va, te = _small(40, 16)
    data = (tr, ArrayDataset(va.x[:16], va.y[:16], va.task, va.class_names, va.name), te)
    kw = {"batch_size": 40, "lr": 1e-3, "schedule": "constant", "datasets": data, "verbose": 0}
    train("lenet5", "digits", str(tmp_path / "extended"), epochs=4, **kw)
    metrics = train("lenet5", "digits", str(tmp_path / "extended"), epochs=6, **kw)
    train("lenet5", "digits", str(tmp_path / "straight"), epochs=6, **kw)
    assert metrics["extended_from_epoch"] == 4 and metrics["epochs_run"] == 6
    extended, straight = (zoo.load_model(str(tmp_path / d)).get_weights() for d in ("extended", "straight"))
    for a, b in zip(extended, straight):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with np.load(tmp_path / "extended" / "optimizer.npz") as a, np.load(tmp_path / "straight" / "optimizer.npz") as b:
        assert int(a["0"]) == int(b["0"]) == 6  # optimizer.iterations: one full batch per epoch
        for k in b.files:
            np.testing.assert_allclose(a[k], b[k], atol=1e-6)


def test_an_augmented_run_extended_from_4_to_6_epochs_is_the_uninterrupted_6_epoch_run(tmp_path):
    """With random layers (augmentation) the extension also goes on with their generators' state:
    epochs 5 and 6 draw the flips and rotations the uninterrupted run draws there, so every
    epoch's loss and the final weights are the 6-epoch run's (as a resumed run's are). A constant
    rate: a 4-epoch cosine's first epochs are not a 6-epoch cosine's."""
    from tests.test_resume_same_run import _same_run
    from zoo.training.train import train

    tr, va, te = _small(80, 16)
    data = (tr, ArrayDataset(va.x[:16], va.y[:16], va.task, va.class_names, va.name), te)
    kw = {"batch_size": 16, "lr": 1e-3, "schedule": "constant", "augment": True, "datasets": data, "verbose": 0}
    train("lenet5", "digits", str(tmp_path / "extended"), epochs=4, **kw)
    assert not (tmp_path / "extended" / "backup").exists()  # a finished run keeps no backup
    metrics = train("lenet5", "digits", str(tmp_path / "extended"), epochs=6, **kw)
    train("lenet5", "digits", str(tmp_path / "straight"), epochs=6, **kw)
    assert metrics["extended_from_epoch"] == 4 and metrics["epochs_run"] == 6
    _same_run(tmp_path / "extended", tmp_path / "straight")


def _steps(optimizer, model, n):
    for _ in range(n):
        optimizer.apply_gradients([(keras.ops.full(v.shape, 0.1), v) for v in model.trainable_variables])


@pytest.mark.portable
def test_the_schedule_goes_on_where_it_stopped(tmp_path):
    """A cosine run of 4 epochs of 3 steps, extended to 6: after the extension's restore the step
    count is 12 and the learning rate of epoch 5 is the one an uninterrupted 6-epoch run uses
    there; Adam's moments are the 4-epoch run's."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    first = make_optimizer("adam", 1e-2, schedule="cosine", total_steps=4 * 3, steps_per_epoch=3)
    first.build(model.trainable_variables)
    _steps(first, model, 12)
    path = save_optimizer_state(first, tmp_path / "optimizer.npz")

    extension = make_optimizer("adam", 1e-2, schedule="cosine", total_steps=6 * 3, steps_per_epoch=3)
    assert continue_optimizer(extension, model.trainable_variables, path, 4 * 3)
    straight = make_optimizer("adam", 1e-2, schedule="cosine", total_steps=6 * 3, steps_per_epoch=3)
    assert int(extension.iterations) == 12
    assert learning_rate_at(extension, extension.iterations) == pytest.approx(learning_rate_at(straight, 12))
    assert learning_rate_at(extension, extension.iterations) > 1e-3  # not the 4-epoch cosine's end (0)
    for a, b in zip(extension.variables, first.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


@pytest.mark.portable
def test_a_run_saved_without_the_state_still_continues_the_schedule(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    extension = make_optimizer("adam", 1e-2, schedule="cosine", total_steps=18, steps_per_epoch=3)
    assert not continue_optimizer(extension, model.trainable_variables, tmp_path / "missing.npz", 12)
    assert int(extension.iterations) == 12
