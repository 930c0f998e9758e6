"""VGG 11/13/16/19 with and without BatchNorm (Simonyan & Zisserman 2015, Table 1 configs A, B, D, E).

Layout as torchvision's `vgg.py`, so the parameter counts are torchvision's: 3x3 convolutions with
bias (kept in the `_bn` variants too), 2x2 max pooling after each of the five blocks, adaptive
average pooling of the features to 7x7 (a no-op at 224x224, it makes the count independent of the
input size), then 4096-4096-classes dense layers with dropout 0.5. At 224x224x3 / 1000 classes:
vgg11 132,863,336 · vgg13 133,047,848 · vgg16 138,357,544 · vgg19 143,667,240 parameters; the
`_bn` variants add 2 trainable (gamma, beta) + 2 non-trainable (moving mean/variance) per channel.

Stage outputs: `stage1`..`stage5` are the last convolution of block k before its pool (strides
1, 2, 4, 8, 16), as `keras.layers.Identity` layers.
"""

from __future__ import annotations

from keras import layers

from zoo.checks import check_int
from zoo.models import common
from zoo.registry import register_model
from zoo.weights import keras_applications_imagenet, torchvision_imagenet

PAPER = (
    "Simonyan & Zisserman 2015, Very Deep Convolutional Networks for Large-Scale Image Recognition "
    "(ICLR), Table 1"
)
WIDTHS = (64, 128, 256, 512, 512)
MIN_SIZE = (32, 32)  # five 2x2 pools
DEPTHS = {  # convolutions per block, Table 1
    "vgg11": (1, 1, 2, 2, 2),  # A
    "vgg13": (2, 2, 2, 2, 2),  # B
    "vgg16": (2, 2, 3, 3, 3),  # D
    "vgg19": (2, 2, 4, 4, 4),  # E
}


def vgg_block(x, filters, convs, *, norm, name, stage_name):
    """`convs` 3x3 convolutions (+ norm) + ReLU, the stage output tap, then a 2x2 max pool."""
    for i in range(1, convs + 1):
        x = common.conv_bn_act(x, filters, 3, 1, norm=norm, use_bias=True, name=f"{name}_conv{i}")
    x = layers.Identity(name=stage_name)(x)
    return layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")(x)


