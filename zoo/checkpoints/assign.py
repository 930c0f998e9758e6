"""Checkpoint tensors into a built zoo model, every tensor accounted for.

A family map (a `CheckpointMap`, one per zoo/checkpoints/<family>.py) names, for each zoo layer
with weights, the torch module it comes from (`torch_names(model) -> {layer: prefix}`) or, for
Keras `.h5` files, the keras.applications layer (`keras_names(model) -> {file layer: zoo layer}`).
This module converts
(conv kernels OIHW -> HWIO, depthwise (C, 1, kh, kw) -> (kh, kw, C, 1), dense (out, in) -> (in, out),
the first dense layer after a flatten re-ordered from torch's C,H,W to Keras' H,W,C) and checks:
a tensor the model needs but the file lacks, a tensor of the file no layer takes, or a shape that
differs is an error naming it. Nothing is assigned until everything fits.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
from keras import layers

from zoo.checkpoints.torchfile import CheckpointError

# torch BatchNorm tensors in Keras' weight order (gamma, beta, moving mean, moving variance).
BN_KEYS = ("weight", "bias", "running_mean", "running_var")
BN_IGNORED = ("num_batches_tracked",)  # a training counter: read, accounted for, not used


@dataclasses.dataclass(frozen=True)
class CheckpointMap:
    """Where each zoo layer's weights come from in one family's checkpoint layout.

    Attributes:
        name: the map's name, what a `zoo.weights.Weights` record names as its `reader`.
        torch_names: model -> {zoo layer: torch module prefix}, for torch / safetensors files;
            None: the layout has no torch checkpoints.
        keras_names: model -> {file layer: zoo layer}, for keras.applications `.h5` files; None: none.
        head_key: the torch classifier's weight, whose rows are the classes.
        head_prefixes: torch keys of the classifier, skipped when the model has no top.
        keras_head: `.h5` layers of the classifier, skipped when the model has no top.
        flattened: dense layers right after a flatten (torch flattens C,H,W; Keras H,W,C).
        keras_hint: added to the error when an `.h5` layer's arrays do not fit.
    """

    name: str
    torch_names: Callable | None = None
    keras_names: Callable | None = None
    head_key: str | None = None
    head_prefixes: tuple = ()
    keras_head: tuple = ()
    flattened: tuple = ()
    keras_hint: str = ""

    def reads(self, fmt):
        """True when the map has names for files of format `fmt`."""
        return (self.keras_names if fmt == "keras_h5" else self.torch_names) is not None


def _strip_wrapper_prefix(tensors):
    """Drops the "module." prefix nn.DataParallel adds to every key."""
    if tensors and all(k.startswith("module.") for k in tensors):
        return {k[len("module."):]: v for k, v in tensors.items()}
    return tensors


def _flatten_chw(model, layer_name):
    """(H, W, C) of the map flattened just before `layer_name`."""
    flat = model.get_layer("flatten")
    h, w, c = flat.input.shape[1:]
    return int(h), int(w), int(c)


def _torch_arrays(layer, prefix, tensors, *, flattened_from=None):
    """[(key, torch array, converter)] for `layer`'s weights, in Keras' order."""
    if isinstance(layer, layers.BatchNormalization):
        return [(f"{prefix}.{k}", None) for k in BN_KEYS]
    if isinstance(layer, layers.DepthwiseConv2D):
        out = [(f"{prefix}.weight", lambda w: w.transpose(2, 3, 0, 1))]
    elif isinstance(layer, layers.Conv2D):
        out = [(f"{prefix}.weight", lambda w: w.transpose(2, 3, 1, 0))]
    elif isinstance(layer, layers.Dense):
        if flattened_from is not None:
            h, w, c = flattened_from

            def dense(t, h=h, w=w, c=c):
                if t.ndim != 2 or t.shape[1] != h * w * c:
                    return t.T  # the shape check below names the mismatch
                return t.reshape(t.shape[0], c, h, w).transpose(2, 3, 1, 0).reshape(h * w * c, t.shape[0])

            out = [(f"{prefix}.weight", dense)]
        else:
            out = [(f"{prefix}.weight", lambda w: w.T)]
    else:
        raise CheckpointError(f"layer {layer.name!r} ({type(layer).__name__}) has weights the checkpoint maps do not know")
    if getattr(layer, "use_bias", False):
        out.append((f"{prefix}.bias", None))
    return out


def assign_torch(model, tensors, family, *, path, source):
    """Loads a torch / safetensors state dict through `family.torch_names(model)`; `source` (the
    record's) names what the file should be in errors.

    Returns:
        {"loaded": n tensors, "skipped": [keys of a classifier the model lacks], "ignored": n of
        BatchNorm's `num_batches_tracked` counters}.
    Raises:
        CheckpointError naming the first missing, extra or mis-shaped tensors.
    """
    tensors = _strip_wrapper_prefix(tensors)
    names = family.torch_names(model)
    flattened = set(family.flattened)
    plan, used, ignored = [], set(), []
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in names:
            raise CheckpointError(
                f"model {model.name!r}: layer {layer.name!r} has no counterpart in the {family.name} "
                f"checkpoint map, so {path!r} cannot fill it"
            )
        prefix = names[layer.name]
        flat = _flatten_chw(model, layer.name) if layer.name in flattened else None
        values = []
        for (key, convert), var in zip(_torch_arrays(layer, prefix, tensors, flattened_from=flat), layer.weights):
            if key not in tensors:
                raise CheckpointError(
                    f"checkpoint {path!r} lacks tensor {key!r} (for layer {layer.name!r} of model "
                    f"{model.name!r}); is it a {source} checkpoint?"
                )
            raw = np.asarray(tensors[key])
            value = convert(raw) if convert else raw
            if tuple(value.shape) != tuple(var.shape):
                raise CheckpointError(
                    f"tensor {key!r} of {path!r} has shape {tuple(raw.shape)}, layer {layer.name!r} of "
                    f"model {model.name!r} needs {tuple(var.shape)} (torch layout "
                    f"{_torch_shape(layer, tuple(var.shape))}); build the model with the checkpoint's "
                    "configuration (classes=, input channels, widths)"
                )
            values.append(np.asarray(value, dtype=var.dtype))
            used.add(key)
        for extra in BN_IGNORED if isinstance(layer, layers.BatchNormalization) else ():
            if f"{prefix}.{extra}" in tensors:
                used.add(f"{prefix}.{extra}")
                ignored.append(f"{prefix}.{extra}")
        plan.append((layer, values))
    skipped = []
    if not any(l.name == "predictions" for l in model.layers):
        skipped = sorted(k for k in tensors if k not in used and k.startswith(family.head_prefixes))
        used.update(skipped)
    extra = sorted(set(tensors) - used)
    if extra:
        shown = ", ".join(f"{k} {tuple(np.shape(tensors[k]))}" for k in extra[:6])
        raise CheckpointError(
            f"checkpoint {path!r} has {len(extra)} tensor(s) no layer of model {model.name!r} takes: "
            f"{shown}{' ...' if len(extra) > 6 else ''}; is it a checkpoint of another architecture or depth?"
        )
    for layer, values in plan:
        layer.set_weights(values)
    return {"loaded": sum(len(v) for _, v in plan), "skipped": skipped, "ignored": len(ignored)}


def _torch_shape(layer, keras_shape):
    if isinstance(layer, layers.DepthwiseConv2D) and len(keras_shape) == 4:
        kh, kw, c, m = keras_shape
        return (c * m, 1, kh, kw)
    if len(keras_shape) == 4:
        kh, kw, i, o = keras_shape
        return (o, i, kh, kw)
    if len(keras_shape) == 2:
        return keras_shape[::-1]
    return keras_shape


def assign_keras_h5(model, arrays, family, *, path, source):
    """Loads a keras.applications `.h5` file ({file layer: [arrays]}) through
    `family.keras_names(model)` ({file layer: zoo layer}); `source` as in `assign_torch`."""
    names = family.keras_names(model)
    plan, done = [], set()
    head = set(family.keras_head)
    has_top = any(l.name == "predictions" for l in model.layers)
    skipped = []
    for file_layer, values in arrays.items():
        if not has_top and file_layer in head:
            skipped.append(file_layer)
            continue
        if file_layer not in names:
            raise CheckpointError(
                f"layer {file_layer!r} of {path!r} ({len(values)} arrays) has no counterpart in model "
                f"{model.name!r}; is it a {source} file?"
            )
        layer = model.get_layer(names[file_layer])
        if len(values) != len(layer.weights):
            hint = family.keras_hint
            raise CheckpointError(
                f"layer {file_layer!r} of {path!r} has {len(values)} arrays, layer {layer.name!r} of model "
                f"{model.name!r} has {len(layer.weights)}{hint}"
            )
        for i, (v, var) in enumerate(zip(values, layer.weights)):
            if tuple(v.shape) != tuple(var.shape):
                raise CheckpointError(
                    f"array {i} ({var.name}) of layer {file_layer!r} in {path!r} has shape {tuple(v.shape)}, "
                    f"layer {layer.name!r} of model {model.name!r} needs {tuple(var.shape)}"
                )
        plan.append((layer, values))
        done.add(layer.name)
    missing = [l.name for l in model.layers if l.weights and l.name not in done]
    if missing:
        raise CheckpointError(
            f"{path!r} has no weights for layer(s) {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''} "
            f"of model {model.name!r}"
        )
    for layer, values in plan:
        layer.set_weights(values)
    return {"loaded": sum(len(v) for _, v in plan), "skipped": sorted(skipped), "ignored": 0}
