"""LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document recognition").

The form taught in the course (seed 004, DHBW lecture): C1 conv 6@5x5 -> S2 pool 2x2 ->
C3 conv 16@5x5 (full connections) -> S4 pool -> F5 dense 120 -> F6 dense 84 -> dense classes.
On 32x32x1 with 10 classes it has 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from zoo.checks import check_int
from zoo.models import common
from zoo.registry import register_model

PAPER = "LeCun, Bottou, Bengio, Haffner 1998, Gradient-based learning applied to document recognition, Fig. 2"
VARIANTS = {
    # variant: (activation, pooling layer); "lecun1998" is built by _build_lecun1998
    "classic": ("tanh", layers.AveragePooling2D),
    "modern": ("relu", layers.MaxPooling2D),
    "lecun1998": None,
}

# Table I of the paper: which S2 maps (columns 0-5) each C3 map (0-15) reads.
C3_CONNECTIONS = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5),
)


@keras.saving.register_keras_serializable(package="zoo")
class ScaledTanh(layers.Layer):
    """The paper's squashing function f(a) = A tanh(S a) with A = 1.7159, S = 2/3 (Appendix A)."""

    def call(self, x):
        return 1.7159 * ops.tanh(x * (2.0 / 3.0))


@keras.saving.register_keras_serializable(package="zoo")
class Subsampling(layers.Layer):
    """LeNet-5's trainable subsampling: per map, the sum of each 2x2 window times a trainable
    coefficient plus a trainable bias (2 parameters per map: 12 in S2, 32 in S4)."""

    def build(self, input_shape):
        channels = input_shape[-1]
        self.coefficient = self.add_weight(shape=(channels,), initializer="ones", name="coefficient")
        self.bias = self.add_weight(shape=(channels,), initializer="zeros", name="bias")

    def call(self, x):
        window_sum = ops.average_pool(x, pool_size=2, strides=2, padding="valid") * 4.0
        return window_sum * self.coefficient + self.bias

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else h // 2, None if w is None else w // 2, c)


