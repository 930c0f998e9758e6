# %%
"""Exercise 13 - Hyperparameter search with KerasTuner.

A KerasTuner model-building function takes `hp` and declares the search space while building:
* `units`: hp.Choice("units", [16, 32, 64])
* `dropout`: hp.Float("dropout", 0.0, 0.5, step=0.1)
* `learning_rate`: hp.Float("learning_rate", 1e-4, 1e-2, sampling="log") - learning rates
  span orders of magnitude, so sample them on a log scale.
It returns a COMPILED model (Adam with that learning rate, sparse categorical cross-entropy,
accuracy). A tuner (random search here) then trains one model per trial and ranks the trials
by the objective, measured on VALIDATION data (never on the test set).
"""

import keras
import keras_tuner
from keras import layers

INPUT_DIM, CLASSES = 20, 3


# %%
def build_model(hp):
    """An MLP INPUT_DIM -> Dense(units, relu) -> Dropout(dropout) -> Dense(CLASSES, softmax)."""
    # BEGIN SOLUTION hint: declare the three hyperparameters with the names above, build, then model.compile(...)
    units = hp.Choice("units", [16, 32, 64])
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.1)
    lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    model = keras.Sequential([keras.Input((INPUT_DIM,)), layers.Dense(units, activation="relu"),
                              layers.Dropout(dropout), layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
    # END SOLUTION


# %%
def search(x_train, y_train, x_val, y_val, directory, max_trials=2, epochs=2, seed=0):
    """Random search over build_model's space, objective "val_accuracy". Returns
    (best hyperparameter values as a dict, number of completed trials)."""
    # BEGIN SOLUTION hint: keras_tuner.RandomSearch(build_model, objective=..., max_trials=..., seed=..., directory=..., project_name=...)
    tuner = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=max_trials, seed=seed,
                                     directory=directory, project_name="ex13", overwrite=True)
    tuner.search(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, verbose=0)
    best = tuner.get_best_hyperparameters(1)[0]
    done = sum(1 for t in tuner.oracle.trials.values() if t.status == "COMPLETED")
    return dict(best.values), done
    # END SOLUTION
