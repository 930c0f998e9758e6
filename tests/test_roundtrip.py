"""Every registered model: .keras save -> load gives identical outputs, no custom_objects."""

import numpy as np
import pytest

import keras

import zoo
from zoo import registry

pytestmark = pytest.mark.portable


def _inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    ins = model.inputs if isinstance(model.inputs, list) else [model.inputs]
    return [rng.random((2,) + tuple(i.shape[1:])).astype("float32") for i in ins]


def _numpy(outputs):
    if isinstance(outputs, dict):
        return [keras.ops.convert_to_numpy(outputs[k]) for k in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return [keras.ops.convert_to_numpy(o) for o in outputs]
    return [keras.ops.convert_to_numpy(outputs)]


def _representatives():
    """One model per (family, task): the one with the smallest test input, then by name."""
    best = {}
    for n in zoo.list_models():
        spec = registry.get_spec(n)
        if "deep" in spec.tags:
            continue
        shape = spec.small_config.get("input_shape", spec.default_input_shape)
        key = (spec.family, spec.task)
        rank = (int(np.prod(shape[:2])), registry._natural_key(n))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, n)
    return {n for _, n in best.values()}


def _models():
    """Every registered model. The deepest (tag "deep") run in the slow suite only; on JAX, whose
    CPU tracing is slow, `make test` round-trips one model per family and `make test-slow`
    the rest (both backends)."""
    on_jax = keras.backend.backend() == "jax"
    keep = _representatives()
    return [
        pytest.param(n, marks=pytest.mark.slow)
        if "deep" in registry.get_spec(n).tags or (on_jax and n not in keep)
        else n
        for n in zoo.list_models()
    ]


@pytest.mark.parametrize("name", _models())
def test_save_and_load_gives_identical_outputs(name, tmp_path):
    spec = registry.get_spec(name)
    model = zoo.get_model(name, **spec.small_config)
    x = _inputs(model)
    # eager calls, not predict(): tracing a graph of a 152-layer net costs more than the test
    before = _numpy(model(x if len(x) > 1 else x[0], training=False))
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    for loader in (zoo.load_model, keras.models.load_model):  # the latter works once zoo.models is imported
        loaded = loader(path)
        after = _numpy(loaded(x if len(x) > 1 else x[0], training=False))
        for a, b in zip(before, after):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # no Lambda layers: they need safe_mode=False to load
    assert not any(type(l).__name__ == "Lambda" for l in loaded._flatten_layers())


def test_load_model_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="model file not found"):
        zoo.load_model(str(tmp_path / "missing.keras"))
    with pytest.raises(FileNotFoundError, match="without model.keras"):
        zoo.load_model(str(tmp_path))
