"""AlexNet, VGG, ResNet and the CIFAR ResNets: exact parameter counts, arguments, errors, stage
outputs, the norm= switch, and one training step on TensorFlow and JAX."""

import gc

import numpy as np
import pytest

import keras

import zoo
from zoo.models.common import stage_outputs, trainable_count

# torchvision's counts at 224x224x3 / 1000 classes: sum(p.numel() for p in model.parameters()).
# torchvision's BatchNorm running mean/var are buffers, not parameters, so for the BN nets the
# reference equals our *trainable* count (gamma, beta included; moving statistics excluded).
REFERENCE_COUNTS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "vgg11_bn": 132_868_840,
    "vgg13_bn": 133_053_736,
    "vgg16_bn": 138_365_992,
    "vgg19_bn": 143_678_248,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
}
# He et al. 2016, Section 4.2 / Table 6 (CIFAR-10, 10 classes, 32x32x3).
CIFAR_PAPER_COUNTS = {"resnet20": 0.27e6, "resnet32": 0.46e6, "resnet44": 0.66e6, "resnet56": 0.85e6, "resnet110": 1.7e6}


def _bn_moving_stats(model):
    return sum(
        2 * l.moving_mean.shape[0] for l in model._flatten_layers() if isinstance(l, keras.layers.BatchNormalization)
    )


def _free(model):
    del model
    keras.backend.clear_session()
    gc.collect()


@pytest.mark.parametrize("name", list(REFERENCE_COUNTS))
def test_parameter_count_at_224_equals_torchvision(name):
    model = zoo.get_model(name)
    assert model.input_shape == (None, 224, 224, 3)
    assert model.output_shape == (None, 1000)
    assert trainable_count(model) == REFERENCE_COUNTS[name]
    if name.endswith("_bn") or name.startswith("resnet"):
        # the only non-trainable weights are BatchNorm's moving mean and variance
        assert model.count_params() - REFERENCE_COUNTS[name] == _bn_moving_stats(model) > 0
    else:
        assert model.count_params() == REFERENCE_COUNTS[name]
    _free(model)


def test_vgg16_feature_extractor_count():
    model = zoo.get_model("vgg16", include_top=False)
    assert model.count_params() == 14_714_688
    assert model.output_shape == (None, 7, 7, 512)  # pooling=None: the block-5 map


@pytest.mark.parametrize("name", list(CIFAR_PAPER_COUNTS))
def test_cifar_resnet_counts_match_paper_within_2_percent(name):
    model = zoo.get_model(name)
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)
    count = trainable_count(model)  # BatchNorm's moving statistics excluded
    assert abs(count - CIFAR_PAPER_COUNTS[name]) / CIFAR_PAPER_COUNTS[name] < 0.02, count
    n = (len([l for l in model.layers if l.name.endswith("_add")])) // 3
    assert 6 * n + 2 == int(name[6:])  # 6n + 2 weighted layers
    _free(model)


def test_cifar_shortcut_options():
    a = zoo.get_model("resnet20")  # option A: parameter-free zero-padding shortcuts
    b = zoo.get_model("resnet20", shortcut="B")
    assert [l.name for l in a.layers if l.name.endswith("_0_pad")] == ["conv3_block1_0_pad", "conv4_block1_0_pad"]
    # option B: two 1x1 projections + BN: 16*32 + 32*64 weights, 2*(32+64) gamma/beta
    assert trainable_count(b) - trainable_count(a) == 16 * 32 + 32 * 64 + 2 * (32 + 64)
    with pytest.raises(ValueError, match=r"shortcut.*'A', 'B'.*Received: shortcut='C'"):
        zoo.get_model("resnet20", shortcut="C")


