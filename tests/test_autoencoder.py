"""Autoencoders: shapes, .encoder/.decoder (also after save/load), training-only noise, the VAE's
reconstruction + KL loss, on TensorFlow and JAX."""

import numpy as np
import pytest

import keras

import zoo
from zoo.models.autoencoder import VAE, Autoencoder, Sampling

pytestmark = pytest.mark.portable

SMALL = dict(input_shape=(16, 16, 1), latent_dim=4, depth=2, width=8)
NAMES = ["autoencoder_dense", "autoencoder_conv", "autoencoder_denoising", "vae"]


def _x(n=6, seed=0):
    return np.random.default_rng(seed).random((n, 16, 16, 1)).astype("float32")


@pytest.mark.parametrize("name", NAMES)
def test_encoder_and_decoder_are_models_that_compose_to_the_autoencoder(name):
    model = zoo.get_model(name, classes=10, **SMALL)  # classes: the zoo's common call, ignored
    x = _x()
    out = keras.ops.convert_to_numpy(model(x, training=False))
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
    assert isinstance(model.encoder, keras.Model) and isinstance(model.decoder, keras.Model)
    code = model.encoder(x, training=False)
    if name == "vae":  # (z_mean, z_log_var); inference decodes z_mean
        assert [tuple(c.shape) for c in code] == [(6, 4), (6, 4)]
        code = code[0]
    assert tuple(code.shape) == (6, 4)
    again = keras.ops.convert_to_numpy(model.decoder(code, training=False))
    np.testing.assert_allclose(again, out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["autoencoder_conv", "vae"])
def test_encoder_and_decoder_come_back_after_save_and_load(name, tmp_path):
    model = zoo.get_model(name, **SMALL)
    x = _x()
    path = str(tmp_path / "ae.keras")
    model.save(path)
    loaded = zoo.load_model(path)
    assert type(loaded) is type(model) and isinstance(loaded, Autoencoder)
    a = model.encoder.predict(x, verbose=0)
    b = loaded.encoder.predict(x, verbose=0)
    for u, v in zip(a if name == "vae" else [a], b if name == "vae" else [b]):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
    z = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(model.decoder.predict(z, verbose=0), loaded.decoder.predict(z, verbose=0), rtol=1e-5, atol=1e-6)


def test_denoising_noise_is_added_in_training_only():
    model = zoo.get_model("autoencoder_denoising", noise=0.5, **SMALL)
    x = _x()
    infer1 = keras.ops.convert_to_numpy(model(x, training=False))
    infer2 = keras.ops.convert_to_numpy(model(x, training=False))
    train = keras.ops.convert_to_numpy(model(x, training=True))
    np.testing.assert_array_equal(infer1, infer2)
    assert np.abs(train - infer1).max() > 1e-3
    assert model.get_layer("noise").stddev == 0.5


def test_vae_loss_is_reconstruction_plus_kl():
    model = zoo.get_model("vae", **SMALL)
    model.compile(optimizer="adam")
    x = _x(8)
    loss = model.evaluate(x, x, batch_size=8, verbose=0)
    loss = loss[0] if isinstance(loss, list) else loss
    mean, log_var = model.encoder.predict(x, verbose=0)
    p = np.clip(model.predict(x, verbose=0), 1e-7, 1 - 1e-7)
    recon = np.mean(np.sum(-(x * np.log(p) + (1 - x) * np.log(1 - p)), axis=(1, 2, 3)))
    kl = np.mean(-0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=-1))
    assert kl > 0
    np.testing.assert_allclose(loss, recon + kl, rtol=1e-4)
    # behind another layer (as with augmentation), the compiled loss + the Sampling layer's KL
    from zoo.models.autoencoder import BernoulliReconstructionLoss

    wrapped = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Identity(), model])
    wrapped.compile(optimizer="adam", loss=BernoulliReconstructionLoss())
    np.testing.assert_allclose(wrapped.evaluate(x, x, batch_size=8, verbose=0), recon + kl, rtol=1e-4)


def test_vae_trains_on_digits_and_samples():
    from zoo.data import load_digits

    (x, _), _ = load_digits(size=16, border=0)
    model = zoo.get_model("vae", input_shape=(16, 16, 1), latent_dim=2, depth=2, width=16)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    hist = model.fit(x[:512], epochs=4, batch_size=64, verbose=0).history["loss"]
    assert hist[-1] < 0.85 * hist[0], hist
    samples = model.sample(5, seed=3)
    assert samples.shape == (5, 16, 16, 1) and np.isfinite(samples).all()


def test_sampling_layer_config_round_trip():
    layer = Sampling(kl_weight=0.5, seed=7, name="s")
    again = Sampling.from_config(layer.get_config())
    assert again.kl_weight == 0.5 and again.seed == 7 and again.name == "s"
    mean = np.ones((2, 3), "float32")
    log_var = np.zeros((2, 3), "float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(again([mean, log_var], training=False)), mean)
    drawn = keras.ops.convert_to_numpy(again([mean, log_var], training=True))
    assert drawn.shape == (2, 3) and not np.allclose(drawn, mean)
    assert isinstance(zoo.get_model("vae", **SMALL), VAE)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(latent_dim=0), "latent_dim"),
        (dict(depth=1.5), "depth"),
        (dict(output_activation="relu"), "output_activation"),
        (dict(input_shape=(18, 18, 1)), "multiples of 4 .*16, 20"),
        (dict(include_top=False, frobnicate=1), "frobnicate"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    args = dict(SMALL, **kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        zoo.get_model("autoencoder_conv", **args)
    with pytest.raises(ValueError, match="noise"):
        zoo.get_model("autoencoder_denoising", noise=0, **SMALL)
