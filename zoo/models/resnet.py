"""ResNets (He, Zhang, Ren, Sun 2016, "Deep Residual Learning for Image Recognition", CVPR).

ImageNet ResNets 18/34/50/101/152 (Table 1) laid out as torchvision's `resnet.py`, so the counts
are torchvision's: no bias in convolutions followed by BatchNorm, projection shortcuts (1x1 conv +
BN, option B) where the shape changes, and the bottleneck nets as **v1.5**: the stride 2 sits in the
3x3 convolution, not the first 1x1 (keras.applications' ResNet50 is v1: stride in the 1x1, conv
biases). At 224x224x3 / 1000 classes: resnet18 11,689,512 · resnet34 21,797,672 · resnet50
25,557,032 · resnet101 44,549,160 · resnet152 60,192,808 trainable parameters (BN's moving
statistics are non-trainable and not counted, as in torchvision where they are buffers).

CIFAR ResNets 20/32/44/56/110 (Section 4.2): a 3x3 stem of 16 filters, three stages of n basic
blocks with 16/32/64 filters (6n + 2 layers), global average pooling, dense. Shortcuts use
**option A** by default, as the paper does on CIFAR: identity, subsampled by 2 and zero-padded in
the channels where the shape changes — parameter-free, giving the paper's 0.27 M / 0.46 M /
0.66 M / 0.85 M / 1.7 M. `shortcut="B"` uses 1x1 projections instead (a few thousand more).

Stage outputs: `stem` (ImageNet nets: the 7x7 stride-2 convolution's output) and `stage1`..`stage4`
= conv2_x..conv5_x (strides 4, 8, 16, 32); CIFAR nets: `stage1`..`stage3` (strides 1, 2, 4).
"""

from __future__ import annotations

import functools

import keras
from keras import layers

from zoo.models import common
from zoo.registry import register_model
from zoo.weights import CIFAR_10, TORCH_FORMATS, TORCH_INPUT, Weights, keras_applications_imagenet, torchvision_imagenet

PAPER = "He, Zhang, Ren, Sun 2016, Deep Residual Learning for Image Recognition (CVPR), Table 1"
PAPER_CIFAR = "He, Zhang, Ren, Sun 2016, Deep Residual Learning for Image Recognition (CVPR), Section 4.2, Table 6"
BLOCKS = ("basic", "bottleneck")
SHORTCUTS = ("A", "B")
STEMS = ("imagenet", "cifar")
VARIANTS = ("v1.5", "v1")


