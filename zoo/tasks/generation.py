"""The generation task: the VAE. It trains and is measured as a reconstruction model (the same data,
metrics and refusal in `zoo predict`, from `zoo.tasks.reconstruction`), and adds what makes it
generative: a per-image Bernoulli loss matching its own `compute_loss`, images decoded from the
prior and a map of its latent space.

A module of its own rather than a flag on reconstruction: every task implements the whole
protocol, so the VAE's figures are this module's `figures`, not an isinstance test inside
another task's.
"""

from __future__ import annotations

import os

import numpy as np
from keras import ops

from zoo import plots
from zoo.models.autoencoder import BernoulliReconstructionLoss
from zoo.tasks import reconstruction
from zoo.tasks.reconstruction import evaluate, fit_data, images, predict_files  # noqa: F401  (the protocol)

name = "generation"
dataset_tasks = reconstruction.dataset_tasks


def compile_args(model, dataset):
    """The VAE's own `compute_loss` (reconstruction + KL) ignores the loss given; this is the same
    per-image Bernoulli reconstruction loss, so a wrapper model (augmentation) trains the same
    objective. MSE as metric, as for the other autoencoders."""
    images(model, dataset)
    return {"loss": BernoulliReconstructionLoss(), "metrics": ["mse"]}


def _apply(fn, x, batch=256):
    """fn over x in batches as numpy: plain calls, where a third and fourth `predict` on
    sub-models of other shapes make TensorFlow log a retracing warning."""
    return np.concatenate([ops.convert_to_numpy(fn(x[i:i + batch])) for i in range(0, len(x), batch)])


def figures(model, dataset, out, *, prefix="", name=None, samples=36, grid=12, extent=2.5):
    """The reconstructions (`predictions.png`) and the VAE's generative pictures, written into
    folder `out` with `prefix` in front of each name (`zoo evaluate` uses "eval_"): `samples.png`
    (images decoded from draws of the prior N(0, I)) and `latent_map.png` (z_mean of the held-out
    images coloured by label; with a 2-D code also the decoder's images on a grid x grid lattice
    over [-extent, extent]^2; a wider code is shown on its first two principal components).
    The model is called `name` (default `model.name`) in the titles. Returns the file names written."""
    label = name or model.name
    written = reconstruction.figures(model, dataset, out, prefix=prefix, name=name)
    x = images(model, dataset)
    plots.plot_vae_samples(model.sample(samples), os.path.join(out, f"{prefix}samples.png"),
                     title=f"{label}: decoded draws from the prior N(0, I)")
    z_mean = _apply(lambda b: model.encoder(b, training=False)[0], x)
    labels = None if dataset.y is None or isinstance(dataset.y, dict) else np.asarray(dataset.y)
    if labels is not None and (labels.ndim != 1 or len(labels) != len(x)):
        labels = None  # only one class id per image colours the map
    path = os.path.join(out, f"{prefix}latent_map.png")
    if z_mean.shape[1] == 2:
        axis = np.linspace(-extent, extent, grid)
        codes = np.array([[a, b] for b in axis[::-1] for a in axis], "float32")
        decoded = _apply(lambda b: model.decoder(b, training=False), codes)
        decoded = decoded.reshape((grid, grid) + decoded.shape[1:])
        plots.plot_latent_map(z_mean, labels, path, decoder_grid=decoded, extent=extent,
                        title=f"{label}: 2-D latent space of {len(x)} held-out images")
    else:
        centred = z_mean - z_mean.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        plots.plot_latent_map(centred @ vt[:2].T, labels, path, axis_labels=("principal component 1", "principal component 2"),
                        title=f"{label}: {z_mean.shape[1]}-D codes of {len(x)} held-out images (PCA)")
    return written + [f"{prefix}samples.png", f"{prefix}latent_map.png"]
