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
    # BEGIN SOLUTION hint: -log(1 / classes)
    return float(-np.log(1.0 / classes))
    # END SOLUTION


# %%
def small_classifier(input_dim, classes, hidden=32):
    """A small MLP (given, not graded)."""
    return keras.Sequential([keras.Input((input_dim,)), layers.Dense(hidden, activation="relu"),
                             layers.Dense(classes, activation="softmax")])


# %%
def initial_loss(x, y, classes):
    """Loss of a freshly built small_classifier on (x, y) before any training."""
    model = small_classifier(x.shape[1], classes)
    # BEGIN SOLUTION hint: compile with sparse_categorical_crossentropy and call model.evaluate(..., verbose=0)
    model.compile(loss="sparse_categorical_crossentropy")
    return float(model.evaluate(x, y, verbose=0))
    # END SOLUTION


# %%
def majority_baseline(y_train, y_test):
    """Accuracy on y_test of always predicting the most frequent label of y_train."""
    # BEGIN SOLUTION hint: np.bincount(y_train).argmax() is the majority class
    majority = np.bincount(np.asarray(y_train)).argmax()
    return float(np.mean(np.asarray(y_test) == majority))
    # END SOLUTION


# %%
def overfit_one_batch(x, y, classes, steps=150):
    """Trains small_classifier on the single batch (x, y) for `steps` full-batch steps of Adam
    (learning rate 1e-2). Returns (loss before training, loss after, accuracy on the batch)."""
    model = small_classifier(x.shape[1], classes)
    # BEGIN SOLUTION hint: evaluate first; then one fit epoch over the batch repeated `steps` times (np.tile) with batch_size=len(x), shuffle=False
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    first = float(model.evaluate(x, y, verbose=0))
    xs, ys = np.tile(x, (steps, 1)), np.tile(y, steps)
    model.fit(xs, ys, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    last = float(model.evaluate(x, y, verbose=0))
    acc = float(np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y))
    return first, last, acc
    # END SOLUTION
