"""The reconstruction / generation task module (contract 3): what `zoo train / evaluate` call
for the autoencoders (`autoencoder_dense`, `autoencoder_conv`, `autoencoder_denoising`, `vae`).

The model learns to give back its input: `fit_data` returns (x, x). The denoising autoencoder
adds its Gaussian noise inside the model (only while training); `evaluate` and
`plot_predictions` also feed it noisy images with the same noise level to show the denoising.
"""

from __future__ import annotations

import numpy as np


def _is_vae(model):
    from zoo.models.autoencoder import VAE

    return isinstance(model, VAE)


def noise_stddev(model):
    """The training-noise standard deviation of a denoising autoencoder (None for others)."""
    try:
        layer = model.get_layer("noise")
    except ValueError:
        return None
    return float(layer.stddev)


def _images(model, dataset):
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
    """Pixel-wise binary cross-entropy (sigmoid outputs in [0, 1]) and MSE as metric. The VAE's
    own `compute_loss` (reconstruction + KL) ignores the loss given; it is the same per-image
    Bernoulli reconstruction loss, so a wrapper model (augmentation) trains the same objective."""
    _images(model, dataset)
    if _is_vae(model):
        from zoo.models.autoencoder import BernoulliReconstructionLoss

        return {"loss": BernoulliReconstructionLoss(), "metrics": ["mse"]}
    return {"loss": "binary_crossentropy", "metrics": ["mse"]}


def fit_data(model, dataset):
    """(x, x): the target is the clean input."""
    x = _images(model, dataset)
    return x, x


def evaluate(model, dataset):
    """Held-out reconstruction metrics: mse first, then mae and PSNR (dB); for a denoising model
    also the MSE of its outputs on noisy inputs and of the noisy inputs themselves."""
    x = _images(model, dataset)
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


def plot_predictions(model, dataset, path, *, count=10):
    """Reconstructions grid: input / output; a denoiser shows noisy / output / clean."""
    from zoo.plots import plot_reconstructions

    x = _images(model, dataset)[:count]
    stddev = noise_stddev(model)
    if stddev:
        noisy = add_noise(x, stddev)
        out = np.asarray(model.predict(noisy, verbose=0))
        rows = {"noisy": noisy, "output": out, "clean": x}
        title = f"Denoising autoencoder (noise stddev {stddev:g})"
        return plot_reconstructions(rows, path, reference="clean", title=title)
    rows = {"input": x, "output": np.asarray(model.predict(x, verbose=0))}
    return plot_reconstructions(rows, path, title=f"{model.name}: reconstructions of held-out images")


def _apply(fn, x, batch=256):
    """fn over x in batches as numpy: plain calls, where a third and fourth `predict` on
    sub-models of other shapes make TensorFlow log a retracing warning."""
    from keras import ops

    return np.concatenate([ops.convert_to_numpy(fn(x[i:i + batch])) for i in range(0, len(x), batch)])


def extra_figures(model, dataset, out, *, prefix="", samples=36, grid=12, extent=2.5):
    """A VAE's generative pictures beside its reconstructions, written into folder `out`:
    `samples.png` (images decoded from draws of the prior N(0, I)) and `latent_map.png` (z_mean of
    the held-out images coloured by label; with a 2-D code also the decoder's images on a
    grid x grid lattice over [-extent, extent]^2; a wider code is shown on its first two
    principal components). `prefix` goes in front of both names (`zoo evaluate` uses "eval_").
    Returns the file names written ([] for other autoencoders)."""
    import os

    from zoo.plots import plot_latent_map, plot_vae_samples

    if not _is_vae(model):
        return []
    x = _images(model, dataset)
    plot_vae_samples(model.sample(samples), os.path.join(out, f"{prefix}samples.png"),
                     title=f"{model.name}: decoded draws from the prior N(0, I)")
    z_mean = _apply(lambda b: model.encoder(b, training=False)[0], x)
    labels = None if dataset.y is None else np.asarray(dataset.y)
    if labels is not None and (labels.ndim != 1 or len(labels) != len(x)):
        labels = None  # only one class id per image colours the map
    if z_mean.shape[1] == 2:
        axis = np.linspace(-extent, extent, grid)
        codes = np.array([[a, b] for b in axis[::-1] for a in axis], "float32")
        decoded = _apply(lambda b: model.decoder(b, training=False), codes)
        decoded = decoded.reshape((grid, grid) + decoded.shape[1:])
        plot_latent_map(z_mean, labels, os.path.join(out, f"{prefix}latent_map.png"), decoder_grid=decoded, extent=extent,
                        title=f"{model.name}: 2-D latent space of {len(x)} held-out images")
    else:
        centred = z_mean - z_mean.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        plot_latent_map(centred @ vt[:2].T, labels, os.path.join(out, f"{prefix}latent_map.png"),
                        axis_labels=("principal component 1", "principal component 2"),
                        title=f"{model.name}: {z_mean.shape[1]}-D codes of {len(x)} held-out images (PCA)")
    return [f"{prefix}samples.png", f"{prefix}latent_map.png"]


def predict_files(model, paths, out_dir, class_names):
    """Autoencoders have no labels to predict."""
    raise ValueError(
        f"`zoo predict` labels images, and {model.name!r} is an autoencoder (task reconstruction/"
        "generation) with no labels; use `zoo evaluate` for its reconstruction error and plots"
    )