@keras.saving.register_keras_serializable(package="zoo")
class PartialConv2D(layers.Layer):
    """A 'valid' convolution where output map j sees only the input maps `connections[j]`
    (LeNet-5's C3, Table I): 1,516 parameters instead of a full layer's 2,416."""

    def __init__(self, connections, kernel_size=5, **kwargs):
        super().__init__(**kwargs)
        self.connections = tuple(tuple(int(i) for i in c) for c in connections)
        self.kernel_size = int(kernel_size)

    def build(self, input_shape):
        channels = input_shape[-1]
        bad = [c for c in self.connections if not c or max(c) >= channels]
        if bad:
            raise ValueError(f"connections {bad} refer to input maps >= {channels}")
        k = self.kernel_size
        self.kernels = [
            self.add_weight(shape=(k, k, len(c), 1), initializer="glorot_uniform", name=f"kernel_{j}")
            for j, c in enumerate(self.connections)
        ]
        self.bias = self.add_weight(shape=(len(self.connections),), initializer="zeros", name="bias")

    def call(self, x):
        maps = [
            ops.conv(ops.take(x, list(c), axis=-1), kernel, padding="valid")
            for c, kernel in zip(self.connections, self.kernels)
        ]
        return ops.concatenate(maps, axis=-1) + self.bias

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        k = self.kernel_size - 1
        return (b, None if h is None else h - k, None if w is None else w - k, len(self.connections))

    def get_config(self):
        return {**super().get_config(), "connections": [list(c) for c in self.connections], "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="zoo")
class EuclideanRBF(layers.Layer):
    """The paper's output layer: one RBF unit per class, y_i = -sum_j (x_j - w_ij)^2, with fixed
    (non-trainable) prototypes w_i in {-1, +1}^84. The paper drew them as 7x12 bitmaps of the
    characters; here they are a seeded random +-1 code. The sign is flipped so that the outputs
    act as logits (largest = closest prototype)."""

    def __init__(self, units, seed=1998, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.seed = int(seed)

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        code = rng.choice([-1.0, 1.0], size=(self.units, input_shape[-1])).astype("float32")
        self.prototypes = self.add_weight(
            shape=code.shape, initializer=keras.initializers.Constant(code), trainable=False, name="prototypes"
        )

    def call(self, x):
        diff = ops.expand_dims(x, 1) - ops.expand_dims(self.prototypes, 0)
        return -ops.sum(ops.square(diff), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "seed": self.seed}


def _build_lecun1998(inputs, *, include_top, pooling, classes, classifier_activation):
    """The paper's own LeNet-5: trainable subsampling, the partial C3 table, RBF outputs;
    60,000 trainable parameters on 32x32x1 (the RBF prototypes are fixed)."""
    x = layers.Conv2D(6, 5, name="c1")(inputs)
    x = ScaledTanh(name="c1_act")(x)
    x = Subsampling(name="s2")(x)
    x = ScaledTanh(name="s2_act")(x)
    x = PartialConv2D(C3_CONNECTIONS, 5, name="c3")(x)
    x = ScaledTanh(name="c3_act")(x)
    x = Subsampling(name="s4")(x)
    x = ScaledTanh(name="s4_act")(x)
    if not include_top:
        return common.classifier_top(x, include_top=False, pooling=pooling, classes=classes, classifier_activation=None)
    x = layers.Conv2D(120, 5, name="c5")(x)
    x = ScaledTanh(name="c5_act")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(84, name="f6")(x)
    x = ScaledTanh(name="f6_act")(x)
    x = EuclideanRBF(classes, name="rbf")(x)
    return layers.Activation(classifier_activation or "linear", name="predictions")(x)


@common.document_common_args
def _build_lenet(
    *,
    variant,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name="lenet5",
    filters=(6, 16),
    kernel_size=5,
    activation=None,
    pool=None,
    dropout=0.0,
):
    """LeNet-5.

    Args:
        variant: "classic" (tanh, average pooling), "modern" (ReLU, max pooling) — both the
            course form with 61,706 parameters — or "lecun1998", the paper itself (partial C3
            table, trainable subsampling, RBF outputs: 60,000 trainable parameters).
        {common_args}
        filters: (C1, C3) feature maps, default (6, 16) as in the paper ("classic"/"modern" only).
        kernel_size: side of the C1 and C3 kernels, default 5 ("classic"/"modern" only).
        activation: overrides the variant's activation ("relu", "tanh", ...); None keeps it.
        pool: "max" or "avg", overrides the variant's pooling; None keeps it.
        dropout: rate before F5 and F6, default 0 (the paper has none).
    Returns:
        A Functional model: (B, H, W, C) -> (B, classes); without the top, the S4 feature map
        (B, (H-4)/2-4)/2, ..., 16) or its global pooling.
    """
    common.check_one_of("variant", variant, tuple(VARIANTS))
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
        default_shape=(32, 32, 1),
        min_size=(16, 16),
        model_name="lenet5",
    )
    custom = (tuple(filters) != (6, 16), kernel_size != 5, activation is not None, pool is not None, dropout != 0.0)
    if variant == "lecun1998" and any(custom):
        raise ValueError(
            "variant='lecun1998' is the paper's fixed network: filters, kernel_size, activation, pool "
            "and dropout apply to variant='classic' or 'modern' only. "
            f"Received: filters={filters!r}, kernel_size={kernel_size!r}, activation={activation!r}, "
            f"pool={pool!r}, dropout={dropout!r}"
        )
    if len(tuple(filters)) != 2 or any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in filters):
        raise ValueError(f"`filters` must be two integers >= 1 (C1, C3). Received: filters={filters!r}")
    check_int("kernel_size", kernel_size)
    if pool is not None:
        common.check_one_of("pool", pool, ("max", "avg"))
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    if variant != "lecun1998":
        for side in shape[:2]:
            if side is not None and ((side - kernel_size + 1) // 2 - kernel_size + 1) // 2 < 1:
                raise ValueError(
                    f"input_shape={shape!r} is too small for lenet5 with kernel_size={kernel_size}: "
                    f"every side must be >= {3 * kernel_size + 1}. Received: input_shape={shape!r}"
                )
    inputs = common.make_input(shape, input_tensor)
    if variant == "lecun1998":
        x = _build_lecun1998(
            inputs, include_top=include_top, pooling=pooling, classes=classes, classifier_activation=classifier_activation
        )
        return common.build_model(inputs, x, name=name, weights=weights)
    default_activation, default_pool = VARIANTS[variant]
    activation = activation or default_activation
    pool_layer = {"max": layers.MaxPooling2D, "avg": layers.AveragePooling2D, None: default_pool}[pool]
    x = layers.Conv2D(filters[0], kernel_size, activation=activation, name="c1")(inputs)
    x = pool_layer(2, name="s2")(x)
    x = layers.Conv2D(filters[1], kernel_size, activation=activation, name="c3")(x)
    x = pool_layer(2, name="s4")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        if dropout:
            x = layers.Dropout(dropout, name="f5_dropout")(x)
        x = layers.Dense(120, activation=activation, name="f5")(x)
        if dropout:
            x = layers.Dropout(dropout, name="f6_dropout")(x)
        x = layers.Dense(84, activation=activation, name="f6")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = common.classifier_top(
            x, include_top=False, pooling=pooling, classes=classes, classifier_activation=None
        )
    return common.build_model(inputs, x, name=name, weights=weights)


@register_model(
    family="lenet",
    task="classification",
    input_shape=(32, 32, 1),
    min_input_shape=(16, 16),
    paper=PAPER,
    small_config=dict(input_shape=(32, 32, 1), classes=10),
    notes="Course form: full C3 connections and a dense output instead of the paper's RBF units. "
    "variant='classic' (tanh, average pooling) or 'modern' (ReLU, max pooling), same count; "
    "variant='lecun1998' is the paper's own network (60,000 trainable parameters).",
    # `zoo demo` is this recipe with --augment on the embedded digits (tests/test_demo.py).
    # 60 epochs: over seeds 0-4 (each its own split and initial weights) 40 epochs give 98.61-100 %
    # (two seeds below 99 %), 60 epochs 99.44-100 % (docs/benchmarks.md).
    recipe=dict(epochs=60, batch_size=32, optimizer="adam", lr=2e-3, schedule="cosine",
                measured="digits 32x32 with --augment, seeds 0-4: 99.67 % mean held-out accuracy (99.44-100 %, 0-2 of 360 wrong)"),
)
def lenet5(*, variant="modern", **kwargs):
    """LeNet-5, 61,706 parameters on 32x32x1 with 10 classes. See `_build_lenet`."""
    return _build_lenet(variant=variant, **kwargs)
