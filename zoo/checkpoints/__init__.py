"""Checkpoints the zoo did not write, read into its models: torchvision / PyTorch `.pth`/`.pt`
(zip and legacy formats, through a restricted unpickler: a checkpoint cannot run code), timm /
Hugging Face `.safetensors`, and keras.applications `.h5` weight files.

What a checkpoint is (its formats, preprocessing, classes, source) is a `zoo.weights.Weights`
record in the model's ModelSpec; the record names its reader, one `CheckpointMap` per family
layout (alexnet.py, vgg.py, resnet.py, efficientnet.py) saying where each zoo layer's weights
come from, and `assign.py` converts the layouts and accounts for every tensor. Layer: readers
(below zoo.models: this package imports no model family and no registry).
"""

from __future__ import annotations

import functools
import json
import os

from zoo.checkpoints import alexnet, efficientnet, resnet, vgg
from zoo.checkpoints.assign import CheckpointMap, assign_keras_h5, assign_torch
from zoo.checkpoints.readers import FORMATS, checkpoint_format, read_tensors
from zoo.checkpoints.torchfile import CheckpointError, load_state_dict
from zoo.weights import weights_for

__all__ = [
    "CATEGORIES",
    "CheckpointError",
    "CheckpointMap",
    "FORMATS",
    "MAPS",
    "category_names",
    "checkpoint_classes",
    "checkpoint_format",
    "imagenet_classes",
    "load_checkpoint",
    "load_state_dict",
    "read_tensors",
]

# a record's `reader` -> the map that reads its tensors
MAPS = {m.name: m for m in (alexnet.MAP, vgg.MAP, resnet.MAP, resnet.CIFAR_MAP, efficientnet.MAP)}


@functools.lru_cache(maxsize=1)
def imagenet_classes():
    """The 1000 ImageNet-1k class names in index order (torchvision's list, shipped as JSON)."""
    with open(os.path.join(os.path.dirname(__file__), "imagenet_classes.json"), encoding="utf-8") as f:
        return tuple(json.load(f))


# a record's `categories` -> its class names in index order
CATEGORIES = {
    "imagenet-1k": imagenet_classes,
    "cifar-10": lambda: ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}


def category_names(categories):
    """The class names of a record's `categories` ("imagenet-1k", "cifar-10")."""
    if categories not in CATEGORIES:
        raise ValueError(f"`categories` must be one of {', '.join(CATEGORIES)}. Received: categories={categories!r}")
    return CATEGORIES[categories]()


def checkpoint_classes(fmt, tensors, checkpoint_map):
    """The number of classes of the checkpoint's classifier (as `checkpoint_map` finds it), or
    None when it has none."""
    if fmt == "keras_h5":
        arrays = tensors.get("predictions")
        return int(arrays[0].shape[-1]) if arrays else None
    tensors = {k[len("module."):] if k.startswith("module.") else k: v for k, v in tensors.items()}
    head = tensors.get(checkpoint_map.head_key)
    return int(head.shape[0]) if head is not None and head.ndim == 2 else None


def load_checkpoint(model, path, *, weights, read=None):
    """Loads checkpoint `path` into the built zoo `model` and returns what the weights carry.

    Args:
        model: a zoo model built with the checkpoint's configuration (classes, widths, ...);
            `include_top=False` skips the checkpoint's classifier (named in "skipped").
        path: a `.pth`/`.pt`/`.bin`, `.safetensors` or keras.applications `.h5` file.
        weights: the model's `zoo.weights.Weights` records (its ModelSpec's `weights`); the one
            whose formats include the file's reads it.
        read: (format, tensors) of `read_tensors(path)` when the caller has read the file already.
    Returns:
        {"weights": the record's config, "format", "preprocessing" (the record's ImagePreprocessing
        mode), "class_names" (the record's categories when the model's classifier has the
        record's size, else None), "pretrained": True, "loaded", "skipped", "ignored", "file"
        (the file's name)}.
    Raises:
        CheckpointError (a ValueError) naming a missing, extra or mis-shaped tensor, a format the
        model has no record for, or a file that is no checkpoint; nothing is assigned then.
    """
    path = os.fspath(path)
    if not weights:
        raise CheckpointError(
            f"model {model.name!r} has no checkpoint map (no checkpoint record), so it loads only the zoo's "
            f"own .keras / .weights.h5 files. Received: weights={path!r}"
        )
    fmt, tensors = read if read is not None else read_tensors(path)
    record = weights_for(weights, fmt)
    if record is None:
        kinds = "; ".join(f"{r.source} ({'/'.join(r.formats)})" for r in weights)
        raise CheckpointError(f"model {model.name!r} loads no {fmt} file; it loads {kinds}. Received: weights={path!r}")
    fam = MAPS[record.reader]
    if fmt == "keras_h5":
        report = assign_keras_h5(model, tensors, fam, path=path, source=record.source)
    else:
        report = assign_torch(model, tensors, fam, path=path, source=record.source)
    top = next((l for l in model.layers if l.name == "predictions"), None)
    names = None
    if record.categories is not None and top is not None and top.units == record.num_classes:
        names = list(category_names(record.categories))
    return {
        "weights": record.to_config(),
        "format": fmt,
        "preprocessing": record.preprocessing,
        "class_names": names,
        "pretrained": True,
        "file": os.path.basename(path),
        **report,
    }
