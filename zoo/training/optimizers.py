"""Optimizers and learning-rate schedules by name (the seeds' optimizer deck).

`make_optimizer("nesterov", lr=0.05, schedule="cosine", total_steps=1000)`; the "plateau"
schedule is `ReduceLROnPlateau`, a callback that sets a plain learning rate, so it cannot be
combined with a schedule object (Keras raises "not settable"): that pair is refused up front.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from zoo.io import atomic_path
from zoo.training.names import OPTIMIZERS, SCHEDULES

# A learning rate that works for small CNNs with each optimizer (adadelta's 1.0 is the paper's).
DEFAULT_LR = {
    "sgd": 0.05,
    "momentum": 0.02,
    "nesterov": 0.02,
    "adagrad": 0.05,
    "adadelta": 1.0,
    "rmsprop": 1e-3,
    "adam": 1e-3,
    "adamw": 1e-3,
}


def _check(arg, value, allowed):
    if value not in allowed:
        raise ValueError(f"`{arg}` must be one of {', '.join(allowed)}. Received: {arg}={value!r}")


def make_schedule(name, lr, *, total_steps, steps_per_epoch=None, warmup_steps=None):
    """A learning rate (float) or `LearningRateSchedule` for schedule `name`.

    step: x0.1 at 50 % and 75 % of training; exponential: x0.1 over the run; cosine: to 0 over the run;
    warmup_cosine: linear warm-up over 5 % of the steps (at least one epoch), then cosine;
    constant / plateau: the float `lr` (plateau's callback comes from `plateau_callback`).
    """
    _check("schedule", name, SCHEDULES)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"`lr` must be a number > 0. Received: lr={lr!r}")
    total_steps = max(int(total_steps), 1)
    S = keras.optimizers.schedules
    if name in ("constant", "plateau"):
        return float(lr)
    if name == "step":
        return S.PiecewiseConstantDecay(
            [max(1, total_steps // 2), max(2, (3 * total_steps) // 4)], [lr, lr * 0.1, lr * 0.01]
        )
    if name == "exponential":
        return S.ExponentialDecay(lr, decay_steps=total_steps, decay_rate=0.1)
    if name == "cosine":
        return S.CosineDecay(lr, decay_steps=total_steps)
    warm = warmup_steps or max(int(0.05 * total_steps), steps_per_epoch or 1)
    warm = min(warm, max(total_steps - 1, 1))
    return S.CosineDecay(
        0.0, decay_steps=max(total_steps - warm, 1), warmup_target=lr, warmup_steps=warm
    )


def make_optimizer(name="adam", lr=None, *, schedule="constant", total_steps=1, steps_per_epoch=None, weight_decay=None):
    """A Keras optimizer by name, its learning rate driven by `schedule`.

    Args:
        name: one of OPTIMIZERS (momentum = SGD 0.9, nesterov = SGD 0.9 Nesterov).
        lr: base learning rate (default DEFAULT_LR[name]), or a LearningRateSchedule object.
        schedule: one of SCHEDULES.
        total_steps / steps_per_epoch: length of training in optimizer steps.
        weight_decay: decoupled weight decay (adamw default 1e-4; others None).
    """
    _check("optimizer", name, OPTIMIZERS)
    _check("schedule", schedule, SCHEDULES)
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        if schedule == "plateau":
            raise ValueError(
                "schedule='plateau' (ReduceLROnPlateau) cannot drive a LearningRateSchedule object: it sets the "
                "learning rate itself. Pass a number as lr with 'plateau', or use a schedule without 'plateau'. "
                f"Received: lr={type(lr).__name__}, schedule='plateau'"
            )
        rate = lr
    else:
        rate = make_schedule(schedule, DEFAULT_LR[name] if lr is None else lr, total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    O = keras.optimizers
    wd = {"weight_decay": weight_decay} if weight_decay else {}
    if name == "sgd":
        return O.SGD(rate, **wd)
    if name == "momentum":
        return O.SGD(rate, momentum=0.9, **wd)
    if name == "nesterov":
        return O.SGD(rate, momentum=0.9, nesterov=True, **wd)
    if name == "adagrad":
        return O.Adagrad(rate, **wd)
    if name == "adadelta":
        return O.Adadelta(rate, **wd)
    if name == "rmsprop":
        return O.RMSprop(rate, **wd)
    if name == "adam":
        return O.Adam(rate, **wd)
    return O.AdamW(rate, weight_decay=1e-4 if weight_decay is None else weight_decay)


def plateau_callback(optimizer, *, monitor="val_loss", factor=0.5, patience=3, min_lr=1e-6):
    """ReduceLROnPlateau for `optimizer`; refuses an optimizer driven by a schedule object."""
    if isinstance(getattr(optimizer, "_learning_rate", None), keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError(
            "ReduceLROnPlateau cannot change a learning rate driven by a LearningRateSchedule "
            f"({type(optimizer._learning_rate).__name__}): use schedule='plateau' with a constant lr, or drop the plateau callback"
        )
    return keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=factor, patience=patience, min_lr=min_lr, verbose=1)


def learning_rate_at(optimizer, step):
    """The learning rate the optimizer uses at `step` (float), schedule or not."""
    lr = getattr(optimizer, "_learning_rate", optimizer.learning_rate)
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        return float(keras.ops.convert_to_numpy(lr(step)))
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def save_optimizer_state(optimizer, path):
    """The optimizer's variables (step count, learning rate, moments) as an .npz file, atomically,
    so a finished run can be extended with them (`continue_optimizer`)."""
    store = {}
    optimizer.save_own_variables(store)
    with atomic_path(path) as tmp:
        np.savez(tmp, **store)
    return os.fspath(path)


def continue_optimizer(optimizer, variables, path, steps):
    """Gives `optimizer` (compiled, not yet stepped) the state `save_optimizer_state` wrote to
    `path` after `steps` steps on `variables` (the trainable variables it will update): the
    moments go on and a schedule continues where it stopped, so 4 epochs extended by 2 train as
    6 epochs would. Without a matching file (a run saved before the state was kept) only the
    step count is set. Returns whether the whole state was restored."""
    if os.path.isfile(path):
        optimizer.build(variables)
        with np.load(path) as f:
            store = {k: f[k] for k in f.files}
        ours = optimizer.variables
        if len(store) == len(ours) and all(store[str(i)].shape == tuple(v.shape) for i, v in enumerate(ours)):
            optimizer.load_own_variables(store)
            return True
    optimizer.iterations.assign(steps)
    return False


def add_l2(model, factor):
    """L2 penalty `factor * sum(w**2)` on every kernel of `model` (weight decay in the loss).

    Returns the model (changed in place: kernel_regularizer set, losses re-tracked)."""
    if not factor:
        return model
    if factor < 0:
        raise ValueError(f"`l2` must be >= 0. Received: l2={factor!r}")
    reg = keras.regularizers.L2(factor)
    n = 0
    for layer in _all_layers(model):
        if hasattr(layer, "kernel_regularizer") and getattr(layer, "kernel", None) is not None:
            layer.kernel_regularizer = reg
            # Keras collects regularization losses from layer._losses at call time via `add_loss`;
            # a regulariser set after build is applied through `layer.kernel.regularizer`.
            layer.kernel.regularizer = reg
            n += 1
    if n == 0:
        raise ValueError(f"`l2`: model {model.name!r} has no layer with a kernel to regularise")
    return model


def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)
        else:
            yield layer
