"""FLOP counting (`zoo.flops`) against numbers computed by hand and published counts."""

import keras
import pytest

pytestmark = pytest.mark.portable  # the count reads shapes: the same on every backend


def test_small_conv_dense_net_against_hand_count():
    from zoo.flops import forward_flops, training_flops

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3)(inputs)  # 6x6x4 outputs, 3x3x3 multiply-adds each: 3,888
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)  # 6x6x4 outputs, 3x3 each: 1,296
    x = keras.layers.BatchNormalization()(x)  # not counted
    x = keras.layers.Conv2D(2, 1, strides=2)(x)  # 3x3x2 outputs, 4 each: 72
    x = keras.layers.Conv2DTranspose(3, 2, strides=2)(x)  # 3x3x2 inputs, each to 2x2x3: 216
    x = keras.layers.Flatten()(x)  # 6x6x3 = 108
    outputs = keras.layers.Dense(5)(x)  # 108 x 5: 540
    model = keras.Model(inputs, outputs)
    macs = 3888 + 1296 + 72 + 216 + 540
    assert forward_flops(model) == 2 * macs
    assert training_flops(model) == 3 * 2 * macs


def test_nested_model_is_counted_through():
    """The augmented trainer of `zoo train` (augmentation, then the network) counts as the network."""
    from zoo.flops import forward_flops

    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    wrapped = keras.Sequential([keras.Input((4,)), keras.layers.Identity(), net])
    assert forward_flops(wrapped) == forward_flops(net) == 2 * 12


def test_resnet18_matches_the_published_count():
    """torchvision lists resnet18 at 1.81 G multiply-adds at 224x224 (its "GFLOPS" column)."""
    from zoo import get_model
    from zoo.flops import forward_flops

    assert forward_flops(get_model("resnet18")) / 2 == pytest.approx(1.81e9, rel=0.01)
