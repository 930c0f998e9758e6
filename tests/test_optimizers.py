"""Optimizers, schedules and regularization by name."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from zoo.training.augment import augmentation  # noqa: E402
from zoo.training.optimizers import (  # noqa: E402
    OPTIMIZERS,
    SCHEDULES,
    add_l2,
    learning_rate_at,
    make_optimizer,
    plateau_callback,
)

pytestmark = pytest.mark.portable


def _tiny():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])


def test_every_optimizer_descends_a_quadratic():
    """20 steps on f(w) = |w|^2 (gradient 2w, no autodiff needed) shrink w with every optimizer (adadelta starts slowest: ~2 %)."""
    for name in OPTIMIZERS:
        opt = make_optimizer(name)
        w = keras.Variable(np.array([1.0, -2.0, 0.5], dtype="float32"))
        for _ in range(20):
            opt.apply([2.0 * w.value], [w])
        norm = float(np.linalg.norm(keras.ops.convert_to_numpy(w)))
        assert norm < 0.99 * np.linalg.norm([1.0, -2.0, 0.5]), (name, norm)


def test_optimizer_kinds():
    assert make_optimizer("nesterov").nesterov and make_optimizer("momentum").momentum == 0.9
    assert make_optimizer("sgd").momentum == 0.0
    assert make_optimizer("adamw").weight_decay == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="optimizer.*adamw.*Received: optimizer='adamx'"):
        make_optimizer("adamx")


def test_schedule_shapes():
    lr, n = 0.1, 100
    at = lambda s, k: learning_rate_at(make_optimizer("sgd", lr, schedule=s, total_steps=n, steps_per_epoch=10), k)  # noqa: E731
    assert at("constant", 90) == pytest.approx(lr) and at("plateau", 90) == pytest.approx(lr)
    assert at("step", 10) == pytest.approx(lr) and at("step", 60) == pytest.approx(lr / 10) and at("step", 90) == pytest.approx(lr / 100)
    assert at("exponential", 100) == pytest.approx(lr / 10, rel=1e-4)
    assert at("cosine", 0) == pytest.approx(lr) and at("cosine", 50) == pytest.approx(lr / 2, rel=1e-3) and at("cosine", 100) < 1e-6
    assert at("warmup_cosine", 0) < lr / 5 and at("warmup_cosine", 10) == pytest.approx(lr, rel=1e-3) and at("warmup_cosine", 100) < 1e-6
    assert set(SCHEDULES) == {"constant", "step", "exponential", "cosine", "warmup_cosine", "plateau"}


def test_plateau_refuses_a_schedule_object():
    sched = keras.optimizers.schedules.CosineDecay(0.1, 100)
    with pytest.raises(ValueError, match="plateau.*cannot drive a LearningRateSchedule"):
        make_optimizer("adam", sched, schedule="plateau")
    with pytest.raises(ValueError, match="ReduceLROnPlateau cannot change"):
        plateau_callback(make_optimizer("adam", 0.1, schedule="cosine", total_steps=10))
    assert isinstance(plateau_callback(make_optimizer("adam", 0.1, schedule="plateau")), keras.callbacks.ReduceLROnPlateau)


def test_l2_adds_a_penalty():
    m = _tiny()
    assert not m.losses
    add_l2(m, 1e-2)
    expected = 1e-2 * sum(float(np.sum(keras.ops.convert_to_numpy(l.kernel) ** 2)) for l in m.layers)
    assert float(sum(keras.ops.convert_to_numpy(l) for l in m.losses)) == pytest.approx(expected, rel=1e-4)


def test_augmentation_keeps_shape_and_is_identity_at_inference():
    x = np.random.default_rng(0).uniform(size=(4, 16, 16, 3)).astype("float32")
    aug = augmentation(("flip", "rotation", "crop", "color"), image_shape=(16, 16, 3), seed=1)
    train_out = keras.ops.convert_to_numpy(aug(x, training=True))
    assert train_out.shape == x.shape and not np.allclose(train_out, x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(aug(x, training=False)), x, atol=1e-6)
    with pytest.raises(ValueError, match="mixup"):
        augmentation(("mixup",), image_shape=(16, 16, 3))


def test_augmentation_presets_have_the_documented_strengths():
    """One home: `zoo train --augment`, `zoo demo`, the tuner and the transfer encoder all build these presets."""
    from zoo.training.augment import PRESETS, augmentation, default_kinds

    geo = augmentation("geometric", image_shape=(16, 16, 1))
    assert [l.name for l in geo.layers] == ["rotation", "translation", "zoom"]
    assert geo.get_layer("rotation").factor == pytest.approx((-0.05, 0.05))
    assert geo.get_layer("translation").width_factor == pytest.approx(0.08)
    assert augmentation("geometric", image_shape=(16, 16, 1), strength=1.5).get_layer("zoom").height_factor == pytest.approx(0.15)
    assert augmentation("noise", image_shape=(16, 16, 1), strength=2).get_layer("noise").stddev == pytest.approx(0.2)
    assert default_kinds("digits") == PRESETS["geometric"][0] and default_kinds("cifar10") == PRESETS["photo"][0]
    with pytest.raises(ValueError, match=r"preset \(geometric, photo, noise\).*Received: kinds='strong'"):
        augmentation("strong", image_shape=(16, 16, 1))
    with pytest.raises(ValueError, match=r"strength.*Received: strength=-1"):
        augmentation("photo", image_shape=(16, 16, 3), strength=-1)