def test_resnet50_is_v15_grayscale_with_stage_outputs():
    model = zoo.get_model("resnet50", input_shape=(64, 64, 1), classes=3)
    assert model.get_layer("conv3_block1_1_conv").strides == (1, 1)
    assert model.get_layer("conv3_block1_2_conv").strides == (2, 2)  # v1.5: stride in the 3x3
    assert model.get_layer("conv3_block1_0_conv").strides == (2, 2)
    assert not any(getattr(l, "use_bias", False) for l in model.layers if isinstance(l, keras.layers.Conv2D))
    assert "v1.5" in zoo.get_spec("resnet50").notes and "v1.5" in zoo.get_spec("resnet152").notes
    outs = stage_outputs(model)
    assert [tuple(o.shape[1:]) for o in outs.values()] == [
        (32, 32, 64), (16, 16, 256), (8, 8, 512), (4, 4, 1024), (2, 2, 2048)
    ]
    y = keras.ops.convert_to_numpy(model(np.random.default_rng(0).random((2, 64, 64, 1), dtype=np.float32)))
    assert y.shape == (2, 3)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "name, shape, strides",
    [
        ("resnet18", (64, 96, 3), {"stem": 2, "stage1": 4, "stage2": 8, "stage3": 16, "stage4": 32}),
        ("vgg16", (64, 64, 3), {"stage1": 1, "stage2": 2, "stage3": 4, "stage4": 8, "stage5": 16}),
        ("vgg11_bn", (32, 32, 3), {"stage1": 1, "stage2": 2, "stage3": 4, "stage4": 8, "stage5": 16}),
        ("resnet20", (32, 32, 3), {"stage1": 1, "stage2": 2, "stage3": 4}),
    ],
)
def test_stage_outputs_have_the_contract_strides(name, shape, strides):
    model = zoo.get_model(name, input_shape=shape, classes=3, **({"top_units": 8} if "vgg" in name else {}))
    outs = stage_outputs(model)
    assert list(outs) == list(strides)
    for key, s in strides.items():
        assert tuple(outs[key].shape[1:3]) == (shape[0] // s, shape[1] // s), key
    channels = [outs[k].shape[-1] for k in strides if k != "stem"]
    expected = {"resnet18": [64, 128, 256, 512], "resnet50": [256, 512, 1024, 2048],
                "vgg16": [64, 128, 256, 512, 512], "vgg11_bn": [64, 128, 256, 512, 512], "resnet20": [16, 32, 64]}
    assert channels == expected[name]


def test_alexnet_stage_outputs_and_minimum_size():
    model = zoo.get_model("alexnet", input_shape=(63, 63, 1), classes=2, top_units=8)
    outs = stage_outputs(model)
    assert [tuple(o.shape[1:]) for o in outs.values()] == [(15, 15, 64), (7, 7, 192), (3, 3, 256)]
    assert model.output_shape == (None, 2)
    with pytest.raises(ValueError, match=r"too small for alexnet: every side must be >= 63"):
        zoo.get_model("alexnet", input_shape=(62, 62, 3))


@pytest.mark.parametrize(
    "name, bad, minimum",
    [("vgg16", (31, 64, 3), 32), ("resnet18", (16, 16, 3), 32), ("resnet50", (64, 24, 1), 32), ("resnet20", (4, 4, 3), 8)],
)
def test_too_small_input_names_the_minimum(name, bad, minimum):
    with pytest.raises(ValueError, match=rf"too small for {name}: every side must be >= {minimum}.*Received: input_shape"):
        zoo.get_model(name, input_shape=bad)


@pytest.mark.parametrize("name", ["vgg11", "resnet18", "resnet20"])
def test_grayscale_and_odd_sizes(name):
    model = zoo.get_model(name, input_shape=(40, 56, 1), classes=5, **({"top_units": 8} if "vgg" in name else {}))
    y = keras.ops.convert_to_numpy(model(np.random.default_rng(0).random((2, 40, 56, 1), dtype=np.float32)))
    assert y.shape == (2, 5)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "name, pooling, channels", [("resnet18", "avg", 512), ("vgg11", "max", 512), ("resnet20", "max", 64), ("alexnet", "avg", 256)]
)
def test_feature_extractor_pooling(name, pooling, channels):
    model = zoo.get_model(name, input_shape=(64, 64, 3), include_top=False, pooling=pooling)
    assert model.output_shape == (None, channels)
    assert model.layers[-1].name == f"{pooling}_pool"
    with pytest.raises(ValueError, match=r"pooling.*Received: pooling='mean'"):
        zoo.get_model(name, include_top=False, pooling="mean")


@pytest.mark.parametrize("name", ["resnet18", "vgg11_bn"])
def test_logits_without_classifier_activation(name):
    model = zoo.get_model(name, input_shape=(32, 32, 3), classes=4, classifier_activation=None, **({"top_units": 16} if "vgg" in name else {}))
    assert model.get_layer("predictions").activation is keras.activations.linear
    y = keras.ops.convert_to_numpy(model(np.random.default_rng(1).random((3, 32, 32, 3), dtype=np.float32)))
    assert not np.allclose(y.sum(axis=1), 1.0)


