"""Argument checks every layer shares: each raises ValueError naming the Python argument, what is
accepted, then `Received: arg=value` (keras.applications' wording). Library errors name Python
arguments; the CLI maps them to its flags (`zoo.cli`).

No Keras, no NumPy: importable from every layer and from the light CLI gate."""

from __future__ import annotations

import numbers
import os

# the first bytes of each saved-model format: .keras is a zip archive, .h5 / .weights.h5 HDF5
MODEL_FILE_SIGNATURES = {".keras": (b"PK\x03\x04", "a .keras file is a zip archive"),
                         ".h5": (b"\x89HDF\r\n\x1a\n", "an .h5 file is HDF5")}


def check_int(arg, value, minimum=1, maximum=None, *, why=""):
    """`value` must be an int (bools refused) in [minimum, maximum]; returns it.

    `why` is appended to the requirement, e.g. " for vgg16 (its minimum side)"."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum or (
        maximum is not None and value > maximum
    ):
        bound = f"in {minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise ValueError(f"`{arg}` must be an integer {bound}{why}. Received: {arg}={value!r}")
    return int(value)


def check_number(arg, value, *, low=None, high=None, low_open=False, high_open=False):
    """`value` must be a real number (bools refused) within the bounds given; returns it as float.

    `low_open` / `high_open` exclude the bound itself (e.g. a rate in [0, 1): high=1, high_open=True)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        parts = []
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low}")
        if high is not None:
            parts.append(f"{'<' if high_open else '<='} {high}")
        bound = f" {' and '.join(parts)}" if parts else ""
        raise ValueError(f"`{arg}` must be a number{bound}. Received: {arg}={value!r}")
    return float(value)


def check_bool(arg, value):
    """`value` must be True or False; returns it."""
    if not isinstance(value, bool):
        raise ValueError(f"`{arg}` must be True or False. Received: {arg}={value!r}")
    return value


def check_one_of(arg, value, allowed):
    """`value` must be one of `allowed`; returns it."""
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`{arg}` must be one of {shown}. Received: {arg}={value!r}")
    return value


def check_same_length(**named):
    """Every sequence given must have the same length."""
    lengths = {k: len(v) for k, v in named.items()}
    if len(set(lengths.values())) > 1:
        got = ", ".join(f"{k}={v!r}" for k, v in named.items())
        raise ValueError(f"{', '.join(lengths)} must have the same length. Received: {got}")


def check_model_file(arg, path):
    """An existing `.keras` / `.h5` file must hold that format (checked from its first bytes, before
    Keras reads it and calls a mismatch "File not found"); returns `path`. Other paths pass."""
    path = os.fspath(path)
    ext = next((e for e in MODEL_FILE_SIGNATURES if path.endswith(e)), None)
    if ext is None or not os.path.isfile(path):
        return path
    magic, what = MODEL_FILE_SIGNATURES[ext]
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(magic):
        return path
    kind = "empty" if not head else ("text" if _is_text(head) else "another kind of file")
    raise ValueError(f"{arg}={path!r} is not a model file: {what} and this one is {kind}; pass a file written "
                     f"by model.save() or zoo train (a run folder's model.keras)")


def _is_text(head, read=512):
    """UTF-8 without NUL bytes; a character may be cut where the `read` bytes end."""
    if b"\x00" in head:
        return False
    for cut in range(4 if len(head) == read else 1):
        try:
            head[: len(head) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            pass
    return False
