"""Backbones for transfer: zoo classifiers without their top, keras.applications classes, weights
from local files, and the preprocessing each expects (inside the model)."""

from __future__ import annotations

import os

import keras

from zoo import registry
from zoo.data.arrays import size_hw
from zoo.models import common, load_model
from zoo.models.labels import checkpoint_info

# keras.applications module -> ImagePreprocessing mode (imagenet_utils.preprocess_input modes)
APPLICATION_PREPROCESSING = {
    "resnet": "caffe",
    "vgg16": "caffe",
    "vgg19": "caffe",
    "resnet_v2": "tf",
    "mobilenet": "tf",
    "mobilenet_v2": "tf",
    "inception_v3": "tf",
    "inception_resnet_v2": "tf",
    "xception": "tf",
    "nasnet": "tf",
    "densenet": "torch",
    "mobilenet_v3": "raw255",
    "efficientnet": "raw255",
    "efficientnet_v2": "raw255",
    "convnext": "raw255",
}


# ----------------------------------------------------------------------------- backbones
def _application(name):
    """The keras.applications builder called `name` ("ResNet50", "keras:MobileNetV2"), or None."""
    key = name[len("keras:") :] if name.startswith("keras:") else name
    fn = getattr(keras.applications, key, None)
    if fn is None or not callable(fn) or not key[:1].isupper():
        return None
    return fn


def _application_names():
    return sorted(n for n in dir(keras.applications) if n[:1].isupper() and callable(getattr(keras.applications, n)))


def preprocessing_mode(name):
    """The ImagePreprocessing mode backbone `name` expects ("none" for zoo models)."""
    fn = _application(name)
    if fn is None:
        return "none"
    module = fn.__module__.rsplit(".", 1)[-1]
    return APPLICATION_PREPROCESSING.get(module, "caffe")


