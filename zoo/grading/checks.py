"""Assertion helpers for the graded tests: feedback says what was expected and what came back."""

from __future__ import annotations

import numpy as np
import pytest


def fail(message):
    pytest.fail(message, pytrace=False)


def _short(a, n=6):
    a = np.asarray(a)
    flat = np.array2string(a.ravel()[:n], precision=4, separator=", ")
    return f"{flat[:-1]}, ...]" if a.size > n else flat


def expect_array(got, want, what, *, rtol=1e-5, atol=1e-6):
    """`got` must be an array with `want`'s shape and values (within tolerance)."""
    want = np.asarray(want)
    try:
        got = np.asarray(got, dtype=np.float64) if want.dtype.kind == "f" else np.asarray(got)
    except (TypeError, ValueError):
        fail(f"{what}: expected an array of shape {want.shape}, got {type(got).__name__}")
    if got.shape != want.shape:
        fail(f"{what}: expected shape {want.shape}, got shape {got.shape}")
    if want.dtype.kind in "fc":
        if not np.all(np.isfinite(got)):
            fail(f"{what}: got non-finite values (nan/inf): {_short(got)}")
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            idx = np.unravel_index(np.argmax(np.abs(got - want)), want.shape) if want.ndim else ()
            fail(f"{what}: values differ, e.g. at index {tuple(int(i) for i in idx)}: expected {float(want[idx]):.6g}, got {float(got[idx]):.6g}\n"
                 f"expected {_short(want)}\ngot      {_short(got)}")
    elif not np.array_equal(got, want):
        fail(f"{what}: expected {_short(want, 10)}, got {_short(got, 10)}")
    return got


def expect_close(got, want, what, *, rtol=1e-5, atol=1e-6):
    """A scalar within tolerance of `want`."""
    try:
        got = float(got)
    except (TypeError, ValueError):
        fail(f"{what}: expected a number close to {want:.6g}, got {type(got).__name__}")
    if not np.isfinite(got) or not np.isclose(got, want, rtol=rtol, atol=atol):
        fail(f"{what}: expected {want:.6g}, got {got:.6g}")
    return got


def expect_equal(got, want, what):
    if got != want:
        fail(f"{what}: expected {want!r}, got {got!r}")
    return got


def expect(condition, message):
    if not condition:
        fail(message)


def layers_of(summary, cls):
    """Rows of a model summary whose layer class is `cls` (or one of a tuple)."""
    cls = (cls,) if isinstance(cls, str) else cls
    return [l for l in summary["layers"] if l["class"] in cls]


WEIGHTED = ("Dense", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv2D",
            "DepthwiseConv2D")
# layers that apply an activation function, and the name of the function each applies
_ACTIVATION_LAYERS = ("Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU")
# layers that do not change where an elementwise nonlinearity acts: Conv -> BatchNorm -> ReLU and
# Conv -> MaxPool -> ReLU apply the ReLU to that conv as much as Conv(activation="relu") does
_PASS_THROUGH = ("BatchNormalization", "Dropout", "Flatten", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D")


def _activation_of(row):
    cls = row["class"]
    if cls == "ReLU":
        return "leaky_relu" if row.get("negative_slope") else "relu"
    if cls == "LeakyReLU":
        return "leaky_relu"
    if cls in ("Softmax", "ELU", "PReLU"):
        return cls.lower()
    act = row.get("activation")
    return None if act in (None, "linear", "identity") else str(act)


def model_layers(summary):
    """The summary's layer rows without InputLayers (a functional model lists its inputs, a
    Sequential one does not)."""
    return [l for l in summary["layers"] if l["class"] != "InputLayer"]


def _consumers(rows, i):
    """The rows that take row i's output: from the graph where the describer gave it, else the
    next row."""
    name = rows[i]["name"]
    if any("inbound" in r for r in rows):
        return [r for r in rows if name in r.get("inbound", ())]
    return rows[i + 1:i + 2]


def effective_activation(summary, layer):
    """The nonlinearities a Conv/Dense row's output goes through before any other weighted or
    shape-mixing layer, joined by "+": its own `activation=` and the Activation / ReLU / Softmax /
    LeakyReLU layers it feeds (through BatchNormalization, Dropout, Flatten or max pooling).
    "linear" when there is none. So Dense(softmax), Dense + Softmax() and Dense + Activation("softmax")
    are all "softmax"; Dense(relu) + Softmax() is "relu+softmax"."""
    rows = model_layers(summary)
    names = [r["name"] for r in rows]
    i = names.index(layer["name"])
    acts = [a for a in (_activation_of(rows[i]),) if a]
    seen = {i}
    while True:
        nxt = _consumers(rows, i)
        if len(nxt) != 1 or nxt[0]["class"] not in _ACTIVATION_LAYERS + _PASS_THROUGH:
            break
        i = names.index(nxt[0]["name"])
        if i in seen:
            break
        seen.add(i)
        if nxt[0]["class"] in _ACTIVATION_LAYERS:
            a = _activation_of(nxt[0])
            if a:
                acts.append(a)
    return "+".join(acts) or "linear"


def weighted_layers(summary, cls=WEIGHTED):
    """The Conv/Dense rows (or those of class `cls`) in order, each with its "effective_activation"."""
    cls = (cls,) if isinstance(cls, str) else cls
    return [dict(l, effective_activation=effective_activation(summary, l)) for l in model_layers(summary) if l["class"] in cls]


def output_layer(summary):
    """The last Dense row (a classifier's output layer, whatever its name), with its effective activation."""
    dense = weighted_layers(summary, "Dense")
    if not dense:
        fail("the model has no Dense layer (expected a Dense output layer)")
    return dense[-1]


def output_rows(summary):
    """The rows whose output no other layer takes (a block's or model's outputs)."""
    rows = model_layers(summary)
    taken = {n for r in rows for n in r.get("inbound", ())}
    return [r for r in rows if r["name"] not in taken]


def path_back(summary, name):
    """The chain of rows that ends at layer `name`, walked back through single inputs up to a
    layer with several inputs (an Add, a Concatenate: not included) or to the model's input.
    Returns (rows in forward order, the name where the chain starts: an input or a merge layer)."""
    rows = {r["name"]: r for r in summary["layers"]}
    chain, cur = [], rows[name]
    while True:
        if cur["class"] == "InputLayer":
            return chain[::-1], cur["name"]
        chain.append(cur)
        ins = cur.get("inbound", [])
        if len(ins) != 1 or ins[0] not in rows:
            return chain[::-1], None
        nxt = rows[ins[0]]
        if len(nxt.get("inbound", [])) > 1:
            return chain[::-1], nxt["name"]
        cur = nxt