@keras.saving.register_keras_serializable(package="zoo")
class ZeroPadShortcut(layers.Layer):
    """Option-A shortcut (He et al. 2016, Section 3.3): the identity subsampled by `strides` and
    zero-padded to `filters` channels (half the new channels before, half after). No parameters."""

    def __init__(self, filters, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.strides = int(strides)

    def call(self, x):
        if self.strides > 1:
            x = x[:, :: self.strides, :: self.strides, :]
        extra = self.filters - x.shape[-1]
        if extra > 0:
            x = keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [extra // 2, extra - extra // 2]])
        return x

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        s = self.strides
        return (b, None if h is None else -(-h // s), None if w is None else -(-w // s), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides}


def shortcut(x, filters, strides, *, kind, norm, name):
    """The identity, or where the shape changes an option-A pad or an option-B projection."""
    if strides == 1 and x.shape[-1] == filters:
        return x
    if kind == "A":
        return ZeroPadShortcut(filters, strides, name=f"{name}_pad")(x)
    return common.conv_bn_act(x, filters, 1, strides, norm=norm, activation=None, name=name)


def basic_block(x, filters, strides=1, *, norm, shortcut_kind="B", name):
    """Two 3x3 convolutions + shortcut (He et al. 2016, Fig. 5 left); output `filters` channels."""
    skip = shortcut(x, filters, strides, kind=shortcut_kind, norm=norm, name=f"{name}_0")
    y = common.conv_bn_act(x, filters, 3, strides, norm=norm, name=f"{name}_1")
    y = common.conv_bn_act(y, filters, 3, 1, norm=norm, activation=None, name=f"{name}_2")
    y = layers.Add(name=f"{name}_add")([skip, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def bottleneck_block(x, filters, strides=1, *, norm, shortcut_kind="B", variant="v1.5", name):
    """1x1 reduce, 3x3, 1x1 expand to 4 * `filters` + shortcut (Fig. 5 right). v1.5 (torchvision):
    the stride sits in the 3x3; v1 (the paper, keras.applications): in the first 1x1, and every
    convolution has a bias, BatchNorm eps 1.001e-5 (keras.applications' ResNet50)."""
    if variant == "v1":
        kw = dict(norm=norm, use_bias=True, epsilon=1.001e-5, momentum=0.99)
        s1, s3 = strides, 1
    else:
        kw = dict(norm=norm)
        s1, s3 = 1, strides
    if strides == 1 and x.shape[-1] == 4 * filters:
        skip = x
    elif shortcut_kind == "A":
        skip = shortcut(x, 4 * filters, strides, kind="A", norm=norm, name=f"{name}_0")
    else:
        skip = common.conv_bn_act(x, 4 * filters, 1, strides, activation=None, name=f"{name}_0", **kw)
    y = common.conv_bn_act(x, filters, 1, s1, name=f"{name}_1", **kw)
    y = common.conv_bn_act(y, filters, 3, s3, name=f"{name}_2", **kw)
    y = common.conv_bn_act(y, 4 * filters, 1, 1, activation=None, name=f"{name}_3", **kw)
    y = layers.Add(name=f"{name}_add")([skip, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def residual_stage(x, *, block, filters, blocks, strides, norm, shortcut_kind, variant="v1.5", name):
    """`blocks` residual blocks; the first one downsamples by `strides`."""
    fn = {"basic": basic_block, "bottleneck": bottleneck_block}[block]
    if block == "bottleneck":
        fn = functools.partial(bottleneck_block, variant=variant)
    for i in range(1, blocks + 1):
        x = fn(
            x,
            filters,
            strides if i == 1 else 1,
            norm=norm,
            shortcut_kind=shortcut_kind,
            name=f"{name}_block{i}",
        )
    return x


@common.document_common_args
def _build_resnet(
    *,
    block,
    depths,
    widths=(64, 128, 256, 512),
    stem="imagenet",
    shortcut="B",
    norm="batch",
    variant="v1.5",
    width_multiplier=1.0,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet",
    checkpoints=(),
):
    """ResNet.

    Args:
        block: "basic" (two 3x3) or "bottleneck" (1x1-3x3-1x1, 4x expansion, v1.5 stride).
        depths: blocks per stage, e.g. (3, 4, 6, 3) for ResNet-50.
        widths: filters per stage (bottleneck: inner width), same length as `depths`.
        stem: "imagenet" (7x7/2 conv + 3x3/2 max pool, stride 4) or "cifar" (3x3 conv, stride 1).
        shortcut: "B" (1x1 projection where the shape changes) or "A" (zero-pad, no parameters).
        norm: "batch" (the paper), "group" (Wu & He 2018, 32 groups), "layer" or None (then the
            convolutions get biases).
        variant: "v1.5" (torchvision: bottleneck stride in the 3x3) or "v1" (the paper and
            keras.applications' ResNet50: stride in the first 1x1, convolution biases, BatchNorm
            eps 1.001e-5, so keras.applications' weight file loads). Bottleneck nets only.
        width_multiplier: multiplies every stage's width (rounded; default 1.0, the paper).
        {common_args}
        checkpoints: the `zoo.weights.Weights` records of the checkpoints `weights=` may name.
    Returns:
        A Functional model (B, H, W, C) -> (B, classes); without the top, the last stage's map
        (B, H/32, W/32, 512 or 2048 channels for the ImageNet nets) or its global pooling.
    """
    common.check_one_of("block", block, BLOCKS)
    common.check_one_of("stem", stem, STEMS)
    common.check_one_of("shortcut", shortcut, SHORTCUTS)
    common.check_same_length(depths=depths, widths=widths)
    common.check_norm(norm)
    common.check_one_of("variant", variant, VARIANTS)
    if variant == "v1" and (block != "bottleneck" or stem != "imagenet"):
        raise ValueError(
            "`variant='v1'` is the bottleneck ImageNet ResNet of keras.applications (resnet50, "
            f"resnet101, resnet152). Received: variant={variant!r} for block={block!r}, stem={stem!r}"
        )
    widths = common.scale_widths(widths, width_multiplier)
    common.check_head_args(
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
    )
    imagenet = stem == "imagenet"
    stride = (4 if imagenet else 1) * 2 ** (len(depths) - 1)
    shape = common.resolve_input_shape(
        input_shape=input_shape,
        input_tensor=input_tensor,
        default_shape=(224, 224, 3) if imagenet else (32, 32, 3),
        min_size=(max(stride, 8),) * 2,
        model_name=name,
    )
    inputs = common.make_input(shape, input_tensor)
    if imagenet:
        v1 = dict(use_bias=True, epsilon=1.001e-5, momentum=0.99) if variant == "v1" else {}
        x = common.conv_bn_act(inputs, widths[0], 7, 2, norm=norm, name="conv1", **v1)
        x = layers.Identity(name="stem")(x)
        x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
        x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    else:
        x = common.conv_bn_act(inputs, widths[0], 3, 1, norm=norm, name="conv1")
    for k, (blocks, filters) in enumerate(zip(depths, widths), start=1):
        x = residual_stage(
            x,
            block=block,
            filters=filters,
            blocks=blocks,
            strides=1 if k == 1 else 2,
            norm=norm,
            shortcut_kind=shortcut,
            variant=variant,
            name=f"conv{k + 1}",
        )
        x = layers.Identity(name=f"stage{k}")(x)
    x = common.classifier_top(
        x,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
    )
    return common.build_model(inputs, x, name=name, weights=weights, checkpoints=checkpoints)


# ----------------------------------------------------------------------------- ImageNet ResNets
_SMALL = dict(input_shape=(32, 32, 3), classes=3)
_NOTES = (
    "torchvision layout: no conv bias before BN, option-B projection shortcuts. Stage outputs: "
    "stem (stride 2), stage1..stage4 = conv2_x..conv5_x (strides 4-32). norm= 'batch'|'group'|'layer'|None."
)
_V15 = (
    " ResNet v1.5: stride 2 in the 3x3 convolution of the bottleneck (torchvision), not in the first "
    "1x1 as in the paper and keras.applications' ResNet50 (v1, with conv biases)."
)


# Kaiming He's released ResNet weights, which keras.applications ports, are MIT-licensed
_KERAS = dict(license="MIT (Kaiming He's release, ported by keras.applications)", variant="v1")
IMAGENET_WEIGHTS = {
    "resnet18": (torchvision_imagenet("resnet", "resnet18", 11_689_512, 69.758, 89.078),),
    "resnet34": (torchvision_imagenet("resnet", "resnet34", 21_797_672, 73.314, 91.420),),
    "resnet50": (torchvision_imagenet("resnet", "resnet50", 25_557_032, 76.130, 92.862),
                 keras_applications_imagenet("resnet", "ResNet50", 25_583_592, 74.9, 92.1, **_KERAS)),
    "resnet101": (torchvision_imagenet("resnet", "resnet101", 44_549_160, 77.374, 93.546),
                  keras_applications_imagenet("resnet", "ResNet101", 44_601_832, 76.4, 92.8, **_KERAS)),
    "resnet152": (torchvision_imagenet("resnet", "resnet152", 60_192_808, 78.312, 94.046),
                  keras_applications_imagenet("resnet", "ResNet152", 60_268_520, 76.6, 93.1, **_KERAS)),
}


def _imagenet(model, notes="", tags=()):
    return dict(
        tags=tags,
        family="resnet",
        task="classification",
        input_shape=(224, 224, 3),
        min_input_shape=(32, 32),
        paper=PAPER,
        small_config=_SMALL,
        notes=_NOTES + notes,
        weights=IMAGENET_WEIGHTS[model],
    )


@register_model(**_imagenet("resnet18"))
def resnet18(*, name="resnet18", **kw):
    """ResNet-18, 11,689,512 parameters at 224x224 / 1000 classes. See `_build_resnet`."""
    return _build_resnet(block="basic", depths=(2, 2, 2, 2), name=name, checkpoints=IMAGENET_WEIGHTS["resnet18"], **kw)


@register_model(**_imagenet("resnet34"))
def resnet34(*, name="resnet34", **kw):
    """ResNet-34, 21,797,672 parameters. See `_build_resnet`."""
    return _build_resnet(block="basic", depths=(3, 4, 6, 3), name=name, checkpoints=IMAGENET_WEIGHTS["resnet34"], **kw)


@register_model(**_imagenet("resnet50", _V15))
def resnet50(*, name="resnet50", **kw):
    """ResNet-50 v1.5, 25,557,032 parameters. See `_build_resnet`."""
    return _build_resnet(block="bottleneck", depths=(3, 4, 6, 3), name=name, checkpoints=IMAGENET_WEIGHTS["resnet50"], **kw)


# "deep": 100+ layers, their round trips cost most (a test may leave them to the slow suite)
@register_model(**_imagenet("resnet101", _V15, tags=("deep",)))
def resnet101(*, name="resnet101", **kw):
    """ResNet-101 v1.5, 44,549,160 parameters. See `_build_resnet`."""
    return _build_resnet(block="bottleneck", depths=(3, 4, 23, 3), name=name, checkpoints=IMAGENET_WEIGHTS["resnet101"], **kw)


@register_model(**_imagenet("resnet152", _V15, tags=("deep",)))
def resnet152(*, name="resnet152", **kw):
    """ResNet-152 v1.5, 60,192,808 parameters. See `_build_resnet`."""
    return _build_resnet(block="bottleneck", depths=(3, 8, 36, 3), name=name, checkpoints=IMAGENET_WEIGHTS["resnet152"], **kw)


# ----------------------------------------------------------------------------- CIFAR ResNets
_CIFAR_NOTES = (
    "CIFAR-10 net of Section 4.2: 3x3 stem, 3 stages of n basic blocks with 16/32/64 filters "
    "(6n+2 layers). Shortcut option A (zero-padding identity, no parameters) as in the paper; "
    "shortcut='B' for projections. Stage outputs stage1..stage3 (strides 1, 2, 4)."
)


def _akamaster(model, num_params, test_error):
    return Weights(
        name="akamaster", reader="resnet_cifar", formats=TORCH_FORMATS,
        source=f"akamaster/pytorch_resnet_cifar10 {model} (Idelbayev 2018)", license="BSD-2-Clause",
        input_size=(32, 32), num_params=num_params, metrics={"CIFAR-10 test top-1": round(100 - test_error, 2)},
        **TORCH_INPUT, **CIFAR_10,
    )


# test errors as the repository's README reports them
CIFAR_WEIGHTS = {
    "resnet20": (_akamaster("resnet20", 269_722, 8.27),),
    "resnet32": (_akamaster("resnet32", 464_154, 7.37),),
    "resnet44": (_akamaster("resnet44", 658_586, 6.90),),
    "resnet56": (_akamaster("resnet56", 853_018, 6.61),),
    "resnet110": (_akamaster("resnet110", 1_727_962, 6.32),),
}


def _cifar(model, tags=()):
    return dict(
        tags=tags,
        family="resnet_cifar",
        task="classification",
        input_shape=(32, 32, 3),
        min_input_shape=(8, 8),
        paper=PAPER_CIFAR,
        small_config=dict(input_shape=(16, 16, 3), classes=3),
        notes=_CIFAR_NOTES,
        weights=CIFAR_WEIGHTS[model],
    )


def _build_cifar_resnet(n, **kw):
    kw.setdefault("classes", 10)
    kw.setdefault("shortcut", "A")
    kw.setdefault("widths", (16, 32, 64))
    return _build_resnet(block="basic", depths=(n, n, n), stem="cifar", **kw)


@register_model(**_cifar("resnet20"))
def resnet20(*, name="resnet20", **kw):
    """CIFAR ResNet-20 (n=3), 0.27 M parameters (paper). See `_build_resnet`."""
    return _build_cifar_resnet(3, name=name, checkpoints=CIFAR_WEIGHTS["resnet20"], **kw)


@register_model(**_cifar("resnet32"))
def resnet32(*, name="resnet32", **kw):
    """CIFAR ResNet-32 (n=5), 0.46 M parameters (paper). See `_build_resnet`."""
    return _build_cifar_resnet(5, name=name, checkpoints=CIFAR_WEIGHTS["resnet32"], **kw)


@register_model(**_cifar("resnet44"))
def resnet44(*, name="resnet44", **kw):
    """CIFAR ResNet-44 (n=7), 0.66 M parameters (paper). See `_build_resnet`."""
    return _build_cifar_resnet(7, name=name, checkpoints=CIFAR_WEIGHTS["resnet44"], **kw)


@register_model(**_cifar("resnet56"))
def resnet56(*, name="resnet56", **kw):
    """CIFAR ResNet-56 (n=9), 0.85 M parameters (paper). See `_build_resnet`."""
    return _build_cifar_resnet(9, name=name, checkpoints=CIFAR_WEIGHTS["resnet56"], **kw)


@register_model(**_cifar("resnet110", tags=("deep",)))
def resnet110(*, name="resnet110", **kw):
    """CIFAR ResNet-110 (n=18), 1.7 M parameters (paper). See `_build_resnet`."""
    return _build_cifar_resnet(18, name=name, checkpoints=CIFAR_WEIGHTS["resnet110"], **kw)
