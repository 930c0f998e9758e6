"""ResNet state dicts into zoo.models.resnet.

ImageNet nets (torchvision / timm resnet18-152): `conv1`/`bn1`, `layer{s}.{b}.conv{j}`/`bn{j}`,
`layer{s}.{b}.downsample.0/1` for the projection, `fc`. CIFAR nets in the common community
layout (akamaster's pytorch_resnet_cifar10: resnet20-110): the same with `linear` for the
classifier and `shortcut.0/1` for option-B projections (option A has no tensors).
keras.applications' ResNet50 `.h5` uses the zoo's own layer names, for `resnet50(variant="v1")`.
"""

from __future__ import annotations

import re

from zoo.checkpoints.assign import CheckpointMap


def _names(model, *, classifier, shortcut):
    out = {}
    for layer in model.layers:
        n = layer.name
        if n in ("conv1_conv", "conv1_bn"):
            out[n] = "conv1" if n.endswith("conv") else "bn1"
            continue
        m = re.fullmatch(r"conv(\d+)_block(\d+)_(\d+)_(conv|bn)", n)
        if m:
            stage, block, j, kind = int(m[1]) - 1, int(m[2]) - 1, int(m[3]), m[4]
            base = f"layer{stage}.{block}"
            if j == 0:
                out[n] = f"{base}.{shortcut}.{0 if kind == 'conv' else 1}"
            else:
                out[n] = f"{base}.{'conv' if kind == 'conv' else 'bn'}{j}"
        elif n == "predictions":
            out[n] = classifier
    return out


def torch_names(model):
    return _names(model, classifier="fc", shortcut="downsample")


def keras_names(model):
    return {l.name: l.name for l in model.layers if l.weights}


MAP = CheckpointMap(
    name="resnet", torch_names=torch_names, keras_names=keras_names, head_key="fc.weight", head_prefixes=("fc.",),
    keras_head=("predictions",),
    keras_hint=": keras.applications' ResNet50 is v1 with convolution biases; build resnet50(variant='v1') for its weights",
)
# the CIFAR nets: `linear` for the classifier, `shortcut.0/1` for option-B projections
CIFAR_MAP = CheckpointMap(
    name="resnet_cifar", torch_names=lambda model: _names(model, classifier="linear", shortcut="shortcut"),
    head_key="linear.weight", head_prefixes=("linear.",),
)
