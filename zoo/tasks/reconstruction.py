"""The reconstruction task: the model gives back its input (`autoencoder_dense`, `autoencoder_conv`,
`autoencoder_denoising`; the VAE adds its generative pictures in `zoo.tasks.generation`).

`fit_data` returns (x, x). The denoising autoencoder adds its Gaussian noise inside the model (only
while training); `evaluate` and the figures also feed it noisy images with the same noise level
to show the denoising. Any image dataset fits: only the images are used.
"""

from __future__ import annotations

import os

import numpy as np

from zoo import plots

name = "reconstruction"
dataset_tasks = ("classification", "segmentation", "detection")


def noise_stddev(model):
    """The training-noise standard deviation of a denoising autoencoder (None for others)."""
    try:
        layer = model.get_layer("noise")
    except ValueError:
        return None
    return float(layer.stddev)


def images(model, dataset):
    """The dataset's images as float32, checked against the model's input shape and [0, 1]."""
    x = np.asarray(dataset.x, dtype=np.float32)
    want = tuple(model.inputs[0].shape[1:])
    if x.ndim != 4 or tuple(x.shape[1:]) != want:
        raise ValueError(
            f"model {model.name!r} takes images of shape {want} but dataset {dataset.name!r} has "
            f"{tuple(x.shape[1:])}; build the model with input_shape={tuple(x.shape[1:])}"
        )
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"autoencoders reconstruct images in [0, 1] (sigmoid output); dataset {dataset.name!r} "
            f"ranges {x.min():.3g}..{x.max():.3g}"
        )
    return x


def add_noise(x, stddev, *, seed=0):
    """x + N(0, stddev^2) noise, clipped to [0, 1] (the noisy inputs a denoiser is shown)."""
    rng = np.random.default_rng(seed)
    return np.clip(x + rng.normal(0.0, stddev, x.shape).astype(np.float32), 0.0, 1.0)


def compile_args(model, dataset):
    """Pixel-wise binary cross-entropy (sigmoid outputs in [0, 1]) and MSE as metric."""
    images(model, dataset)
    return {"loss": "binary_crossentropy", "metrics": ["mse"]}


def fit_data(model, dataset):
    """(x, x): the target is the clean input."""
    x = images(model, dataset)
    return x, x


def evaluate(model, dataset):
    """Held-out reconstruction metrics: mse first, then mae and PSNR (dB); for a denoising model
    also the MSE of its outputs on noisy inputs and of the noisy inputs themselves."""
    x = images(model, dataset)
    out = np.asarray(model.predict(x, batch_size=128, verbose=0))
    mse = float(np.mean((out - x) ** 2))
    res = {"mse": mse, "mae": float(np.mean(np.abs(out - x))), "psnr": float(10 * np.log10(1.0 / max(mse, 1e-12)))}
    stddev = noise_stddev(model)
    if stddev:
        noisy = add_noise(x, stddev)
        den = np.asarray(model.predict(noisy, batch_size=128, verbose=0))
        res["mse_denoised"] = float(np.mean((den - x) ** 2))
        res["mse_noisy_input"] = float(np.mean((noisy - x) ** 2))
    return res


def plot_predictions(model, dataset, path, *, count=10, name=None):
    """Reconstructions grid: input / output; a denoiser shows noisy / output / clean. `name`: the
    model's name in the title (default `model.name`)."""
    x = images(model, dataset)[:count]
    stddev = noise_stddev(model)
    if stddev:
        noisy = add_noise(x, stddev)
        out = np.asarray(model.predict(noisy, verbose=0))
        rows = {"noisy": noisy, "output": out, "clean": x}
        title = f"Denoising autoencoder (noise stddev {stddev:g})"
        return plots.plot_reconstructions(rows, path, reference="clean", title=title)
    rows = {"input": x, "output": np.asarray(model.predict(x, verbose=0))}
    return plots.plot_reconstructions(rows, path, title=f"{name or model.name}: reconstructions of held-out images")


def figures(model, dataset, out, *, prefix="", name=None):
    """`predictions.png` (inputs above their reconstructions) in folder `out`, `prefix` in front,
    the model called `name` (default `model.name`) in its title."""
    return [os.path.basename(plot_predictions(model, dataset, os.path.join(out, f"{prefix}predictions.png"), name=name))]


def predict_files(model, paths, out_dir, class_names):
    """Refused: an autoencoder has no labels to predict (`zoo evaluate` shows its reconstructions)."""
    raise ValueError(
        f"`zoo predict` labels images, and {model.name!r} is an autoencoder (task reconstruction/"
        "generation) with no labels; use `zoo evaluate` for its reconstruction error and plots"
    )
