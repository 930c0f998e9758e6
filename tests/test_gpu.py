"""GPU checks (`make gpu-test`, JAX on a GPU machine): every zoo model builds, trains one step in
mixed_bfloat16 and round-trips through .keras. Skipped where no GPU is visible to JAX."""

import numpy as np
import pytest

import zoo
from zoo import registry

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module", autouse=True)
def _gpu_jax():
    import keras

    if keras.backend.backend() != "jax":
        pytest.skip("GPU checks run on the JAX backend (KERAS_BACKEND=jax)")
    import jax

    if not [d for d in jax.devices() if d.platform == "gpu"]:
        pytest.skip("no GPU visible to JAX")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _fit_data(model, n=4, seed=0):
    """Random inputs and targets shaped like the model's outputs (a loss-agnostic step)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n,) + tuple(model.inputs[0].shape[1:])).astype("float32")
    outs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    y = [rng.random((n,) + tuple(o.shape[1:])).astype("float32") for o in outs]
    return x, (y if len(y) > 1 else y[0])


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_trains_a_mixed_bfloat16_step_and_round_trips(name, tmp_path):
    import keras

    spec = registry.get_spec(name)
    model = zoo.get_model(name, **spec.small_config)
    x, y = _fit_data(model)
    model.compile(optimizer="sgd", loss="mse")
    loss = model.train_on_batch(x, y)
    assert np.isfinite(np.asarray(loss, dtype=float)).all()
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = zoo.load_model(path)
    a = model(x, training=False)
    b = loaded(x, training=False)
    for u, v in zip(keras.tree.flatten(a), keras.tree.flatten(b)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(u).astype("float32"),
                                   keras.ops.convert_to_numpy(v).astype("float32"), rtol=1e-2, atol=1e-2)
