"""The model registry: `@register_model`, `list_models`, `get_model`.

Importing this module is light. Model families register themselves when `zoo.models` is
imported, which `list_models`/`get_model` do on first use (that imports Keras).
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import os
import pprint
import re
from typing import Any, Callable

from zoo._catalog import MODELS
from zoo.io import write_text

TASKS = ("classification", "segmentation", "detection", "reconstruction", "generation")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the registry knows of one model, as data.

    Attributes:
        name: registry name, lower case (`resnet50`).
        builder: the function that builds it, taking the keras.applications keyword arguments.
        family: module-level family (`resnet`), used by tuning and transfer.
        task: one of `TASKS`.
        default_input_shape: (H, W, C) the paper uses.
        min_input_shape: the smallest (H, W) the architecture takes.
        paper: reference (authors, year, title, section).
        small_config: builder keyword arguments for a tiny instance (CPU tests, round trips).
        notes: differences to the paper / reference implementation worth knowing.
        tags: free labels.
        weights: the `zoo.weights.Weights` records of the foreign checkpoints (torchvision /
            timm / keras.applications files) the model reads, at most one per file format;
            () for the zoo's own files only.
        recipe: the training settings `zoo train` uses for this model when the user gives none
            (keys of `RECIPE_KEYS`: epochs, batch_size, optimizer, lr, schedule), measured to reach
            the model's target on the dataset named under "measured"; flags always win.
    """

    name: str
    builder: Callable[..., Any]
    family: str
    task: str
    default_input_shape: tuple
    min_input_shape: tuple
    paper: str
    small_config: dict = dataclasses.field(default_factory=dict)
    notes: str = ""
    tags: tuple = ()
    recipe: dict = dataclasses.field(default_factory=dict)
    weights: tuple = ()


# The settings a per-model recipe may fix, and the values `zoo train` uses for a model without one.
RECIPE_KEYS = ("epochs", "batch_size", "optimizer", "lr", "schedule")
DEFAULT_RECIPE = {"epochs": 10, "batch_size": 32, "optimizer": "adam", "lr": None, "schedule": "cosine"}


def _check_recipe(name, recipe):
    unknown = sorted(set(recipe) - set(RECIPE_KEYS) - {"measured"})
    if unknown:
        raise ValueError(
            f"recipe of {name!r}: unknown keys {unknown}; a recipe may set {', '.join(RECIPE_KEYS)} (and 'measured'). "
            f"Received: recipe={recipe!r}"
        )
    return dict(recipe)


def _check_weights(name, weights):
    formats = [f for w in weights for f in w.formats]
    shared = sorted({f for f in formats if formats.count(f) > 1})
    if shared:
        raise ValueError(
            f"weights of {name!r}: two records read {', '.join(shared)} files; a file's format picks one record. "
            f"Received: weights={[w.name for w in weights]}"
        )
    return tuple(weights)


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(
    *,
    family: str,
    task: str,
    input_shape: tuple,
    min_input_shape: tuple,
    paper: str,
    small_config: dict | None = None,
    notes: str = "",
    tags: tuple = (),
    name: str | None = None,
    recipe: dict | None = None,
    weights: tuple = (),
):
    """Decorator registering a public builder under its function name (or `name`)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}. Received: task={task!r}")

    def wrap(fn):
        key = name or fn.__name__
        if key in _REGISTRY:
            raise ValueError(
                f"A model named {key!r} is registered already (by {_REGISTRY[key].builder.__module__}); "
                "model names must be unique."
            )
        _REGISTRY[key] = ModelSpec(
            name=key,
            builder=fn,
            family=family,
            task=task,
            default_input_shape=tuple(input_shape),
            min_input_shape=tuple(min_input_shape),
            paper=paper,
            small_config=dict(small_config or {}),
            notes=notes,
            tags=tuple(tags),
            recipe=_check_recipe(key, recipe or {}),
            weights=_check_weights(key, weights),
        )
        return fn

    return wrap


def _ensure_loaded():
    import zoo.models  # noqa: F401  (registers every family; imports Keras: `import zoo` stays light until then)


def _natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def list_models(pattern=None, *, task=None, family=None):
    """Registered model names matching `pattern` (fnmatch, e.g. "resnet*"), naturally sorted."""
    _ensure_loaded()
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}. Received: task={task!r}")
    names = [
        n
        for n, s in _REGISTRY.items()
        if (pattern is None or fnmatch.fnmatchcase(n, pattern.lower()))
        and (task is None or s.task == task)
        and (family is None or s.family == family)
    ]
    return sorted(names, key=_natural_key)


def _checked_key(name, known):
    if not isinstance(name, str):
        raise TypeError(f"model name must be a string. Received: name={name!r}")
    key = name.strip().lower()
    if key not in known:
        close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"Unknown model {name!r}.{hint} `zoo list` shows all {len(known)} registered models."
        )
    return key


def get_spec(name) -> ModelSpec:
    """The `ModelSpec` of `name`; an unknown name raises ValueError with close matches."""
    _ensure_loaded()
    return _REGISTRY[_checked_key(name, _REGISTRY)]


# ----------------------------------------------------------------------------- the catalog
# `zoo list` and the CLI's model-name checks read a generated copy of the registry's metadata
# (zoo/_catalog.py) instead of importing every family, which imports Keras (~8 s with TensorFlow
# against ~0.1 s). `python -m zoo.registry` rewrites it; a test fails when it is out of date.
CATALOG_FIELDS = (
    "name", "family", "task", "default_input_shape", "min_input_shape", "paper", "notes", "tags", "recipe",
    "weights",
)


def catalog_entry(spec: ModelSpec) -> dict:
    """What the catalog keeps of one spec: everything but the builder and its test config; of
    the weights records, their names."""
    return {f: tuple(w.name for w in spec.weights) if f == "weights" else getattr(spec, f) for f in CATALOG_FIELDS}


def catalog() -> dict:
    """{name: catalog entry} of the zoo's own models, without importing Keras."""
    return MODELS


def check_model_name(name) -> str:
    """The registry key of `name` (stripped, lower case), checked against the catalog without
    importing Keras; an unknown name raises the same ValueError as `get_spec`."""
    return _checked_key(name, catalog())


def write_catalog(path=None):
    """Regenerates zoo/_catalog.py from the live registry (imports every family)."""
    _ensure_loaded()
    entries = {n: catalog_entry(_REGISTRY[n]) for n in sorted(_REGISTRY, key=_natural_key)}
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "_catalog.py")
    text = (
        '"""Generated by `python -m zoo.registry` from the registry: do not edit by hand.\n\n'
        'The metadata of every registered model, read by `zoo list` and the CLI\'s model-name checks\n'
        'without importing Keras. tests/test_registry.py fails when it is out of date."""\n\n'
        f"MODELS = {pprint.pformat(entries, sort_dicts=False, width=110)}\n"
    )
    write_text(path, text)
    return path


def get_model(name, /, **kwargs):
    """Builds model `name` with the builder's keyword arguments (`classes=`, `input_shape=`, ...);
    `name` is positional only, so `name=` in `kwargs` names the built model."""
    return get_spec(name).builder(**kwargs)


if __name__ == "__main__":
    # Run as a script this file is `__main__`, not the `zoo.registry` the families register into.
    from zoo import registry as _registry

    print(f"wrote {_registry.write_catalog()}")
