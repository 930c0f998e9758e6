"""`zoo convert`: a checkpoint into a self-contained zoo `.keras` model that takes raw [0, 1] RGB
images (the checkpoint's preprocessing is a layer inside) and keeps its class names."""

from __future__ import annotations

import os

import keras

from zoo import registry
from zoo.checkpoints import checkpoint_classes, load_checkpoint, read_tensors
from zoo.io import save_model
from zoo.models.labels import ClassNames
from zoo.models.preprocessing import ImagePreprocessing


def convert(src, model, out, *, input_shape=None, class_names=None, **builder_kwargs):
    """Builds registered `model` to fit checkpoint `src`, loads it and saves `out` (.keras).

    The classifier's size comes from the checkpoint (none: the features, average-pooled); a
    keras.applications ResNet `.h5` builds the v1 variant. The saved model is
    Input -> ImagePreprocessing(the checkpoint's mode) -> the zoo model -> ClassNames.

    Args:
        src: a `.pth`/`.pt`/`.bin`, `.safetensors` or keras.applications `.h5` file.
        model: registered model name, e.g. "resnet18".
        out: path of the `.keras` file to write (atomically).
        input_shape: (H, W, C) to build on; default the model's.
        class_names: names of the classes (index order); default ImageNet's for a 1000-way head.
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
    checkpoint_map = spec.checkpoint_map
    if checkpoint_map is None:
        raise ValueError(
            f"model {spec.name!r} reads no foreign checkpoints (only the zoo's own .keras files); "
            f"`zoo info {spec.name}` says so. Received: model={model!r}"
        )
    read = read_tensors(src)
    classes = checkpoint_classes(*read, checkpoint_map)
    kw = dict(builder_kwargs)
    if classes:
        kw.setdefault("classes", classes)
    else:
        kw.setdefault("include_top", False)
        kw.setdefault("pooling", "avg")
    if read[0] == "keras_h5" and spec.family == "resnet" and spec.name.startswith("resnet50"):
        kw.setdefault("variant", "v1")
    net = spec.builder(input_shape=input_shape, **kw)
    info = load_checkpoint(net, src, checkpoint_map=net.checkpoint_map, read=read)
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
