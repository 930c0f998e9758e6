import numpy as np
import pytest

import keras

import zoo
from zoo.models.lenet import lenet5

pytestmark = pytest.mark.portable


@pytest.mark.parametrize("variant", ["classic", "modern"])
def test_lenet5_has_61706_parameters(variant):
    """Course form on 32x32x1, 10 classes: 156 + 2,416 + 48,120 + 10,164 + 850."""
    model = lenet5(variant=variant)
    assert model.count_params() == 61_706
    assert model.output_shape == (None, 10)
    assert [l.name for l in model.layers if l.weights] == ["c1", "c3", "f5", "f6", "predictions"]


def test_variants_differ_in_activation_and_pooling():
    classic, modern = lenet5(variant="classic"), lenet5(variant="modern")
    assert classic.get_layer("c1").activation.__name__ == "tanh"
    assert type(classic.get_layer("s2")).__name__ == "AveragePooling2D"
    assert modern.get_layer("c1").activation.__name__ == "relu"
    assert type(modern.get_layer("s2")).__name__ == "MaxPooling2D"


def test_outputs_are_probabilities_or_logits():
    x = np.random.default_rng(0).normal(size=(4, 32, 32, 1)).astype("float32")
    probs = keras.ops.convert_to_numpy(lenet5(classes=3)(x))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    logits = keras.ops.convert_to_numpy(lenet5(classes=3, classifier_activation=None)(x))
    assert (logits < 0).any() and not np.allclose(logits.sum(axis=1), 1.0)


def test_feature_extractor_and_rgb_input():
    assert lenet5(include_top=False).output_shape == (None, 5, 5, 16)
    assert lenet5(include_top=False, pooling="avg").output_shape == (None, 16)
    assert lenet5(include_top=False, pooling="max", input_shape=(48, 40, 3)).output_shape == (None, 16)
    # a larger input gives a larger flatten layer, as in the paper's formula
    assert lenet5(input_shape=(36, 36, 1)).get_layer("f5").kernel.shape == (6 * 6 * 16, 120)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(input_shape=(12, 12, 1)), r"too small for lenet5: every side must be >= 16"),
        (dict(input_shape=(32, 32)), r"must be a tuple \(height, width, channels\)"),
        (dict(classes=0), r"`classes` must be an integer >= 1. Received: classes=0"),
        (dict(pooling="mean", include_top=False), r"`pooling` must be one of 'avg', 'max', None. Received: pooling='mean'"),
        (dict(variant="fancy"), r"`variant` must be one of 'classic', 'modern'"),
        (dict(weights="imagenet"), r"downloads nothing"),
        (dict(weights="/nonexistent/w.weights.h5"), r"weights file not found"),
        (dict(classifier_activation="softmaxx"), r"classifier_activation"),
    ],
)
def test_bad_arguments_name_the_value(kwargs, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        lenet5(**kwargs)


def test_weights_from_local_file(tmp_path):
    src = lenet5(classes=4)
    path = str(tmp_path / "lenet.weights.h5")
    src.save_weights(path)
    dst = lenet5(classes=4, weights=path)
    x = np.random.default_rng(1).random((2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(src(x)), keras.ops.convert_to_numpy(dst(x)), atol=1e-6)
    with pytest.raises(ValueError, match=r"does not fit model 'lenet5'"):
        lenet5(classes=7, weights=path)


def test_input_tensor_is_used():
    inp = keras.Input((32, 32, 1))
    model = lenet5(input_tensor=inp)
    assert model.inputs[0] is inp
    with pytest.raises(TypeError, match="input_tensor"):
        lenet5(input_tensor=np.zeros((1, 32, 32, 1)))


def test_get_model_passes_kwargs():
    model = zoo.get_model("lenet5", classes=5, variant="classic")
    assert model.output_shape == (None, 5)


def test_lecun1998_has_the_papers_60000_trainable_parameters():
    import numpy as np

    model = lenet5(variant="lecun1998")
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 60_000  # C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164
    assert model.get_layer("c3").count_params() == 1_516
    assert model.get_layer("s2").count_params() == 12 and model.get_layer("s4").count_params() == 32
    assert model.output_shape == (None, 10)


def test_lecun1998_trains_and_round_trips(tmp_path):
    model = lenet5(variant="lecun1998", classes=3, classifier_activation=None)
    model.compile(optimizer=keras.optimizers.Adam(3e-4), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 32, 32, 1)).astype("float32"), rng.integers(0, 3, 8)
    prototypes = keras.ops.convert_to_numpy(model.get_layer("rbf").prototypes)
    losses = [float(model.train_on_batch(x, y)) for _ in range(25)]
    assert min(losses[-5:]) < losses[0] / 2, losses  # RBF logits are far apart: training is jumpy
    np.testing.assert_array_equal(prototypes, keras.ops.convert_to_numpy(model.get_layer("rbf").prototypes))
    path = str(tmp_path / "l98.keras")
    model.save(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x)), keras.ops.convert_to_numpy(zoo.load_model(path)(x)), rtol=1e-5, atol=1e-5
    )
