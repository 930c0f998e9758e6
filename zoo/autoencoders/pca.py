"""Autoencoder vs PCA (course seed 000; Hinton & Salakhutdinov 2006, Fig. 2): held-out
reconstruction error of a convolutional autoencoder and of scikit-learn's PCA at the same
latent size, on the embedded handwritten digits, with a side-by-side figure.

PCA is the best *linear* code of a given size (in squared error); the autoencoder's non-linear
encoder and decoder beat it on held-out digits once the code is small.
"""

from __future__ import annotations

import time

import keras
import numpy as np
from sklearn.decomposition import PCA

import zoo
from zoo.checks import check_int
from zoo.data import load_digits
from zoo.plots import plot_reconstructions


def compare_with_pca(
    latent_dim=8,
    *,
    size=8,
    epochs=60,
    batch_size=32,
    width=32,
    depth=1,
    seed=0,
    plot_path=None,
    verbose=0,
):
    """Trains `autoencoder_conv` and fits PCA on the digits' training split, both with
    `latent_dim` numbers per image, and measures the reconstruction MSE on the test split.

    Args:
        latent_dim: code size of both (int >= 1, at most size*size).
        size: digit side in pixels (8 = the originals; 16 or 32 resized).
        epochs, batch_size: autoencoder training.
        width, depth: the conv autoencoder's first-level filters and number of levels.
        seed: data split and initialisation seed.
        plot_path: optional PNG: original / AE / PCA reconstructions of held-out digits.
        verbose: Keras verbosity of the training (0 silent, 2 one line per epoch).

    Returns:
        {"latent_dim", "ae_mse", "pca_mse", "ae_train_mse", "pca_train_mse",
         "pca_explained_variance", "ae_params", "train_seconds", "plot"}.
    """
    check_int("latent_dim", latent_dim, 1, size * size)
    (x_tr, _), (x_te, _) = load_digits(size=size, border=0, seed=seed)
    flat_tr, flat_te = x_tr.reshape(len(x_tr), -1), x_te.reshape(len(x_te), -1)
    pca = PCA(n_components=latent_dim, random_state=seed).fit(flat_tr)
    pca_te = np.clip(pca.inverse_transform(pca.transform(flat_te)), 0, 1).reshape(x_te.shape)
    pca_tr = np.clip(pca.inverse_transform(pca.transform(flat_tr)), 0, 1).reshape(x_tr.shape)

    keras.utils.set_random_seed(seed)
    model = zoo.get_model("autoencoder_conv", input_shape=x_tr.shape[1:], latent_dim=latent_dim, depth=depth, width=width)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
    start = time.perf_counter()
    model.fit(x_tr, x_tr, epochs=epochs, batch_size=batch_size, verbose=verbose, shuffle=True)
    seconds = time.perf_counter() - start
    ae_te = np.asarray(model.predict(x_te, verbose=0))
    ae_tr = np.asarray(model.predict(x_tr, verbose=0))
    result = {
        "latent_dim": latent_dim,
        "ae_mse": float(np.mean((ae_te - x_te) ** 2)),
        "pca_mse": float(np.mean((pca_te - x_te) ** 2)),
        "ae_train_mse": float(np.mean((ae_tr - x_tr) ** 2)),
        "pca_train_mse": float(np.mean((pca_tr - x_tr) ** 2)),
        "pca_explained_variance": float(pca.explained_variance_ratio_.sum()),
        "ae_params": int(model.count_params()),
        "train_seconds": seconds,
        "plot": None,
    }
    if plot_path is not None:
        result["plot"] = plot_reconstructions(
            {"original": x_te[:12], f"conv AE ({latent_dim})": ae_te[:12], f"PCA ({latent_dim})": pca_te[:12]},
            plot_path,
            max_images=12,
            title=f"Held-out digits, code size {latent_dim}: autoencoder MSE {result['ae_mse']:.4f} "
            f"vs PCA {result['pca_mse']:.4f}",
        )
    return result
