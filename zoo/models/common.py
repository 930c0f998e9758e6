"""Pieces every builder shares: argument checks, input handling, the classifier top, weights.

Messages follow keras.applications: name the argument, what is accepted, then
`Received: arg=value`.
"""

from __future__ import annotations

import math
import os

import keras
import numpy as np
from keras import layers

from zoo.checkpoints import load_checkpoint
from zoo.checkpoints.readers import FORMATS
from zoo.checks import check_int, check_number, check_one_of, check_same_length  # noqa: F401 (builders use common.check_*)
from zoo.models.batchnorm import BatchNormalization

# One text for the arguments every zoo builder takes (keras.applications' spelling).
COMMON_ARGS_DOC = """
        include_top: bool, default True. Whether to include the classifier on top.
        weights: None or the path of a local file (no downloads): the zoo's own `.keras` /
            `.weights.h5`, or a checkpoint of the family's reference implementation
            (torchvision `.pth`/`.pt`, timm `.safetensors`, keras.applications `.h5`; see zoo.checkpoints).
        input_tensor: optional `keras.Input` tensor to build the model on.
        input_shape: optional (H, W, C); defaults to the paper's shape.
        pooling: None, "avg" or "max": global pooling of the features when `include_top=False`.
        classes: int >= 1, number of classes of the top.
        classifier_activation: "softmax" (default), "sigmoid", None (logits) or any Keras activation.
        name: model name.
"""

POOLINGS = ("avg", "max", None)


def document_common_args(fn):
    """Fills `{common_args}` in a builder's docstring with COMMON_ARGS_DOC."""
    if fn.__doc__:
        fn.__doc__ = fn.__doc__.replace("{common_args}", COMMON_ARGS_DOC.strip())
    return fn


def scale_widths(widths, width_multiplier):
    """`widths` times `width_multiplier`, rounded, at least 1 filter each (a thinner or wider net
    of the same depth, as MobileNet's alpha)."""
    m = check_number("width_multiplier", width_multiplier, low=0, low_open=True)
    return tuple(max(1, int(round(w * m))) for w in widths)


def check_classes(classes, *, include_top=True):
    """`classes` must be an int >= 1 (bools are refused)."""
    return check_int("classes", classes)


def resolve_input_shape(
    *, input_shape, input_tensor, default_shape, min_size, model_name, multiple_of=1
):
    """The (H, W, C) to build on, checked against the architecture's minimum side.

    Args:
        input_shape: the user's shape or None.
        input_tensor: the user's tensor or None; its shape wins when given.
        default_shape: the paper's (H, W, C).
        min_size: smallest (H, W) the architecture takes.
        model_name: for messages.
        multiple_of: H and W must be multiples of this (1 = any).
    """
    if input_tensor is not None:
        shape = tuple(input_tensor.shape[1:])
    elif input_shape is None:
        shape = tuple(default_shape)
    else:
        shape = input_shape
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ValueError(
            f"`input_shape` must be a tuple (height, width, channels) for {model_name}. "
            f"Received: input_shape={input_shape!r}"
        )
    shape = tuple(None if s is None else int(s) for s in shape)
    h, w, c = shape
    if c is None or c < 1:
        raise ValueError(
            f"`input_shape` needs a known number of channels >= 1 for {model_name}. "
            f"Received: input_shape={shape!r}"
        )
    for side in (h, w):
        if side is None:
            continue
        if side < min_size[0] or side < min_size[1]:
            raise ValueError(
                f"input_shape={shape!r} is too small for {model_name}: every side must be "
                f">= {min(min_size)} (minimum {tuple(min_size)}). Received: input_shape={shape!r}"
            )
        if side % multiple_of:
            lo = side - side % multiple_of
            raise ValueError(
                f"input_shape={shape!r} does not fit {model_name}: height and width must be "
                f"multiples of {multiple_of} (nearest that work: {lo}, {lo + multiple_of}). "
                f"Received: input_shape={shape!r}"
            )
    return shape


def make_input(shape, input_tensor, name="input"):
    """The model's input: `input_tensor` itself when it is a Keras tensor, else a new Input."""
    if input_tensor is None:
        return layers.Input(shape=shape, name=name)
    if not keras.backend.is_keras_tensor(input_tensor):
        raise TypeError(
            "`input_tensor` must be a Keras tensor from keras.Input(...). "
            f"Received: input_tensor of type {type(input_tensor).__name__}"
        )
    return input_tensor


def check_head_args(*, include_top, pooling, classes, classifier_activation, weights):
    """The checks every classifier builder makes before building."""
    if not isinstance(include_top, bool):
        raise ValueError(f"`include_top` must be True or False. Received: include_top={include_top!r}")
    check_one_of("pooling", pooling, POOLINGS)
    if include_top:
        check_classes(classes)
    check_weights_path(weights)
    if classifier_activation is not None:
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError):
            raise ValueError(
                "`classifier_activation` must be None, 'softmax', 'sigmoid' or another Keras "
                f"activation. Received: classifier_activation={classifier_activation!r}"
            ) from None


