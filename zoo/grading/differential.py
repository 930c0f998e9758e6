"""Differential checks for the graded tests: a submission's function against the test's own
reference over inputs Hypothesis draws from the whole domain a docstring allows.

The draw is derandomized (the same examples on every run, so a grade is reproducible), the
number of examples is bounded (an exercise still grades in seconds) and nothing is stored
between runs. A failing example is shrunk to a small one and shown to the student on one line:
the call with its arguments, then what was expected and what came back.

    def check(case):
        x, k, s = case
        same(ex, "conv2d", (x, k), {"stride": s}, want=ref_conv(x, k, s))
    differential(st.tuples(matrices(), kernels(), st.integers(1, 3)), check)
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure, HypothesisException
from hypothesis.extra import numpy as hnp

from zoo.grading.checks import fail
from zoo.grading.results import counted

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=40, print_blob=False, report_multiple_bugs=False,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=list(HealthCheck))
SHOWN = 16  # arrays up to this many entries are written out in feedback; larger ones by shape


class Mismatch(AssertionError):
    """One example disagreed with the reference: the one-line message for the student."""


def differential(strategy, check, *, max_examples=40):
    """Runs `check(example)` on examples of `strategy`; the first failure, shrunk, fails the
    test with its one-line message (a function whose answer changes from call to call for the
    same input is said to be so)."""

    @settings(SETTINGS, max_examples=max_examples)
    @given(strategy)
    def run(example):
        check(example)

    try:
        run()
    except Mismatch as e:
        fail(str(e))
    except FlakyFailure as e:
        inner = [x for x in e.exceptions if isinstance(x, Mismatch)]
        fail((str(inner[0]) + " (and not on every call: the answer changes for the same input)") if inner
             else "the function's answers change from call to call for the same input")
    except HypothesisException as e:  # pragma: no cover - a strategy of the grader's own that cannot draw
        raise RuntimeError(f"the grader's input generator failed: {e}") from None


def call(ex, function, args=(), kwargs=None):
    """`ex(function, *args, **kwargs)`; an error of the submission becomes a Mismatch naming the call."""
    kwargs = kwargs or {}
    try:
        return ex(function, *args, **kwargs)
    except pytest.fail.Exception as e:
        raise Mismatch(f"{call_text(function, args, kwargs)}: {_one_line(e.msg)}") from None


def same(ex, function, args=(), kwargs=None, *, want, rtol=1e-5, atol=1e-6, got=None, shown=None):
    """Calls the submission (unless `got` is given) and compares with `want`: arrays, numbers,
    tuples of them. Returns what came back. `shown` replaces the call's text in the message."""
    kwargs = kwargs or {}
    if got is None:
        got = call(ex, function, args, kwargs)
    problem = difference(got, want, rtol=rtol, atol=atol)
    if problem:
        raise Mismatch(f"{shown or call_text(function, args, kwargs)}: {problem}")
    return got


def difference(got, want, *, rtol=1e-5, atol=1e-6, where=""):
    """None when `got` matches `want`, else what differs, in one line."""
    if isinstance(want, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"{where}expected a tuple of {counted(len(want), 'value')}, got {_value(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = difference(g, w, rtol=rtol, atol=atol, where=f"{where}value {i} of the result: ")
            if d:
                return d
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{where}expected a dict with keys {sorted(want)}, got {_value(got)}"
        for k in sorted(want):
            d = difference(got[k], want[k], rtol=rtol, atol=atol, where=f"{where}[{k!r}]: ")
            if d:
                return d
        return None
    w = np.asarray(want)
    try:
        g = np.asarray(got, dtype=np.float64 if w.dtype.kind == "f" else None)
    except (TypeError, ValueError):
        return f"{where}expected {_value(want)}, got {_value(got)}"
    if w.ndim == 0:
        if g.ndim != 0 or g.dtype.kind not in "biuf":
            return f"{where}expected {_value(want)}, got {_value(got)}"
        ok = np.isclose(float(g), float(w), rtol=rtol, atol=atol) if w.dtype.kind == "f" else g == w
        return None if ok else f"{where}expected {_value(want)}, got {_value(got)}"
    if g.shape != w.shape:
        return f"{where}expected shape {w.shape}, got shape {g.shape}" + (f" ({_value(got)})" if g.size <= SHOWN else "")
    if w.dtype.kind == "f":
        bad = ~np.isclose(g, w, rtol=rtol, atol=atol) if g.dtype.kind in "biuf" else np.ones(w.shape, bool)
    else:
        bad = g != w
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return (f"{where}first difference at index {idx}: expected {_num(w[idx])}, got {_num(g[idx])}"
            + (f" (expected {_value(want)}, got {_value(got)})" if w.size <= SHOWN else f" (shape {w.shape})"))


def call_text(function, args=(), kwargs=None):
    """'conv2d(x=[[1, -2]], kernel=[[1]], stride=2)' style, arrays of more than SHOWN entries by shape."""
    parts = [_value(a) for a in args] + [f"{k}={_value(v)}" for k, v in (kwargs or {}).items()]
    return f"{function}({', '.join(parts)})"


_FORMATS = {"float_kind": lambda f: f"{f:.6g}", "int": str}  # no padding: one short line


def _num(v):
    v = v.item() if hasattr(v, "item") else v
    return f"{v:.6g}" if isinstance(v, float) else repr(v)


def _value(v):
    if isinstance(v, np.ndarray):
        if v.size > SHOWN:
            return f"<array of shape {v.shape}>"
        return np.array2string(v, separator=", ", max_line_width=10**6, formatter=_FORMATS).replace("\n", "")
    if isinstance(v, (list, tuple)) and len(v) > SHOWN:
        return f"<{type(v).__name__} of {len(v)}>"
    if isinstance(v, tuple):
        return "(" + ", ".join(_value(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    return repr(v)


def _one_line(text):
    return " ".join(str(text).split())


# ----------------------------------------------------------------------------- strategies
def floats(lo=-1e3, hi=1e3):
    """Finite floats in [lo, hi], 0 and the bounds included."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def matrices(min_side=1, max_side=7, elements=None, shape=None):
    """Float matrices of any shape within the sides (square or not)."""
    shapes = st.just(shape) if shape is not None else hnp.array_shapes(min_dims=2, max_dims=2, min_side=min_side, max_side=max_side)
    return hnp.arrays(np.float64, shapes, elements=elements if elements is not None else floats())


def shifted(strategy, offsets=(0.0, -1e3, 1e3)):
    """Arrays of `strategy` moved by one of `offsets` (all-negative and all-large inputs)."""
    return st.tuples(strategy, st.sampled_from(offsets)).map(lambda t: t[0] + t[1])
