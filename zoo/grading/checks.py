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
