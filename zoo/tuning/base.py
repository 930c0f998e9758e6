"""`ZooHyperModel`: the shared KerasTuner HyperModel (checks in `__init__`, the training space,
augmentation, the optimizer) that every family's HyperModel extends."""

from __future__ import annotations

import dataclasses
import math

import keras
import keras_tuner as kt

from zoo import registry
from zoo.training.augment import augmentation
from zoo.training.optimizers import make_optimizer as by_name
from zoo.tuning.spaces import TRAINING_SPACE, _override


class ZooHyperModel(kt.HyperModel):
    """Base class: family space + shared training space -> compiled zoo model.

    Args:
        model: registered zoo model name (its family picks the HyperModel).
        input_shape: (H, W, C) of the data.
        classes: number of classes (labels, mask classes or object classes).
        epochs: the most epochs a trial trains (learning-rate schedules span them).
        train_size: number of training examples (steps per epoch for the schedules).
        space: overrides {name: (min, max) | [values] | value}; unknown names and bad
            ranges raise ValueError here, before any training.
        seed: seeds the weights of every trial (same hyperparameters -> same model).
        tune_training: whether the shared training hyperparameters are searched (else fixed
            to their defaults).
        dataset: the training `zoo.data.ArrayDataset` (segmentation, detection and autoencoder
            HyperModels hand it to their task module's `compile_args` / `fit_data`).
    """

    family = None
    task = "classification"

    def __init__(self, model, *, input_shape, classes, epochs=2, train_size=1000, space=None, seed=0, tune_training=True,
                 dataset=None):
        self.dataset = dataset  # a zoo.data.ArrayDataset (template for the task modules), or None

        super().__init__(name=f"{model}_hypermodel", tunable=True)
        spec = registry.get_spec(model)
        if self.family is not None and spec.family != self.family:
            raise ValueError(
                f"{type(self).__name__} tunes the {self.family!r} family; model {model!r} is of family "
                f"{spec.family!r}. Use zoo.tuning.get_hypermodel({model!r}, ...)"
            )
        self.model_name = spec.name
        self.spec = spec
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be (height, width, channels). Received: input_shape={input_shape!r}")
        self.input_shape = tuple(int(s) for s in input_shape)
        if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
            raise ValueError(f"`classes` must be an integer >= 1. Received: classes={classes!r}")
        self.classes = classes
        for arg, v in (("epochs", epochs), ("train_size", train_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"`{arg}` must be an integer >= 1. Received: {arg}={v!r}")
        self.epochs = epochs
        self.train_size = train_size
        self.seed = int(seed)
        training = TRAINING_SPACE if tune_training else tuple(
            dataclasses.replace(s, kind="choice", values=(s.default,)) for s in TRAINING_SPACE
        )
        entries = {s.name: s for s in tuple(self.family_space()) + tuple(training)}
        space = dict(space or {})
        unknown = sorted(set(space) - set(entries))
        if unknown:
            raise ValueError(
                f"search space of {self.model_name!r} has no hyperparameter {', '.join(map(repr, unknown))}; "
                f"it has: {', '.join(entries)}. Received: space={space!r}"
            )
        for name, value in space.items():
            entries[name] = _override(entries[name], value, self.model_name)
        for s in entries.values():
            s.check(self.model_name)
        self.space = tuple(entries.values())
        self.check_space()

    # --- per family
    def family_space(self):
        """The family's architecture hyperparameters (list of HP)."""
        return ()

    def check_space(self):
        """Family checks across hyperparameters (e.g. the input is big enough for every choice)."""

    def build_network(self, values):
        """The uncompiled Keras model for the hyperparameter `values` (a dict)."""
        raise NotImplementedError

    def compile_args(self, model):
        """`model.compile` keyword arguments except the optimizer."""
        return dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def fit_data(self, model, x, y):
        """What model.fit gets as (x, y) for the task (detection: per-anchor targets of `model`)."""
        return x, y

    # --- shared
    def values_of(self, hp):
        """Declares the whole space on `hp` and returns {name: value}."""
        return {s.name: s.declare(hp) for s in self.space}

    def default_values(self):
        """The untuned configuration: every hyperparameter at its default."""
        return self.values_of(kt.HyperParameters())

    def build(self, hp):
        values = self.values_of(hp)
        keras.utils.set_random_seed(self.seed)
        network = self.build_network(values)
        model = network if self.task == "detection" else _with_augmentation(network, values["augment"], self.task)
        model.compile(optimizer=make_optimizer(values, epochs=self.epochs, train_size=self.train_size), **self.compile_args(model))
        return model

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        """model.fit with the trial's batch size, on the task's (x, y) for this model."""
        kwargs["batch_size"] = hp.get("batch_size")
        x, y = self.fit_data(model, x, y)
        if validation_data is not None:
            validation_data = self.fit_data(model, *validation_data)
        return model.fit(x, y, validation_data=validation_data, **kwargs)

    def table_rows(self):
        """(family, name, range, default, doc) rows for the documentation's search-space table."""
        return [(self.family, s.name, s.describe(), s.default, s.doc) for s in self.space]


def _with_augmentation(network, strength, task):
    """`network` behind train-time augmentation layers (a no-op at inference), when strength > 0."""
    if not strength:
        return network
    # masks and reconstruction targets stay aligned with the image under pixel noise only
    preset = "geometric" if task == "classification" else "noise"
    inputs = keras.Input(shape=network.input_shape[1:], name="input")
    x = augmentation(preset, image_shape=network.input_shape[1:], strength=strength)(inputs)
    return keras.Model(inputs, network(x), name=network.name)


def make_optimizer(values, *, epochs, train_size):
    """The optimizer of `values` (optimizer, learning_rate, schedule, weight_decay, batch_size),
    built by the training workbench's factory (zoo.training.optimizers) so a tuned trial and
    `zoo train --optimizer ... --lr ... --schedule ...` train alike."""
    steps = max(1, epochs * math.ceil(train_size / int(values["batch_size"])))
    return by_name(values["optimizer"], float(values["learning_rate"]), schedule=values["schedule"],
                   total_steps=steps, weight_decay=float(values["weight_decay"]))


# ----------------------------------------------------------------------------- LeNet
