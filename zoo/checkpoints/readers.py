"""The three checkpoint formats, each read into {name: NumPy array} without the framework that
wrote it: torch files through `torchfile`, `.safetensors` through the `safetensors` package's
NumPy API, Keras 2 / keras.applications `.h5` weight files through h5py."""

from __future__ import annotations

import os

import h5py
import numpy as np

from zoo.checkpoints.torchfile import CheckpointError, load_state_dict

# suffix -> format. `.weights.h5` is the zoo's own Keras 3 format (model.load_weights), not these.
FORMATS = {
    ".pth": "torch",
    ".pt": "torch",
    ".bin": "torch",
    ".safetensors": "safetensors",
    ".h5": "keras_h5",
    ".hdf5": "keras_h5",
}


def checkpoint_format(path):
    """"torch", "safetensors" or "keras_h5" by the file's suffix; None for the zoo's own files."""
    path = os.fspath(path).lower()
    if path.endswith(".weights.h5") or path.endswith(".keras"):
        return None
    return next((fmt for suffix, fmt in FORMATS.items() if path.endswith(suffix)), None)


def read_safetensors(path):
    """{name: array} of a `.safetensors` file (timm, Hugging Face)."""
    # optional: needed for .safetensors files only
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return dict(load_file(os.fspath(path)))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{os.fspath(path)!r} is not a readable .safetensors file: {e}") from None


def read_keras_h5(path):
    """{layer name: [arrays in the layer's weight order]} of a Keras 2 `save_weights` HDF5 file,
    the format of keras.applications' weight files (attribute `layer_names`, per layer
    `weight_names`)."""
    path = os.fspath(path)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise CheckpointError(f"{path!r} is not an HDF5 file: {e}") from None
    with f:
        g = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in g.attrs:
            raise CheckpointError(
                f"{path!r} is an HDF5 file without `layer_names`: not a Keras (keras.applications) "
                "weights file. A Keras 3 file of the zoo's own ends in .weights.h5."
            )
        out = {}
        for raw in g.attrs["layer_names"]:
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            weight_names = g[name].attrs.get("weight_names", [])
            arrays = [np.asarray(g[name][w.decode() if isinstance(w, bytes) else w]) for w in weight_names]
            if arrays:
                out[name] = arrays
        return out


def read_tensors(path):
    """(format, tensors) of a checkpoint; torch and safetensors give {key: array}, keras_h5
    {layer: [arrays]}."""
    fmt = checkpoint_format(path)
    if fmt == "torch":
        return fmt, load_state_dict(path)
    if fmt == "safetensors":
        return fmt, read_safetensors(path)
    if fmt == "keras_h5":
        return fmt, read_keras_h5(path)
    raise CheckpointError(
        f"{os.fspath(path)!r} is no checkpoint the zoo reads: expected {', '.join(FORMATS)}"
    )
