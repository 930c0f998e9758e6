"""Float64 finite-difference gradient check, run as `python -m zoo.training.gradcheck DIR SEED`
(a fresh process, so `JAX_ENABLE_X64` takes effect before JAX starts). DIR holds model.json,
weights.npz and x.npy; prints one JSON line."""

from __future__ import annotations

import json
import os
import sys

import keras
import numpy as np

from zoo.gradients import forward_value, input_gradient, loss_and_weight_gradients


def _to_float64(obj):
    """Every dtype in a Keras model config set to float64."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == "dtype" and v in ("float32", "float16", "bfloat16"):
                out[k] = "float64"
            elif k == "name" and v in ("float32", "mixed_float16", "mixed_bfloat16") and obj.get("__dtype_policy__", True):
                out[k] = "float64"
            else:
                out[k] = _to_float64(v)
        return out
    if isinstance(obj, list):
        return [_to_float64(v) for v in obj]
    return obj


def main(folder, seed=0, eps=1e-6, per_variable=3, n_input=8):
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    keras.config.set_floatx("float64")
    with open(os.path.join(folder, "model.json")) as f:
        config = _to_float64(json.load(f))
    model = keras.models.model_from_json(json.dumps(config))
    w = np.load(os.path.join(folder, "weights.npz"))
    model.set_weights([w[f"arr_{i}"].astype(np.float64) for i in range(len(w.files))])
    x = np.load(os.path.join(folder, "x.npy")).astype(np.float64)
    rng = np.random.default_rng(seed)
    # Jitter the inputs: on a blank border a zero-initialised bias puts every ReLU exactly at its
    # kink (and max-pool windows in ties), where finite differences and gradients legitimately differ.
    x = x + rng.uniform(0.01, 0.05, size=x.shape)
    out = keras.ops.convert_to_numpy(model(x, training=False))
    dtype = str(out.dtype)
    r = rng.normal(size=out.shape)
    errors, where = [], []

    def rel(a, n):
        return abs(a - n) / max(abs(a) + abs(n), 1e-8)

    g = input_gradient(model, x, r)
    for _ in range(n_input):
        idx = tuple(int(rng.integers(0, d)) for d in x.shape)
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        num = (forward_value(model, xp, r) - forward_value(model, xm, r)) / (2 * eps)
        errors.append(rel(g[idx], num))
        where.append(f"input{list(idx)}")
    _, grads = loss_and_weight_gradients(model, x, r)
    for var, gw in zip(model.trainable_variables, grads):
        base = keras.ops.convert_to_numpy(var).astype(np.float64)
        for _ in range(per_variable):
            idx = tuple(int(rng.integers(0, d)) for d in base.shape)
            vals = []
            for sign in (1, -1):
                v = base.copy()
                v[idx] += sign * eps
                var.assign(v)
                vals.append(forward_value(model, x, r))
            var.assign(base)
            num = (vals[0] - vals[1]) / (2 * eps)
            errors.append(rel(gw[idx], num))
            if os.environ.get("ZOO_GRADCHECK_DEBUG"): print(var.path, idx, gw[idx], num, file=sys.stderr)
            where.append(f"{var.path}{list(idx)}")
    custom = sorted({type(l).__name__ for l in _layers(model) if not type(l).__module__.startswith("keras.")})
    k = int(np.argmax(errors))
    print(json.dumps({"dtype": dtype, "entries": len(errors), "max_rel_error": float(errors[k]), "worst": where[k], "custom_layers": custom}))


def _layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
