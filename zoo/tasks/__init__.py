"""Tasks: what `zoo train / evaluate / predict` and the tuner need to know about one kind of model.

Every registered model has a task (`ModelSpec.task`); `get_task(spec.task)` gives the module that
implements the whole `Task` protocol for it. A workflow never asks a task what it can do: a hook
with nothing to do returns an empty result (no figures: `[]`), and one that cannot apply says why
(an autoencoder's `predict_files` raises a ValueError naming `zoo evaluate`).

Task modules import models, data, math and plots, never the workflows (training, transfer,
tuning) or the CLI; `tests/test_import_rules.py` keeps that true.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from zoo.data import DATASET_TASKS, dataset_task
from zoo.tasks import classification, detection, generation, reconstruction, segmentation


@runtime_checkable
class Task(Protocol):
    """One task: a module with these names (each task module is one implementation).

    `model` is a built Keras model; `dataset` a `zoo.data.ArrayDataset` whose `task` is one of
    `dataset_tasks`.
    """

    name: str
    """The registry's task name ("classification", "segmentation", ...)."""

    dataset_tasks: tuple
    """The dataset tasks (`ArrayDataset.task`) a model of this task trains on."""

    def compile_args(self, model, dataset) -> dict:
        """Keyword arguments of `model.compile` besides the optimizer: {"loss", "metrics"?}."""

    def fit_data(self, model, dataset) -> tuple:
        """(x, y) arrays `model.fit` trains on, checked against the model (a clear ValueError)."""

    def evaluate(self, model, dataset) -> dict:
        """Held-out metrics, headline first (accuracy, mean_iou, map50, mse); JSON-ready values."""

    def predict_files(self, model, paths, out_dir, class_names) -> list:
        """One record {"path", "label", "probability", ...} per image file for `zoo predict`;
        PNGs (masks, boxes) go into `out_dir`."""

    def figures(self, model, dataset, out, *, prefix="", name=None) -> list:
        """Writes the task's figures of `model` on `dataset` into folder `out` (names prefixed with
        `prefix`, e.g. "eval_"; titles call the model `name`, default `model.name`: `zoo evaluate`
        passes the run's model, the name the rest of its report uses); returns the file names written."""


TASKS: dict = {t.name: t for t in (classification, segmentation, detection, reconstruction, generation)}


def get_task(name):
    """The task module for task `name` (a `Task`).

    Raises:
        ValueError: `name` is not a task of the zoo.
    """
    if name not in TASKS:
        raise ValueError(f"`task` must be one of {', '.join(TASKS)}. Received: task={name!r}")
    return TASKS[name]


def fitting_datasets(task):
    """Names of the datasets a model of `task` (a name or a `Task`) trains on (for messages)."""
    task = get_task(task) if isinstance(task, str) else task
    names = [n for n, t in DATASET_TASKS.items() if t in task.dataset_tasks]
    return names + (["folder:PATH"] if "classification" in task.dataset_tasks else [])


def check_dataset(task, dataset, *, model):
    """Refuses a dataset of another task in one sentence naming the model's task, the dataset's
    task and the datasets that fit; returns None when it fits (or its task is unknown before load).

    Args:
        task: the model's task, a name or a `Task`.
        dataset: a dataset name (its task from `zoo.data.dataset_task`) or an `ArrayDataset`.
        model: the model's name, for the message.

    Raises:
        ValueError: the dataset's task is not among the task's `dataset_tasks`.
    """
    task = get_task(task) if isinstance(task, str) else task
    if isinstance(dataset, str):
        ds_name, ds_task = dataset, dataset_task(dataset)
    else:
        ds_name, ds_task = dataset.name, dataset.task
    if ds_task is None or ds_task in task.dataset_tasks:
        return
    raise ValueError(
        f"{model!r} is a {task.name} model and dataset {ds_name!r} is a {ds_task} dataset: a {task.name} "
        f"model trains on {', '.join(fitting_datasets(task))}. Received: dataset={ds_name!r}"
    )


__all__ = ["TASKS", "Task", "check_dataset", "fitting_datasets", "get_task"]
