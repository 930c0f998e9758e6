"""Checkpoints the zoo did not write, read into its models: torchvision / PyTorch `.pth`/`.pt`
(zip and legacy formats, through a restricted unpickler: a checkpoint cannot run code), timm /
Hugging Face `.safetensors`, and keras.applications `.h5` weight files.

One map per family (alexnet.py, vgg.py, resnet.py, efficientnet.py) names where each zoo layer's
weights come from; `assign.py` converts the layouts and accounts for every tensor. The builders'
`weights=` argument ends here for such files (zoo.models.common.load_weights), and so does
`zoo convert`. Layer: Models (imports zoo.models and zoo.registry only).
"""

from __future__ import annotations

import functools
import json
import os

from zoo.checkpoints import alexnet, efficientnet, resnet, vgg
from zoo.checkpoints.assign import assign_keras_h5, assign_torch
from zoo.checkpoints.readers import FORMATS, checkpoint_format, read_tensors
from zoo.checkpoints.torchfile import CheckpointError, load_state_dict

__all__ = [
    "CheckpointError",
    "FORMATS",
    "MAPS",
    "checkpoint_classes",
    "checkpoint_format",
    "imagenet_classes",
    "load_checkpoint",
    "load_state_dict",
    "read_tensors",
    "loadable_sources",
]

# checkpoint family (the builders' `checkpoint_map=`) -> its map module
MAPS = {
    "alexnet": alexnet,
    "vgg": vgg,
    "resnet": resnet,
    "resnet_cifar": resnet.cifar,
    "efficientnet_lite": efficientnet,
}
# what the checkpoints of each format expect as input, as an ImagePreprocessing mode
PREPROCESSING = {"torch": "torch", "safetensors": "torch", "keras_h5": "caffe"}


@functools.lru_cache(maxsize=1)
def imagenet_classes():
    """The 1000 ImageNet-1k class names in index order (torchvision's list, shipped as JSON)."""
    with open(os.path.join(os.path.dirname(__file__), "imagenet_classes.json"), encoding="utf-8") as f:
        return tuple(json.load(f))


def loadable_sources(checkpoint_map, model_name=None):
    """Lines saying which checkpoints a model with this map (registered as `model_name`) loads
    ([] for none)."""
    fam = MAPS.get(checkpoint_map)
    if fam is None:
        return []
    out = []
    if hasattr(fam, "torch_names"):
        out.append(f"{fam.SOURCES} state dicts (.pth/.pt/.bin, .safetensors)")
    if hasattr(fam, "keras_names") and (model_name is None or model_name in getattr(fam, "KERAS_MODELS", ())):
        out.append(f"{fam.KERAS_SOURCES} weight files (.h5)")
    return out


def checkpoint_classes(fmt, tensors, checkpoint_map):
    """The number of classes of the checkpoint's classifier, or None when it has none."""
    fam = MAPS.get(checkpoint_map)
    if fmt == "keras_h5":
        arrays = tensors.get("predictions")
        return int(arrays[0].shape[-1]) if arrays else None
    tensors = {k[len("module."):] if k.startswith("module.") else k: v for k, v in tensors.items()}
    head = tensors.get(getattr(fam, "HEAD_KEY", None))
    return int(head.shape[0]) if head is not None and head.ndim == 2 else None


def load_checkpoint(model, path, *, checkpoint_map, read=None):
    """Loads checkpoint `path` into the built zoo `model` and returns what the weights carry.

    Args:
        model: a zoo model built with the checkpoint's configuration (classes, widths, ...);
            `include_top=False` skips the checkpoint's classifier (named in "skipped").
        path: a `.pth`/`.pt`/`.bin`, `.safetensors` or keras.applications `.h5` file.
        checkpoint_map: the model's family map, one of `MAPS` (the builders keep theirs in
            `model.checkpoint_map`).
        read: (format, tensors) of `read_tensors(path)` when the caller has read the file already.
    Returns:
        {"format", "checkpoint_map", "preprocessing" (an ImagePreprocessing mode), "class_names"
        (ImageNet's 1000 names for a 1000-way head, else None), "pretrained": True, "loaded",
        "skipped", "ignored", "path"}.
    Raises:
        CheckpointError (a ValueError) naming a missing, extra or mis-shaped tensor, or a file
        that is no checkpoint; nothing is assigned then.
    """
    path = os.fspath(path)
    fam = MAPS.get(checkpoint_map)
    if fam is None:
        raise CheckpointError(
            f"model {model.name!r} has no checkpoint map, so it loads only the zoo's own .keras / "
            f".weights.h5 files. Received: weights={path!r}"
        )
    fmt, tensors = read if read is not None else read_tensors(path)
    if fmt == "keras_h5":
        if not hasattr(fam, "keras_names"):
            raise CheckpointError(
                f"model {model.name!r} loads no Keras .h5 file ({fam.SOURCES} checkpoints only). "
                f"Received: weights={path!r}"
            )
        report = assign_keras_h5(model, tensors, fam, path=path)
    else:
        if not hasattr(fam, "torch_names"):
            raise CheckpointError(f"model {model.name!r} loads no torch checkpoint. Received: weights={path!r}")
        report = assign_torch(model, tensors, fam, path=path)
    names = None
    top = next((l for l in model.layers if l.name == "predictions"), None)
    if top is not None and top.units == 1000:
        names = list(imagenet_classes())
    return {
        "format": fmt,
        "checkpoint_map": checkpoint_map,
        "preprocessing": getattr(fam, "PREPROCESSING", PREPROCESSING)[fmt],
        "class_names": names,
        "pretrained": True,
        "path": path,
        **report,
    }
