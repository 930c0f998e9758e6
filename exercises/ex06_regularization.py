# %%
"""Exercise 6 - Regularization: L2 weight decay, dropout, data augmentation, early stopping.

* L2: the penalty added to the loss is lam * sum(w^2) over every kernel (Keras'
  `regularizers.L2(lam)` convention, no 1/2); biases are not penalised.
* Dropout and L2 in Keras: `layers.Dense(..., kernel_regularizer=keras.regularizers.L2(lam))`
  and `layers.Dropout(rate)` after each hidden layer.
* Augmentation makes new training images from old ones without changing their labels: here
  a horizontal flip (per image, with probability 1/2) and a shift by up to `max_shift`
  pixels with zero fill. It is applied to training data only.
* Early stopping watches the VALIDATION loss: stop when it has not improved for `patience`
  epochs in a row, and restore the weights of the best epoch.
"""

import keras
import numpy as np
from keras import layers


# %%
def l2_penalty(kernels, lam):
    """lam * sum of squared entries over a list of kernel arrays."""
    raise NotImplementedError


# %%
def regularized_mlp(input_dim, classes, hidden=(64, 32), l2=1e-4, dropout=0.5):
    """An MLP whose hidden Dense layers have L2(l2) kernel regularizers and are each followed
    by Dropout(dropout); softmax output (no regularizer on the output layer needed)."""
    # HINT: keras.regularizers.L2(l2) as kernel_regularizer, layers.Dropout(dropout) after each hidden layer
    raise NotImplementedError


# %%
def augment(images, seed=0, max_shift=2):
    """Randomly flipped (left-right, p=1/2) and shifted (|dx|, |dy| <= max_shift, zero fill)
    copies of images (N, H, W, C). Same shape and dtype; deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    images = np.asarray(images)
    out = np.zeros_like(images)
    # HINT: for each image: maybe img[:, ::-1], then draw dy, dx in [-max_shift, max_shift] and copy into a zero canvas
    raise NotImplementedError
    return out


# %%
def early_stopping(val_losses, patience=3):
    """Simulates early stopping on a list of per-epoch validation losses.

    Returns (stop_epoch, best_epoch): the 0-based epoch after which training stops (the last
    epoch if it never triggers) and the epoch whose weights are restored."""
    # HINT: track the best loss so far and how many epochs passed without improvement
    raise NotImplementedError
