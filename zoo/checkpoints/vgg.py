"""torchvision VGG 11-19 (±BN) state dicts and keras.applications VGG16/19 `.h5` files into
zoo.models.vgg: `features.i` by the module walk, `classifier.0/3/6` = fc1, fc2, predictions, fc1
re-ordered from torch's C,H,W flatten."""

from __future__ import annotations

import re

from zoo.checkpoints.assign import CheckpointMap
from zoo.checkpoints.sequential import features_indices

KERAS_HEAD = ("fc1", "fc2", "predictions")
CLASSIFIER = {"fc1": "classifier.0", "fc2": "classifier.3", "predictions": "classifier.6"}


def torch_names(model):
    names = features_indices(model, stop="adaptive_pool" if "adaptive_pool" in {l.name for l in model.layers} else "flatten")
    names.update({k: v for k, v in CLASSIFIER.items() if k in {l.name for l in model.layers}})
    return names


def keras_names(model):
    """keras.applications names its convolutions `block1_conv1`; the zoo `block1_conv1_conv`."""
    out = {}
    for layer in model.layers:
        m = re.fullmatch(r"(block\d+_conv\d+)_conv", layer.name)
        if m:
            out[m.group(1)] = layer.name
        elif layer.name in KERAS_HEAD:
            out[layer.name] = layer.name
    return out


MAP = CheckpointMap(
    name="vgg", torch_names=torch_names, keras_names=keras_names, head_key="classifier.6.weight",
    head_prefixes=("classifier.",), keras_head=KERAS_HEAD, flattened=("fc1",),
)
