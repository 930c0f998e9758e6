"""Blocks of a backbone and freezing: whole, up to a block, or all but the top N blocks, with
BatchNormalization kept in inference mode."""

from __future__ import annotations

import difflib
import math
import re

import keras
import numpy as np
from keras import layers

_BLOCK_NAME = re.compile(r"^(.*?block_?\d+[a-z]?)(?:_|$)")
_STAGE_NAME = re.compile(r"^(stem|stage\d+)$")


def blocks(model):
    """The model's layers grouped into blocks, bottom to top: [(block name, [layer names])].

    zoo backbones split after each `stem` / `stageK` layer (the stage convention); keras.applications
    models by their layer names (`conv5_block3_...`, `block_16_...`, `block6a_...`); anything else
    after each layer with weights. Input layers are left out; trailing layers join the last block.
    """
    names = [l.name for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    weighted = {l.name for l in model.layers if l.weights}
    groups = []
    if any(_STAGE_NAME.match(n) for n in names):
        current = []
        for n in names:
            current.append(n)
            if _STAGE_NAME.match(n):
                groups.append((n, current))
                current = []
        if current:
            if any(c in weighted for c in current):
                groups.append(("top", current))
            else:
                groups[-1][1].extend(current)
        return groups
    if sum(bool(_BLOCK_NAME.match(n)) for n in names) >= 2:
        for n in names:  # layers outside any block join the one before (the first: "stem")
            m = _BLOCK_NAME.match(n)
            if m and (not groups or groups[-1][0] != m.group(1)):
                groups.append((m.group(1), [n]))
            elif groups:
                groups[-1][1].append(n)
            else:
                groups.append(("stem", [n]))
        return groups
    current = []
    for n in names:
        current.append(n)
        if n in weighted:
            groups.append((n, current))
            current = []
    if current:
        if groups:
            groups[-1][1].extend(current)
        else:
            groups.append(("all", current))
    return groups


def _batchnorms(model):
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _batchnorms(layer)
        elif isinstance(layer, layers.BatchNormalization):
            out.append(layer)
    return out


def freeze(model, until=None, *, freeze_batchnorm=True):
    """Freezes `model`'s layers from the input up to `until`; returns the frozen layer names.

    Args:
        model: a backbone (its top-level layers are frozen or not).
        until: None (all layers), a layer name (that layer and all below it), or a fraction in
            (0, 1] of the layers with weights, counted from the input.
        freeze_batchnorm: keep every BatchNormalization layer non-trainable, i.e. in inference mode
            (Keras 3 runs a non-trainable BatchNormalization with its moving statistics), even above `until`.
    """
    order = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    if until is None:
        cut = len(order)
    elif isinstance(until, str):
        names = [l.name for l in order]
        if until not in names:
            close = difflib.get_close_matches(until, names, n=3, cutoff=0.4)
            hint = f" Close names: {', '.join(close)}." if close else ""
            raise ValueError(f"`until`={until!r} is not a layer of {model.name!r}.{hint} Blocks: {', '.join(b for b, _ in blocks(model))}")
        cut = names.index(until) + 1
    elif isinstance(until, float) and 0.0 < until <= 1.0:
        weighted = [i for i, l in enumerate(order) if l.weights]
        k = math.ceil(until * len(weighted))
        cut = weighted[k - 1] + 1 if k else 0
    else:
        raise ValueError(
            "`until` must be None, a layer name or a fraction in (0, 1] (a float). "
            f"Received: until={until!r}"
        )
    model.trainable = True
    for i, layer in enumerate(order):
        layer.trainable = i >= cut
    if freeze_batchnorm:
        for bn in _batchnorms(model):
            bn.trainable = False
    return [l.name for l in order[:cut]]


def unfreeze_top(model, n_blocks, *, freeze_batchnorm=True):
    """Makes the top `n_blocks` blocks of `model` trainable (BatchNormalization stays frozen),
    everything below frozen; returns the names of the blocks made trainable."""
    groups = blocks(model)
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 0:
        raise ValueError(f"`unfreeze` must be an integer >= 0 (blocks from the top; {len(groups)} in {model.name!r}). Received: unfreeze={n_blocks!r}")
    n_blocks = min(n_blocks, len(groups))
    if n_blocks == 0:
        freeze(model, None, freeze_batchnorm=freeze_batchnorm)
        return []
    first = groups[len(groups) - n_blocks][1][0]
    order = [l.name for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    idx = order.index(first)
    if idx == 0:
        model.trainable = True
        for layer in model.layers:
            layer.trainable = True
        if freeze_batchnorm:
            for bn in _batchnorms(model):
                bn.trainable = False
    else:
        freeze(model, order[idx - 1], freeze_batchnorm=freeze_batchnorm)
    return [b for b, _ in groups[len(groups) - n_blocks :]]


def trainable_count(model):
    """Number of trainable parameters."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))
