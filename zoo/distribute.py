"""Data parallelism: `zoo train --distribute data` and helpers that make batches divisible.

`setup` puts every device of every process under one `keras.distribution.DataParallel` (JAX
only): the global batch is split across the devices, each process feeds its own share
(`shard`), and the gradients are averaged by XLA's collectives. Several processes (several
GPUs' hosts, or a SLURM / Kubernetes job) join through Keras' own initializer,
`keras.distribution.initialize`, which reads KERAS_DISTRIBUTION_JOB_ADDRESSES (the coordinator,
process 0, as host:port first), KERAS_DISTRIBUTION_NUM_PROCESSES and
KERAS_DISTRIBUTION_PROCESS_ID, calls `jax.distributed.initialize` and agrees on one random seed.

`keras.distribution.DataParallel` raises (IndivisibleError) when a batch — typically the last,
partial one — does not divide evenly over the devices. `fit_arrays` drops (or pads) the
remainder so every batch divides; `predict` pads the inputs by repeating the last sample and
cuts the outputs back, so any number of samples works.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os

import keras
import numpy as np

from zoo.checks import check_int, check_one_of

MODES = ("drop", "pad")
STRATEGIES = ("data",)
ENV = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID")


@dataclasses.dataclass(frozen=True)
class Topology:
    """Where a distributed run runs: `devices` in all, `local_devices` of them in this process."""

    devices: int
    processes: int = 1
    process_id: int = 0
    local_devices: int = 1
    distribution: object = dataclasses.field(default=None, compare=False, repr=False)

    def scope(self):
        """The context in which models are built and fitted under the distribution (none: a no-op)."""
        return self.distribution.scope() if self.distribution is not None else contextlib.nullcontext()

    @property
    def writer(self):
        """Only process 0 writes the run folder, checkpoints and figures."""
        return self.process_id == 0

    def config(self):
        """The run's record in config.json / metrics.json."""
        if self.distribution is None:
            return None
        return {"strategy": "data", "devices": self.devices, "processes": self.processes}

    def describe(self):
        procs = f"{self.processes} processes x {self.local_devices}; this is process {self.process_id}" if (
            self.processes > 1) else "1 process"
        return f"data-parallel over {self.devices} device(s) ({procs})"


LOCAL = Topology(devices=1)  # no distribution: one process, Keras' default device


@contextlib.contextmanager
def outside():
    """No distribution inside: for saving. Keras' saving builds a reference optimizer, whose
    variables would otherwise be distributed and need every process (it hangs or fails when only
    process 0 saves)."""
    current = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(current)


def _env_processes():
    """The process count the environment asks for (None: no multi-process variables set)."""
    set_ = [k for k in ENV if os.environ.get(k)]
    if not set_:
        return None
    missing = [k for k in ENV if not os.environ.get(k)]
    if missing:
        raise ValueError(f"multi-process training needs {', '.join(ENV)}; {', '.join(missing)} not set. "
                         f"Received: {', '.join(f'{k}={os.environ[k]!r}' for k in set_)}")
    for k in ENV[1:]:
        if not os.environ[k].isdigit():
            raise ValueError(f"{k} must be a whole number (the process count, the process id from 0). "
                             f"Received: {k}={os.environ[k]!r}")
    return int(os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])


def setup(strategy, *, batch_size):
    """Joins the processes named by the environment (if any) and makes a `DataParallel` over every
    device of every process; returns the `Topology` (build and fit inside its `scope()`).

    Raises:
        ValueError: not the JAX backend, an unknown `strategy`, or a `batch_size` (the global
            batch) that does not split evenly over the devices.
    """
    check_one_of("distribute", strategy, STRATEGIES)
    check_int("batch_size", batch_size)
    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(f"`distribute` {strategy!r} needs the JAX backend: run with KERAS_BACKEND=jax (Keras runs on "
                         f"{backend} here). Received: distribute={strategy!r}")
    processes = _env_processes()
    import jax  # the JAX backend only (refused above otherwise)

    if processes and processes > 1 and not jax.distributed.is_initialized():
        keras.distribution.initialize()  # jax.distributed.initialize + one seed for all processes
    devices = keras.distribution.list_devices()
    topo = Topology(devices=len(devices), processes=jax.process_count(), process_id=jax.process_index(),
                    local_devices=jax.local_device_count())
    if batch_size % topo.devices:
        lower = max(topo.devices, batch_size - batch_size % topo.devices)
        raise ValueError(f"`batch_size` (the global batch) {batch_size} does not split evenly over the {topo.devices} "
                         f"devices: pass a multiple of {topo.devices}, e.g. {lower} or {lower + topo.devices}. "
                         f"Received: batch_size={batch_size}")
    # Each process passes its own shard of the arrays (`shard`): Keras must not shard them again.
    parallel = keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)
    return dataclasses.replace(topo, distribution=parallel)


def shard(data, topo):
    """This process's share of `data` (an array, or a tuple / dict of arrays with one first axis).

    The last `len % devices` samples are dropped so that every process gets as many samples and
    every batch divides over the devices; process p of P takes samples p, p + P, p + 2P, ... so
    that, unshuffled, global batch t holds the same samples as batch t of a one-process run."""
    if topo.distribution is None:
        return data
    n = len(keras.tree.flatten(data)[0])
    keep = n - n % topo.devices
    if keep == 0:
        raise ValueError(f"{n} samples are fewer than the {topo.devices} devices: pass at least {topo.devices} samples")
    return keras.tree.map_structure(lambda a: np.asarray(a)[:keep][topo.process_id::topo.processes], data)


def agree(values, topo, what, describe=str):
    """Checks that every process holds the same `values` (a tuple of ints); raises ValueError
    naming `what`, the first process that differs and what each holds (`describe(values)`)."""
    if topo.processes == 1:
        return
    from jax.experimental import multihost_utils  # several processes: the JAX backend only

    mine = np.asarray(values, dtype=np.int64)
    every = np.asarray(multihost_utils.process_allgather(mine)).reshape(topo.processes, -1)
    for p, theirs in enumerate(every):
        if (theirs != every[0]).any():
            raise ValueError(f"{what} reads differently on process {p} ({describe(tuple(theirs.tolist()))}) than on "
                             f"process 0 ({describe(tuple(every[0].tolist()))}): every process needs the same folder, "
                             "on a file system they share")


def device_count():
    """Number of devices the current Keras distribution spreads a batch over (1 without one)."""
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
