"""zoo.transfer: freezing, blocks, the new head, two-phase fine-tuning with BatchNorm kept in
inference mode, preprocessing inside the model, weights from local files."""

import numpy as np
import pytest

import keras
from keras import layers

from zoo import transfer as T
from zoo.io import save_model
from zoo.models import load_model
from zoo.models.preprocessing import ImagePreprocessing

pytestmark = pytest.mark.portable


def bn_backbone(name="tiny"):
    """A small backbone with BatchNormalization and the zoo's stage names (stem, stage1, stage2)."""
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem")(x)
    for k in (1, 2):
        x = layers.Conv2D(8 * k, 3, padding="same", use_bias=False, name=f"stage{k}_conv")(x)
        x = layers.BatchNormalization(name=f"stage{k}_bn")(x)
        x = layers.ReLU(name=f"stage{k}")(x)
    return keras.Model(inputs, x, name=name)


def _moving_stats(model):
    return [np.array(w) for bn in T._batchnorms(model) for w in (bn.moving_mean, bn.moving_variance)]


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.3, 1.0, (n, 16, 16, 3)).astype("float32")  # far from the initial BN statistics
    y = (x[:, :8].mean(axis=(1, 2, 3)) > x[:, 8:].mean(axis=(1, 2, 3))).astype("int64")
    return x, y


def test_blocks_follow_stage_names():
    b = bn_backbone()
    assert [name for name, _ in T.blocks(b)] == ["stem", "stage1", "stage2"]
    assert T.blocks(b)[1][1] == ["stage1_conv", "stage1_bn", "stage1"]


def test_freeze_until_layer_name_or_fraction_and_batchnorm_stays_frozen():
    b = bn_backbone()
    frozen = T.freeze(b, until="stage1")
    assert frozen[-1] == "stage1" and "stage2_conv" not in frozen
    assert b.get_layer("stage2_conv").trainable and not b.get_layer("stage1_conv").trainable
    assert not b.get_layer("stage2_bn").trainable  # BatchNorm frozen above `until` too
    T.freeze(b, until=0.5)  # 3 conv layers with weights (+3 BN): the first half frozen
    assert not b.get_layer("stage1_conv").trainable and b.get_layer("stage2_conv").trainable
    T.freeze(b)
    assert T.trainable_count(b) == 0
    with pytest.raises(ValueError, match=r"until.*'stage9'.*stage1"):
        T.freeze(b, until="stage9")
    with pytest.raises(ValueError, match="fraction"):
        T.freeze(b, until=2)


def test_unfreeze_top_blocks_keeps_the_rest_and_batchnorm_frozen():
    b = bn_backbone()
    assert T.unfreeze_top(b, 1) == ["stage2"]
    assert [l.name for l in b.layers if l.trainable and l.weights] == ["stage2_conv"]
    assert T.unfreeze_top(b, 99) == ["stem", "stage1", "stage2"]
    assert {l.name for l in b.layers if l.trainable and l.weights} == {"stem_conv", "stage1_conv", "stage2_conv"}
    with pytest.raises(ValueError, match="unfreeze"):
        T.unfreeze_top(b, -1)


def test_new_head_shape_pooling_and_argument_errors():
    b = bn_backbone()
    m = T.new_head(b, 4, dropout=0.3)
    assert m.output_shape == (None, 4) and m.get_layer("predictions").units == 4
    assert T.backbone_of(m) is b
    assert isinstance(m.get_layer("head_pool"), layers.Flatten)  # "auto": a small 8x8x16 map is flattened
    assert isinstance(T.new_head(bn_backbone("b2"), 3, pooling="avg").get_layer("head_pool"), layers.GlobalAveragePooling2D)
    with pytest.raises(ValueError, match=r"classes.*>= 2.*classes=1"):
        T.new_head(b, 1)
    with pytest.raises(ValueError, match=r"dropout=1.5"):
        T.new_head(b, 3, dropout=1.5)
    with pytest.raises(ValueError, match=r"preprocessing.*'imagenet'"):
        T.new_head(b, 3, preprocessing="imagenet")


