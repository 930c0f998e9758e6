"""How `zoo train` runs on the machine: the seed and deterministic ops (`seeded`), and Keras'
fit settings, which stay at their defaults. Measured on 2 CPU cores (docs/benchmarks.md):

- Deterministic TensorFlow ops cost ResNet-50 7-11 % of its step and LeNet-5 nothing within the
  noise, so the demo runs with them and `zoo train` only with `--deterministic`. They cannot make
  two CPUs agree (oneDNN picks kernels per instruction set), so the demo's accuracy is stated
  over 5 seeds (README).
- `steps_per_execution` stays 1: 8 gains 1.17x on LeNet-5's 4 ms step and nothing on ResNet-50's
  1.8 s step, and would let the NaN guard and a Ctrl-C see one step in 8.
- `fit` with zoo's callbacks reaches a plain `train_on_batch` loop (ResNet-50 steps 1.03x); no
  callback costs more than the spread.
- TensorFlow's thread pools and oneDNN stay as they are (ResNet-50 at 0.43 of the matmul peak,
  0.36 with one inter-op thread, 0.39 without oneDNN); XLA stays off (1.7x slower on the CPU);
  mixed_bfloat16 is not offered (+8-15 % images/s for coarser rounding).
"""

from __future__ import annotations

import contextlib

import keras


@contextlib.contextmanager
def seeded(seed, *, deterministic=True):
    """Seeds Python, NumPy and the backend with `seed` (`keras.utils.set_random_seed`) and, on
    TensorFlow, turns on deterministic ops for the duration (restored afterwards: the switch is
    process-wide, and a notebook or test that trains next should get what it had)."""
    keras.utils.set_random_seed(seed)
    restore = None
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

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
