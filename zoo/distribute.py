"""Data parallelism helpers: make batches divisible by the device count.

`keras.distribution.DataParallel` splits every batch across the devices and raises
(IndivisibleError) when a batch — typically the last, partial one — does not divide evenly.
`fit_arrays` drops (or pads) the remainder so every batch divides; `predict` pads the inputs by
repeating the last sample and cuts the outputs back, so any number of samples works.
"""

from __future__ import annotations

import numpy as np

from zoo.checks import check_int

MODES = ("drop", "pad")


def device_count():
    """Number of devices the current Keras distribution spreads a batch over (1 without one)."""
    import keras

    dist = keras.distribution.distribution()
    if dist is None:
        return 1
    mesh = getattr(dist, "device_mesh", None)
    if mesh is not None:
        return int(np.prod(mesh.shape)) if mesh.shape else 1
    return len(keras.distribution.list_devices())


def _check_k(k, arg="devices"):
    return check_int(arg, k)


def pad_to_multiple(x, y=None, k=1):
    """Pads the first axis of `x` (and `y`) to a multiple of `k` by repeating the last sample.

    Returns:
        (x, y, n): padded arrays (y None if not given) and the original number of samples.
    """
    _check_k(k, "k")
    n = len(x)
    if n == 0:
        raise ValueError("cannot pad an empty array: pass at least one sample. Received: len(x)=0")
    extra = (-n) % k
    if extra:
        idx = np.concatenate([np.arange(n), np.full(extra, n - 1)])
        x = np.asarray(x)[idx]
        y = None if y is None else np.asarray(y)[idx]
    return x, y, n


def drop_remainder(x, y=None, k=1):
    """The first len(x) - len(x) % k samples of `x` (and `y`)."""
    _check_k(k, "k")
    keep = len(x) - len(x) % k
    if keep == 0:
        raise ValueError(f"{len(x)} samples are fewer than the {k} devices: pass at least {k} samples")
    return x[:keep], (None if y is None else y[:keep])


def fit_arrays(x, y, *, batch_size, devices=None, mode="drop"):
    """`x, y` trimmed (mode "drop") or padded (mode "pad") so that every batch of `batch_size`,
    the last one included, divides over `devices` (default: the current distribution's)."""
    k = _check_k(device_count() if devices is None else devices)
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of 'drop', 'pad'. Received: mode={mode!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size % k:
        raise ValueError(
            f"`batch_size` must be a multiple of the {k} devices (e.g. {max(k, (batch_size or k) // k * k)}). "
            f"Received: batch_size={batch_size!r}"
        )
    if mode == "drop":
        return drop_remainder(x, y, k)
    x, y, _ = pad_to_multiple(x, y, k)
    return x, y


def predict(model, x, *, batch_size=32, devices=None, **kwargs):
    """`model.predict` on any number of samples under data parallelism: pads to a multiple of
    the device count, predicts, returns the first len(x) outputs."""
    k = _check_k(device_count() if devices is None else devices)
    batch_size = max(k, batch_size - batch_size % k)
    xp, _, n = pad_to_multiple(x, None, k)
    out = model.predict(xp, batch_size=batch_size, verbose=kwargs.pop("verbose", 0), **kwargs)
    if isinstance(out, dict):
        return {key: v[:n] for key, v in out.items()}
    if isinstance(out, (list, tuple)):
        return type(out)(v[:n] for v in out)
    return out[:n]
