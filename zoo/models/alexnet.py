"""AlexNet (Krizhevsky, Sutskever, Hinton 2012, "ImageNet Classification with Deep Convolutional
Neural Networks", NeurIPS), in torchvision's single-tower form (Krizhevsky 2014, "One weird trick").

Five convolutions 64-192-384-256-256 (11x11/4, 5x5, 3x3, 3x3, 3x3) with 3x3/2 max pools after the
first, second and fifth, adaptive average pooling to 6x6, then dropout-4096-dropout-4096-classes.
61,100,840 parameters at 224x224x3 / 1000 classes (torchvision's count). No LRN (torchvision drops
it); `norm=` puts BatchNorm / GroupNorm / LayerNorm after each convolution instead.

Stage outputs: `stage1` conv1 (stride 4), `stage2` conv2 (stride 8), `stage3` conv5 (stride 16),
each before its pool. Minimum input 63x63 (the last pool needs a 3x3 map).
"""

from __future__ import annotations

from keras import layers

from zoo.models import common
from zoo.models.vgg import check_top_args, dense_top
from zoo.registry import register_model
from zoo.weights import torchvision_imagenet

PAPER = (
    "Krizhevsky, Sutskever, Hinton 2012, ImageNet Classification with Deep Convolutional Neural "
    "Networks (NeurIPS), Section 3.5; single-tower widths of Krizhevsky 2014 (torchvision)"
)
MIN_SIZE = (63, 63)


def _conv(x, filters, kernel_size, strides, *, norm, name, padding=None):
    """Convolution (with bias, as torchvision) + optional norm + ReLU."""
    return common.conv_bn_act(
        x, filters, kernel_size, strides, norm=norm, use_bias=True, padding=padding, name=name
    )


@common.document_common_args
def _build_alexnet(
    *,
    widths=(64, 192, 384, 256, 256),
    norm=None,
    top_units=4096,
    dropout=0.5,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="alexnet",
    checkpoints=(),
):
    """AlexNet.

    Args:
        widths: filters of the five convolutions.
        norm: None (torchvision), "batch", "group" or "layer" after each convolution.
        top_units: width of the two hidden dense layers (4096).
        dropout: dropout rate before each hidden dense layer (0.5).
        {common_args}
        checkpoints: the `zoo.weights.Weights` records of the checkpoints `weights=` may name.
    Returns:
        A Functional model (B, H, W, C) -> (B, classes); without the top, the pooled conv5 map
        (B, 6, 6, 256 at 224x224) or its global pooling.
    """
    if len(widths) != 5:
        raise ValueError(f"`widths` must hold 5 filter counts. Received: widths={widths!r}")
    common.check_norm(norm)
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
        min_size=MIN_SIZE,
        model_name=name,
    )
    inputs = common.make_input(shape, input_tensor)
    x = _conv(inputs, widths[0], 11, 4, norm=norm, padding=2, name="conv1")  # 55x55 at 224
    x = layers.Identity(name="stage1")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = _conv(x, widths[1], 5, 1, norm=norm, name="conv2")
    x = layers.Identity(name="stage2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = _conv(x, widths[2], 3, 1, norm=norm, name="conv3")
    x = _conv(x, widths[3], 3, 1, norm=norm, name="conv4")
    x = _conv(x, widths[4], 3, 1, norm=norm, name="conv5")
    x = layers.Identity(name="stage3")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    if include_top:
        x = dense_top(
            x,
            units=top_units,
            dropout=dropout,
            classes=classes,
            classifier_activation=classifier_activation,
            pool_size=(6, 6),
            dropout_first=True,
        )
    else:
        x = common.classifier_top(
            x, include_top=False, pooling=pooling, classes=classes, classifier_activation=None
        )
    return common.build_model(inputs, x, name=name, weights=weights, checkpoints=checkpoints)


WEIGHTS = (torchvision_imagenet("alexnet", "alexnet", 61_100_840, 56.522, 79.066),)


@register_model(
    family="alexnet",
    task="classification",
    input_shape=(224, 224, 3),
    min_input_shape=MIN_SIZE,
    paper=PAPER,
    small_config=dict(input_shape=(64, 64, 3), classes=3, top_units=32),
    notes="torchvision's single-tower AlexNet: no LRN, adaptive avg-pool to 6x6 (count independent "
    "of input size). Stage outputs stage1..stage3 (strides 4, 8, 16). norm= None|'batch'|'group'|'layer'; "
    "top_units= sets the dense width (4096).",
    weights=WEIGHTS,
)
def alexnet(*, name="alexnet", **kw):
    """AlexNet, 61,100,840 parameters at 224x224 / 1000 classes. See `_build_alexnet`."""
    return _build_alexnet(name=name, checkpoints=WEIGHTS, **kw)
