"""A model's layers as a docstring speaks of them, from a trusted probe's summary
(zoo.grading.describer): what a graded test compares is the computation, not how it was
written. The InputLayer a functional model lists and the rows of nested models themselves
are left out, and an Activation, ReLU or Softmax layer after a linear layer becomes that
layer's activation (Dense(8) + ReLU() is Dense(8, activation="relu")); a ReLU after a Dropout
reaches back over it, since the two commute."""

from __future__ import annotations

LINEAR = (None, "linear")
ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax"}
CONTAINERS = ("Sequential", "Functional", "Model")


def layer_sequence(summary):
    """The rows of `summary["layers"]` (a chain of layers) with activation layers folded in."""
    out = []
    for row in summary["layers"]:
        cls = row["class"]
        if cls == "InputLayer" or cls in CONTAINERS:
            continue
        act = row.get("activation") if cls == "Activation" else ACTIVATION_LAYERS.get(cls)
        if act is None:
            out.append(dict(row))
            continue
        target = next((prev for prev in reversed(out) if not (prev["class"] == "Dropout" and act == "relu")), None)
        if target is not None and "activation" in target and target["activation"] in LINEAR:
            target["activation"] = act
        else:
            out.append({"class": "Activation", "activation": act, "name": row.get("name")})
    return out


def describe_layer(row):
    """'Dense(9, relu, L2 0.02)', 'Dropout(0.1)', 'Activation(relu)': a row in a feedback line."""
    cls = row["class"]
    if cls == "Dense":
        reg = row.get("kernel_regularizer")
        l2 = f", L2 {reg['config'].get('l2', 0):g}" if reg and "l2" in reg.get("config", {}) else ""
        return f"Dense({row.get('units')}, {row.get('activation') or 'linear'}{l2})"
    if cls == "Dropout":
        return f"Dropout({row.get('rate'):g})"
    if cls == "Activation":
        return f"Activation({row.get('activation')})"
    return cls
