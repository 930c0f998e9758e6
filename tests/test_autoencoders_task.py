"""The reconstruction task module driven directly (denoising AE on digits, figure written),
and the autoencoder-vs-PCA comparison on held-out digits."""

import os

import numpy as np
import pytest

import keras

import zoo
from zoo.tasks import generation
from zoo.tasks import reconstruction as task
from zoo.autoencoders.pca import compare_with_pca
from zoo.data import ArrayDataset, load_digits


def _digits(size=16):
    (xtr, ytr), (xte, yte) = load_digits(size=size, border=0)
    names = [str(i) for i in range(10)]
    return ArrayDataset(xtr, ytr, "classification", names, "digits"), ArrayDataset(xte, yte, "classification", names, "digits")


def test_denoising_autoencoder_removes_noise_and_writes_noisy_output_clean_figure(tmp_path):
    train, test = _digits()
    keras.utils.set_random_seed(0)
    model = zoo.get_model("autoencoder_denoising", input_shape=train.x.shape[1:], classes=train.classes,
                          latent_dim=16, depth=2, width=16, noise=0.3)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), **task.compile_args(model, train))
    x, y = task.fit_data(model, train)
    assert x is y or np.array_equal(x, y)
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    metrics = task.evaluate(model, test)
    assert list(metrics)[0] == "mse"
    # the output on noisy inputs is much closer to the clean digits than the noisy inputs are
    assert metrics["mse_denoised"] < 0.5 * metrics["mse_noisy_input"], metrics
    png = task.plot_predictions(model, test, str(tmp_path / "denoise.png"))
    assert os.path.getsize(png) > 10_000
    with pytest.raises(ValueError, match="autoencoder"):
        task.predict_files(model, [], str(tmp_path), test.class_names)


def test_task_refuses_data_of_another_shape():
    train, _ = _digits()
    model = zoo.get_model("autoencoder_conv", input_shape=(8, 8, 1), depth=1, width=4, latent_dim=2)
    with pytest.raises(ValueError, match=r"input_shape=\(16, 16, 1\)"):
        task.fit_data(model, train)


def test_vae_plots_samples_and_latent_map(tmp_path):
    from zoo.plots import plot_latent_map, plot_vae_samples

    _, test = _digits()
    model = zoo.get_model("vae", input_shape=(16, 16, 1), latent_dim=2, depth=2, width=8)
    args = generation.compile_args(model, test)
    assert type(args["loss"]).__name__ == "BernoulliReconstructionLoss" and args["metrics"] == ["mse"]
    z_mean, _ = model.encoder.predict(test.x, verbose=0)
    grid = np.linspace(-2, 2, 5)
    codes = np.array([[a, b] for b in grid[::-1] for a in grid], "float32")
    decoded = model.decoder.predict(codes, verbose=0).reshape(5, 5, 16, 16, 1)
    p1 = plot_latent_map(z_mean, test.y, str(tmp_path / "latent.png"), decoder_grid=decoded, extent=2)
    p2 = plot_vae_samples(model.sample(16), str(tmp_path / "samples.png"))
    assert os.path.getsize(p1) > 10_000 and os.path.getsize(p2) > 5_000
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_latent_map(np.zeros(5), None, str(tmp_path / "x.png"))


def test_conv_autoencoder_beats_pca_on_held_out_digits_at_latent_size_8(tmp_path):
    result = compare_with_pca(8, size=8, epochs=12, width=16, plot_path=str(tmp_path / "ae_vs_pca.png"))
    assert result["ae_mse"] < result["pca_mse"], result
    assert os.path.getsize(result["plot"]) > 10_000
    with pytest.raises(ValueError, match="latent_dim"):
        compare_with_pca(0)