def dense_top(x, *, units, dropout, classes, classifier_activation, pool_size, dropout_first=False):
    """torchvision's VGG/AlexNet classifier: adaptive avg-pool to `pool_size`, flatten,
    two dense ReLU layers of `units` with dropout after each (`dropout_first`: before each, as
    AlexNet), the output layer."""
    if tuple(x.shape[1:3]) != tuple(pool_size):
        x = common.AdaptiveAveragePooling(pool_size, name="adaptive_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        if dropout and dropout_first:
            x = layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
        x = layers.Dense(units, activation="relu", name=f"fc{i}")(x)
        if dropout and not dropout_first:
            x = layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def check_top_args(top_units, dropout):
    """`top_units` an int >= 1, `dropout` a float in [0, 1)."""
    check_int("top_units", top_units)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")


@common.document_common_args
def _build_vgg(
    *,
    depths,
    widths=WIDTHS,
    norm=None,
    width_multiplier=1.0,
    top_units=4096,
    dropout=0.5,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg",
    checkpoints=(),
):
    """VGG.

    Args:
        depths: convolutions per block, e.g. (2, 2, 3, 3, 3) for VGG-16.
        widths: filters per block, default (64, 128, 256, 512, 512).
        norm: None (the paper), "batch" (torchvision's `_bn` variants), "group" or "layer",
            after every convolution.
        width_multiplier: multiplies every block's width (rounded; default 1.0, the paper).
        top_units: width of the two hidden dense layers (4096 in the paper; 512 is common on CIFAR).
        dropout: dropout rate after each hidden dense layer (0.5 in the paper).
        {common_args}
        checkpoints: the `zoo.weights.Weights` records of the checkpoints `weights=` may name.
    Returns:
        A Functional model (B, H, W, C) -> (B, classes); without the top, the block-5 pooled map
        (B, H/32, W/32, 512) or its global pooling. H, W >= 32.
    """
    common.check_same_length(depths=depths, widths=widths)
    common.check_norm(norm)
    widths = common.scale_widths(widths, width_multiplier)
    check_top_args(top_units, dropout)
    common.check_head_args(
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
    )
    shape = common.resolve_input_shape(
        input_shape=input_shape,
        input_tensor=input_tensor,
        default_shape=(224, 224, 3),
        min_size=(2 ** len(depths),) * 2,
        model_name=name,
    )
    inputs = common.make_input(shape, input_tensor)
    x = inputs
    for k, (convs, filters) in enumerate(zip(depths, widths), start=1):
        x = vgg_block(x, filters, convs, norm=norm, name=f"block{k}", stage_name=f"stage{k}")
    if include_top:
        x = dense_top(
            x,
            units=top_units,
            dropout=dropout,
            classes=classes,
            classifier_activation=classifier_activation,
            pool_size=(7, 7),
        )
    else:
        x = common.classifier_top(
            x, include_top=False, pooling=pooling, classes=classes, classifier_activation=None
        )
    return common.build_model(inputs, x, name=name, weights=weights, checkpoints=checkpoints)


_SMALL = dict(input_shape=(32, 32, 3), classes=3, top_units=32)
_NOTES = (
    "torchvision layout: conv bias kept, adaptive avg-pool to 7x7 before the dense layers (count "
    "independent of input size), dropout 0.5. Stage outputs stage1..stage5 (strides 1-16). "
    "norm= None|'batch'|'group'|'layer'; top_units= sets the dense width (4096)."
)


# the Oxford VGG group's released weights, which keras.applications ports, are CC BY 4.0
_KERAS = dict(license="CC BY 4.0 (the Oxford VGG group's release, ported by keras.applications)")
WEIGHTS = {
    "vgg11": (torchvision_imagenet("vgg", "vgg11", 132_863_336, 69.020, 88.628),),
    "vgg13": (torchvision_imagenet("vgg", "vgg13", 133_047_848, 69.928, 89.246),),
    "vgg16": (torchvision_imagenet("vgg", "vgg16", 138_357_544, 71.592, 90.382),
              keras_applications_imagenet("vgg", "VGG16", 138_357_544, 71.3, 90.1, **_KERAS)),
    "vgg19": (torchvision_imagenet("vgg", "vgg19", 143_667_240, 72.376, 90.876),
              keras_applications_imagenet("vgg", "VGG19", 143_667_240, 71.3, 90.0, **_KERAS)),
    "vgg11_bn": (torchvision_imagenet("vgg", "vgg11_bn", 132_868_840, 70.370, 89.810),),
    "vgg13_bn": (torchvision_imagenet("vgg", "vgg13_bn", 133_053_736, 71.586, 90.374),),
    "vgg16_bn": (torchvision_imagenet("vgg", "vgg16_bn", 138_365_992, 73.360, 91.516),),
    "vgg19_bn": (torchvision_imagenet("vgg", "vgg19_bn", 143_678_248, 74.218, 91.842),),
}


def _register(name, norm):
    depths = DEPTHS[name.replace("_bn", "")]
    records = WEIGHTS[name]

    @register_model(
        family="vgg",
        task="classification",
        input_shape=(224, 224, 3),
        min_input_shape=MIN_SIZE,
        paper=PAPER,
        small_config=_SMALL,
        notes=_NOTES + (" BatchNorm after every convolution (torchvision's _bn)." if norm else ""),
        name=name,
        weights=records,
    )
    def builder(*, norm=norm, name=name, **kwargs):
        return _build_vgg(depths=depths, norm=norm, name=name, checkpoints=records, **kwargs)

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"{name.upper()}: VGG with depths {depths}{' and BatchNorm' if norm else ''}. See `_build_vgg`."
    return builder


vgg11 = _register("vgg11", None)
vgg13 = _register("vgg13", None)
vgg16 = _register("vgg16", None)
vgg19 = _register("vgg19", None)
vgg11_bn = _register("vgg11_bn", "batch")
vgg13_bn = _register("vgg13_bn", "batch")
vgg16_bn = _register("vgg16_bn", "batch")
vgg19_bn = _register("vgg19_bn", "batch")
