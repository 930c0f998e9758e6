"""The trusted side's wire format with the grader's other processes (worker.py speaks the same):
framed JSON (an 8-byte length, then the text) on pipes; numbers, strings, lists, tuples, dicts
and numeric arrays only. What comes back is decoded strictly (no pickle: a child cannot make
the trusted process run code), and every read has a deadline."""

from __future__ import annotations

import base64
import json
import os
import select
import struct
import time

import numpy as np

MAX_REPLY = 256 * 1024 * 1024
POLL = 0.25  # seconds between checks of a running call (stopped? over its memory?)


class ReplyError(ValueError):
    """A reply that cannot be taken: too large, or not framed JSON."""


def decode(obj, depth=0):
    """Child reply -> Python values. Accepts only JSON scalars, lists, tuples, dicts and
    numeric arrays; anything else raises ValueError (a child cannot make us run code)."""
    if depth > 60:
        raise ValueError("reply nested too deeply")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(o, depth + 1) for o in obj]
    if isinstance(obj, dict):
        if set(obj) == {"__tuple__"}:
            return tuple(decode(o, depth + 1) for o in obj["__tuple__"])
        if set(obj) == {"__dict__"}:
            out = {}
            for pair in obj["__dict__"]:
                k, v = pair
                k = decode(k, depth + 1)
                if not isinstance(k, (str, int, float, bool, type(None), tuple)):
                    raise ValueError("bad dict key in reply")
                out[k] = decode(v, depth + 1)
            return out
        if set(obj) == {"__nd__"}:
            dt, shape, data = obj["__nd__"]
            dtype = np.dtype(str(dt))
            if dtype.kind not in "biuf":
                raise ValueError(f"reply holds an array of dtype {dtype}")
            shape = [int(s) for s in shape]
            raw = base64.b64decode(data, validate=True)
            if int(np.prod(shape)) * dtype.itemsize != len(raw):
                raise ValueError("array size does not match its shape")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        return {str(k): decode(v, depth + 1) for k, v in obj.items()}
    raise ValueError(f"unexpected {type(obj).__name__} in reply")


def encode(obj):
    """Trusted arguments -> the child's wire format (same as worker.encode)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(o) for o in obj]}
    if isinstance(obj, list):
        return [encode(o) for o in obj]
    if isinstance(obj, dict):
        if len(obj) == 1 and next(iter(obj)).startswith("__") and next(iter(obj)) not in ("__tuple__", "__dict__", "__nd__"):
            (k, v), = obj.items()  # special argument (__callable__, __backbone__, __hp__, __tmpdir__)
            return {k: encode(v)}
        return {"__dict__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        return {"__nd__": [arr.dtype.str, list(arr.shape), base64.b64encode(arr.tobytes()).decode()]}
    raise TypeError(f"cannot send a {type(obj).__name__} to the child")



def send(fd, obj, deadline=None, idle=None):
    """Writes one framed message; False when `deadline` (time.monotonic) passed first (a reader
    that stopped reading: a large request would otherwise block forever). `idle()` is called
    every POLL seconds while the pipe is full; OSError when the reader is gone."""
    body = json.dumps(obj).encode()
    view = memoryview(struct.pack("<Q", len(body)) + body)
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        while view:
            left = POLL if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            if not select.select([], [fd], [], min(left, POLL))[1]:
                if idle is not None:
                    idle()
                continue
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue
        return True
    finally:
        os.set_blocking(fd, blocking)


def receive(fd, deadline, idle=None):
    """One framed message read from `fd` before `deadline` (time.monotonic), as parsed JSON
    (still to `decode`); None when the writer ended or the deadline passed. `idle()` is called
    every POLL seconds while nothing comes. ReplyError for a reply too large or unreadable."""
    head = _read(fd, 8, deadline, idle)
    if head is None:
        return None
    (n,) = struct.unpack("<Q", head)
    if n > MAX_REPLY:
        raise ReplyError(f"the result is too large ({n} bytes)")
    body = _read(fd, n, deadline, idle)
    if body is None:
        return None
    try:
        return json.loads(body.decode())
    except (ValueError, UnicodeDecodeError):
        raise ReplyError("the child sent an unreadable reply") from None


def _read(fd, n, deadline, idle):
    chunks, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([fd], [], [], min(left, POLL))
        if not r:
            if idle is not None:
                idle()
            continue
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def close_quietly(*fds):
    """Closes each open fd of `fds` (None skipped), ignoring one already closed."""
    for fd in fds:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
