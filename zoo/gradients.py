"""Gradients on any Keras backend (TensorFlow, JAX, torch): of a scalar function of a model's
output with respect to its input or its weights."""

from __future__ import annotations

import keras
import numpy as np


def input_gradient(model, x, weights):
    """d sum(model(x) * weights) / d x, as numpy (same shape as x), in inference mode.

    `weights` has the output's shape (e.g. one-hot rows select one class score per image)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # the running backend's own autodiff, imported on that backend only

        xt = tf.convert_to_tensor(x)
        wt = tf.convert_to_tensor(weights, dtype=xt.dtype)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            f = tf.reduce_sum(tf.cast(model(xt, training=False), xt.dtype) * wt)
        return tape.gradient(f, xt).numpy()
    if backend == "jax":
        import jax  # the running backend's own autodiff, imported on that backend only
        import jax.numpy as jnp

        tv = [v.value for v in model.trainable_variables]
        ntv = [v.value for v in model.non_trainable_variables]

        def f(xx):
            y, _ = model.stateless_call(tv, ntv, xx, training=False)
            return jnp.sum(y.astype(xx.dtype) * jnp.asarray(weights, dtype=xx.dtype))

        return np.asarray(jax.grad(f)(jnp.asarray(x)))
    if backend == "torch":
        import torch  # the running backend's own autodiff, imported on that backend only

        xt = torch.tensor(np.asarray(x), requires_grad=True)
        f = (model(xt, training=False) * torch.as_tensor(np.asarray(weights), dtype=xt.dtype)).sum()
        f.backward()
        return xt.grad.detach().cpu().numpy()
    raise ValueError(f"gradients are not supported on backend {backend!r}")


def loss_and_weight_gradients(model, x, weights):
    """(f, [d f / d w for w in trainable_variables]) for f = sum(model(x) * weights), as numpy."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # the running backend's own autodiff, imported on that backend only

        xt = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            out = model(xt, training=False)
            f = tf.reduce_sum(out * tf.convert_to_tensor(weights, dtype=out.dtype))
        grads = tape.gradient(f, model.trainable_variables)
        return float(f.numpy()), [np.zeros(v.shape) if g is None else g.numpy() for v, g in zip(model.trainable_variables, grads)]
    if backend == "jax":
        import jax  # the running backend's own autodiff, imported on that backend only
        import jax.numpy as jnp

        ntv = [v.value for v in model.non_trainable_variables]

        def f(tv):
            y, _ = model.stateless_call(tv, ntv, jnp.asarray(x), training=False)
            return jnp.sum(y * jnp.asarray(weights, dtype=y.dtype))

        tv = [v.value for v in model.trainable_variables]
        val, grads = jax.value_and_grad(f)(tv)
        return float(val), [np.asarray(g) for g in grads]
    if backend == "torch":
        import torch  # the running backend's own autodiff, imported on that backend only

        out = model(torch.as_tensor(np.asarray(x)), training=False)
        f = (out * torch.as_tensor(np.asarray(weights), dtype=out.dtype)).sum()
        params = [v.value for v in model.trainable_variables]
        grads = torch.autograd.grad(f, params, allow_unused=True)
        return float(f.detach()), [np.zeros(tuple(p.shape)) if g is None else g.detach().cpu().numpy() for p, g in zip(params, grads)]
    raise ValueError(f"gradients are not supported on backend {backend!r}")


def forward_value(model, x, weights):
    """sum(model(x) * weights) as a Python float (float64 when the model is)."""
    out = keras.ops.convert_to_numpy(model(x, training=False))
    return float(np.sum(out.astype(np.float64) * np.asarray(weights, dtype=np.float64)))
