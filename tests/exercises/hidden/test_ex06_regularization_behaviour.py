"""Graded, hidden: exercise 6 judged by behaviour over generated inputs and argument sets
(zoo.grading.differential, zoo.grading.canonical): every augmented image is its own image,
flipped or not, shifted by at most max_shift with zero fill (nothing wraps around), with a draw
of its own; the MLP is compared with its docstring layer by layer, whatever way it is built
(Sequential or functional, an activation argument or an Activation/ReLU layer, any names);
early stopping against a reference over generated loss curves."""

import numpy as np
import pytest
from hypothesis import strategies as st

from zoo.grading.canonical import describe_layer, layer_sequence
from zoo.grading.checks import fail
from zoo.grading.differential import Mismatch, call, call_text, differential, same

MODULE = "ex06_regularization"


def shifted(img, flip, dy, dx):
    """img flipped left-right or not, then moved down dy and right dx pixels, zero fill."""
    img = img[:, ::-1] if flip else img
    h, w = img.shape[:2]
    out = np.zeros_like(img)
    out[max(dy, 0): h + min(dy, 0), max(dx, 0): w + min(dx, 0)] = img[max(-dy, 0): h - max(dy, 0), max(-dx, 0): w - max(dx, 0)]
    return out


def transform_of(got, img, s):
    """The (flip, dy, dx) with |dy|, |dx| <= s that turns img into got, or None."""
    for flip in (False, True):
        for dy in range(-s, s + 1):
            for dx in range(-s, s + 1):
                if np.array_equal(got, shifted(img, flip, dy, dx)):
                    return flip, dy, dx
    return None


@pytest.mark.points(2)
@pytest.mark.hidden
def test_augment_flips_and_shifts_each_image(ex):
    """64 images of 5-8 x 5-8 pixels, 1-3 channels, float or uint8, max_shift 1-3: each output is its image flipped or not and shifted with zero fill; draws differ between images and seeds, both ends of the shift range occur"""
    def check(case):
        h, w, c, s, seed, dtype = case
        rng = np.random.default_rng(seed + 100)
        x = (rng.integers(1, 256, (64, h, w, c)) if dtype == "uint8" else rng.random((64, h, w, c)) + 0.01).astype(dtype)
        what = f"augment(<{dtype} images of shape {x.shape}>, seed={seed}, max_shift={s})"
        a = call(ex, "augment", (x,), {"seed": seed, "max_shift": s})
        a = np.asarray(a)
        if a.shape != x.shape or a.dtype != x.dtype:
            raise Mismatch(f"{what}: expected {x.dtype} images of shape {x.shape}, got {a.dtype} of shape {a.shape}")
        found = []
        for i in range(len(x)):
            t = transform_of(a[i], x[i], s)
            if t is None:
                raise Mismatch(f"{what}: image {i} is not its input flipped or not and shifted by at most {s} pixels with "
                               f"zero fill (pixels that wrap around or come from elsewhere)")
            found.append(t)
        if len(set(found)) == 1:
            raise Mismatch(f"{what}: all 64 images got the same flip and shift {found[0]}; each image needs a draw of its own")
        for k, name in ((0, "flipped"), ):
            if len({t[k] for t in found}) < 2:
                raise Mismatch(f"{what}: every image or no image was {name}")
        for k, axis in ((1, "dy"), (2, "dx")):
            seen = {t[k] for t in found}
            if not {-s, s} <= seen:
                raise Mismatch(f"{what}: shifts {axis} seen {sorted(seen)}; they range from -{s} to {s}, both ends included")
        other = np.asarray(call(ex, "augment", (x,), {"seed": seed + 1, "max_shift": s}))
        if np.array_equal(other, a):
            raise Mismatch(f"{what}: seed={seed + 1} gives the same images as seed={seed} (the seed is not used)")
    differential(st.tuples(st.integers(5, 8), st.integers(5, 8), st.integers(1, 3), st.integers(1, 3), st.integers(0, 50),
                           st.sampled_from(["float32", "uint8"])), check, max_examples=8)


# the visible and edge tests build (20, 3, hidden=(16, 8)) and (5, 2, hidden=(12,)): three hidden layers and the defaults here
ARGUMENT_SETS = [
    ((4, 2), {"hidden": (6, 5, 3), "l2": 0.5, "dropout": 0.6}),
    ((10, 4), {}),
]


def expected_layers(classes, hidden=(64, 32), l2=1e-4, dropout=0.5):
    rows = []
    for units in hidden:
        rows += [("Dense", units, "nonlinear", l2), ("Dropout", dropout)]
    return rows + [("Dense", classes, "softmax", None)]


def _matches(row, want):
    if row["class"] != want[0]:
        return False
    if want[0] == "Dropout":
        return abs(float(row.get("rate", -1)) - want[1]) < 1e-9
    _, units, act, l2 = want
    got_act = row.get("activation")
    if row.get("units") != units or (act == "softmax" and got_act != "softmax") or (act == "nonlinear" and got_act in (None, "linear", "softmax")):
        return False
    if l2 is None:
        return True
    reg = row.get("kernel_regularizer") or {}
    return reg.get("class") in ("L2", "l2") and abs(reg.get("config", {}).get("l2", -1) - l2) <= 1e-6 * l2


def _text(want):
    if want[0] == "Dropout":
        return f"Dropout({want[1]:g})"
    _, units, act, l2 = want
    return f"Dense({units}, {'relu or another nonlinearity' if act == 'nonlinear' else act}{'' if l2 is None else f', L2 {l2:g}'})"


@pytest.mark.points(2)
@pytest.mark.hidden
def test_regularized_mlp_over_argument_sets(ex):
    """regularized_mlp with three hidden layers and with the defaults: Dense (nonlinear, L2) and Dropout per hidden layer, a softmax output, in that order"""
    for args, kwargs in ARGUMENT_SETS:
        what = call_text("regularized_mlp", args, kwargs)
        s = ex("regularized_mlp", *args, probe="model", **kwargs)
        got = layer_sequence(s)
        want = expected_layers(args[1], **kwargs)
        if len(got) != len(want) or not all(_matches(g, w) for g, w in zip(got, want)):
            fail(f"{what}: expected layers {', '.join(map(_text, want))}; got {', '.join(map(describe_layer, got))}")
        if s["input_shape"] != [None, args[0]] or s["output_shape"] != [None, args[1]]:
            fail(f"{what}: expected input shape (None, {args[0]}) and output shape (None, {args[1]}); got {s['input_shape']} and {s['output_shape']}")


def ref_early_stopping(losses, patience):
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(losses):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(losses) - 1, best_epoch


@pytest.mark.points(1)
@pytest.mark.hidden
def test_early_stopping_any_curve(ex):
    """early_stopping on curves of 1-15 epochs with plateaus, rises and late improvements, patience 1-6"""
    def check(case):
        losses, patience = case
        same(ex, "early_stopping", (losses,), {"patience": patience}, want=ref_early_stopping(losses, patience))
    curves = st.lists(st.sampled_from([1.0, 0.9, 0.8, 0.75, 0.7, 0.5, 1.2]), min_size=1, max_size=15)
    differential(st.tuples(curves, st.integers(1, 6)), check, max_examples=60)
