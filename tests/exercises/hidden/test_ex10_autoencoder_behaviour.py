"""Graded behaviour of exercise 10: the denoiser is judged by what reached `fit` (recorded in
the child, not reported by the submission): noisy inputs made with the `std` asked for, the clean
images as targets, the epochs asked for; the noise follows its seed and its `std`; the encoder
classifier gives probabilities."""

import numpy as np
import pytest

from test_ex10_autoencoder import patterns  # the visible file's data
from zoo.grading.checks import expect, expect_array, expect_equal

MODULE = "ex10_autoencoder"


@pytest.mark.points(2)
@pytest.mark.hidden
def test_the_denoiser_fits_noisy_inputs_to_the_clean_images(ex):
    """train_denoiser(x, epochs=3, std=0.1): fit gets inputs with noise of std about 0.1 and the
    clean x as targets, for 3 epochs in all"""
    x = patterns(128, d=16, seed=3) * 0.6 + 0.2  # in [0.2, 0.8]: noise of 0.1 is rarely clipped
    out = ex("train_denoiser", x, epochs=3, std=0.1, probe="fits")
    fits = [f for f in out.get("fits", []) if isinstance(f, dict)] if isinstance(out, dict) else []
    expect(fits, "train_denoiser() should train the autoencoder with model.fit(inputs, targets, ...)")
    arrays = [f for f in fits if f.get("x") is not None and f.get("y") is not None]
    expect(arrays, "fit should get the arrays (noisy inputs, clean targets) themselves")
    inputs, targets = np.asarray(arrays[0]["x"], float), np.asarray(arrays[0]["y"], float)
    expect_equal(list(targets.shape), list(x.shape), "shape of the targets fit was given")
    expect_array(targets, x, "the targets fit was given (they must be the clean images)", atol=1e-6)
    noise = inputs - x
    expect(not np.allclose(noise, 0), "fit was given the clean images as inputs: a denoiser learns from noisy inputs")
    expect(0.08 < float(noise.std()) < 0.12,
           f"the noise in the inputs fit was given has std {noise.std():.3f}; train_denoiser(std=0.1) asks for 0.1")
    epochs = sum(int(f.get("epochs") or 1) - int(f.get("initial_epoch") or 0) for f in fits)
    expect_equal(epochs, 3, "epochs trained in all (train_denoiser(epochs=3))")
    before, after = out["result"]
    expect(after < before, f"the reconstruction error should fall: {before:.4f} -> {after:.4f}")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_the_noise_follows_its_seed_and_std(ex):
    """denoising_pairs: the same seed gives the same noise, another seed other noise, std=0 none"""
    x = np.full((40, 25), 0.5, dtype="float32")
    a, _ = ex("denoising_pairs", x, std=0.05, seed=4)
    b, _ = ex("denoising_pairs", x, std=0.05, seed=4)
    c, _ = ex("denoising_pairs", x, std=0.05, seed=5)
    expect_array(a, b, "denoising_pairs(x, seed=4) twice (the same seed gives the same noise)")
    expect(not np.allclose(a, c), "denoising_pairs(x, seed=4) and (x, seed=5) gave the same noise: use the seed")
    expect(0.04 < float(np.std(np.asarray(a) - x)) < 0.06, f"noise std {np.std(np.asarray(a) - x):.3f} for std=0.05")
    none, _ = ex("denoising_pairs", x, std=0.0, seed=4)
    expect_array(none, x, "denoising_pairs(x, std=0) (no noise)")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_the_encoder_classifier_gives_probabilities(ex):
    """encoder_classifier(12, 4, code_dim=3): each prediction is 4 probabilities summing to 1"""
    s = ex("encoder_classifier", 12, 4, code_dim=3, probe="model", probe_kwargs={"x": patterns(6, d=12, seed=1)})
    p = np.asarray(s["pred"], float)
    expect_equal(list(p.shape), [6, 4], "shape of the predictions of 6 inputs")
    expect(np.all(p >= 0) and np.allclose(p.sum(axis=1), 1, atol=1e-4),
           f"the rows should be probabilities (a softmax output); row sums {np.round(p.sum(axis=1), 3).tolist()}")
