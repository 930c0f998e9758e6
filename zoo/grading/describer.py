"""The describer: rebuilds a model from the plain data a submission's child sent (Keras config
as JSON text + weights, `worker.export_model`) with `safe_mode`, and describes it (parameter
counts, shapes, layer kinds, outputs, the learning rate). Only built-in Keras classes are
accepted, so no code of the child ever runs here.

It runs in a process of its own, forked from the grader's fork server (which has Keras imported
and has never run submission code) with the grader's identity, not the submission's: the
trusted process never imports Keras and gets the description back as plain data. Like
worker.py this file imports nothing from zoo: its source is executed in that process
(`worker.describer`); `serve` gets the wire functions of worker.py.
"""

import json
import os

import keras
import numpy as np


class ProbeError(ValueError):
    """The child's model could not be rebuilt from its description."""


def check_modules(obj, depth=0):
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
            check_modules(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            check_modules(v, depth + 1)


def rebuild(data):
    """{"config": JSON text, "weights": [arrays]} -> a keras.Model (safe_mode)."""
    try:
        config = json.loads(data["config"])
        weights = list(data["weights"])
    except (KeyError, TypeError, ValueError) as e:
        raise ProbeError(f"the model's description could not be read: {e}") from None
    check_modules(config)
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


def describe(probe, value, x=None, training_too=False):
    """The summary of a probe's reply; the reply must have the probe's shape (a model
    description where a model is expected), so a hard-coded summary is refused."""
    if probe in ("model", "block", "transfer"):
        return _model(value, x, training_too)
    if probe == "models":
        if not isinstance(value, (list, tuple)) or not value:
            raise ProbeError("expected the descriptions of several models")
        return tuple(_model(v, x, training_too) for v in value)
    if probe == "hypermodel":
        if not isinstance(value, dict) or set(value) != {"space", "model"}:
            raise ProbeError("expected a search space and a model")
        return {"space": value["space"], "model": _model(value["model"], x, training_too)}
    raise ProbeError(f"unknown probe {probe!r}")


def _model(value, x, training_too):
    if not isinstance(value, dict) or set(value) != {"__model__"} or not isinstance(value["__model__"], dict):
        raise ProbeError("the child did not send a model (a summary made up in the child is not accepted)")
    return describe_model(rebuild(value["__model__"]), x=x, training_too=training_too)


LAYER_KEYS = ("activation", "padding", "strides", "pool_size", "rate", "kernel_size",
              "filters", "units", "use_bias", "momentum", "epsilon", "negative_slope")


def _shape_of(t):
    try:
        return [None if d is None else int(d) for d in t.shape]
    except Exception:  # noqa: BLE001 - a layer without a symbolic output
        return None


def _count(ws):
    return int(sum(int(np.prod(w.shape)) for w in ws))


def _inbound(layer, prefix):
    """The names of the layers whose outputs this layer takes (every call of it), so checks can
    follow the graph (which layer a ReLU follows) instead of the order the layers were made in."""
    names = []
    for node in getattr(layer, "_inbound_nodes", []):
        for t in getattr(node, "input_tensors", ()):
            op = getattr(getattr(t, "_keras_history", None), "operation", None)
            name = None if op is None else prefix + op.name
            if name is not None and name not in names:
                names.append(name)
    return names


def _layer_rows(model, prefix=""):
    """One row per layer, nested models flattened (their layers named "outer/inner")."""
    rows = []
    for layer in model.layers:
        cfg = layer.get_config()
        row = {"class": type(layer).__name__, "name": prefix + layer.name, "trainable": bool(layer.trainable),
               "params": _count(layer.weights), "trainable_params": _count(layer.trainable_weights),
               "inbound": _inbound(layer, prefix)}
        for key in LAYER_KEYS:
            if key in cfg:
                v = cfg[key]
                row[key] = list(v) if isinstance(v, tuple) else v
        reg = cfg.get("kernel_regularizer")
        if reg:
            row["kernel_regularizer"] = {"class": reg.get("class_name"),
                                         "config": {k: float(v) for k, v in reg.get("config", {}).items() if isinstance(v, (int, float))}}
        try:
            row["output_shape"] = _shape_of(layer.output)
        except Exception:  # noqa: BLE001
            row["output_shape"] = None
        rows.append(row)
        if isinstance(layer, keras.Model):
            rows += _layer_rows(layer, prefix + layer.name + "/")
    return rows


def describe_model(model, x=None, training_too=False):
    """Parameter counts, shapes, per-layer config (flattened, nested models included) and,
    given `x`, the outputs (inference mode; training mode too with `training_too`)."""
    outs = model.outputs if isinstance(model.outputs, (list, tuple)) else [model.outputs]
    out = {
        "params": int(model.count_params()),
        "trainable_params": _count(model.trainable_weights),
        "non_trainable_params": _count(model.non_trainable_weights),
        "output_shape": [_shape_of(o) for o in outs] if len(outs) != 1 else _shape_of(outs[0]),
        "input_shape": _shape_of(model.inputs[0]) if model.inputs else None,
        "layers": _layer_rows(model),
        "compiled": getattr(model, "optimizer", None) is not None and bool(getattr(model, "compiled", True)),
        "loss": None if getattr(model, "loss", None) is None else str(getattr(model.loss, "name", model.loss)),
        "learning_rate": learning_rate(model),
    }
    if x is not None:
        if keras.backend.backend() == "jax":  # one XLA compile of the whole model, not one per op
            out["pred"] = np.asarray(model.predict(x, verbose=0, batch_size=len(x)))
        else:
            out["pred"] = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))
        if training_too:
            out["pred_train"] = np.asarray(keras.ops.convert_to_numpy(model(x, training=True)))
    return out


def learning_rate(model):
    """The compiled optimizer's learning rate (a float; None when not compiled or a schedule)."""
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return None
    try:
        return float(keras.ops.convert_to_numpy(opt.learning_rate))
    except (TypeError, ValueError, AttributeError):
        return None


def on_the_cpu():
    """JAX computes here on the CPU: on a GPU machine the GPU's memory is the children's."""
    if keras.backend.backend() == "jax":
        import jax  # imported already, by Keras on this backend

        jax.config.update("jax_platforms", "cpu")


def serve(req_fd, rep_fd, *, read_message, write_message, encode, decode):
    """Answers {"probe", "value", "trusted"} requests with {"ok", "value"} (or "error") until
    the request pipe closes."""
    on_the_cpu()
    while True:
        req = read_message(req_fd)
        if req is None:
            break
        try:
            trusted = decode(req.get("trusted", {}))
            reply = {"ok": True, "value": encode(describe(req.get("probe"), decode(req.get("value")), **trusted))}
        except ProbeError as e:
            reply = {"ok": False, "error": str(e)}
        except Exception as e:  # noqa: BLE001 - reported to the trusted side, which fails the test
            reply = {"ok": False, "error": f"the model could not be described: {type(e).__name__}: {str(e)[:500]}"}
        write_message(rep_fd, reply)
    os._exit(0)
