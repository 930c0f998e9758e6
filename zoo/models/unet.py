"""U-Net (Ronneberger, Fischer, Brox 2015, "U-Net: Convolutional networks for biomedical image
segmentation", Fig. 1).

Contracting path: `depth` levels of two 3x3 convs + ReLU (optional BatchNorm) and a 2x2 max
pool, filters doubling from `filters`; a bottleneck of two convs; expanding path: 2x2 up-conv
(or bilinear upsampling + 1x1 conv) halving the filters, concatenation with the skip connection
(centre-cropped with `padding="valid"`), two 3x3 convs; a 1x1 conv to `classes` maps.

The defaults (filters=16, BatchNorm, padding="same") are sized for CPU training. The paper's
configuration, `unet(input_shape=(572, 572, 1), padding="valid", depth=4, filters=64,
batch_norm=False, classes=2)`, maps 572x572 to 388x388 and has 31,030,658 parameters (a per-layer sum
checks it in tests/test_unet.py).

`encoder=` swaps the contracting path for a zoo classifier backbone (resnet18/34/50, vgg16,
or any model with `stem`/`stageK` layers, see `zoo.models.common.stage_outputs`): its stage
outputs become the skip connections, and the decoder upsamples back to the input size.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from zoo.checks import check_int
from zoo.models import common
from zoo.registry import get_model, get_spec, register_model
from zoo.segmentation import losses as _losses  # noqa: F401  (registered for load_model)

PAPER = "Ronneberger, Fischer, Brox 2015, U-Net: Convolutional networks for biomedical image segmentation, Fig. 1"
UPSAMPLINGS = ("transpose", "bilinear")
PADDINGS = ("same", "valid")


# ----------------------------------------------------------------------------- sizes
def _valid_output(side, depth):
    """Output side of a `padding="valid"` U-Net for input `side`, or None if it cannot take it."""
    s = side
    for _ in range(depth):
        s -= 4
        if s < 2 or s % 2:
            return None
        s //= 2
    s -= 4
    if s < 1:
        return None
    for _ in range(depth):
        s = 2 * s - 4
        if s < 1:
            return None
    return s


def output_size(side, *, depth=4, padding="same"):
    """Side of the output map for an input of `side` pixels (None: the network cannot take it)."""
    if padding == "same":
        return side if side % 2**depth == 0 and side > 0 else None
    return _valid_output(side, depth)


def _nearest_working(side, depth, padding):
    below = next((s for s in range(side - 1, 0, -1) if output_size(s, depth=depth, padding=padding)), None)
    stop = max(side, 16 * 2**depth) + 2**depth + 1  # working sizes repeat every 2**depth pixels
    above = next((s for s in range(side + 1, stop) if output_size(s, depth=depth, padding=padding)), None)
    return [s for s in (below, above) if s is not None]


def check_input_size(shape, *, depth, padding, model_name="unet"):
    """Raises ValueError naming the nearest sizes that work when H or W does not fit."""
    for axis, side in zip(("height", "width"), shape[:2]):
        if side is None or output_size(side, depth=depth, padding=padding):
            continue
        near = " or ".join(str(s) for s in _nearest_working(side, depth, padding))
        if padding == "same":
            why = f"with padding='same' every side must be divisible by 2**depth = {2**depth}"
        else:
            why = (
                f"with padding='valid' every feature map must have an even size >= 2 before each of the "
                f"{depth} poolings (each level's two 3x3 convs take 4 pixels)"
            )
        raise ValueError(
            f"input_shape={tuple(shape)!r} does not fit {model_name} (depth={depth}): {why}; the "
            f"{axis} {side} does not. Nearest sizes that work: {near}. Received: input_shape={tuple(shape)!r}"
        )


# ----------------------------------------------------------------------------- blocks
def conv_block(x, filters, *, padding, batch_norm, name):
    """Two 3x3 convs, each + optional BatchNorm + ReLU; layers `{name}_conv1`, `{name}_bn1`, ..."""
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding=padding, use_bias=not batch_norm, name=f"{name}_conv{i}")(x)
        if batch_norm:
            x = common.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn{i}")(x)  # torchvision-style, as common.norm_layer
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def up_block(x, filters, *, upsampling, factor=2, name):
    """2x2 up-convolution halving the filters, or bilinear upsampling + a 1x1 conv."""
    if upsampling == "transpose":
        return layers.Conv2DTranspose(filters, factor, strides=factor, name=f"{name}_upconv")(x)
    x = layers.UpSampling2D(factor, interpolation="bilinear", name=f"{name}_upsample")(x)
    return layers.Conv2D(filters, 1, name=f"{name}_upconv")(x)


def _crop_to(skip, target, name):
    """Centre crop of `skip` to the spatial size of `target` (the paper's copy-and-crop)."""
    dh = skip.shape[1] - target.shape[1]
    dw = skip.shape[2] - target.shape[2]
    if dh == 0 and dw == 0:
        return skip
    return layers.Cropping2D(((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)), name=name)(skip)


# ----------------------------------------------------------------------------- backbone encoder
def _backbone_features(encoder, *, shape, input_tensor, encoder_weights):
    """(feature model named 'encoder', [stage names shallow -> deep]) from a zoo backbone."""
    if isinstance(encoder, str):
        spec = get_spec(encoder)
        if spec.task != "classification":
            raise ValueError(
                f"`encoder` must be a zoo classifier with stage outputs (resnet18, resnet34, resnet50, vgg16). "
                f"Received: encoder={encoder!r} (task {spec.task!r})"
            )
        backbone = get_model(encoder, include_top=False, input_shape=shape, weights=encoder_weights)
    elif isinstance(encoder, keras.Model):
        backbone = encoder
        if encoder_weights is not None:
            common.load_weights(backbone, encoder_weights)
    else:
        raise ValueError(
            "`encoder` must be None, a zoo classifier name (resnet18, resnet34, resnet50, vgg16) or a "
            f"keras.Model with 'stem'/'stageK' layers. Received: encoder={encoder!r}"
        )
    taps = common.stage_outputs(backbone)
    names = list(taps)
    features = keras.Model(backbone.inputs, [taps[n] for n in names], name="encoder")
    return features, names


def _ratio(big, small, what):
    r = big / small
    k = round(math.log2(r)) if r >= 1 else -1
    if k < 0 or 2**k != r:
        raise ValueError(what)
    return k


def _decode_backbone(inputs, features, names, *, filters, upsampling, batch_norm, dropout, shape):
    outs = features(inputs)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    # shallow (large) to deep (small); stages of equal size keep the later one
    by_size = {}
    for n, t in zip(names, outs):
        by_size[t.shape[1]] = (n, t)
    taps = [by_size[s] for s in sorted(by_size, reverse=True)]
    need = taps[-1][1].shape[1]
    msg = (
        f"input_shape={shape!r} does not fit the encoder: each stage map must be the input divided by a power "
        f"of 2; got stage sizes {[t.shape[1:3] for _, t in taps]}. Use sides divisible by "
        f"{2 ** round(math.log2(shape[0] / max(need, 1)))} (e.g. {shape[0] - shape[0] % 32} or {shape[0] - shape[0] % 32 + 32})."
    )
    x = taps[-1][1]
    if dropout:
        x = layers.Dropout(dropout, name="bottleneck_dropout")(x)
    for j in range(len(taps) - 2, -1, -1):
        name, skip = taps[j]
        if skip.shape[2] != skip.shape[1] * shape[1] // shape[0] and shape[0] == shape[1]:
            raise ValueError(msg)
        k = _ratio(skip.shape[1], x.shape[1], msg)
        f = filters * 2**j
        x = up_block(x, f, upsampling=upsampling, factor=2**k, name=f"dec_{name}")
        x = layers.Concatenate(name=f"dec_{name}_concat")([x, skip])
        x = conv_block(x, f, padding="same", batch_norm=batch_norm, name=f"dec_{name}")
    k = _ratio(shape[0], x.shape[1], msg)
    for i in range(k):  # the stem's stride (and any further one) back to the input size
        x = up_block(x, filters, upsampling=upsampling, name=f"dec_full{i + 1}")
        x = conv_block(x, filters, padding="same", batch_norm=batch_norm, name=f"dec_full{i + 1}")
    return x


# ----------------------------------------------------------------------------- builder
@common.document_common_args
def _build_unet(
    *,
    depth=4,
    filters=16,
    upsampling="transpose",
    padding="same",
    batch_norm=True,
    dropout=0.0,
    encoder=None,
    encoder_weights=None,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=2,
    classifier_activation="auto",
    name="unet",
):
    """U-Net.

    Args:
        depth: int >= 1, number of poolings (the paper: 4).
        filters: int >= 1, filters of the first level, doubled per level. Default 16, sized for
            CPU training (1.9 M parameters); the paper: 64.
        upsampling: "transpose" (2x2 up-convolution, the paper) or "bilinear" (+ 1x1 conv).
        padding: "same" (output size = input size; sides divisible by 2**depth) or "valid" (the
            paper: unpadded convs, centre-cropped skips, 572 -> 388).
        batch_norm: bool, BatchNorm after every 3x3 conv; default True (trains faster); the paper
            has none.
        dropout: float in [0, 1), dropout at the end of the contracting path (the paper: 0.5).
        encoder: None (the paper's contracting path), a zoo classifier name with stage outputs
            (resnet18/34/50, vgg16) or a keras.Model with `stem`/`stageK` layers. Needs
            padding="same"; `depth` is then given by the backbone's stages.
        encoder_weights: None or a local weights file for the backbone.
        classes: int >= 1 output maps; 1 = binary (sigmoid), >= 2 = softmax over classes.
        classifier_activation: "auto" (sigmoid for classes=1, softmax otherwise), None (logits)
            or a Keras activation.
        include_top: without it the model returns the last decoder features.
        weights, input_tensor, input_shape, pooling (ignored), name: as every zoo builder.

    Returns:
        A Functional model (B, H, W, C) -> (B, H', W', classes); H' = H with padding="same".

    Raises:
        ValueError: an input size the network cannot take, naming the nearest sizes that work.
    """
    check_int("depth", depth)
    check_int("filters", filters)
    common.check_one_of("upsampling", upsampling, UPSAMPLINGS)
    common.check_one_of("padding", padding, PADDINGS)
    if not isinstance(batch_norm, bool):
        raise ValueError(f"`batch_norm` must be True or False. Received: batch_norm={batch_norm!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
    common.check_classes(classes)
    if classifier_activation == "auto":
        classifier_activation = "sigmoid" if classes == 1 else "softmax"
    common.check_head_args(
        include_top=include_top, pooling=None, classes=classes,
        classifier_activation=classifier_activation, weights=weights,
    )
    if encoder is not None and padding != "same":
        raise ValueError(
            f"`encoder=` needs padding='same' (backbones pad their convs). Received: padding={padding!r}"
        )
    shape = common.resolve_input_shape(
        input_shape=input_shape, input_tensor=input_tensor, default_shape=(256, 256, 3),
        min_size=(1, 1), model_name="unet",
    )
    if encoder is None:
        check_input_size(shape, depth=depth, padding=padding)
    inputs = common.make_input(shape, input_tensor)

    if encoder is not None:
        if None in shape[:2]:
            raise ValueError(f"`encoder=` needs a fixed height and width. Received: input_shape={shape!r}")
        features, names = _backbone_features(encoder, shape=shape, input_tensor=input_tensor, encoder_weights=encoder_weights)
        x = _decode_backbone(
            inputs, features, names, filters=filters, upsampling=upsampling, batch_norm=batch_norm,
            dropout=dropout, shape=shape,
        )
    else:
        skips = []
        x = inputs
        for i in range(1, depth + 1):
            x = conv_block(x, filters * 2 ** (i - 1), padding=padding, batch_norm=batch_norm, name=f"enc{i}")
            if dropout and i == depth:
                x = layers.Dropout(dropout, name=f"enc{i}_dropout")(x)
            skips.append(x)
            x = layers.MaxPooling2D(2, name=f"enc{i}_pool")(x)
        x = conv_block(x, filters * 2**depth, padding=padding, batch_norm=batch_norm, name="bottleneck")
        if dropout:
            x = layers.Dropout(dropout, name="bottleneck_dropout")(x)
        for i in range(depth, 0, -1):
            f = filters * 2 ** (i - 1)
            x = up_block(x, f, upsampling=upsampling, name=f"dec{i}")
            skip = _crop_to(skips[i - 1], x, name=f"dec{i}_crop")
            x = layers.Concatenate(name=f"dec{i}_concat")([skip, x])
            x = conv_block(x, f, padding=padding, batch_norm=batch_norm, name=f"dec{i}")
    if include_top:
        x = layers.Conv2D(classes, 1, activation=classifier_activation, name="predictions")(x)
    return common.build_model(inputs, x, name=name, weights=weights)


@register_model(
    family="unet",
    task="segmentation",
    input_shape=(256, 256, 3),
    min_input_shape=(16, 16),
    paper=PAPER,
    small_config=dict(input_shape=(32, 32, 3), classes=3, depth=2, filters=4),
    notes="Defaults sized for CPU: filters=16, batch_norm=True, padding='same' (output = input size). "
    "The paper: filters=64, batch_norm=False, padding='valid' (572 -> 388, 31,030,658 parameters). "
    "Optional dropout, bilinear decoder, classifier encoder (encoder='resnet18').",
    # 1000 scenes at batch 32 and adam's 1e-3 for 10 epochs (320 steps) left the default unet
    # far from the target; batch 16 at twice the rate reaches it. With BatchNorm momentum 0.9
    # (0.99 made validation lag training by ~3 epochs) 8 epochs do: 0.931 in 6 min on 2 cores.
    recipe=dict(epochs=8, batch_size=16, lr=2e-3, schedule="cosine",
                measured="shapes 64x64: held-out mean IoU 0.931 after 8 epochs"),
)
def unet(**kwargs):
    """U-Net; the paper's: unet(input_shape=(572, 572, 1), padding="valid", filters=64, batch_norm=False, classes=2)."""
    return _build_unet(**kwargs)
