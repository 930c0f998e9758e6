"""Trusted probes: a model the submission built is described here, in the trusted process,
from the plain data its child sent (Keras config as JSON text + weights, `worker.export_model`),
rebuilt with `safe_mode` (no Lambda layers, no code from the child). Summaries, parameter
counts, layer kinds and outputs are computed from that rebuilt model, so a child that forges
a summary gets nothing: it can only send a model, and the model is what gets graded."""

from __future__ import annotations

import json
import os
import sys

TRUSTED_KWARGS = ("x", "training_too")  # applied here; the other probe arguments go to the child


class ProbeError(ValueError):
    """The child's model could not be rebuilt from its description."""


def _check_modules(obj, depth=0):
    """Every class a config names comes from Keras itself (custom classes cannot be rebuilt
    without the submission's code, which never runs here)."""
    if depth > 200:
        raise ProbeError("the model's config is nested too deeply")
    if isinstance(obj, dict):
        mod = obj.get("module")
        if isinstance(mod, str) and "class_name" in obj and not (mod == "keras" or mod.startswith("keras.")):
            raise ProbeError(f"the model uses {obj.get('class_name')!r} from {mod!r}: only built-in Keras layers can be "
                             "graded (no custom or Lambda layers)")
        for v in obj.values():
            _check_modules(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _check_modules(v, depth + 1)


def rebuild(data):
    """{"config": JSON text, "weights": [arrays]} -> a keras.Model (safe_mode)."""
    import keras

    try:
        config = json.loads(data["config"])
        weights = list(data["weights"])
    except (KeyError, TypeError, ValueError) as e:
        raise ProbeError(f"the model's description could not be read: {e}") from None
    _check_modules(config)
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        if not isinstance(model, keras.Model):
            raise ProbeError(f"the description is a {type(model).__name__}, not a keras.Model")
        model.set_weights(weights)
    except ProbeError:
        raise
    except Exception as e:  # noqa: BLE001 - any Keras failure to rebuild is the submission's
        raise ProbeError(f"the model could not be rebuilt from its config: {type(e).__name__}: {str(e)[:500]}") from None
    return model


def describe(probe, value, **trusted):
    """The trusted summary of a probe's reply; the reply must have the probe's shape (a model
    description where a model is expected), so a hard-coded summary is refused."""
    if probe in ("model", "block", "transfer"):
        return _model(value, trusted)
    if probe == "models":
        if not isinstance(value, (list, tuple)) or not value:
            raise ProbeError("expected the descriptions of several models")
        return tuple(_model(v, trusted) for v in value)
    if probe == "hypermodel":
        if not isinstance(value, dict) or set(value) != {"space", "model"}:
            raise ProbeError("expected a search space and a model")
        return {"space": value["space"], "model": _model(value["model"], trusted)}
    raise ProbeError(f"unknown probe {probe!r}")


def _model(value, trusted):
    if not isinstance(value, dict) or set(value) != {"__model__"} or not isinstance(value["__model__"], dict):
        raise ProbeError("the child did not send a model (a summary made up in the child is not accepted)")
    return describe_model(rebuild(value["__model__"]), **trusted)


# XLA on the CPU: LLVM's optimisation of each compiled kernel costs ~1 s of a busy core per new
# shape (every weight initializer of a Keras layer is one), i.e. minutes per U-Net on JAX CPU;
# at level 0 compiling is ~10x faster and the graded models are far too small for the slower
# code to matter. Not used where a GPU is present (its kernels stay optimised).
CPU_XLA_FLAGS = "--xla_backend_optimization_level=0"


def prepare_backend():
    """The trusted side computes on the CPU (JAX_PLATFORMS=cpu: on a GPU machine it would
    otherwise take the GPU memory the children need), with XLA at the children's low CPU
    optimisation level (CPU_XLA_FLAGS). Only before Keras is imported here."""

    if os.environ.get("KERAS_BACKEND") == "jax" and "jax" not in sys.modules:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        os.environ.setdefault("XLA_FLAGS", CPU_XLA_FLAGS)


def describe_model(model, x=None, training_too=False):
    """Parameter counts, shapes, per-layer config (flattened, nested models included)."""
    import keras
    import numpy as np

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")

    def shape_of(t):
        try:
            return [None if d is None else int(d) for d in t.shape]
        except Exception:
            return None

    def count(ws):
        return int(sum(int(np.prod(w.shape)) for w in ws))

    rows = []

    def walk(m, prefix):
        for layer in m.layers:
            cfg = layer.get_config()
            row = {
                "class": type(layer).__name__,
                "name": prefix + layer.name,
                "trainable": bool(layer.trainable),
                "params": count(layer.weights),
                "trainable_params": count(layer.trainable_weights),
            }
            for key in ("activation", "padding", "strides", "pool_size", "rate", "kernel_size",
                        "filters", "units", "use_bias", "momentum", "epsilon"):
                if key in cfg:
                    v = cfg[key]
                    row[key] = list(v) if isinstance(v, tuple) else v
            for key in ("kernel_regularizer",):
                if cfg.get(key):
                    reg = cfg[key]
                    row[key] = {"class": reg.get("class_name"), "config": {k: float(v) for k, v in reg.get("config", {}).items() if isinstance(v, (int, float))}}
            try:
                row["output_shape"] = shape_of(layer.output)
            except Exception:
                row["output_shape"] = None
            rows.append(row)
            if isinstance(layer, keras.Model):
                walk(layer, prefix + layer.name + "/")

    walk(model, "")
    outs = model.outputs if isinstance(model.outputs, (list, tuple)) else [model.outputs]
    out = {
        "params": int(model.count_params()),
        "trainable_params": count(model.trainable_weights),
        "non_trainable_params": count(model.non_trainable_weights),
        "output_shape": [shape_of(o) for o in outs] if len(outs) != 1 else shape_of(outs[0]),
        "input_shape": shape_of(model.inputs[0]) if model.inputs else None,
        "layers": rows,
        "compiled": getattr(model, "optimizer", None) is not None and bool(getattr(model, "compiled", True)),
        "loss": None if getattr(model, "loss", None) is None else str(getattr(model.loss, "name", model.loss)),
        "learning_rate": _learning_rate(model),
    }
    if x is not None:
        if keras.backend.backend() == "jax":  # one XLA compile of the whole model, not one per op
            out["pred"] = np.asarray(model.predict(x, verbose=0, batch_size=len(x)))
        else:
            out["pred"] = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))
        if training_too:
            out["pred_train"] = np.asarray(keras.ops.convert_to_numpy(model(x, training=True)))
    return out


def preload():
    """Imports Keras in the trusted process (the plugin starts it in a thread at configure, so it
    overlaps the fork server's own import instead of adding to the grading time)."""
    prepare_backend()
    import keras  # noqa: F401


def _learning_rate(model):
    """The compiled optimizer's learning rate (a float; None when not compiled or a schedule)."""
    import keras

    opt = getattr(model, "optimizer", None)
    if opt is None:
        return None
    try:
        return float(keras.ops.convert_to_numpy(opt.learning_rate))
    except (TypeError, ValueError, AttributeError):
        return None

