"""BatchNormalization that runs TensorFlow's fused kernel on the TensorFlow backend.

Keras 3's `BatchNormalization` computes the batch moments and the normalization from separate
ops (`tf.nn.moments`, then `tf.nn.batch_normalization`), and autodiff differentiates each of
them: on the CPU every one of those elementwise passes and reductions goes through memory.
TensorFlow's `FusedBatchNormV3` (and its gradient op) does the same arithmetic in one kernel each
way, which oneDNN runs in one pass: zoo's ResNet-50 training step on 2 CPU cores goes from 6.0
to 8.7 images/s, 0.43 to 0.63 of the matmul peak (docs/benchmarks.md).

This layer is that one kernel and nothing else: same arguments, config, weights and semantics as
`keras.layers.BatchNormalization` (its subclass, so `isinstance` checks and checkpoint loaders
see a BatchNormalization): batch statistics in training when trainable, the moving statistics
otherwise, the moving averages updated as Keras does (with the biased batch variance), float32
arithmetic under mixed precision. Whatever the fused kernel does not cover (another backend —
JAX's XLA fuses on its own —, a mask, renorm, synchronized statistics, float64, an input that is
not 4-D channels-last) goes to Keras' own code unchanged. No library offers this for Keras 3
(tf.keras 2 had `fused=True`; Keras 3 dropped it), hence the subclass.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="zoo")
class BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization`, fused into one kernel on TensorFlow (module docstring)."""

    def _fusable(self, inputs, mask):
        return (
            keras.backend.backend() == "tensorflow"
            and mask is None
            and not self.renorm
            and not self.synchronized
            and len(inputs.shape) == 4
            and self.axis in (3, -1)
            and keras.backend.standardize_dtype(inputs.dtype) in ("float32", "float16", "bfloat16")
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # the TensorFlow backend only: `_fusable` checked it

        x = tf.cast(inputs, "float32")  # as Keras: statistics in float32 under mixed precision
        channels = x.shape[-1]
        scale = tf.cast(self.gamma, "float32") if self.scale else tf.ones([channels], "float32")
        offset = tf.cast(self.beta, "float32") if self.center else tf.zeros([channels], "float32")
        training = bool(training and self.trainable)  # as Keras: a frozen layer uses its moving statistics
        stats = ([tf.constant([], "float32")] * 2 if training
                 else [tf.cast(self.moving_mean, "float32"), tf.cast(self.moving_variance, "float32")])
        y, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=scale, offset=offset, mean=stats[0], variance=stats[1], epsilon=self.epsilon,
            data_format="NHWC", is_training=training,
        )
        if training:
            # The kernel returns the Bessel-corrected variance n/(n-1) (n = values per channel);
            # Keras averages the biased one into moving_variance, so undo the factor.
            n = tf.cast(tf.size(x, out_type=tf.int64) // channels, "float32")
            variance = variance * tf.maximum(n - 1.0, 0.0) / tf.maximum(n, 1.0)
            self.moving_mean.assign(tf.cast(self.moving_mean, "float32") * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                tf.cast(self.moving_variance, "float32") * self.momentum + variance * (1.0 - self.momentum)
            )
        return tf.cast(y, self.compute_dtype)
