"""One fit for every kind of run (`zoo.training.fitting`): train's and transfer's phases stop on a
NaN loss with the same message, and a fit resumed at epoch e trains epoch e as the whole run does."""

import keras
import numpy as np
import pytest

from zoo.training.callbacks import TrainingDiverged
from zoo.training.fitting import fit_epochs


def _tiny(lr):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data(n=32):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype("float32") * 100, rng.integers(0, 3, n)


def test_a_diverging_fit_raises_with_the_epoch_batch_and_causes():
    x, y = _data()
    with pytest.raises(TrainingDiverged, match=r"NaN/inf in epoch 1, batch \d+\. Likely causes: the learning rate"):
        fit_epochs(_tiny(1e38), x, y, batch_size=8, seed=0, epochs=3)


def test_a_fit_resumed_at_epoch_2_ends_with_the_weights_of_the_uninterrupted_fit():
    x, y = _data()
    x = x / 100
    whole, cut = _tiny(0.05), _tiny(0.05)
    cut.set_weights(whole.get_weights())
    start = whole.get_weights()
    fit_epochs(whole, x, y, batch_size=8, seed=5, epochs=3)
    fit_epochs(cut, x, y, batch_size=8, seed=5, epochs=2)
    fit_epochs(cut, x, y, batch_size=8, seed=5, epochs=3, initial_epoch=2)  # a new process would start here
    for a, b in zip(whole.get_weights(), cut.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    other = _tiny(0.05)  # epoch 2 in another epoch's order ends elsewhere: the check can fail
    other.set_weights(start)
    fit_epochs(other, x, y, batch_size=8, seed=5, epochs=2)
    fit_epochs(other, x, y, batch_size=8, seed=5, epochs=2, initial_epoch=1)
    assert not all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(whole.get_weights(), other.get_weights()))


def test_transfer_phases_stop_on_a_nan_loss_as_train_does():
    from zoo.transfer import fine_tune, new_head

    rng = np.random.default_rng(0)
    backbone = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="conv"), keras.layers.Flatten()], name="tiny")
    model = new_head(backbone, 2, 0.0)
    x, y = rng.random((16, 8, 8, 1)).astype("float32"), rng.integers(0, 2, 16)
    with pytest.raises(TrainingDiverged, match="NaN/inf in epoch 1"):
        fine_tune(model, x, y, epochs=(2, 0), learning_rates=(1e38, 1e-4), batch_size=4, from_scratch=True, log=lambda line: None)
