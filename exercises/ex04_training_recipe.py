# %%
"""Exercise 4 - The training recipe: check the loss at init, beat an input-independent
baseline, overfit one batch (Karpathy, "A recipe for training neural networks").

1. Loss at init: a softmax classifier that is unsure of everything predicts 1/C per class,
   so its cross-entropy starts near -log(1/C) = log(C).
2. Input-independent baseline: the best model that ignores its input predicts the most
   frequent TRAINING label. Its accuracy on the test set is the bar a real model must beat.
   Never look at the test labels to choose it: that leaks test data into training.
3. Overfit one batch: a healthy model + training loop drives the loss on a single small
   batch close to 0 (100 % accuracy on it). If it cannot, something is broken.
"""

import keras
import numpy as np
from keras import layers


# %%
def expected_initial_loss(classes):
    """Cross-entropy of a uniform prediction over `classes` classes (natural log)."""
    # HINT: -log(1 / classes)
    raise NotImplementedError


# %%
def small_classifier(input_dim, classes, hidden=32):
    """A small MLP (given, not graded)."""
    return keras.Sequential([keras.Input((input_dim,)), layers.Dense(hidden, activation="relu"),
                             layers.Dense(classes, activation="softmax")])


# %%
def initial_loss(x, y, classes):
    """Loss of a freshly built small_classifier on (x, y) before any training."""
    model = small_classifier(x.shape[1], classes)
    # HINT: compile with sparse_categorical_crossentropy and call model.evaluate(..., verbose=0)
    raise NotImplementedError


# %%
def majority_baseline(y_train, y_test):
    """Accuracy on y_test of always predicting the most frequent label of y_train."""
    # HINT: np.bincount(y_train).argmax() is the majority class
    raise NotImplementedError


# %%
def overfit_one_batch(x, y, classes, steps=150):
    """Trains small_classifier on the single batch (x, y) for `steps` full-batch steps of Adam
    (learning rate 1e-2). Returns (loss before training, loss after, accuracy on the batch)."""
    model = small_classifier(x.shape[1], classes)
    # HINT: evaluate first; then one fit epoch over the batch repeated `steps` times (np.tile) with batch_size=len(x), shuffle=False
    raise NotImplementedError
