"""The fit of every kind of run (`zoo train`, each phase of `zoo transfer`): epochs
`initial_epoch`..`epochs` over batches in the order of (seed, epoch) (`zoo.data.order`), so a
resumed fit sees the batches an uninterrupted one would; a Ctrl-C held to the end of the batch
(`zoo.interrupts`); a NaN/inf loss stopped and raised as `TrainingDiverged` naming likely causes."""

from __future__ import annotations

from zoo import interrupts
from zoo.data.order import EpochBatches
from zoo.training.callbacks import NaNGuard, StopOnInterrupt, TrainingDiverged, nan_message


def fit_epochs(trainer, x, y, *, batch_size, seed, epochs, initial_epoch=0, validation_data=None, callbacks=(), verbose=0):
    """Fits compiled `trainer` on (x, y) from epoch `initial_epoch` to `epochs` (counted from the
    start of the run) with `callbacks` between the NaN guard and the Ctrl-C check (the last: a
    Ctrl-C at an epoch's end keeps that epoch's checkpoints). Returns Keras' History.

    Raises:
        TrainingDiverged: the loss became NaN/inf (the message says in which epoch and batch).
        KeyboardInterrupt: Ctrl-C, at the end of a batch or epoch.
    """
    batches = EpochBatches(x, y, batch_size=batch_size, seed=seed)
    guard = NaNGuard()
    with interrupts.deferred():
        history = trainer.fit(batches, validation_data=validation_data, epochs=epochs, initial_epoch=initial_epoch,
                              shuffle=False, verbose=verbose, callbacks=[batches.follow(), guard, *callbacks, StopOnInterrupt()])
    if guard.nan_at is not None:
        raise TrainingDiverged(nan_message(getattr(guard, "epoch", initial_epoch), guard.nan_at))
    return history
