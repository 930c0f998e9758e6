# %%
"""Exercise 10 - Autoencoders: a dense autoencoder, denoising, the VAE's KL term, encoder transfer.

* An autoencoder maps x -> code (the encoder) -> x_hat (the decoder) and is trained to
  reconstruct its input (MSE). With images in [0, 1] the decoder ends in a sigmoid.
* A denoising autoencoder gets a corrupted input and the CLEAN image as target:
  inputs = clip(x + N(0, std^2), 0, 1), targets = x.
* A VAE's encoder outputs mu and log_var; its KL term to N(0, I), per sample, is
  KL = -0.5 * sum(1 + log_var - mu^2 - exp(log_var)) (it is >= 0).
* Encoder transfer: reuse the trained encoder, frozen, under a new softmax classifier.
"""

import keras
import numpy as np
from keras import layers


# %%
def build_autoencoder(input_dim, code_dim=8, hidden=32):
    """Returns (autoencoder, encoder): Dense(hidden, relu) -> Dense(code_dim, relu) is the
    encoder; Dense(hidden, relu) -> Dense(input_dim, sigmoid) the decoder. The autoencoder is
    compiled with Adam(1e-2) and MSE."""
    # BEGIN SOLUTION hint: build the encoder as its own keras.Model, then autoencoder = Model(inputs, decoder(encoder(inputs)))
    inputs = keras.Input((input_dim,))
    code = layers.Dense(code_dim, activation="relu")(layers.Dense(hidden, activation="relu")(inputs))
    encoder = keras.Model(inputs, code, name="encoder")
    h = layers.Dense(hidden, activation="relu")(code)
    outputs = layers.Dense(input_dim, activation="sigmoid")(h)
    autoencoder = keras.Model(inputs, outputs, name="autoencoder")
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return autoencoder, encoder
    # END SOLUTION


# %%
def denoising_pairs(x, std=0.2, seed=0):
    """(noisy inputs, clean targets) for a denoising autoencoder."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype="float32")
    # BEGIN SOLUTION hint: noise = rng.normal(0, std, x.shape); clip to [0, 1]
    noisy = np.clip(x + rng.normal(0.0, std, x.shape), 0.0, 1.0).astype("float32")
    return noisy, x
    # END SOLUTION


# %%
def train_denoiser(x, epochs=30, std=0.2):
    """Trains build_autoencoder(x.shape[1]) on denoising_pairs(x, std); returns the
    reconstruction MSE against the clean x of (noisy input before training, after training)."""
    auto, _ = build_autoencoder(x.shape[1])
    noisy, clean = denoising_pairs(x, std, seed=1)
    # BEGIN SOLUTION hint: evaluate, fit(noisy, clean, batch_size=32, verbose=0), evaluate again
    before = float(auto.evaluate(noisy, clean, verbose=0))
    auto.fit(noisy, clean, epochs=epochs, batch_size=32, verbose=0)
    after = float(auto.evaluate(noisy, clean, verbose=0))
    return before, after
    # END SOLUTION


# %%
def kl_divergence(mu, log_var):
    """Per-sample KL(N(mu, exp(log_var)) || N(0, I)) for arrays (N, D); returns (N,)."""
    mu, log_var = np.asarray(mu, float), np.asarray(log_var, float)
    # BEGIN SOLUTION
    return -0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=1)
    # END SOLUTION


# %%
def encoder_classifier(input_dim, classes, code_dim=8):
    """A classifier on a frozen encoder from build_autoencoder: encoder -> Dense(classes, softmax)."""
    _, encoder = build_autoencoder(input_dim, code_dim)
    # BEGIN SOLUTION
    encoder.trainable = False
    inputs = keras.Input((input_dim,))
    outputs = layers.Dense(classes, activation="softmax")(encoder(inputs, training=False))
    return keras.Model(inputs, outputs, name="encoder_classifier")
    # END SOLUTION