def classifier_top(x, *, include_top, pooling, classes, classifier_activation, flatten=False):
    """Global pooling + Dense(classes) when `include_top`, else the requested pooling."""
    if include_top:
        if flatten:
            x = layers.Flatten(name="flatten")(x)
        else:
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


ZOO_WEIGHT_SUFFIXES = (".keras", ".weights.h5")
CHECKPOINT_FORMATS = FORMATS  # foreign checkpoints by suffix -> the format zoo.checkpoints reads them as
CHECKPOINT_SUFFIXES = tuple(CHECKPOINT_FORMATS)


def check_weights_path(weights):
    """`weights` is None or an existing local weights file: the zoo's own `.keras` /
    `.weights.h5`, or a checkpoint (`.pth`, `.pt`, `.bin`, `.safetensors`, Keras `.h5`)."""
    if weights is None:
        return None
    accepted = ", ".join(ZOO_WEIGHT_SUFFIXES + CHECKPOINT_SUFFIXES)
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(
            f"`weights` must be None or the path of a local weights file ({accepted}; the zoo "
            f"downloads nothing). Received: weights={weights!r}"
        )
    path = os.fspath(weights)
    if not path.lower().endswith(ZOO_WEIGHT_SUFFIXES + CHECKPOINT_SUFFIXES):
        raise ValueError(
            f"`weights` must be a path ending in {accepted} (the zoo downloads nothing; for "
            f"'imagenet' weights give the file of a torchvision/timm/keras.applications checkpoint). "
            f"Received: weights={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weights file not found: {path!r}")
    return path


def is_checkpoint(path):
    """True for a foreign checkpoint (read by zoo.checkpoints), False for the zoo's own files."""
    p = os.fspath(path).lower()
    return not p.endswith(ZOO_WEIGHT_SUFFIXES) and p.endswith(CHECKPOINT_SUFFIXES)


def load_weights(model, weights, *, checkpoint_map=None):
    """Loads `weights` into `model`; a file of another architecture gives an error naming both.

    A foreign checkpoint goes through `zoo.checkpoints.load_checkpoint` with the family's
    `checkpoint_map`; what it carries (preprocessing, class names) is kept on the model as
    `model.checkpoint_info` (zoo convert and transfer read it).
    """
    path = check_weights_path(weights)
    if path is None:
        return model
    if is_checkpoint(path):
        info = load_checkpoint(model, path, checkpoint_map=checkpoint_map)
        object.__setattr__(model, "checkpoint_info", info)  # plain metadata, not a tracked state
        return model
    try:
        model.load_weights(path)
    except Exception as e:  # Keras raises ValueError/KeyError/... depending on the mismatch
        raise ValueError(
            f"weights file {path!r} does not fit model {model.name!r} "
            f"({model.count_params():,} parameters): {str(e).splitlines()[0][:300]}"
        ) from None
    return model


def build_model(inputs, outputs, *, name, weights, checkpoint_map=None):
    """The Functional model with the weights loaded; `checkpoint_map` names the family map of
    zoo.checkpoints that reads foreign checkpoints into it (None: the zoo's own files only)."""
    model = keras.Model(inputs, outputs, name=name)
    object.__setattr__(model, "checkpoint_map", checkpoint_map)
    return load_weights(model, weights, checkpoint_map=checkpoint_map)


def stage_outputs(model):
    """The named stage outputs of a zoo backbone, in order: {"stem": t, "stage1": t, ...}.

    Convention every classifier family follows: the layer whose output is stage k's feature map
    (the last map at that resolution, before the next downsampling) is named `stage{k}`; a
    stride-2 stem, where there is one, is named `stem`. Detection and segmentation heads tap
    these with `model.get_layer(name).output`.
    """
    names = [l.name for l in model.layers if l.name == "stem" or (l.name.startswith("stage") and l.name[5:].isdigit())]
    if not names:
        raise ValueError(
            f"model {model.name!r} has no named stage outputs (layers 'stage1', 'stage2', ...); "
            "use a zoo backbone such as resnet18 or vgg16"
        )
    names.sort(key=lambda n: -1 if n == "stem" else int(n[5:]))
    return {n: model.get_layer(n).output for n in names}


# ----------------------------------------------------------------------------- normalization
# The `norm=` switch of the convolutional families (seed topic: normalization layers).
NORMS = ("batch", "group", "layer", None)
NORM_SUFFIX = {"batch": "bn", "group": "gn", "layer": "ln"}


def check_norm(norm):
    """`norm` must be one of NORMS ("batch", "group", "layer", None)."""
    return check_one_of("norm", norm, NORMS)


