"""U-Net: the paper's 572 -> 388 configuration and its parameter count, size errors, heads,
decoder variants and the backbone encoder through stage outputs, on TensorFlow and JAX."""

import numpy as np
import pytest

import keras
from keras import layers

import zoo
from zoo.models import unet as unet_mod

pytestmark = pytest.mark.portable


def _conv(cin, cout, k=3):
    return k * k * cin * cout + cout


def _paper_param_sum(in_channels=1, classes=2, base=64, depth=4):
    """Independent per-layer sum for Ronneberger et al. 2015, Fig. 1 (no BN, up-conv 2x2)."""
    total, cin = 0, in_channels
    for i in range(depth):
        f = base * 2**i
        total += _conv(cin, f) + _conv(f, f)
        cin = f
    f = base * 2**depth
    total += _conv(cin, f) + _conv(f, f)
    for i in reversed(range(depth)):
        f = base * 2**i
        total += _conv(2 * f, f, k=2)  # up-conv halving the channels
        total += _conv(2 * f, f) + _conv(f, f)  # after concatenation with the skip
    return total + _conv(base, classes, k=1)


def test_paper_configuration_maps_572_to_388_with_the_per_layer_parameter_count():
    model = zoo.get_model("unet", input_shape=(572, 572, 1), padding="valid", depth=4, filters=64, batch_norm=False, classes=2)
    assert tuple(model.output.shape) == (None, 388, 388, 2)
    assert model.count_params() == _paper_param_sum() == 31_030_658
    assert unet_mod.output_size(572, depth=4, padding="valid") == 388


def test_small_valid_unet_runs_with_centre_crops():
    side = 44
    expected = unet_mod.output_size(side, depth=2, padding="valid")
    model = zoo.get_model("unet", input_shape=(side, side, 1), padding="valid", depth=2, filters=4, classes=3)
    out = model.predict(np.random.rand(2, side, side, 1).astype("float32"), verbose=0)
    assert out.shape == (2, expected, expected, 3) and expected == 4
    assert any(isinstance(l, layers.Cropping2D) for l in model.layers)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, nearest",
    [
        (dict(input_shape=(570, 570, 1), padding="valid"), "556 or 572"),
        (dict(input_shape=(100, 100, 3)), "96 or 112"),
        (dict(input_shape=(64, 60, 3), depth=3), "56 or 64"),
        (dict(input_shape=(30, 30, 1), padding="valid"), "188"),
    ],
)
def test_impossible_input_sizes_name_the_nearest_sizes_that_work(kwargs, nearest):
    with pytest.raises(ValueError, match=nearest) as e:
        zoo.get_model("unet", **kwargs)
    assert "input_shape=" in str(e.value)
    for side in map(int, nearest.split(" or ")):  # the suggestions do work
        assert unet_mod.output_size(side, depth=kwargs.get("depth", 4), padding=kwargs.get("padding", "same"))


def test_binary_head_is_sigmoid_and_multiclass_is_softmax():
    x = np.random.rand(2, 32, 32, 3).astype("float32")
    binary = zoo.get_model("unet", input_shape=(32, 32, 3), classes=1, depth=2, filters=4)
    multi = zoo.get_model("unet", input_shape=(32, 32, 3), classes=4, depth=2, filters=4)
    assert binary.get_layer("predictions").activation.__name__ == "sigmoid"
    p = multi.predict(x, verbose=0)
    assert p.shape == (2, 32, 32, 4)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)
    feats = zoo.get_model("unet", input_shape=(32, 32, 3), include_top=False, depth=2, filters=4)
    assert tuple(feats.output.shape) == (None, 32, 32, 4)


def test_bilinear_decoder_batch_norm_and_dropout():
    model = zoo.get_model(
        "unet", input_shape=(32, 32, 3), classes=2, depth=3, filters=4,
        upsampling="bilinear", batch_norm=True, dropout=0.5,
    )
    kinds = {type(l).__name__ for l in model.layers}
    assert {"UpSampling2D", "BatchNormalization", "Dropout"} <= kinds and "Conv2DTranspose" not in kinds
    assert tuple(model.output.shape) == (None, 32, 32, 2)


def _stand_in_backbone(input_shape=(32, 32, 3)):
    """A tiny classifier body following the stage-output contract (stem /2, stage1 /4, stage2 /8)."""
    inp = keras.Input(input_shape)
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="stem")(inp)
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Identity(name="stage1")(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="stage2")(x)
    return keras.Model(inp, x, name="tiny_backbone")


def test_backbone_encoder_taps_stage_outputs_and_round_trips(tmp_path):
    model = zoo.get_model("unet", input_shape=(32, 32, 3), classes=3, filters=4, encoder=_stand_in_backbone())
    enc = model.get_layer("encoder")
    assert [tuple(o.shape[1:3]) for o in enc.outputs] == [(16, 16), (8, 8), (4, 4)]
    x = np.random.rand(2, 32, 32, 3).astype("float32")
    out = model.predict(x, verbose=0)
    assert out.shape == (2, 32, 32, 3)
    path = str(tmp_path / "u.keras")
    model.save(path)
    np.testing.assert_allclose(zoo.load_model(path).predict(x, verbose=0), out, rtol=1e-5, atol=1e-6)


def test_backbone_encoder_errors():
    with pytest.raises(ValueError, match="no named stage outputs"):
        zoo.get_model("unet", input_shape=(32, 32, 1), encoder="lenet5")
    with pytest.raises(ValueError, match="padding='same'"):
        zoo.get_model("unet", input_shape=(32, 32, 3), padding="valid", encoder=_stand_in_backbone())
    with pytest.raises(ValueError, match="encoder"):
        zoo.get_model("unet", input_shape=(32, 32, 3), encoder=42)
    with pytest.raises(ValueError, match="upsampling"):
        zoo.get_model("unet", input_shape=(32, 32, 3), upsampling="nearest")


@pytest.mark.parametrize("backbone, taps", [("resnet18", 5), ("vgg16", 5)])
def test_zoo_classifier_as_encoder_gives_a_full_size_map(backbone, taps):
    model = zoo.get_model("unet", input_shape=(32, 32, 3), classes=2, encoder=backbone)
    assert len(model.get_layer("encoder").outputs) == taps
    assert tuple(model.output.shape) == (None, 32, 32, 2)
