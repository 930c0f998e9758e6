"""The autoencoder route: pretrain a conv autoencoder without labels, put a normalising head on
its encoder."""

from __future__ import annotations

import time

import keras
import numpy as np
from keras import layers

from zoo.checks import check_int
from zoo.training.augment import augmentation
from zoo.training.callbacks import EpochLine
from zoo.training.fitting import fit_epochs
from zoo.transfer.heads import new_head


def encoder_of(autoencoder):
    """The encoder sub-model of an autoencoder (`.encoder`, or its layer named "encoder")."""
    enc = getattr(autoencoder, "encoder", None)
    if enc is None:
        try:
            enc = autoencoder.get_layer("encoder")
        except (ValueError, AttributeError):
            enc = None
    if not isinstance(enc, keras.Model):
        raise ValueError(
            f"model {getattr(autoencoder, 'name', autoencoder)!r} has no encoder sub-model "
            "(an `.encoder` attribute or a nested model named 'encoder', as zoo autoencoders have)"
        )
    return enc


def encoder_classifier(autoencoder, classes, dropout=0.2, *, normalize=True, name=None):
    """A classifier on a (pre-trained) autoencoder's encoder: the autoencoder route of transfer.

    image -> encoder (inference mode) -> code -> BatchNormalization ("head_norm", when
    `normalize`, the default) -> dropout -> Dense(classes). The code of an autoencoder has no
    particular scale (one unit may span 0..40, another 0..0.1); a linear layer on it learns
    slowly and badly from a few labels, so the head standardises it first.

    The recipe that beats the same network trained from scratch on a few labels (measured in
    tests/test_transfer_fewshot.py; numbers in docs/topics/transfer.md):

        ae = zoo.get_model("autoencoder_conv", input_shape=(32, 32, 1), latent_dim=32)
        pretrain_autoencoder(ae, x_unlabelled, epochs=20)          # no labels
        model = encoder_classifier(ae, classes, dropout=0.0)
        fine_tune(model, x_few, y_few, epochs=(100, 50), learning_rates=(1e-2, 3e-4),
                  unfreeze=100, batch_size=len(y_few))               # probe, then gentle fine-tuning
    """
    return new_head(encoder_of(autoencoder), classes, dropout, normalize=normalize, name=name or "encoder_classifier")


def pretrain_autoencoder(
    autoencoder,
    x,
    *,
    epochs=20,
    augment=1.5,
    noise=0.2,
    learning_rate=2e-3,
    batch_size=32,
    validation_data=None,
    verbose=0,
    log=None,
    seed=0,
):
    """Unsupervised pretraining of `autoencoder` for transfer: no labels, only images.

    Each step shows the autoencoder a randomly rotated, shifted and zoomed copy of every image
    (`zoo.training.augment.augmentation("geometric", strength=augment)`) with Gaussian noise (`noise`) added, and asks it to
    reconstruct the ORIGINAL image (MSE). To do that its code has to describe the digit, not where it
    sits or the noise on it; a plain MSE autoencoder (input = target) instead keeps whatever
    reconstructs pixels best, and its code transfers little (measured on the digits, 2 labels per
    class, linear classifier on the code: 73 % plain, 79 % with this pretraining, 67 % on pixels).
    This is the denoising autoencoder of Vincent et al. 2008 with geometric corruption added.

    Args:
        autoencoder: a zoo autoencoder (image -> image), e.g. `autoencoder_conv`; trained in place.
        x: images (N, H, W, C) in [0, 1]; labels are never used.
        epochs: int >= 1 (default 20).
        augment: strength of the "geometric" augmentation preset (1.0 = 0.05 turn, 8 % shift, 10 % zoom;
            default 1.5); 0 turns it off.
        noise: standard deviation of the Gaussian input noise (default 0.2); 0 turns it off.
        learning_rate: Adam learning rate (default 2e-3).
        batch_size, verbose: as in `model.fit`.
        validation_data: optional clean images (N, H, W, C): reconstruction MSE reported per epoch.
        log: a function taking one line of progress (default: print to stdout, flushed).
        seed: seeds the order of the images, reshuffled every epoch (`zoo.training.fitting`).

    Returns:
        {"loss": [per epoch], "val_loss": [...] (with validation_data), "seconds": float}
    """
    check_int("epochs", epochs)
    for arg, value in (("augment", augment), ("noise", noise)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"`{arg}` must be a number >= 0 (0 turns it off). Received: {arg}={value!r}")
    if not isinstance(autoencoder, keras.Model):
        raise TypeError(f"`autoencoder` must be a Keras model. Received: autoencoder of type {type(autoencoder).__name__}")
    x = np.asarray(x, dtype="float32")
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(autoencoder.input_shape[1:]):
        raise ValueError(
            f"`x` must be images of shape (N, {', '.join(str(d) for d in autoencoder.input_shape[1:])}) "
            f"for {autoencoder.name!r}. Received: x of shape {x.shape}"
        )
    log = log or (lambda line: print(line, flush=True))
    inputs = keras.Input(shape=x.shape[1:], name="image")
    corrupted = augmentation("geometric", image_shape=x.shape[1:], strength=augment)(inputs) if augment else inputs
    if noise:
        corrupted = layers.GaussianNoise(noise, name="pretrain_noise")(corrupted)
    trainer = keras.Model(inputs, autoencoder(corrupted), name=f"{autoencoder.name}_pretrain")
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    log(
        f"pretraining {autoencoder.name} without labels on {len(x):,} images: {epochs} epoch(s), "
        f"reconstruct each image from a rotated/shifted/zoomed (strength {augment:g}) copy with noise {noise:g}"
    )
    t0 = time.time()
    val = None if validation_data is None else (np.asarray(validation_data, "float32"),) * 2
    h = fit_epochs(trainer, x, x, batch_size=batch_size, seed=seed, epochs=epochs, validation_data=val, verbose=verbose,
                   callbacks=[EpochLine(log, digits=5)])
    seconds = time.time() - t0
    out = {k: [float(v) for v in vals] for k, vals in h.history.items()}
    out["seconds"] = round(seconds, 1)
    shown = ", ".join(f"{k} {v[-1]:.5f}" for k, v in out.items() if k != "seconds")
    log(f"pretraining done in {seconds:.1f} s: {shown}")
    return out
