"""How `zoo train` runs on the machine: the seed, deterministic ops, and the fit settings that
measured fastest.

Measured for issue 20 on a 2-core AVX-512 machine shared with three other engineers' test runs
(load average 5-8 during every figure, so absolute numbers are low and noisy; each comparison is
within one run, settings taking turns, medians), TensorFlow 2.21 / Keras 3.15 on the CPU:

LeNet-5, the demo (1,293 digits, batch 32, augmented, 144 validation images), steady-state epoch
images/s (median of epochs 2-4 inside one `fit`, three rounds), load ~7:
    | path                                                    | images/s |
    | plain `train_on_batch` loop over numpy batches          |    3,674 |
    | `fit`, no validation, no callbacks                      |    3,971 |
    | `fit` + validation each epoch                           |    2,091 |
    | `fit` + validation + zoo's callbacks (`zoo train`)      |    2,701 |
    |   the same without TensorBoard                          |    2,394 |
    |   the same without the NaN guard's per-batch hook       |    2,281 |
    | `fit` with steps_per_execution=8, no validation         |    4,404 |
    | `fit` + validation + callbacks, steps_per_execution=8   |    2,485 |
  So the model's step is the same through `fit` as through a plain loop, and the callbacks cost
  nothing measurable; what an epoch spends beyond its steps is the validation pass (see
  `VALIDATION_BATCH_SIZE`). steps_per_execution gave nothing measurable once validation is on and
  would make the NaN guard and the progress bar see one step in N: left at 1.

TensorFlow op determinism (`enable_op_determinism`), LeNet-5 demo fit, 6 epochs, median epoch,
two alternating processes each: off 2,035 / 2,843 images/s, on 3,745 / 2,688 — no cost within
the noise, so `zoo train` turns it on. The same seed already gave the same history twice on this
machine without it; it guards the runs whose reductions or input pipeline could reorder. It
cannot make two different CPUs agree: oneDNN picks kernels per instruction set, whose float
rounding differs, so the demo's accuracy is stated over 5 seeds (README) rather than promised
to the digit.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def seeded(seed, *, deterministic=True):
    """Seeds Python, NumPy and the backend with `seed` (`keras.utils.set_random_seed`) and, on
    TensorFlow, turns on deterministic ops for the duration (restored afterwards: the switch is
    process-wide, and a notebook or test that trains next should get what it had)."""
    import keras

    keras.utils.set_random_seed(seed)
    restore = None
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:  # the switch's state and its undo are not public API: without them it stays on
            from tensorflow.python.framework.config import disable_op_determinism, is_op_determinism_enabled
        except ImportError:  # pragma: no cover
            disable_op_determinism, is_op_determinism_enabled = None, lambda: False
        if not is_op_determinism_enabled():
            tf.config.experimental.enable_op_determinism()
            restore = disable_op_determinism
    try:
        yield
    finally:
        if restore is not None:
            restore()