def test_fine_tune_keeps_batchnorm_statistics_in_both_phases_and_trains_the_unfrozen_block():
    x, y = _data()
    b = bn_backbone()
    model = T.new_head(b, 2, dropout=0.0)
    stats0 = _moving_stats(b)
    stem0 = np.array(b.get_layer("stem_conv").kernel)
    top0 = np.array(b.get_layer("stage2_conv").kernel)
    lines = []
    T.fine_tune(model, x, y, epochs=(2, 0), learning_rates=(1e-2, 1e-2), batch_size=8, log=lines.append)
    for before, after in zip(stats0, _moving_stats(b)):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(top0, np.array(b.get_layer("stage2_conv").kernel))  # phase 1: frozen
    result = T.fine_tune(model, x, y, epochs=(0, 2), learning_rates=(1e-2, 1e-2), unfreeze=1, batch_size=8, log=lines.append)
    for before, after in zip(stats0, _moving_stats(b)):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(top0, np.array(b.get_layer("stage2_conv").kernel))  # phase 2: trained
    np.testing.assert_array_equal(stem0, np.array(b.get_layer("stem_conv").kernel))  # below: frozen
    assert any(l.startswith("phase 1/2: head only") for l in lines)
    assert any("phase 2/2: top 1 block(s)" in l and "stage2" in l for l in lines)
    assert result["phase"] == [2, 2] and result["phases"][0]["unfrozen_blocks"] == ["stage2"]


def test_without_inference_mode_the_same_training_moves_batchnorm_statistics():
    """The control for the test above: the data does move BN statistics when BN is in training mode."""
    x, y = _data()
    b = bn_backbone()
    stats0 = _moving_stats(b)
    inputs = keras.Input((16, 16, 3))
    out = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling2D()(b(inputs)))
    plain = keras.Model(inputs, out)
    plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    plain.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert any(not np.allclose(a, c) for a, c in zip(stats0, _moving_stats(b)))


def test_fine_tune_argument_errors():
    m = T.new_head(bn_backbone(), 2)
    x, y = _data(8)
    with pytest.raises(ValueError, match=r"epochs.*Received: epochs=\(0, 0\)"):
        T.fine_tune(m, x, y, epochs=(0, 0))
    with pytest.raises(ValueError, match="learning_rates"):
        T.fine_tune(m, x, y, epochs=1, learning_rates=(1e-3, -1.0))


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_image_preprocessing_matches_keras_applications(mode):
    x = np.random.default_rng(0).uniform(0, 1, (2, 4, 5, 3)).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(x * 255.0, mode=mode)
    got = keras.ops.convert_to_numpy(ImagePreprocessing(mode)(x))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_keras_application_backbone_blocks_and_preprocessing():
    b, mode = T.build_backbone("MobileNetV2", input_shape=(32, 32, 3))
    assert mode == "tf" and T.preprocessing_mode("keras:ResNet50") == "caffe" and T.preprocessing_mode("lenet5") == "none"
    names = [n for n, _ in T.blocks(b)]
    assert names[:3] == ["stem", "block_1", "block_2"] and names[-1] == "block_16" and len(names) == 17


