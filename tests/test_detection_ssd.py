"""The SSD head and models: outputs, default boxes carried with the model, SSD300 topology."""

import numpy as np
import pytest
import keras
from keras import layers

import zoo
from zoo.detection import anchors
from zoo.models import ssd


def _stand_in_vgg16(*, include_top=False, input_tensor=None):
    """keras.applications' VGG16 convolutions with the zoo's stage names (contract 1), a stand-in
    for zoo's vgg16 until that family lands."""
    x = input_tensor
    for block, (n, f) in enumerate([(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)], start=1):
        for i in range(1, n + 1):
            x = layers.Conv2D(f, 3, padding="same", activation="relu",
                              name=f"stage{block}" if i == n else f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    return keras.Model(input_tensor, x, name="vgg16")


def _stand_in_resnet(*, include_top=False, input_tensor=None):
    """A few convs with ResNet's stage strides (stem 2, stage1..4 = 4, 8, 16, 32)."""
    x = layers.Conv2D(8, 3, 2, padding="same", name="stem")(input_tensor)
    for k in range(1, 5):
        x = layers.Conv2D(8 * k, 3, 1 if k == 1 else 2, padding="same", name=f"stage{k}")(
            layers.MaxPooling2D(2, name="pool")(x) if k == 1 else x)
    return keras.Model(input_tensor, x, name="resnet_stand_in")


def test_ssd300_topology_gives_8732_boxes_and_torchvision_parameter_count():
    model = ssd._ssd300_on(_stand_in_vgg16, classes=90)  # torchvision: 91 classes incl. background
    boxes, variances = ssd.default_boxes_of(model)
    assert boxes.shape == (8732, 4) and variances == (0.1, 0.2)
    assert model.get_layer("default_boxes").feature_shapes == [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)]
    np.testing.assert_allclose(boxes, anchors.default_boxes(anchors.SSD300_FEATURE_SHAPES, anchors.SSD300_RATIOS,
                                                            first_scale=0.1))
    assert tuple(model.get_layer("classes").output.shape) == (None, 8732, 91)
    assert tuple(model.get_layer("boxes").output.shape) == (None, 8732, 4)
    # torchvision.models.detection.ssd300_vgg16 (COCO, 91 classes): 35,641,826 parameters
    assert model.count_params() == 35_641_826
    assert isinstance(model.get_layer("stage4_l2norm"), ssd.L2Normalization)


def test_ssd_on_a_resnet_shaped_backbone():
    model = ssd._ssd_resnet_on(_stand_in_resnet, input_shape=(320, 320, 3), classes=4)
    layer = model.get_layer("default_boxes")
    assert layer.feature_shapes == [(40, 40), (20, 20), (10, 10), (5, 5), (3, 3), (1, 1)]
    assert layer.boxes.shape == (40 * 40 * 4 + 20 * 20 * 6 + 10 * 10 * 6 + 5 * 5 * 6 + 9 * 4 + 4, 4)
    small = ssd._ssd_resnet_on(_stand_in_resnet, input_shape=(160, 160, 3), classes=4)
    assert small.get_layer("default_boxes").feature_shapes == [(20, 20), (10, 10), (5, 5), (3, 3), (2, 2)]



@pytest.mark.portable
def test_ssd_tiny_outputs_and_non_square_input():
    model = zoo.get_model("ssd_tiny", classes=5)  # (the round-trip test runs it on data)
    assert tuple(model.get_layer("classes").output.shape) == (None, 340, 6)
    assert tuple(model.get_layer("boxes").output.shape) == (None, 340, 4)
    assert zoo.get_spec("ssd_tiny").task == "detection"
    wide = zoo.get_model("ssd_tiny", input_shape=(64, 128, 3), classes=2)
    layer = wide.get_layer("default_boxes")
    assert layer.feature_shapes == [(8, 16), (4, 8), (2, 4), (1, 2)]
    assert wide.outputs[0].shape[1] == layer.boxes.shape[0] == 4 * (128 + 32 + 8 + 2)


@pytest.mark.portable
def test_custom_layers_serialise():
    layer = ssd.DefaultBoxes([(3, 3), (1, 1)], [anchors.RATIOS_4, anchors.RATIOS_6], s_min=0.3, first_scale=0.1)
    clone = ssd.DefaultBoxes.from_config(layer.get_config())
    np.testing.assert_array_equal(clone.boxes, layer.boxes)
    assert clone.boxes.shape == (9 * 4 + 6, 4)
    norm = ssd.L2Normalization(scale=5.0)
    y = keras.ops.convert_to_numpy(norm(np.random.default_rng(0).normal(size=(1, 2, 2, 8)).astype("float32")))
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), 5.0, rtol=1e-5)
    assert ssd.L2Normalization.from_config(norm.get_config()).scale == 5.0


def test_saved_model_carries_its_default_boxes(tmp_path):
    model = zoo.get_model("ssd_tiny", input_shape=(64, 96, 3), classes=2)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(ssd.default_boxes_of(loaded)[0], ssd.default_boxes_of(model)[0])


def test_head_and_builder_errors():
    inputs = keras.Input((64, 64, 3))
    backbone = ssd.tiny_backbone(inputs)
    with pytest.raises(ValueError, match=r"no layer 'stage9'.*stage1"):
        ssd.ssd_head(backbone, 3, feature_layers=("stage2", "stage9"))
    with pytest.raises(ValueError, match="one tuple per feature map"):
        ssd.ssd_head(backbone, 3, feature_layers=("stage2",), aspect_ratios=[anchors.RATIOS_4] * 2)
    with pytest.raises(ValueError, match="classes=0"):
        ssd.ssd_head(backbone, 0, feature_layers=("stage2",))
    dynamic = ssd.tiny_backbone(keras.Input((None, None, 3)))
    with pytest.raises(ValueError, match="fixed input size"):
        ssd.ssd_head(dynamic, 3, feature_layers=("stage2",))
    with pytest.raises(ValueError, match="multiples of 32"):
        zoo.get_model("ssd_tiny", input_shape=(70, 64, 3))
    with pytest.raises(ValueError, match="include_top=False"):
        zoo.get_model("ssd_tiny", include_top=False)
    with pytest.raises(ValueError, match="no 'default_boxes' layer"):
        ssd.default_boxes_of(backbone)
