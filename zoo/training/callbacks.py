"""Callbacks of the `zoo train` loop: an atomic BackupAndRestore that keeps the layers' random
state too, a best-model checkpoint that remembers the best value across restarts, and a NaN guard
that names likely causes."""

from __future__ import annotations

import json
import math
import os
import time

import keras
import numpy as np

from zoo import interrupts
from zoo.distribute import outside
from zoo.io import atomic_path, save_model, write_json
from zoo.training.runs import backup_epoch, read_json_or_none

NAN_CAUSES = (
    "the learning rate is too high (try --lr 10x smaller, or a warm-up schedule); "
    "the inputs contain NaN/inf or are not scaled (expected floats in [0, 1]); "
    "a log or division of zero in a custom loss/layer; "
    "probabilities passed to a loss that expects logits or the reverse"
)


def seed_variables(model):
    """The state variables of every SeedGenerator in `model`'s layers (nested models included), in
    the layers' order: what `model.variables` holds beyond `model.weights`. (Their names carry a
    process-wide counter, so a rebuilt model is matched by position, not by name.)"""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def seed_state(model):
    """The values of `seed_variables(model)`, as NumPy arrays."""
    return [keras.ops.convert_to_numpy(v.value) for v in seed_variables(model)]


def restore_seed_state(model, state):
    """Assigns a `seed_state` of the same model back; returns the number of states assigned.

    Raises:
        ValueError: `state` is of another model (another number or shape of generators).
    """
    own = seed_variables(model)
    if len(own) != len(state) or any(tuple(v.shape) != np.shape(s) for v, s in zip(own, state)):
        raise ValueError(f"the saved random state is of other layers: {len(state)} generator state(s) saved, "
                         f"{len(own)} in model {model.name!r}")
    for v, s in zip(own, state):
        v.assign(np.asarray(s, dtype=v.dtype))
    return len(own)


def save_seed_state(model, path):
    """`seed_state(model)` as an .npz file, atomically; returns the path."""
    with atomic_path(path) as tmp:
        np.savez(tmp, *seed_state(model))
    return os.fspath(path)


