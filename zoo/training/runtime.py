"""How `zoo train` runs on the machine: the seed, deterministic ops, and the fit settings that
measured fastest.

Measured for issue 20 on a 2-core AVX-512 machine shared with three other engineers' test runs
(load average 5-9.5 during every figure, so absolute numbers are low and noisy; each comparison is
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
  A second run (load ~8.5), same layout: `train_on_batch` loop 2,612; bare `fit` 4,162; `fit` +
  validation + callbacks 1,467, with validation_batch_size=256 (one validation batch) 1,471; with
  steps_per_execution=8 2,400, both 2,753; the first run had steps_per_execution at 0.92x.
  So the model's step is the same through `fit` as through a plain loop, and the callbacks cost
  nothing measurable; what an epoch spends beyond its steps is the validation pass, whose batch
  size does not matter. steps_per_execution measured 0.92x in one run and 1.6x in the other,
  within this machine's noise, and would make the NaN guard and the progress bar see one step in
  N: left at 1 until a quiet machine shows a gain.

`zoo train`'s path against the plain loop, ResNet-50 (zoo, batch 16, 224², Adam + cosine, 320
random images = 20 steps per round; one process, one compiled model, a plain `train_on_batch`
loop on converted tensors and one `fit` epoch on the numpy arrays with zoo's callbacks taking
turns, 4 rounds, quiet machine, load 1.5-2.1), images/s per round:
    | plain `train_on_batch` loop                                  | 5.47 5.68 5.65 5.93 | median 5.67 |
    | `fit` epoch, its training steps (tf.data slicing the arrays, |                     |             |
    |   shuffle, NaN guard, CSV log, TensorBoard, backup)          | 5.62 5.38 5.71 5.56 | 5.59: 0.99x |
    | the whole `fit` epoch (+ validation of 48, checkpoints)      | 5.24 5.01 5.28 5.11 | 5.18: 0.91x |
  `zoo bench --model resnet50 --batch-size 16 --steps 20 --repeats 3 --zoo-train` in one run
  (zoo train itself, after the loop's rounds): steps 0.97x, whole epochs 0.93x the plain loop.
  An epoch's end, measured apart: validation of 48 images 1.8-2.0 s; the backup (weights and
  Adam's moments, 283 MB) 0.7-0.9 s; best.keras 1.6-1.7 s when val_loss improves (a .keras file
  keeps the optimizer: 283 MB); the NaN guard's finite check of the weights 0.013 s. So the
  steps reach the plain loop, and an epoch adds the work it is asked for; metrics.json reports
  both (`step_images_per_second`, `epoch_overhead_seconds`).
  mixed_bfloat16 on this CPU (AVX512_BF16/AMX; `zoo bench --precision mixed_bfloat16`, 4 steps,
  2 rounds): zoo 6.29, keras.applications 6.82 images/s against float32's 5.81 / 5.95, +8-15 %
  for bf16's coarser rounding: not offered by `zoo train`.

With zoo's fused BatchNormalization (zoo/models/batchnorm.py, after the table above was taken):
`zoo bench --model resnet50 --batch-size 16 --steps 10 --repeats 3 --zoo-train`: plain loop 9.11
images/s (0.64 of the peak), zoo train's steps 9.34 (1.03x), whole epochs 8.65 (0.95x).

LeNet-5 on a quiet machine (1,312 random 32x32 images, batch 32, one process, 4-5 rounds taking
turns), steps of one `fit` epoch, images/s: NaN guard + timer 8,347; + CSV log 8,719; + best
model 8,638; + TensorBoard 7,928; + backup 8,452 — no callback costs more than the spread.
steps_per_execution=8 against 1 (NaN guard + timer): 9,193-10,019 vs 7,589-8,357, 1.17x on the
steps of a 4 ms step; nothing on ResNet-50's 1.8 s step. Left at 1: the NaN guard and a Ctrl-C
would see one step in 8, and a LeNet epoch's validation and checkpoints outweigh the gain.

Threads and oneDNN, ResNet-50 (batch 16, 224², `train_on_batch`, zoo and keras.applications
alternating, the float32 matmul peak measured in the same process; one process per setting,
load 7-9.5): fraction of peak reached (zoo / keras)
    | default (oneDNN on, TensorFlow's thread pools)         | 0.43 / 0.44, 0.53 / 0.47 |
    | inter-op threads 1 (`tf.config.threading`)             | 0.36 / 0.35, 0.40 / 0.41 |
    | TF_ENABLE_ONEDNN_OPTS=0                                 | 0.39 / 0.34              |
  So TensorFlow's defaults stay. XLA (jit_compile=True) is slower on this CPU path
  (TOOLCHAIN.md: ResNet-50 1.7x slower): Keras' "auto" keeps it off here, and `zoo bench
  --compile-modes xla` measures it again on any machine.

TensorFlow op determinism (`enable_op_determinism`), LeNet-5 demo fit, 6 epochs, median epoch,
two alternating processes each: off 2,035 / 2,843 images/s, on 3,745 / 2,688 — no cost within
the noise. ResNet-50 (batch 16, 224², Adam, `train_on_batch`, median of 5 steps, two alternating
processes each, load ~1.4): off 5.16 / 5.12 images/s, on 4.79 / 4.59 — 7-11 % slower. So the demo
(LeNet-5) runs with it and `zoo train` only with `--deterministic`. The same seed already gave the same history twice on this
machine without it; it guards the runs whose reductions or input pipeline could reorder. It
cannot make two different CPUs agree: oneDNN picks kernels per instruction set, whose float
rounding differs, so the demo's accuracy is stated over 5 seeds (README) rather than promised
to the digit.
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
