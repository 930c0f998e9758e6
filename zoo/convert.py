"""`zoo convert`: a checkpoint into a self-contained zoo `.keras` model that takes raw [0, 1] RGB
images (the checkpoint's preprocessing is a layer inside) and keeps its class names and its
checkpoint record. A workflow over the models and the checkpoint readers."""

from __future__ import annotations

import os

import keras

from zoo import registry
from zoo.checkpoints import MAPS, checkpoint_classes, read_tensors
from zoo.io import save_model
from zoo.models.common import with_checkpoint
from zoo.models.labels import ClassNames, checkpoint_info
from zoo.models.preprocessing import ImagePreprocessing
from zoo.weights import weights_for


def convert(src, model, out, *, input_shape=None, class_names=None, **builder_kwargs):
    """Builds registered `model` to fit checkpoint `src`, loads it and saves `out` (.keras).

    The record of the model's `weights` that reads the file's format says how to build it (its
    `builder_kwargs`: a keras.applications ResNet `.h5` builds the v1 variant) and what its input
    and classes are; the classifier's size comes from the checkpoint (none: the features,
    average-pooled). The saved model is Input -> ImagePreprocessing(the record's mode) -> the zoo
    model (ending in its CheckpointRecord) -> ClassNames.

    Args:
        src: a `.pth`/`.pt`/`.bin`, `.safetensors` or keras.applications `.h5` file.
        model: registered model name, e.g. "resnet18".
        out: path of the `.keras` file to write (atomically).
        input_shape: (H, W, C) to build on; default the model's.
        class_names: names of the classes (index order); default the record's categories when
            the checkpoint's classifier has the record's size.
        **builder_kwargs: further arguments of the builder (widths=, ...).
    Returns:
        The checkpoint's metadata (see `load_checkpoint`) with "out" and "classes" added.
    """
    spec = registry.get_spec(model)
    out = os.fspath(out)
    if not out.endswith(".keras"):
        raise ValueError(f"`out` must be a path ending in .keras. Received: out={out!r}")
    if not os.path.isfile(os.fspath(src)):
        raise FileNotFoundError(f"checkpoint not found: {os.fspath(src)!r}")
    if not spec.weights:
        raise ValueError(
            f"model {spec.name!r} reads no foreign checkpoints (only the zoo's own .keras files); "
            f"`zoo info {spec.name}` says so. Received: model={model!r}"
        )
    read = read_tensors(src)
    record = weights_for(spec.weights, read[0])
    if record is None:
        kinds = "; ".join(f"{w.source} ({'/'.join(w.formats)})" for w in spec.weights)
        raise ValueError(f"model {spec.name!r} reads no {read[0]} checkpoints; it reads {kinds}. Received: src={os.fspath(src)!r}")
    classes = checkpoint_classes(*read, MAPS[record.reader])
    kw = {**record.builder_kwargs, **builder_kwargs}
    if classes:
        kw.setdefault("classes", classes)
    else:
        kw.setdefault("include_top", False)
        kw.setdefault("pooling", "avg")
    net = with_checkpoint(spec.builder(input_shape=input_shape, **kw), src, spec.weights, read=read)
    info = checkpoint_info(net)
    names = list(class_names) if class_names is not None else info["class_names"]
    if names is not None and classes and len(names) != classes:
        raise ValueError(
            f"`class_names` has {len(names)} names, the checkpoint's classifier {classes} classes. "
            f"Received: class_names of length {len(names)}"
        )
    raw = keras.Input(shape=net.input_shape[1:], name="image")
    x = ImagePreprocessing(info["preprocessing"], name="preprocessing")(raw)
    y = net(x)
    if names is not None and classes:
        y = ClassNames(names, name="class_names")(y)
    wrapped = keras.Model(raw, y, name=net.name)
    save_model(wrapped, out)
    return {**info, "class_names": names, "classes": classes, "out": out}
