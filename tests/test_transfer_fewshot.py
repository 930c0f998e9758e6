"""The offline pretraining stories: features learned on one task help a few-shot task.

Backbone route: pretrain a small CNN on digits 0-4, transfer it to digits 5-9 with 2 labelled
images per class; two-phase fine-tuning from the pretrained backbone beats the same network
trained from scratch on the same images, averaged over seeds.

Autoencoder route: pretrain a conv autoencoder without labels on all training digits, put a head
on its encoder and train with 2 labels per class, against the same encoder trained from scratch.
OPEN: this does not beat scratch yet (measured, see the xfail reason); marked slow + strict xfail.
"""

import numpy as np
import pytest

import keras
from keras import layers

from zoo import transfer as T
from zoo.data import load_digits
from zoo.io import save_model

SEEDS = (0, 1, 2)
SHOTS = 2


def small_cnn(name="digits_cnn"):
    """Three conv blocks (32-64-64 filters) named by the zoo's stage convention."""
    inputs = keras.Input((32, 32, 1))
    x = inputs
    for k, filters in enumerate((32, 64, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{k}")(x)
        x = layers.MaxPooling2D(2, name=f"stage{k}")(x)
    return keras.Model(inputs, x, name=name)


def _accuracy(model, x, y):
    return float((np.asarray(model.predict(x, batch_size=256, verbose=0)).argmax(1) == y).mean())


def _scratch(model, x, y, epochs, lr=3e-3, batch_size=16):
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


@pytest.fixture(scope="module")
def digits_split():
    """Digits 0-4 (pretraining task) and 5-9 relabelled 0-4 (target task)."""
    (xa, ya), _ = load_digits(32, classes=[0, 1, 2, 3, 4])
    (xb, yb), (xbt, ybt) = load_digits(32, classes=[5, 6, 7, 8, 9])
    return (xa, ya), (xb, yb - 5), (xbt, ybt - 5)


@pytest.fixture(scope="module")
def pretrained_cnn(digits_split, tmp_path_factory):
    """A classifier for digits 0-4 (light augmentation), saved as .keras; returns its path."""
    from zoo.demo import augmentation_layers

    (xa, ya), _, _ = digits_split
    keras.utils.set_random_seed(0)
    model = T.new_head(small_cnn(), 5, 0.2)
    trainer = keras.Sequential([keras.Input((32, 32, 1)), augmentation_layers(1.5), model])
    _scratch(trainer, xa, ya, epochs=6, lr=2e-3)
    assert _accuracy(model, xa, ya) > 0.9  # the pretraining task is learned
    path = str(tmp_path_factory.mktemp("pretrain") / "digits04.keras")
    save_model(model, path)
    return path


def test_pretrained_backbone_beats_scratch_on_few_shot_digits(digits_split, pretrained_cnn):
    _, (xb, yb), (xbt, ybt) = digits_split
    transfer, scratch = [], []
    for seed in SEEDS:
        x, y = T.few_shot(xb, yb, SHOTS, seed=seed)  # full-batch steps: no shuffling noise
        keras.utils.set_random_seed(seed)
        backbone = T.load_backbone_weights(small_cnn(), pretrained_cnn)
        model = T.new_head(backbone, 5, dropout=0.0)
        T.fine_tune(model, x, y, epochs=(40, 20), learning_rates=(3e-3, 3e-4), unfreeze=1, batch_size=len(y), log=lambda s: None)
        transfer.append(_accuracy(model, xbt, ybt))
        keras.utils.set_random_seed(seed)
        scratch.append(_accuracy(_scratch(T.new_head(small_cnn(), 5, dropout=0.0), x, y, epochs=60, batch_size=len(y)), xbt, ybt))
    print(f"\nbackbone route, digits 5-9, {SHOTS} shots/class, {len(ybt)} test images: transfer {np.round(transfer, 3)} scratch {np.round(scratch, 3)}")
    assert np.mean(transfer) > np.mean(scratch) + 0.02, (transfer, scratch)


@pytest.fixture(scope="module")
def all_digits():
    return load_digits(32)


@pytest.fixture(scope="module")
def pretrained_autoencoder(all_digits):
    """The zoo's conv autoencoder trained without labels on every training digit."""
    from zoo.models.autoencoder import autoencoder_conv

    (x, _), (xt, _) = all_digits
    keras.utils.set_random_seed(0)
    ae = autoencoder_conv(input_shape=(32, 32, 1), latent_dim=AE_LATENT)
    ae.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse")
    ae.fit(x, x, epochs=15, batch_size=32, verbose=0)
    assert ae.evaluate(xt, xt, verbose=0) < 0.01  # it reconstructs held-out digits
    return ae


AE_LATENT = 32
AE_SHOTS = 2


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="open: measured transfer 0.692/0.633/0.667 vs scratch 0.694/0.672/0.725 (2 labels/class, "
    "autoencoder_conv latent 32, MSE 15 epochs); the AE code is no better than pixels here. "
    "strict: passing turns this red, so the marker gets removed",
)
def test_autoencoder_encoder_beats_scratch_with_few_labels(all_digits, pretrained_autoencoder):
    from zoo.models.autoencoder import autoencoder_conv

    (x_all, y_all), (xt, yt) = all_digits
    transfer, scratch = [], []
    for seed in SEEDS:
        x, y = T.few_shot(x_all, y_all, AE_SHOTS, seed=seed)
        keras.utils.set_random_seed(seed)
        copy = autoencoder_conv(input_shape=(32, 32, 1), latent_dim=AE_LATENT)  # each seed starts from the pretrained weights
        copy.set_weights(pretrained_autoencoder.get_weights())
        model = T.encoder_classifier(copy, 10, dropout=0.0)
        T.fine_tune(model, x, y, epochs=(40, 20), learning_rates=(1e-2, 3e-4), unfreeze=9, batch_size=len(y), log=lambda s: None)
        transfer.append(_accuracy(model, xt, yt))
        keras.utils.set_random_seed(seed)
        fresh = autoencoder_conv(input_shape=(32, 32, 1), latent_dim=AE_LATENT)
        scratch.append(_accuracy(_scratch(T.encoder_classifier(fresh, 10, dropout=0.0), x, y, epochs=60, batch_size=len(y)), xt, yt))
    print(f"\nautoencoder route, digits 0-9, {AE_SHOTS} labels/class, {len(yt)} test images: transfer {np.round(transfer, 3)} scratch {np.round(scratch, 3)}")
    assert np.mean(transfer) > np.mean(scratch) + 0.02, (transfer, scratch)