def test_saved_transfer_model_takes_raw_images_and_round_trips(tmp_path):
    m = T.new_head(bn_backbone(), 3, preprocessing="tf")
    assert not any(isinstance(l, layers.Lambda) for l in m.layers)
    path = str(tmp_path / "m.keras")
    save_model(m, path)
    loaded = load_model(path)
    x = np.random.default_rng(1).uniform(0, 1, (2, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-5)
    assert loaded.get_layer("preprocessing").mode == "tf"


def test_weights_from_a_saved_classifier_and_from_weights_h5(tmp_path):
    from zoo.models.lenet import lenet5

    full = lenet5(input_shape=(32, 32, 1), classes=5)
    path = str(tmp_path / "pre.keras")
    save_model(full, path)
    b, _ = T.build_backbone("lenet5", weights=path)
    assert b.input_shape == (None, 32, 32, 1)  # taken from the saved model
    np.testing.assert_array_equal(np.array(b.get_layer("c3").kernel), np.array(full.get_layer("c3").kernel))
    h5 = str(tmp_path / "bb.weights.h5")
    b.save_weights(h5)
    b2, _ = T.build_backbone("lenet5", input_shape=(32, 32, 1), weights=h5)
    np.testing.assert_array_equal(np.array(b2.get_layer("c1").kernel), np.array(full.get_layer("c1").kernel))
    # a transfer model's own model.keras works as weights too (nested backbone)
    m = T.new_head(b, 3)
    save_model(m, str(tmp_path / "run.keras"))
    b3, _ = T.build_backbone("lenet5", weights=str(tmp_path / "run.keras"))
    np.testing.assert_array_equal(np.array(b3.get_layer("c3").kernel), np.array(full.get_layer("c3").kernel))


def test_weights_that_do_not_fit_name_both_file_and_backbone(tmp_path):
    from zoo.models.lenet import lenet5

    rgb = str(tmp_path / "rgb.keras")
    save_model(lenet5(input_shape=(32, 32, 3), classes=5), rgb)
    with pytest.raises(ValueError, match=r"rgb\.keras.*does not fit backbone 'lenet5'.*c1"):
        T.build_backbone("lenet5", input_shape=(32, 32, 1), weights=rgb)
    h5 = str(tmp_path / "other.weights.h5")
    bn_backbone().save_weights(h5)
    with pytest.raises(ValueError, match=r"other\.weights\.h5.*does not fit backbone 'lenet5'"):
        T.build_backbone("lenet5", input_shape=(32, 32, 1), weights=h5)
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        T.build_backbone("lenet5", weights=str(tmp_path / "missing.keras"))
    with pytest.raises(ValueError, match="imagenet"):
        T.build_backbone("lenet5", weights="imagenet")


def test_unknown_backbone_suggests_names():
    with pytest.raises(ValueError, match=r"Unknown model 'lenet'.*lenet5.*keras.applications"):
        T.build_backbone("lenet")


def test_encoder_of_needs_an_encoder():
    with pytest.raises(ValueError, match="no encoder sub-model"):
        T.encoder_of(bn_backbone())
    enc = bn_backbone("encoder")
    inputs = keras.Input((16, 16, 3))
    ae = keras.Model(inputs, layers.Conv2DTranspose(3, 3, strides=2, padding="same")(enc(inputs)), name="ae")
    assert T.encoder_of(ae) is enc
    assert T.encoder_classifier(ae, 3).output_shape == (None, 3)


def test_encoder_classifier_normalises_the_code_and_new_head_does_not_by_default():
    from zoo.models.autoencoder import autoencoder_conv

    ae = autoencoder_conv(input_shape=(8, 8, 1), latent_dim=4, depth=1, width=4)
    model = T.encoder_classifier(ae, 3, dropout=0.0)
    assert isinstance(model.get_layer("head_norm"), layers.BatchNormalization)
    assert T.backbone_of(model) is ae.encoder
    assert "head_norm" not in [l.name for l in T.encoder_classifier(ae, 3, normalize=False).layers]
    assert "head_norm" not in [l.name for l in T.new_head(bn_backbone(), 3).layers]


def test_pretrain_autoencoder_trains_without_labels_and_checks_its_arguments():
    from zoo.models.autoencoder import autoencoder_conv

    keras.utils.set_random_seed(0)
    ae = autoencoder_conv(input_shape=(8, 8, 1), latent_dim=4, depth=1, width=4)
    x = np.random.default_rng(0).uniform(size=(16, 8, 8, 1)).astype("float32")
    before = [w.copy() for w in ae.get_weights()]
    lines = []
    out = T.pretrain_autoencoder(ae, x, epochs=1, batch_size=16, log=lines.append)
    assert len(out["loss"]) == 1 and "val_loss" not in out and out["seconds"] >= 0
    assert any(not np.allclose(a, b) for a, b in zip(before, ae.get_weights()))  # trained in place
    assert lines[0].startswith("pretraining autoencoder_conv without labels on 16 images")
    assert lines[-1].startswith("pretraining done in") and sum(l.startswith("  epoch ") for l in lines) == 1
    with pytest.raises(ValueError, match=r"`x` must be images of shape \(N, 8, 8, 1\).*\(16, 4, 4, 1\)"):
        T.pretrain_autoencoder(ae, x[:, :4, :4], epochs=1)
    with pytest.raises(ValueError, match=r"`noise` must be a number >= 0.*noise=-0.1"):
        T.pretrain_autoencoder(ae, x, noise=-0.1)
    with pytest.raises(ValueError, match=r"`epochs` must be an integer >= 1.*epochs=0"):
        T.pretrain_autoencoder(ae, x, epochs=0)
