"""Graded edge cases of exercise 10: a ReLU code, noisy inputs kept in [0, 1], KL summed over
the code, code_dim reaching the classifier."""

import numpy as np
import pytest

from zoo.grading.checks import expect, expect_array, expect_equal

MODULE = "ex10_autoencoder"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_code_is_relu_and_code_dim_reaches_the_classifier(ex):
    """the code layer uses ReLU; encoder_classifier(code_dim=4) trains 4 * 3 + 3 weights"""
    auto, enc = ex("build_autoencoder", 10, code_dim=5, probe="models")
    dense = [l for l in enc["layers"] if l["class"] == "Dense"]
    expect(dense and dense[-1].get("activation") == "relu" and dense[-1].get("units") == 5,
           f"the code layer: {[(l.get('units'), l.get('activation')) for l in dense]}; expected 5 ReLU units last")
    s = ex("encoder_classifier", 10, 3, code_dim=4, probe="model")
    expect_equal(s["trainable_params"], 4 * 3 + 3, "trainable parameters of encoder_classifier(10, 3, code_dim=4)")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_noisy_in_range_and_kl_summed(ex):
    """noisy pixels stay in [0, 1]; KL sums over the code dimensions"""
    noisy, _ = ex("denoising_pairs", np.full((20, 30), 0.95, dtype="float32"), std=0.5, seed=2)
    expect(float(np.min(noisy)) >= 0.0 and float(np.max(noisy)) <= 1.0, "noisy pixels must be clipped to [0, 1]")
    mu, lv = np.array([[1.0, 2.0, 0.0]]), np.array([[0.0, 0.5, -1.0]])
    want = -0.5 * np.sum(1 + lv - mu**2 - np.exp(lv), axis=1)
    expect_array(ex("kl_divergence", mu, lv), want, "kl_divergence over a 3-dimensional code (a sum)")