def _norm_layers(model):
    return sorted({type(l).__name__ for l in model.layers if "Normalization" in type(l).__name__})


@pytest.mark.parametrize("name", ["resnet18", "vgg11", "alexnet", "resnet20"])
@pytest.mark.parametrize(
    "norm, layer", [("batch", "BatchNormalization"), ("group", "GroupNormalization"), ("layer", "LayerNormalization"), (None, None)]
)
def test_norm_switch(name, norm, layer):
    shape = (64, 64, 3)
    model = zoo.get_model(name, input_shape=shape, classes=3, norm=norm, **({"top_units": 8} if name in ("vgg11", "alexnet") else {}))
    assert _norm_layers(model) == ([layer] if layer else [])
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    if name.startswith("resnet"):  # bias only where no normalization follows
        assert all(c.use_bias == (norm is None) for c in convs)
    if norm == "group":
        gn = [l for l in model.layers if isinstance(l, keras.layers.GroupNormalization)]
        assert all(l.groups == min(32, l.gamma.shape[0]) for l in gn)
    assert tuple(model(np.zeros((1,) + shape, "float32")).shape) == (1, 3)


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match=r"`norm` must be one of 'batch', 'group', 'layer', None. Received: norm='instance'"):
        zoo.get_model("resnet18", norm="instance")
    with pytest.raises(ValueError, match=r"top_units.*Received: top_units=0"):
        zoo.get_model("vgg16", top_units=0)
    with pytest.raises(ValueError, match=r"dropout.*Received: dropout=1.5"):
        zoo.get_model("alexnet", dropout=1.5)
    with pytest.raises(ValueError, match=r"classes.*Received: classes=0"):
        zoo.get_model("resnet18", classes=0)
    with pytest.raises(ValueError, match=r"weights.*Received: weights='imagenet'"):
        zoo.get_model("vgg16", weights="imagenet")


def test_every_family_is_listed_with_info():
    names = zoo.list_models()
    for n in [*REFERENCE_COUNTS, *CIFAR_PAPER_COUNTS]:
        assert n in names
        spec = zoo.get_spec(n)
        assert spec.task == "classification" and spec.paper and spec.notes
        assert spec.min_input_shape and spec.small_config


# ----------------------------------------------------------------------------- training steps
# The normal suite trains one small model per code path (AlexNet, VGG-BN, basic-block ResNet,
# CIFAR ResNet with option-A shortcuts, a one-block-per-stage bottleneck ResNet); every registered
# model gets its own step in the slow suite (ResNet-50's first step alone takes ~1 min on 2 cores).
FAST_TRAIN = ["alexnet", "vgg11_bn", "resnet18", "resnet20"]
SLOW_TRAIN = [n for n in [*REFERENCE_COUNTS, *CIFAR_PAPER_COUNTS] if n not in FAST_TRAIN]


def _one_training_step(model):
    rng = np.random.default_rng(0)
    x = rng.random((4,) + model.input_shape[1:], dtype=np.float32)
    y = np.array([0, 1, 2, 0])
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        # XLA compilation of a deep net costs minutes on CPU; the graph is the same without it
        jit_compile="auto" if keras.backend.backend() != "tensorflow" else False,
    )
    before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    loss = float(model.train_on_batch(x, y))
    after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    assert np.isfinite(loss) and 0 < loss < 10
    changed = sum(not np.array_equal(a, b) for a, b in zip(before, after))
    assert changed >= 0.9 * len(before)  # (nearly) every weight got a gradient
    _free(model)


@pytest.mark.portable
@pytest.mark.parametrize("name", FAST_TRAIN)
def test_one_training_step(name):
    _one_training_step(zoo.get_model(name, **zoo.get_spec(name).small_config))


@pytest.mark.portable
def test_one_training_step_bottleneck_resnet():
    from zoo.models.resnet import _build_resnet

    model = _build_resnet(
        block="bottleneck", depths=(1, 1, 1, 1), widths=(8, 16, 32, 64), input_shape=(32, 32, 3), classes=3
    )
    assert model.get_layer("conv3_block1_2_conv").strides == (2, 2)
    _one_training_step(model)


@pytest.mark.slow
@pytest.mark.portable
@pytest.mark.parametrize("name", SLOW_TRAIN)
def test_one_training_step_every_other_model(name):
    _one_training_step(zoo.get_model(name, **zoo.get_spec(name).small_config))