def load_seed_state(model, path):
    """Restores what `save_seed_state` wrote to `path` into `model`; False when there is no such file
    (a run folder written before the state was kept: its random layers start again)."""
    if not os.path.isfile(path):
        return False
    with np.load(path) as saved:
        restore_seed_state(model, [saved[f"arr_{i}"] for i in range(len(saved.files))])
    return True


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` whose weights (optimizer included) and epoch counter are written to
    temporary names and renamed, so a kill -9 during the save leaves the previous complete backup.

    It also keeps the state of the layers' random generators (augmentation, dropout: seeds.npz,
    `seed_state`), which `save_weights` leaves out: a resumed epoch draws the
    rotations and dropout masks the uninterrupted run would have drawn."""

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        tmp = os.path.join(self.backup_dir, ".tmp.latest.weights.h5")
        with outside():  # process 0 alone saves a distributed run
            self.model.save_weights(tmp, overwrite=True)
        os.replace(tmp, self._weights_path)
        save_seed_state(self.model, self._seeds_path)
        tmp_meta = self._training_metadata_path + ".tmp"
        with open(tmp_meta, "w") as f:
            json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, f)
        os.replace(tmp_meta, self._training_metadata_path)

    @property
    def _seeds_path(self):
        return os.path.join(self.backup_dir, "seeds.npz")

    def _load_model(self):
        super()._load_model()
        if os.path.exists(self._training_metadata_path):
            load_seed_state(self.model, self._seeds_path)


class RestoreOnly(AtomicBackupAndRestore):
    """The backup's reading half, for the processes of a distributed run other than process 0:
    they resume from the backup process 0 writes and never write or delete it themselves."""

    def __init__(self, backup_dir):
        super().__init__(backup_dir, double_checkpoint=False, delete_checkpoint=False)

    def _save_model(self):
        pass


class PhaseBackup(AtomicBackupAndRestore):
    """The backup of one phase of a fit in several phases (transfer: head, then fine-tune), each
    phase in its own folder since each has its own optimizer.

    Besides the weights, optimizer state and epoch counter it keeps the logs of the phase's
    finished epochs (logs.json, written before the counter), so a resumed phase reports every
    epoch; `restore()` loads a phase that finished before a kill without fitting it again. The
    folder is kept at the end of the phase (the run removes it once finished).

    Args:
        backup_dir: the phase's folder.
        first_epoch: the epoch the phase starts at (epochs count from the start of the run).
    """

    def __init__(self, backup_dir, *, first_epoch=0):
        super().__init__(backup_dir, delete_checkpoint=False, double_checkpoint=False)
        self.first_epoch = first_epoch
        self.logs = []
        self._logs_path = os.path.join(backup_dir, "logs.json")

    def finished_epochs(self):
        """Epochs of the run (not of the phase) this backup holds."""
        return backup_epoch(self.backup_dir)

    def restore(self, model):
        """Loads the backed-up weights and optimizer state into `model` (compiled as for the phase)."""
        self.set_model(model)
        self.on_train_begin()
        self.on_train_end()

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        kept = self.finished_epochs() - self.first_epoch
        self.logs = (read_json_or_none(self._logs_path) or [])[: max(kept, 0)]  # a kill may leave one too many

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append({k: float(v) for k, v in (logs or {}).items()})
        super().on_epoch_end(epoch, logs)

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        write_json(self._logs_path, self.logs)
        super()._save_model()

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        self.model._initial_epoch = None  # BackupAndRestore's restored epoch would override the next fit's


class BestModel(keras.callbacks.Callback):
    """Saves `model` (the network without augmentation layers) atomically whenever `monitor`
    improves; `best` seeds the value so far (read from the CSV log on resume), so a restarted
    run does not overwrite a better checkpoint with a worse one."""

    def __init__(self, model, path, *, monitor="val_loss", mode="min", best=None):
        super().__init__()
        self.net, self.path, self.monitor, self.mode = model, path, monitor, mode
        self.best = best if best is not None else (math.inf if mode == "min" else -math.inf)
        self.best_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or math.isnan(value):
            return
        better = value < self.best if self.mode == "min" else value > self.best
        if better:
            self.best, self.best_epoch = float(value), epoch
            with outside():  # process 0 alone saves a distributed run
                save_model(self.net, self.path)


class StopOnInterrupt(keras.callbacks.Callback):
    """Raises a Ctrl-C that arrived during the fit (held by `zoo.interrupts.deferred()`) at the end
    of the batch or epoch: the step, the writers and the checkpoints are never cut half-way."""

    def on_train_batch_end(self, batch, logs=None):
        interrupts.check()

    def on_test_batch_end(self, batch, logs=None):
        interrupts.check()

    def on_epoch_end(self, epoch, logs=None):
        interrupts.check()


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first NaN/inf loss and remembers where, for a message naming causes."""

    def __init__(self):
        super().__init__()
        self.nan_at = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.nan_at = batch
            self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        # A diverged loss may be clipped or NaN-dropped back to a finite number on some CPUs
        # (min/max kernels that return the non-NaN operand); the weights do not lie.
        if self.nan_at is None and not all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in self.model.trainable_weights):
            self.nan_at = max(int(self.params.get("steps") or 1) - 1, 0)
            self.model.stop_training = True


class EpochLine(keras.callbacks.Callback):
    """One progress line per epoch ("  epoch 3/5: loss 0.4211, accuracy 0.8750") through `log`
    (default: print, flushed), where Keras' own progress output is off (verbose=0)."""

    def __init__(self, log=None, *, digits=4):
        super().__init__()
        self.log, self.digits = log or (lambda line: print(line, flush=True)), digits

    def on_epoch_end(self, epoch, logs=None):
        if self.params.get("verbose"):
            return
        shown = ", ".join(f"{k} {v:.{self.digits}f}" for k, v in (logs or {}).items() if k != "learning_rate")
        self.log(f"  epoch {epoch + 1}/{self.params.get('epochs')}: {shown}")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def nan_message(epoch, batch):
    return f"training stopped: the loss became NaN/inf in epoch {epoch + 1}, batch {batch + 1}. Likely causes: {NAN_CAUSES}."


class EpochTimer(keras.callbacks.Callback):
    """Wall time per epoch, whole and of its training steps alone.

    Put it last among the callbacks: an epoch then runs from its start to the end of every other
    callback's end-of-epoch work (validation, checkpoints, logs), and the steps from its start to
    the end of its last training batch. The difference is what an epoch spends beyond training.
    Throughput leaves out the first epoch (tracing and compilation) when there are more."""

    def __init__(self):
        super().__init__()
        self.times, self.step_times = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._t = self._steps_end = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._steps_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._t)
        self.step_times.append(self._steps_end - self._t)

    @staticmethod
    def _steady(times):
        t = sorted(times[1:] or times)
        return t[len(t) // 2] if t else None

    def _rate(self, times, count, digits):
        s = self._steady(times)
        return round(count / s, digits) if s else None

    def steps_per_second(self, steps):
        return self._rate(self.times, steps, 2)

    def images_per_second(self, n):
        """`n` training images over the median steady epoch, validation and checkpoints included."""
        return self._rate(self.times, n, 1)

    def step_images_per_second(self, n):
        """`n` training images over the median steady epoch's training steps alone."""
        return self._rate(self.step_times, n, 1)

    def overhead_seconds(self):
        """Median seconds a steady epoch spends beyond its training steps (validation, checkpoints)."""
        s = self._steady([t - st for t, st in zip(self.times, self.step_times)])
        return round(s, 2) if s is not None else None
