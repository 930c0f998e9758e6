"""Two-phase fine-tuning (head first, then the top blocks at a lower rate) and few-shot subsets."""

from __future__ import annotations

import os
import time

import keras
import numpy as np

from zoo.training.callbacks import PhaseBackup
from zoo.training.fitting import fit_epochs
from zoo.transfer.freezing import freeze, trainable_count, unfreeze_top
from zoo.transfer.heads import backbone_of


def few_shot(x, y, shots, *, seed=0):
    """`shots` examples of every class of (x, y), seeded: (x_few, y_few)."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    idx = []
    for k in np.unique(y):
        members = np.flatnonzero(y == k)
        if len(members) < shots:
            raise ValueError(f"class {k} has {len(members)} examples, fewer than shots={shots}")
        idx += list(rng.choice(members, shots, replace=False))
    idx = rng.permutation(np.asarray(idx))
    return x[idx], y[idx]


def _check_pair(arg, value, kind, minimum):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, kind) and not isinstance(v, bool) and v >= minimum for v in value)
    ):
        raise ValueError(f"`{arg}` must be a pair (phase 1, phase 2) of {kind.__name__ if isinstance(kind, type) else 'numbers'} >= {minimum}. Received: {arg}={value!r}")
    return tuple(value)


def fine_tune(
    model,
    x,
    y,
    *,
    validation_data=None,
    epochs=(5, 5),
    learning_rates=(1e-3, 1e-4),
    unfreeze=1,
    batch_size=32,
    callbacks=None,
    verbose=0,
    log=None,
    from_scratch=False,
    backup_dir=None,
    seed=0,
):
    """Two-phase fine-tuning of a `new_head` model.

    Phase 1 trains the head with the backbone frozen at `learning_rates[0]`; phase 2 unfreezes the
    top `unfreeze` blocks of the backbone (`blocks`) and trains on at `learning_rates[1]`.
    BatchNormalization layers stay in inference mode in both phases.

    Args:
        model: a model made by `new_head` / `encoder_classifier`.
        x, y: training images (N, H, W, C) in [0, 1] and integer labels (N,).
        validation_data: optional (x_val, y_val).
        epochs: (phase 1, phase 2) epochs, ints >= 0 (an int means both); a 0 skips the phase.
        learning_rates: (phase 1, phase 2) Adam learning rates.
        unfreeze: blocks of the backbone to unfreeze in phase 2 (0 = keep frozen; a large number = all).
        batch_size, callbacks, verbose: as in `model.fit`.
        log: a function taking one line of progress (default: print to stdout, flushed).
        from_scratch: the backbone has random weights: one phase, `epochs[0] + epochs[1]` epochs
            at `learning_rates[0]` with every layer trainable (BatchNormalization included; build
            the model with `new_head(..., backbone_training=True)`). Freezing random features
            first would train a head on noise.
        backup_dir: a folder that backs each phase up after every epoch (`backup_dir/phase1`,
            `phase2`: weights, optimizer state, logs). Called again with the same folder after a
            kill or Ctrl-C, a finished phase is restored, not trained again, and the phase that was
            cut resumes after its last finished epoch. The caller removes the folder when done.
        seed: seeds the order of the training images, reshuffled every epoch as a function of
            (seed, epoch) (`zoo.data.order.EpochBatches`), so a resumed phase sees the batches
            an uninterrupted one would.

    Returns:
        {"history": {metric: [per epoch over both phases]}, "phase": [1, 1, ..., 2, 2],
        "phases": [{"phase", "epochs", "learning_rate", "trainable_params", "unfrozen_blocks", "seconds", metrics...}]}
    """
    epochs = _check_pair("epochs", epochs, int, 0)
    learning_rates = _check_pair("learning_rates", learning_rates, (int, float), 0)
    if sum(epochs) < 1:
        raise ValueError(f"`epochs` must give at least one epoch in total. Received: epochs={epochs!r}")
    if not all(lr > 0 for lr in learning_rates):
        raise ValueError(f"`learning_rates` must be > 0. Received: learning_rates={learning_rates!r}")
    log = log or (lambda line: print(line, flush=True))
    backbone = backbone_of(model)
    history, phase_of, phases = {}, [], []
    fit = dict(batch_size=batch_size, seed=seed, validation_data=validation_data, verbose=verbose, callbacks=list(callbacks or []))
    done = 0
    for phase, n_epochs, lr in _phases(epochs, learning_rates, unfreeze, from_scratch):
        name = "from scratch" if from_scratch else f"phase {phase}/2"
        unfrozen, what = _set_trainable(backbone, phase, unfreeze, from_scratch)
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        n_train = trainable_count(model)
        log(f"{name}: {what}; {n_train:,} of {model.count_params():,} parameters trainable; "
            f"{n_epochs} epoch(s) at learning rate {lr:g}")
        t0 = time.time()
        backup = None if backup_dir is None else PhaseBackup(os.path.join(backup_dir, f"phase{phase}"), first_epoch=done)
        logs = _fit_phase(model, x, y, backup, first=done, epochs=n_epochs, log=log, name=name, **fit)
        seconds = time.time() - t0
        done += n_epochs
        for epoch_logs in logs:
            for k, v in epoch_logs.items():
                history.setdefault(k, []).append(float(v))
        phase_of += [phase] * n_epochs
        last = {k: float(v) for k, v in logs[-1].items() if k != "learning_rate"}
        phases.append({"phase": phase, "epochs": n_epochs, "learning_rate": lr, "trainable_params": n_train,
                       "unfrozen_blocks": unfrozen, "seconds": round(seconds, 1), **last})
        shown = ", ".join(f"{k} {v:.4f}" for k, v in last.items())
        log(f"{name} done in {seconds:.1f} s: {shown}")
    return {"history": history, "phase": phase_of, "phases": phases}


def _phases(epochs, learning_rates, unfreeze, from_scratch):
    """(phase, epochs, learning rate) of each phase that trains: from scratch one phase of all the
    epochs at the first rate; else phase 1 unless it has 0 epochs, phase 2 unless it has 0 epochs
    or nothing to unfreeze."""
    if from_scratch:
        return [(1, sum(epochs), learning_rates[0])]
    return [(p, n, lr) for p, n, lr in zip((1, 2), epochs, learning_rates) if n and (p == 1 or unfreeze)]


def _set_trainable(backbone, phase, unfreeze, from_scratch):
    """Makes the layers of `phase` trainable; returns (the unfrozen blocks, a description)."""
    if from_scratch:
        backbone.trainable = True
        for layer in backbone.layers:
            layer.trainable = True
        return ["all"], "whole network trainable (random init: nothing pretrained to freeze)"
    if phase == 1:
        freeze(backbone, None)
        return [], "head only, backbone frozen"
    unfrozen = unfreeze_top(backbone, unfreeze)
    shown = ", ".join(unfrozen[-4:]) + (", ..." if len(unfrozen) > 4 else "")
    return unfrozen, f"top {len(unfrozen)} block(s) of the backbone unfrozen ({shown})"


def _fit_phase(model, x, y, backup, *, first, epochs, log, name, callbacks, **fit):
    """The logs of the phase's epochs `first`..`first + epochs`: restored from `backup` when it
    finished before an interruption, else fitted (`zoo.training.fitting`), resuming after the
    backup's last finished epoch."""
    if backup is not None and backup.finished_epochs() >= first + epochs:
        backup.restore(model)
        log(f"{name}: finished before the interruption; restored from {backup.backup_dir}")
        return backup.logs
    h = fit_epochs(model, x, np.asarray(y), epochs=first + epochs, initial_epoch=first,
                   callbacks=[*callbacks, *([backup] if backup else [])], **fit)
    return backup.logs if backup else [dict(zip(h.history, v)) for v in zip(*h.history.values())]