def _leaf_layers(model):
    """{name: layer} of every layer with weights, descending into nested models."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(_leaf_layers(layer))
        elif layer.weights:
            found[layer.name] = layer
    return found


def load_backbone_weights(backbone, weights, *, saved=None):
    """Loads `weights` (a local .keras or .weights.h5 file, or a torchvision / timm / keras.applications
    checkpoint that the backbone's family maps: `zoo.checkpoints`) into `backbone`.

    A `.weights.h5` file must come from the same architecture (`include_top=False`). A `.keras`
    file may be any saved model containing the backbone's layers, e.g. a zoo classifier with its
    top or a transfer run's `model.keras`: weights are copied layer by layer, by name. `saved` is
    that model when the caller has read it already (the file is then not read again).

    Raises:
        ValueError: naming the file and the backbone, when the weights do not fit.
    """
    path = common.check_weights_path(weights)
    if path is None:
        return backbone
    if common.is_checkpoint(path):  # torchvision / timm / keras.applications files: a zoo builder's records read them
        raise ValueError(f"weights file {path!r} is a foreign checkpoint, which backbone {backbone.name!r} cannot take "
                         "after it is built: give it to build_backbone (a zoo model; `zoo info MODEL` lists the "
                         "checkpoints each one reads)")
    described = f"backbone {backbone.name!r} ({backbone.count_params():,} parameters)"
    if path.endswith(".weights.h5"):
        try:
            backbone.load_weights(path)
        except Exception as e:  # Keras raises ValueError / KeyError / ... depending on the mismatch
            first = " ".join(str(e).split())[:300]
            raise ValueError(
                f"weights file {path!r} does not fit {described}: {first}. A .weights.h5 file must "
                "come from the same architecture with include_top=False; a full model saved as .keras also works"
            ) from None
        return backbone

    source = saved if saved is not None else _read_saved(path)
    theirs = _leaf_layers(source)
    mine = _leaf_layers(backbone)
    missing = [n for n in mine if n not in theirs]
    wrong = [
        f"{n} {[tuple(w.shape) for w in layer.weights]} vs {[tuple(w.shape) for w in theirs[n].weights]}"
        for n, layer in mine.items()
        if n in theirs and [tuple(w.shape) for w in layer.weights] != [tuple(w.shape) for w in theirs[n].weights]
    ]
    if missing or wrong:
        detail = []
        if missing:
            detail.append(f"layers missing from the file: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if wrong:
            detail.append(f"shapes differ: {'; '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''}")
        raise ValueError(
            f"weights file {path!r} (model {source.name!r}, {source.count_params():,} parameters) does not fit "
            f"{described}: {'; '.join(detail)}"
        )
    for n, layer in mine.items():
        layer.set_weights(theirs[n].get_weights())
    return backbone


def _read_saved(weights):
    """The saved .keras model `weights` names, read once (None for .weights.h5, a checkpoint or None)."""
    if weights is None or not os.fspath(weights).endswith(".keras"):
        return None
    path = common.check_weights_path(weights)
    try:
        return load_model(path, compile=False)
    except Exception as e:
        raise ValueError(f"weights file {path!r} cannot be read as a Keras model: {' '.join(str(e).split())[:300]}") from None


def _default_channels(name, saved):
    """The channels backbone `name` takes: the saved model's, 3 for keras.applications, else the zoo default."""
    if saved is not None:
        return saved.input_shape[-1]
    if _application(name) is not None:
        return 3
    return registry.get_spec(name).default_input_shape[-1]


def build_backbone(name, *, input_shape=None, image_size=None, weights=None):
    """A backbone without its top: a zoo classifier (`"resnet18"`, `"lenet5"`) or a
    keras.applications model (`"MobileNetV2"` or `"keras:MobileNetV2"`), weights from a local file.

    Args:
        name: zoo model name (classification task) or keras.applications class name.
        input_shape: (H, W, C); default: the saved model's shape when `weights` is a .keras file,
            else the model's default.
        image_size: instead of `input_shape`, N or (H, W); the channels are the saved model's,
            3 for keras.applications, else the zoo model's default.
        weights: None or a local .keras / .weights.h5 file (`load_backbone_weights`).

    Returns:
        (backbone, preprocessing_mode): the model outputs the last feature map (no pooling).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"`backbone` must be a model name. Received: backbone={name!r}")
    saved = _read_saved(weights)  # a .keras file is read here once: its shape and its weights
    if input_shape is None and image_size is not None:
        input_shape = (*size_hw(image_size, None), _default_channels(name, saved))
    if input_shape is None and saved is not None:
        input_shape = tuple(saved.input_shape[1:])
    foreign = weights is not None and common.is_checkpoint(common.check_weights_path(weights))
    fn = _application(name)
    if fn is not None:
        kwargs = {"include_top": False, "weights": None}
        if input_shape is not None:
            kwargs["input_shape"] = tuple(input_shape)
        try:
            backbone = fn(**kwargs)
        except ValueError as e:
            raise ValueError(f"backbone={name!r}, input_shape={input_shape!r}: {' '.join(str(e).split())}") from None
    else:
        try:
            spec = registry.get_spec(name)
        except ValueError as e:
            apps = ", ".join(_application_names()[:8])
            raise ValueError(f"{e} keras.applications backbones are also accepted by class name ({apps}, ...).") from None
        if spec.task != "classification":
            raise ValueError(
                f"backbone={name!r} is a {spec.task} model; a backbone must be a classifier "
                f"(`zoo list --task classification`) or a keras.applications model"
            )
        shape = tuple(input_shape) if input_shape is not None else spec.default_input_shape
        # a foreign checkpoint is read by the builder, through the model's checkpoint records
        backbone = spec.builder(include_top=False, input_shape=shape, weights=weights if foreign else None)
    if fn is not None or not foreign:
        load_backbone_weights(backbone, weights, saved=saved)
    info = checkpoint_info(backbone)  # a checkpoint brings its own preprocessing
    return backbone, info["preprocessing"] if info else preprocessing_mode(name)
