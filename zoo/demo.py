"""`zoo demo`: LeNet-5 on scikit-learn's embedded handwritten digits, end to end, offline.

Fixed seed, stratified 80/20 split (1,437 train / 360 test), light augmentation (small rotations,
shifts, zoom), Adam with cosine decay. Writes model.keras, metrics.json, history.csv and three
figures into the output folder.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np


def run_demo(out="runs/demo", *, epochs=40, batch_size=32, seed=0, verbose=None):
    """Trains LeNet-5 (modern) on the digits and writes the report; returns the metrics dict."""
    from zoo.io import ensure_out_dir

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"--epochs must be an integer >= 1. Received: epochs={epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"--batch-size must be an integer >= 1. Received: batch_size={batch_size!r}")
    out = ensure_out_dir(out)
    t0 = time.time()
    import keras

    from zoo import plots
    from zoo.data import load_digits
    from zoo.io import save_model, write_json
    from zoo.models.lenet import lenet5
    from zoo.training.augment import augmentation

    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits(32, seed=seed)
    print(
        f"zoo demo: LeNet-5 on scikit-learn digits, {len(x_train)} train / {len(x_test)} test images "
        f"(32x32), {epochs} epochs, seed {seed}",
        flush=True,
    )
    model = lenet5(input_shape=x_train.shape[1:], classes=10)
    trainer = keras.Sequential([augmentation("geometric", image_shape=x_train.shape[1:]), model], name="trainer")
    steps = epochs * int(np.ceil(len(x_train) * 0.9 / batch_size))
    trainer.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    csv_path = os.path.join(out, "history.csv")
    history = trainer.fit(
        x_train,
        y_train,
        validation_split=0.1,
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=[keras.callbacks.CSVLogger(csv_path)],
    )
    train_seconds = time.time() - t0
    probs = model.predict(x_test, batch_size=256, verbose=0)
    y_pred = probs.argmax(axis=1)
    accuracy = float((y_pred == y_test).mean())
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    save_model(model, os.path.join(out, "model.keras"))
    metrics = {
        "model": "lenet5",
        "dataset": "digits",
        "train_images": int(len(x_train)),
        "test_images": int(len(x_test)),
        "epochs": epochs,
        "seed": seed,
        "test_accuracy": accuracy,
        "test_errors": int((y_pred != y_test).sum()),
        "final_val_accuracy": float(history.history["val_accuracy"][-1]),
        "parameters": int(model.count_params()),
        "wall_seconds": round(time.time() - t0, 1),
        "train_seconds": round(train_seconds, 1),
    }
    plots.plot_learning_curves(plots.read_history_csv(csv_path), os.path.join(out, "learning_curves.png"), title="LeNet-5 on digits")
    plots.plot_confusion_matrix(y_test, y_pred, os.path.join(out, "confusion_matrix.png"), title="LeNet-5, held-out digits")
    plots.plot_misclassified(
        x_test, y_test, y_pred, os.path.join(out, "misclassified.png"), probabilities=probs.max(axis=1)
    )
    metrics["wall_seconds"] = round(time.time() - t0, 1)
    write_json(os.path.join(out, "metrics.json"), metrics)
    print(
        f"test accuracy: {accuracy:.2%} ({metrics['test_errors']} of {len(y_test)} wrong) "
        f"in {metrics['wall_seconds']:.0f} s; report in {out}/",
        flush=True,
    )
    return metrics
