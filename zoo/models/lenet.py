"""LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document recognition").

The form taught in the course (seed 004, DHBW lecture): C1 conv 6@5x5 -> S2 pool 2x2 ->
C3 conv 16@5x5 (full connections) -> S4 pool -> F5 dense 120 -> F6 dense 84 -> dense classes.
On 32x32x1 with 10 classes it has 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.
"""

from __future__ import annotations

from keras import layers

from zoo.models import common
from zoo.registry import register_model

PAPER = "LeCun, Bottou, Bengio, Haffner 1998, Gradient-based learning applied to document recognition, Fig. 2"
VARIANTS = {
    # variant: (activation, pooling layer)
    "classic": ("tanh", layers.AveragePooling2D),
    "modern": ("relu", layers.MaxPooling2D),
}


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
):
    """LeNet-5.

    Args:
        variant: "classic" (tanh, average pooling, as in the paper) or "modern" (ReLU, max pooling).
        {common_args}
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
    activation, pool = VARIANTS[variant]
    inputs = common.make_input(shape, input_tensor)
    x = layers.Conv2D(6, 5, activation=activation, name="c1")(inputs)
    x = pool(2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = pool(2, name="s4")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(120, activation=activation, name="f5")(x)
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
    "variant='classic' (tanh, average pooling) or 'modern' (ReLU, max pooling), same count.",
)
def lenet5(*, variant="modern", **kwargs):
    """LeNet-5, 61,706 parameters on 32x32x1 with 10 classes. See `_build_lenet`."""
    return _build_lenet(variant=variant, **kwargs)
