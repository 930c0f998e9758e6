"""SSD: Single Shot MultiBox Detector (Liu et al. 2016) on zoo backbones.

`ssd_head(backbone, classes, ...)` taps a backbone's named stage outputs (the `stageK` contract
of zoo.models.common.stage_outputs), optionally adds the SSD "extra" layers, and puts a 3x3
class predictor and a 3x3 box predictor on every map. The model's outputs are a dict:

    "classes": (B, A, classes + 1) logits, **class 0 = background**, 1..classes = the dataset's
               labels 0..classes-1 shifted by one;
    "boxes":   (B, A, 4) encoded offsets (cx, cy, w, h) w.r.t. the default boxes, variances (0.1, 0.2).

The default boxes travel with the model in a registered `DefaultBoxes` layer (an identity on the
box output whose config holds the feature-map shapes, scales and aspect ratios), so a saved and
reloaded model decodes the same: `default_boxes_of(model)`; `zoo.detection.nms.detect` turns the
outputs into boxes.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from zoo.detection import anchors as anchor_utils
from zoo.detection import boxes as box_utils
from zoo.detection import losses as _losses  # noqa: F401  (registers the MultiBox losses: compiled SSDs load)
from zoo.models import common, resnet, vgg  # the backbones of the SSD300 and ResNet-18 detectors
from zoo.registry import register_model

PAPER = "Liu et al. 2016, SSD: Single Shot MultiBox Detector, ECCV, §2 and Fig. 2"


@keras.saving.register_keras_serializable(package="zoo")
class L2Normalization(layers.Layer):
    """Channel-wise L2 normalisation with a learned per-channel scale (ParseNet, Liu et al. 2015),
    used on VGG16's conv4_3 in SSD300 (scale initialised to 20)."""

    def __init__(self, scale=20.0, epsilon=1e-10, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        self.gamma = self.add_weight(
            name="gamma", shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.scale)
        )

    def call(self, x):
        norm = ops.sqrt(ops.sum(ops.square(x), axis=-1, keepdims=True) + self.epsilon)
        return x / norm * self.gamma

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="zoo")
class DefaultBoxes(layers.Layer):
    """Identity on the box output that carries the default boxes' definition with the model.

    Config: feature_shapes [(H, W)], aspect_ratios [tuple], s_min, s_max, first_scale, variances.
    `self.boxes` -> np.ndarray (A, 4) relative xyxy (zoo.detection.anchors.default_boxes).
    """

    def __init__(self, feature_shapes, aspect_ratios, *, s_min=0.2, s_max=0.9, first_scale=None,
                 variances=box_utils.VARIANCES, **kwargs):
        super().__init__(**kwargs)
        self.feature_shapes = [tuple(int(v) for v in s) for s in feature_shapes]
        self.aspect_ratios = [tuple(float(r) for r in a) for a in aspect_ratios]
        self.s_min, self.s_max = float(s_min), float(s_max)
        self.first_scale = None if first_scale is None else float(first_scale)
        self.variances = tuple(float(v) for v in variances)
        self.boxes = anchor_utils.default_boxes(
            self.feature_shapes, self.aspect_ratios, s_min=self.s_min, s_max=self.s_max,
            first_scale=self.first_scale,
        )

    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "feature_shapes": [list(s) for s in self.feature_shapes],
            "aspect_ratios": [list(a) for a in self.aspect_ratios],
            "s_min": self.s_min,
            "s_max": self.s_max,
            "first_scale": self.first_scale,
            "variances": list(self.variances),
        }


def default_boxes_of(model):
    """(A, 4) relative xyxy default boxes of an SSD model, and its variances."""
    try:
        layer = model.get_layer("default_boxes")
    except ValueError:
        raise ValueError(
            f"model {model.name!r} has no 'default_boxes' layer: pass an SSD model from zoo "
            "(ssd_tiny, ssd300_vgg16, ssd_resnet18) or one built with ssd_head"
        ) from None
    return layer.boxes, layer.variances


