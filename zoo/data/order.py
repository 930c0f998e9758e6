"""The order a fit sees its training samples in: epoch e's is `epoch_order(n, seed, e)`, a pure
function of (seed, epoch), not of how many epochs this process has fitted. Keras' `shuffle=True`
draws from a random state that a restarted process begins again, so a run resumed after epoch 4
would train its epoch 5 in epoch 1's order; `EpochBatches` does not."""

from __future__ import annotations

import keras
import numpy as np


def epoch_order(n, seed, epoch):
    """The permutation of range(`n`) that epoch `epoch` (from 0) of a run seeded `seed` trains in."""
    return np.random.default_rng([int(seed) % 2**32, int(epoch)]).permutation(n)


class EpochBatches(keras.utils.PyDataset):
    """(x, y) in batches of `batch_size`, shuffled per epoch by `epoch_order`; fit it with
    `shuffle=False` and with `follow()` among the callbacks, which tells it the epoch.

    `x` and `y` are arrays of the same length, or nests of them (a dict of targets); `y` may be None.
    Any batch is a pure function of (seed, epoch, index), so prefetching cannot shift the order.
    """

    def __init__(self, x, y=None, *, batch_size, seed=0):
        super().__init__()
        self.x, self.y, self.batch_size, self.seed = x, y, int(batch_size), seed
        self.n = len(keras.tree.flatten(x)[0])
        self.epoch, self._order = 0, (None, None)

    def __len__(self):
        return -(-self.n // self.batch_size)

    def __getitem__(self, index):
        epoch, cached = self.epoch, self._order  # read once: a prefetching thread may draw beside this one
        if cached[0] != epoch:  # one permutation per epoch, not one per batch
            cached = self._order = (epoch, epoch_order(self.n, self.seed, epoch))
        order = cached[1]
        take = order[index * self.batch_size:(index + 1) * self.batch_size]
        pick = lambda a: a[take]  # noqa: E731
        x = keras.tree.map_structure(pick, self.x)
        return (x,) if self.y is None else (x, keras.tree.map_structure(pick, self.y))

    def follow(self):
        """The callback that sets the epoch whose order the batches follow."""
        return _FollowEpoch(self)


class _FollowEpoch(keras.callbacks.Callback):
    """Tells `EpochBatches` the epoch at its start, before the epoch's first batch is drawn."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.epoch = epoch
