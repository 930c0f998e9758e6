"""zoo's BatchNormalization (one fused kernel on TensorFlow) computes what Keras' does: outputs,
gradients and moving statistics, in training and inference; whole networks train the same; the
fused kernel is what runs on TensorFlow; saved models load back."""

import numpy as np
import pytest

import keras
from zoo import get_model
from zoo.models import load_model
from zoo.models.batchnorm import BatchNormalization

CASES = [((4, 8, 8, 16), {}), ((1, 1, 1, 8), {}), ((2, 5, 7, 3), {"center": False}),
         ((3, 4, 4, 6), {"scale": False, "momentum": 0.5, "epsilon": 1e-5})]


def _grads(layer, x, w, training):
    """(output, [d loss / d x, d loss / d trainable weights...]) for loss = sum(y * w + 0.1 y²)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            loss = tf.reduce_sum(y * w + 0.1 * y * y)
        return y.numpy(), [g.numpy() for g in tape.gradient(loss, [x] + layer.trainable_weights)]
    import jax

    def f(x, tw):
        y, _ = layer.stateless_call(tw, [v.value for v in layer.non_trainable_variables], x, training=training)
        return (y * w + 0.1 * y * y).sum(), y

    tw = [v.value for v in layer.trainable_variables]
    (_, y), (gx, gw) = jax.value_and_grad(f, argnums=(0, 1), has_aux=True)(x, tw)
    if training:  # stateless_call does not update the moving statistics: one call that does
        layer(x, training=True)
    return np.asarray(y), [np.asarray(gx)] + [np.asarray(g) for g in gw]


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape,kw", CASES)
def test_same_outputs_gradients_and_moving_statistics_as_keras(shape, kw, training):
    rng = np.random.default_rng(0)
    x = keras.ops.convert_to_tensor(rng.normal(2.0, 3.0, shape).astype("float32"))
    w = keras.ops.convert_to_tensor(rng.normal(0.0, 1.0, shape).astype("float32"))
    ref, ours = keras.layers.BatchNormalization(**kw), BatchNormalization(**kw)
    ref.build(shape)
    ours.build(shape)
    n_affine = int(ref.scale) + int(ref.center)
    weights = [rng.normal(1, 0.5, v.shape).astype("float32") if i < n_affine else np.abs(rng.normal(1, 0.5, v.shape)).astype("float32")
               for i, v in enumerate(ref.get_weights())]  # gamma/beta, then moving mean and a positive moving variance
    ref.set_weights(weights)
    ours.set_weights(weights)
    y_ref, g_ref = _grads(ref, x, w, training)
    y, g = _grads(ours, x, w, training)
    np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max())
    for a, b in zip(ours.get_weights(), ref.get_weights()):  # moving mean / variance updated alike (biased variance)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    if training:
        assert not np.allclose(ours.get_weights()[-1], weights[-1])  # the moving variance did move


def test_the_fused_kernel_is_what_runs_on_tensorflow():
    """The speed (1.45x on a ResNet-50 training step, docs/benchmarks.md) comes from
    FusedBatchNormV3 and its gradient: the traced training step holds them and no separate moments."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the fused kernel is TensorFlow's; other backends run Keras' own code (XLA fuses there)")
    import tensorflow as tf

    layer = BatchNormalization()
    x = tf.random.normal((2, 4, 4, 3))
    layer.build(x.shape)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * y * tf.range(3, dtype=tf.float32))
        return tape.gradient(loss, x)

    ops = {op.type for op in step.get_concrete_function(x).graph.get_operations()}
    assert "FusedBatchNormV3" in ops and "FusedBatchNormGradV3" in ops, sorted(ops)
    assert not {"Mean", "SquaredDifference"} & ops  # Keras' unfused moments are gone


def test_a_mask_or_renorm_goes_to_keras_own_code():
    x = np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32")  # 3-D: not the fused kernel's case
    ref, ours = keras.layers.BatchNormalization(), BatchNormalization()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x, training=True)),
                               keras.ops.convert_to_numpy(ref(x, training=True)), rtol=1e-5, atol=1e-6)
    renorm = BatchNormalization(renorm=True)
    assert keras.ops.convert_to_numpy(renorm(x[..., None], training=True)).shape == (2, 3, 5, 1)


def _with_keras_batchnorm(model):
    """The same network with keras.layers.BatchNormalization in place of zoo's (same weights)."""

    def swap(layer):
        if isinstance(layer, BatchNormalization):
            return keras.layers.BatchNormalization.from_config(layer.get_config())
        return layer.__class__.from_config(layer.get_config())

    twin = keras.models.clone_model(model, clone_function=swap)
    twin.set_weights(model.get_weights())
    return twin


def test_a_resnet_trains_the_same_with_zoo_and_keras_batchnorm():
    """One SGD step of resnet18 (64x64, batch 16) from the same weights: the same loss, the same
    update of all weights and statistics to float32 rounding (a beta's gradient sums per-channel
    gradients that nearly cancel, so single tensors are compared through the whole update), and
    the same loss after it."""
    keras.utils.set_random_seed(0)
    ours = get_model("resnet18", input_shape=(64, 64, 3), classes=4)
    ref = _with_keras_batchnorm(ours)
    assert sum(type(l) is BatchNormalization for l in ours.layers) == 20
    assert sum(type(l) is keras.layers.BatchNormalization for l in ref.layers) == 20
    rng = np.random.default_rng(1)
    x, y = rng.random((16, 64, 64, 3), dtype=np.float32), rng.integers(0, 4, 16)
    before = ours.get_weights()
    losses, updates, after = [], [], []
    for m in (ours, ref):
        m.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
        losses.append(float(m.train_on_batch(x, y)))
        updates.append(np.concatenate([(a - b).ravel() for a, b in zip(m.get_weights(), before)]))
        after.append(m.evaluate(x, y, verbose=0))
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    assert np.linalg.norm(updates[0] - updates[1]) < 2e-3 * np.linalg.norm(updates[1])
    assert after[0] == pytest.approx(after[1], rel=1e-3) and after[0] < losses[0]  # it learned, alike


def test_a_saved_model_loads_back_with_zoo_batchnorm(tmp_path):
    model = get_model("resnet18", input_shape=(32, 32, 3), classes=3)
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    model.save(tmp_path / "m.keras")
    back = load_model(tmp_path / "m.keras")
    assert any(type(l) is BatchNormalization for l in back.layers)
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_mixed_bfloat16_computes_in_float32_and_returns_bfloat16():
    old = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = BatchNormalization()
        y = layer(np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32"), training=True)
        assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"
        assert layer.moving_variance.dtype == "float32"
        assert np.isfinite(keras.ops.convert_to_numpy(keras.ops.cast(y, "float32"))).all()
    finally:
        keras.mixed_precision.set_global_policy(old)