def norm_layer(norm, channels, *, name, groups=32, epsilon=1e-5, momentum=0.9):
    """The normalization layer `norm` for a feature map of `channels` channels, or None.

    "batch": BatchNormalization (`zoo.models.batchnorm`: Keras', in one fused kernel on
    TensorFlow) with torchvision's defaults (eps 1e-5, momentum 0.1 in torch = 0.9 in Keras); "group": GroupNormalization with gcd(groups, channels) groups (Wu & He 2018
    use 32); "layer": LayerNormalization over the channels at each position (as ConvNeXt);
    None: no layer. Layers are named `{name}_bn` / `_gn` / `_ln`.
    """
    check_norm(norm)
    if norm is None:
        return None
    lname = f"{name}_{NORM_SUFFIX[norm]}"
    if norm == "batch":
        return BatchNormalization(epsilon=epsilon, momentum=momentum, name=lname)
    if norm == "group":
        return layers.GroupNormalization(groups=math.gcd(groups, channels), epsilon=epsilon, name=lname)
    return layers.LayerNormalization(epsilon=epsilon, name=lname)


def conv_bn_act(
    x,
    filters,
    kernel_size=3,
    strides=1,
    *,
    name,
    norm="batch",
    activation="relu",
    use_bias=None,
    padding=None,
    epsilon=1e-5,
    momentum=0.9,
):
    """Conv2D -> normalization -> activation, with torch-style symmetric padding.

    Stride 1 uses "same" padding; stride > 1 pads kernel_size // 2 on every side first
    (`{name}_pad`), as torchvision's `padding=k // 2`, so feature-map sizes and weights match it.
    `padding=p` (int) pads p on every side instead (torch's `padding=p`); `padding="same"` keeps
    TensorFlow's SAME also at stride > 1 (extra row/column at the bottom/right), as models trained
    in TensorFlow need. `epsilon`, `momentum`: the BatchNorm's (torchvision's defaults).
    The convolution has no bias when a normalization follows (`use_bias=None` decides so).
    Sublayers: `{name}_conv`, `{name}_bn|gn|ln`, `{name}_{activation}`; with `norm=None` the
    activation is fused into `{name}_conv` (as keras.applications' VGG16 does).
    """
    if use_bias is None:
        use_bias = norm is None
    if padding is None and strides > 1 and kernel_size > 1:
        padding = kernel_size // 2
    if padding is None or padding == "same":
        padding = "same"
    else:
        if padding:
            x = layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
        padding = "valid"
    if norm is None:  # nothing between: fuse the activation into the convolution (one layer)
        return layers.Conv2D(
            filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
            activation=activation, name=f"{name}_conv",
        )(x)
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=f"{name}_conv"
    )(x)
    nl = norm_layer(norm, filters, name=name, epsilon=epsilon, momentum=momentum)
    if nl is not None:
        x = nl(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    return x


def trainable_count(model):
    """Number of trainable parameters (BatchNorm's gamma/beta count, its moving statistics not),
    the number torchvision's `sum(p.numel() for p in model.parameters())` gives."""
    return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))


# ----------------------------------------------------------------------------- adaptive pooling
def adaptive_bins(size, out):
    """torch's adaptive-pooling bins as an (out, size) averaging matrix: bin j covers
    [floor(j * size / out), ceil((j + 1) * size / out)), so it also upsamples (size < out)."""
    m = np.zeros((out, size), dtype="float32")
    for j in range(out):
        lo, hi = (j * size) // out, -((-(j + 1) * size) // out)
        m[j, lo:hi] = 1.0 / (hi - lo)
    return m


@keras.saving.register_keras_serializable(package="zoo")
class AdaptiveAveragePooling(layers.Layer):
    """Average pooling to a fixed `output_size` (H, W) from any static input size, exactly as
    torch's `AdaptiveAvgPool2d` (also when the input is smaller: bins then repeat pixels, which
    keras' own layer refuses on TensorFlow). Two small matrix products, no parameters."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = tuple(int(s) for s in output_size)

    def build(self, input_shape):
        _, h, w, _ = input_shape
        if h is None or w is None:
            raise ValueError(
                f"{self.name} needs a static input height and width (the zoo's classifier tops "
                f"with adaptive pooling do). Received: input_shape={tuple(input_shape)!r}"
            )
        self._rows = adaptive_bins(h, self.output_size[0])
        self._cols = adaptive_bins(w, self.output_size[1])

    def call(self, x):
        rows = keras.ops.convert_to_tensor(self._rows, dtype=x.dtype)
        cols = keras.ops.convert_to_tensor(self._cols, dtype=x.dtype)
        return keras.ops.einsum("ph,bhwc,qw->bpqc", rows, x, cols)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size}
