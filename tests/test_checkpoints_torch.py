"""Full-size agreement with the reference frameworks: torchvision's own
models with random weights and BatchNorm statistics, saved by torch, loaded into the zoo model of
the same name; logits agree to 1e-4 relative (float32). keras.applications' VGG16/VGG19/ResNet50
.h5 files likewise (slow: no torch needed, but 100-550 MB files).

Needs torch + torchvision (never in CI; marked `torch`, skipped without them). Run alone, torch
imported before TensorFlow (the other order crashes in C++):

    PYTHONPATH=/path/to/torch-venv/lib/python3.11/site-packages KERAS_BACKEND=tensorflow \\
        .venv/bin/python -m pytest -m "torch or slow" tests/test_checkpoints_torch.py

Each comparison appends "backend family max_relative_difference" to $ZOO_AGREEMENT_LOG if set.
"""

import os

import pytest

try:  # torch must be imported before TensorFlow (keras) in this process
    import torch
    import torchvision
except ImportError:  # pragma: no cover - CI has no torch
    torch = torchvision = None

import keras  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo.models.labels import checkpoint_info  # noqa: E402

needs_torch = pytest.mark.skipif(torch is None, reason="torch and torchvision are not installed")


@pytest.fixture(autouse=True)
def _free_memory():
    """Full-size VGGs hold ~0.5 GB each in both frameworks: release them between tests."""
    yield
    import gc

    keras.backend.clear_session()
    gc.collect()


def _record(family, diff):
    log = os.environ.get("ZOO_AGREEMENT_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{keras.backend.backend()} {family} {diff:.3e}\n")


def _rel(got, ref):
    return float(np.max(np.abs(np.asarray(got, "float64") - ref)) / np.max(np.abs(ref)))


TORCHVISION = ["alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
               "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


@pytest.mark.torch
@needs_torch
@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_full_size_agreement(name, tmp_path):
    torch.manual_seed(0)
    ref_model = getattr(torchvision.models, name)(weights=None).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in ref_model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):  # random statistics: a mapping error cannot hide
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    x = torch.randn(2, 3, 224, 224, generator=g)
    with torch.no_grad():
        ref = ref_model(x).numpy()
    path = tmp_path / f"{name}.pth"
    if name == "resnet50":  # the timm / Hugging Face container
        from safetensors.torch import save_file

        path = tmp_path / f"{name}.safetensors"
        save_file(ref_model.state_dict(), str(path))
    else:
        torch.save(ref_model.state_dict(), path)
    del ref_model
    model = zoo.get_model(name, weights=str(path), classifier_activation=None)
    assert checkpoint_info(model)["class_names"][0] == "tench"
    got = keras.ops.convert_to_numpy(model.predict(x.permute(0, 2, 3, 1).numpy(), verbose=0))
    del model
    diff = _rel(got, ref)
    _record(name, diff)
    assert diff <= 1e-4, diff


@pytest.mark.slow
@pytest.mark.parametrize("name,variant", [("vgg16", None), ("vgg19", None), ("resnet50", "v1")])
def test_keras_applications_full_size_agreement(name, variant, tmp_path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    apps = {"vgg16": keras.applications.VGG16, "vgg19": keras.applications.VGG19,
            "resnet50": keras.applications.ResNet50}[name]
    keras.utils.set_random_seed(0)
    ref_model = apps(weights=None, classifier_activation=None)
    rng = np.random.default_rng(0)
    for layer in ref_model.layers:  # random BatchNorm statistics, as a trained file has
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, g.shape), rng.normal(0, 0.1, b.shape),
                               rng.normal(0, 0.1, m.shape), rng.uniform(0.5, 1.5, v.shape)])
    path = tmp_path / f"{name}_weights_tf_dim_ordering_tf_kernels.h5"
    with h5py.File(path, "w") as f:  # the Keras 2 format keras.applications' files are in
        legacy_h5_format.save_weights_to_hdf5_group(f, ref_model)
    x = rng.uniform(-100, 150, (2, 224, 224, 3)).astype("float32")  # caffe-preprocessed range
    ref = keras.ops.convert_to_numpy(ref_model.predict(x, verbose=0))
    del ref_model
    kw = {"variant": variant} if variant else {}
    model = zoo.get_model(name, weights=str(path), classifier_activation=None, **kw)
    got = keras.ops.convert_to_numpy(model.predict(x, verbose=0))
    assert checkpoint_info(model)["preprocessing"] == "caffe"
    del model
    diff = _rel(got, ref)
    _record(f"keras.applications-{name}", diff)
    assert diff <= 1e-4, diff