def conv_bn_act(x, filters, kernel_size=3, strides=1, *, name, padding="same", batch_norm=True):
    """Conv2D (+ BatchNorm) + ReLU, sublayers named f"{name}_conv", f"{name}_bn", f"{name}_relu"."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=not batch_norm,
                      name=f"{name}_conv")(x)
    if batch_norm:
        x = common.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def extra_block(x, mid, out, *, strides, padding, name, batch_norm=False):
    """SSD extra feature layer: 1x1 conv to `mid`, then 3x3 conv to `out` (stride / padding)."""
    x = conv_bn_act(x, mid, 1, name=f"{name}_1", batch_norm=batch_norm)
    return conv_bn_act(x, out, 3, strides, name=f"{name}_2", padding=padding, batch_norm=batch_norm)


def ssd_head(backbone, classes, *, feature_layers, extra_blocks=(), aspect_ratios=None, s_min=0.2,
             s_max=0.9, first_scale=None, l2_normalize=(), extra_batch_norm=False, name="ssd"):
    """Attaches SSD class and box predictors to `backbone`'s named feature maps.

    Args:
        backbone: a Functional Keras model with static input size whose layers named in
            `feature_layers` give the maps to predict from (zoo backbones: "stage3", ...).
        classes: int >= 1, foreground classes; the class output has classes + 1 channels,
            channel 0 = background.
        feature_layers: layer names, finest map first.
        extra_blocks: [(mid, out, strides, padding), ...] SSD extra layers added after the last
            feature layer, each adding one (coarser) map.
        aspect_ratios: per map, the ratios (len + 1 boxes per cell); default 4 boxes (1, 2, 1/2
            and the extra square) everywhere.
        s_min, s_max, first_scale: default-box scales (zoo.detection.anchors).
        l2_normalize: names among `feature_layers` to pass through L2Normalization (conv4_3).
        extra_batch_norm: BatchNorm in the extra layers.
        name: model name.
    Returns:
        keras.Model: image (B, H, W, C) -> {"classes": (B, A, classes + 1), "boxes": (B, A, 4)}.
    Raises:
        ValueError: unknown layer names, unknown input size, wrong number of aspect ratios.
    """
    common.check_classes(classes)
    if not feature_layers:
        raise ValueError(f"`feature_layers` must name at least one layer. Received: feature_layers={feature_layers!r}")
    names = [l.name for l in backbone.layers]
    for n in list(feature_layers) + list(l2_normalize):
        if n not in names:
            raise ValueError(
                f"backbone {backbone.name!r} has no layer {n!r}; its stage outputs are "
                f"{[k for k in names if k.startswith('stage') or k == 'stem']}. Received: feature_layers={tuple(feature_layers)!r}"
            )
    feats = []
    for n in feature_layers:
        t = backbone.get_layer(n).output
        if n in l2_normalize:
            t = L2Normalization(name=f"{n}_l2norm")(t)
        feats.append(t)
    x = backbone.get_layer(feature_layers[-1]).output
    for i, (mid, out, strides, padding) in enumerate(extra_blocks):
        x = extra_block(x, mid, out, strides=strides, padding=padding, name=f"extra{i + 1}",
                        batch_norm=extra_batch_norm)
        feats.append(x)
    shapes = []
    for t in feats:
        h, w = t.shape[1], t.shape[2]
        if h is None or w is None:
            raise ValueError(
                f"ssd_head needs a backbone with a fixed input size (the default boxes depend on it). "
                f"Received: a feature map of shape {tuple(t.shape)}"
            )
        if h < 1 or w < 1:
            raise ValueError(f"input too small for {name}: a feature map has shape {tuple(t.shape)}")
        shapes.append((int(h), int(w)))
    if aspect_ratios is None:
        aspect_ratios = [anchor_utils.RATIOS_4] * len(feats)
    if len(aspect_ratios) != len(feats):
        raise ValueError(
            f"`aspect_ratios` needs one tuple per feature map ({len(feats)} maps: {len(feature_layers)} "
            f"feature_layers + {len(extra_blocks)} extra_blocks). Received: {len(aspect_ratios)} aspect_ratios"
        )
    cls_out, box_out = [], []
    for i, (t, ratios) in enumerate(zip(feats, aspect_ratios)):
        k = len(ratios) + 1
        c = layers.Conv2D(k * (classes + 1), 3, padding="same", name=f"head{i + 1}_classes")(t)
        b = layers.Conv2D(k * 4, 3, padding="same", name=f"head{i + 1}_boxes")(t)
        cls_out.append(layers.Reshape((-1, classes + 1), name=f"head{i + 1}_classes_flat")(c))
        box_out.append(layers.Reshape((-1, 4), name=f"head{i + 1}_boxes_flat")(b))
    cls = cls_out[0] if len(cls_out) == 1 else layers.Concatenate(axis=1, name="classes_concat")(cls_out)
    box = box_out[0] if len(box_out) == 1 else layers.Concatenate(axis=1, name="boxes_concat")(box_out)
    cls = layers.Activation("linear", dtype="float32", name="classes")(cls)
    box = DefaultBoxes(shapes, aspect_ratios, s_min=s_min, s_max=s_max, first_scale=first_scale,
                       name="default_boxes", dtype="float32")(box)
    box = layers.Activation("linear", dtype="float32", name="boxes")(box)
    inputs = backbone.inputs[0] if len(backbone.inputs) == 1 else backbone.inputs
    return keras.Model(inputs, {"classes": cls, "boxes": box}, name=name)


def _check_detector_args(*, include_top, pooling, classifier_activation, weights, classes):
    common.check_classes(classes)
    common.check_weights_path(weights)
    if include_top is not True:
        raise ValueError(f"SSD models always have their detection head: `include_top` must be True. Received: include_top={include_top!r}")
    if pooling is not None:
        raise ValueError(f"SSD models take no `pooling`. Received: pooling={pooling!r}")
    if classifier_activation not in (None, "softmax"):
        raise ValueError(
            "SSD models output class logits (softmax in zoo.detection.nms.detect): "
            f"`classifier_activation` must be None or 'softmax'. Received: classifier_activation={classifier_activation!r}"
        )


def tiny_backbone(inputs, *, widths=(16, 32, 64, 96, 128)):
    """A small conv net with the stage-output contract: stem (stride 2), stage1..stage4
    (strides 4, 8, 16, 32), two 3x3 conv-BN-ReLU per stage; for CPU tests and training targets."""
    x = conv_bn_act(inputs, widths[0], 3, 2, name="stem_block")
    x = layers.Identity(name="stem")(x)
    for k, w in enumerate(widths[1:], start=1):
        x = conv_bn_act(x, w, 3, 2, name=f"stage{k}_block1")
        x = conv_bn_act(x, w, 3, 1, name=f"stage{k}_block2")
        x = layers.Identity(name=f"stage{k}")(x)
    return keras.Model(inputs, x, name="tiny_backbone")


@common.document_common_args
def _build_ssd_tiny(*, include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None,
                    classes=3, classifier_activation=None, name="ssd_tiny", s_min=0.15, s_max=0.75,
                    aspect_ratios=anchor_utils.RATIOS_4):
    """SSD on `tiny_backbone`: maps at strides 8, 16, 32 (stage2..stage4) + one extra (stride 64).

    Args:
        {common_args}
        s_min, s_max: default-box scales (0.15..0.75 suit objects of 1/6..1/2 of the image).
        aspect_ratios: the box ratios w/h of every map's cells, plus the extra square
            (default RATIOS_4 = (1, 2, 1/2): 4 boxes per cell; RATIOS_6 adds 3 and 1/3).
    Returns:
        {"classes": (B, A, classes + 1), "boxes": (B, A, 4)}; A = 340 at 64x64 (4 boxes per cell).
    """
    _check_detector_args(include_top=include_top, pooling=pooling, classifier_activation=classifier_activation,
                         weights=weights, classes=classes)
    shape = common.resolve_input_shape(input_shape=input_shape, input_tensor=input_tensor,
                                       default_shape=(64, 64, 3), min_size=(64, 64), model_name="ssd_tiny",
                                       multiple_of=32)
    if (isinstance(aspect_ratios, str) or not hasattr(aspect_ratios, "__len__") or not aspect_ratios
            or not all(isinstance(r, (int, float)) and not isinstance(r, bool) and r > 0 for r in aspect_ratios)):
        raise ValueError(f"`aspect_ratios` must be a non-empty sequence of numbers > 0, e.g. (1, 2, 0.5). "
                         f"Received: aspect_ratios={aspect_ratios!r}")
    inputs = common.make_input(shape, input_tensor)
    backbone = tiny_backbone(inputs)
    feature_layers, extra_blocks = ("stage2", "stage3", "stage4"), ((64, 128, 2, "same"),)
    model = ssd_head(backbone, classes, feature_layers=feature_layers, extra_blocks=extra_blocks,
                     aspect_ratios=(tuple(aspect_ratios),) * (len(feature_layers) + len(extra_blocks)),
                     s_min=s_min, s_max=s_max,
                     extra_batch_norm=True, name=name)
    return common.load_weights(model, weights)


@register_model(
    family="ssd",
    task="detection",
    input_shape=(64, 64, 3),
    min_input_shape=(64, 64),
    paper=PAPER,
    small_config=dict(input_shape=(64, 64, 3), classes=3),
    notes="A small CPU detector of the zoo (no paper counterpart): 5-stage conv-BN-ReLU backbone, "
    "maps 8x8, 4x4, 2x2, 1x1 at 64x64, 4 default boxes per cell (340 in all).",
    recipe=dict(epochs=10, batch_size=32, lr=3e-3, schedule="cosine",
                measured="shapes-det 64x64: held-out VOC mAP@0.5 0.986 after 10 epochs (0.960 at lr 1e-3)"),
)
def ssd_tiny(**kwargs):
    """SSD on a small conv backbone for CPU training (shapes-det). See `_build_ssd_tiny`."""
    return _build_ssd_tiny(**kwargs)


# --- SSD300 on VGG16 ------------------------------------------------------------------------------

SSD300_EXTRAS = ((256, 512, 2, "same"), (128, 256, 2, "same"), (128, 256, 1, "valid"), (128, 256, 1, "valid"))


def _ssd300_on(vgg_builder, *, input_tensor=None, input_shape=None, classes=20, name="ssd300_vgg16", weights=None):
    """SSD300 (Liu et al. 2016, Fig. 2) on a VGG16 built by `vgg_builder(include_top=False,
    input_tensor=...)` that follows the stage contract (stage4 = conv4_3, stage5 = conv5_3).

    Keras' VGG16 pools with 'valid' padding (floor), Caffe's SSD pools pool3 with ceil: a 300x300
    image is zero-padded on the bottom/right to 304x304 so conv4_3 is 38x38 as in the paper;
    maps 38, 19, 10, 5, 3, 1 with 4/6/6/6/4/4 boxes = 8732 default boxes, conv4_3 scale 0.1
    then 0.2..0.9 as the released model. pool5 is 3x3 stride 1, fc6 a 3x3 conv dilated by 6,
    fc7 a 1x1 conv (both 1024, "converted" from the dense layers in the paper; random here).
    """
    shape = common.resolve_input_shape(input_shape=input_shape, input_tensor=input_tensor,
                                       default_shape=(300, 300, 3), min_size=(268, 268), model_name=name)
    inputs = common.make_input(shape, input_tensor)
    h, w = shape[0], shape[1]
    ph, pw = (-h) % 16, (-w) % 16
    x = layers.ZeroPadding2D(((0, ph), (0, pw)), name="ceil_pad")(inputs) if (ph or pw) else inputs
    vgg = vgg_builder(include_top=False, input_tensor=x)
    y = vgg.get_layer("stage5").output
    y = layers.MaxPooling2D(3, 1, padding="same", name="pool5")(y)
    y = layers.Conv2D(1024, 3, padding="same", dilation_rate=6, activation="relu", name="fc6")(y)
    y = layers.Conv2D(1024, 1, activation="relu", name="fc7")(y)
    extended = keras.Model(inputs, y, name="vgg16_fc7")
    r4, r6 = anchor_utils.RATIOS_4, anchor_utils.RATIOS_6
    model = ssd_head(extended, classes, feature_layers=("stage4", "fc7"), extra_blocks=SSD300_EXTRAS,
                     aspect_ratios=(r4, r6, r6, r6, r4, r4), s_min=0.2, s_max=0.9, first_scale=0.1,
                     l2_normalize=("stage4",), name=name)
    return common.load_weights(model, weights)


def _ssd_resnet_on(resnet_builder, *, input_tensor=None, input_shape=None, classes=20, name="ssd_resnet18", weights=None):
    """SSD on a ResNet (stage contract): maps stage2 (stride 8), stage3 (16), stage4 (32) + three
    extra layers (strides 64, 128, then 3x3 valid); 4/6/6/6/4/4 boxes, scales 0.1, 0.2..0.9."""
    shape = common.resolve_input_shape(input_shape=input_shape, input_tensor=input_tensor,
                                       default_shape=(320, 320, 3), min_size=(160, 160), model_name=name,
                                       multiple_of=32)
    inputs = common.make_input(shape, input_tensor)
    backbone = resnet_builder(include_top=False, input_tensor=inputs)
    r4, r6 = anchor_utils.RATIOS_4, anchor_utils.RATIOS_6
    last = shape[0] // 32
    extras = ((256, 512, 2, "same"), (128, 256, 2, "same"))
    ratios = [r4, r6, r6, r6, r4]
    half = -(-last // 2)
    after_extras = -(-half // 2)  # two stride-2 'same' convs: ceil(ceil(last / 2) / 2)
    if after_extras >= 3:
        extras += ((128, 256, 1, "valid"),)
        ratios.append(r4)
    model = ssd_head(backbone, classes, feature_layers=("stage2", "stage3", "stage4"), extra_blocks=extras,
                     aspect_ratios=ratios, s_min=0.2, s_max=0.9, first_scale=0.1, extra_batch_norm=True, name=name)
    return common.load_weights(model, weights)


def _detector_kwargs(kwargs, name):
    _check_detector_args(include_top=kwargs.pop("include_top", True), pooling=kwargs.pop("pooling", None),
                         classifier_activation=kwargs.pop("classifier_activation", None),
                         weights=kwargs.get("weights"), classes=kwargs.get("classes", 20))
    kwargs.setdefault("name", name)
    return kwargs


@register_model(
    family="ssd",
    task="detection",
    input_shape=(300, 300, 3),
    min_input_shape=(268, 268),
    paper=PAPER,
    small_config=dict(input_shape=(300, 300, 3), classes=2),
    notes="8732 default boxes at 300x300 (input zero-padded bottom/right to 304 so Keras' floor "
    "pooling gives conv4_3 38x38 like Caffe's ceil pooling); conv4_3 L2-normalised; scales "
    "0.1 then 0.2..0.9 as the released model.",
)
def ssd300_vgg16(**kwargs):
    """SSD300 on zoo's VGG16. See `_ssd300_on`."""
    kwargs = _detector_kwargs(kwargs, "ssd300_vgg16")
    return _ssd300_on(vgg.vgg16, **kwargs)


@register_model(
    family="ssd",
    task="detection",
    input_shape=(320, 320, 3),
    min_input_shape=(160, 160),
    paper=PAPER,
    small_config=dict(input_shape=(160, 160, 3), classes=2),
    notes="SSD head on zoo's ResNet-18 stage2..stage4 plus extra layers (no paper model).",
)
def ssd_resnet18(**kwargs):
    """SSD on zoo's ResNet-18. See `_ssd_resnet_on`."""
    kwargs = _detector_kwargs(kwargs, "ssd_resnet18")
    return _ssd_resnet_on(resnet.resnet18, **kwargs)
