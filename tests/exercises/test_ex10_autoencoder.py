"""Graded: exercise 10, autoencoders (architecture, denoising pairs, training, KL, encoder transfer)."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array, expect_equal

MODULE = "ex10_autoencoder"


def patterns(n=256, d=16, seed=0):
    """Low-dimensional data in [0, 1]: mixtures of 3 fixed patterns."""
    rng = np.random.default_rng(seed)
    basis = rng.random((3, d))
    w = rng.dirichlet(np.ones(3), size=n)
    return (w @ basis).astype("float32")


@pytest.mark.points(2)
def test_autoencoder_architecture(ex):
    """encoder 16 -> 32 -> 8, decoder back to 16 with a sigmoid"""
    auto, enc = ex("build_autoencoder", 16, code_dim=8, probe="models", probe_kwargs={"x": patterns(4)})
    expect_equal(enc["output_shape"], [None, 8], "encoder output (code) shape")
    expect_equal(auto["output_shape"], [None, 16], "autoencoder output shape")
    expect_equal(auto["params"], (16 * 32 + 32) + (32 * 8 + 8) + (8 * 32 + 32) + (32 * 16 + 16), "autoencoder parameters")
    p = np.asarray(auto["pred"])
    expect(p.min() >= 0 and p.max() <= 1, f"reconstructions must lie in [0, 1] (sigmoid output); got [{p.min():.3f}, {p.max():.3f}]")
    expect(auto["compiled"], "the autoencoder should be compiled")


@pytest.mark.points(2)
def test_denoising_pairs(ex):
    """inputs are noisy and clipped, targets clean"""
    x = patterns(64)
    noisy, clean = ex("denoising_pairs", x, std=0.3, seed=0)
    expect_array(clean, x, "targets (must be the clean images)")
    expect_equal(np.asarray(noisy).shape, x.shape, "noisy input shape")
    noise = np.asarray(noisy) - x
    expect(0.15 < noise.std() < 0.35, f"noise std should be about 0.3 before clipping, got {noise.std():.3f}")
    expect(np.min(noisy) >= 0 and np.max(noisy) <= 1, "noisy inputs must be clipped to [0, 1]")


@pytest.mark.points(2)
def test_denoiser_learns(ex):
    """the denoiser's MSE falls to below half"""
    before, after = ex("train_denoiser", patterns(256), epochs=12)
    expect(after < 0.5 * before, f"reconstruction MSE should fall below half: {before:.4f} -> {after:.4f}")


@pytest.mark.points(2)
def test_kl_divergence(ex):
    """KL >= 0, 0 for N(0, I), sign and factor right"""
    rng = np.random.default_rng(0)
    mu, lv = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)) * 0.5
    want = -0.5 * np.sum(1 + lv - mu**2 - np.exp(lv), axis=1)
    got = expect_array(ex("kl_divergence", mu, lv), want, "kl_divergence(mu, log_var)")
    expect(np.all(got >= 0), "KL divergence must be >= 0")
    expect_array(ex("kl_divergence", np.zeros((2, 4)), np.zeros((2, 4))), np.zeros(2), "KL of N(0, I) to itself")


@pytest.mark.points(1)
def test_encoder_classifier(ex):
    """frozen encoder + softmax head: 27 trainable weights"""
    s = ex("encoder_classifier", 16, 3, code_dim=8, probe="model")
    expect_equal(s["output_shape"], [None, 3], "classifier output shape")
    expect_equal(s["trainable_params"], 8 * 3 + 3, "trainable parameters (the encoder must be frozen)")
