"""Data fitted to a model (`zoo.data.fit`): one rule for size, channels and value range, and one
line whenever the data is converted; `--image-size N|HxW` as the one flag of every command."""

import numpy as np
import pytest
from PIL import Image

from zoo.data import ArrayDataset
from zoo.data import fit


def _folder(root, classes=("a", "b"), n=3, size=(20, 12), mode="L"):
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.new(mode, size, color=40 * i).save(root / c / f"{i}.png")
    return root


def test_digits_for_an_rgb_model_say_what_was_converted(capsys):
    (ds,) = fit.load_fitted("digits", (224, 224, 3), min_shape=(32, 32), splits=("test",), model="resnet18")
    assert ds.x.shape[1:] == (32, 32, 3) and ds.x.dtype == np.float32 and 0 <= ds.x.min() and ds.x.max() <= 1
    assert capsys.readouterr().out == "data: digits 1 → 3 channels, 8×8 → 32×32 to fit resnet18\n"


def test_a_folder_is_read_for_the_model_once_and_said_once(tmp_path, capsys):
    root = _folder(tmp_path / "grey", n=10)
    splits = fit.load_fitted(f"folder:{root}", (224, 224, 3), min_shape=(32, 32), model="vgg16")
    assert all(s.x.shape[1:] == (64, 64, 3) for s in splits)  # the model's 224 capped at 64 per side
    assert capsys.readouterr().out.splitlines() == [f"data: folder:{root} 1 → 3 channels, 12×20 → 64×64 to fit vgg16"]


def test_nothing_is_said_when_nothing_is_converted(tmp_path, capsys):
    root = _folder(tmp_path / "rgb", size=(32, 32), mode="RGB")
    (ds,) = fit.load_fitted(f"folder:{root}", (32, 32, 3), splits=("train",), fixed=True, model="m")
    assert ds.x.shape[1:] == (32, 32, 3)
    assert capsys.readouterr().out == ""


def test_a_set_the_loader_cannot_fit_is_converted_after_loading(monkeypatch, capsys):
    """A tfds-like set of 0-255 grey 28x28 images for a fixed 32x32 RGB model."""
    x = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 1)).astype(np.float32)

    def fake_load(name, split, **kw):
        assert kw["image_size"] == (32, 32) and "channels" not in kw  # asked, but this loader ignores it
        return ArrayDataset(x=x.copy(), y=np.arange(4) % 2, task="classification", class_names=["0", "1"], name=name,
                            meta={"source_shape": (28, 28, 1)})

    monkeypatch.setattr(fit, "load", fake_load)
    (ds,) = fit.load_fitted("mnist", (32, 32, 3), splits=("test",), fixed=True, model="resnet20")
    assert ds.x.shape == (4, 32, 32, 3) and ds.x.max() <= 1.0 and ds.x.max() > 0.5
    np.testing.assert_allclose(ds.x[..., 0], ds.x[..., 2])  # grey repeated
    assert capsys.readouterr().out == "data: mnist 1 → 3 channels, 28×28 → 32×32, values 0–255 → 0–1 to fit resnet20\n"


def test_masks_are_never_resized_apart_from_their_images():
    ds = ArrayDataset(x=np.zeros((2, 16, 16, 3), np.float32), y=np.zeros((2, 16, 16), int), task="segmentation",
                      class_names=["bg", "fg"], name="shapes")
    with pytest.raises(ValueError, match=r"'shapes' gives 16x16 images and the model takes 32x32.*image_size"):
        fit.fit_arrays(ds, (32, 32), 3)


def test_one_rule_for_every_dataset_kind():
    assert fit.target("digits", (224, 224, 3), min_shape=(63, 63)) == ((63, 63), 3)  # the model's minimum
    assert fit.target("folder:x", (32, 32, 1)) == ((32, 32), 1)
    assert fit.target("folder:x", (224, 224, 3)) == ((64, 64), 3)
    assert fit.target("folder:x", (224, 224, 3), image_size=(96, 80)) == ((96, 80), 3)
    assert fit.target("cifar10", (224, 224, 3)) == (None, None)  # its own size and channels: the model is built on them
    assert fit.target("cifar10", (32, 32, 1), fixed=True) == ((32, 32), 1)  # a model that exists wins
    assert fit.model_input_shape((224, 224, 3), (96, 128)) == (96, 128, 3)
    assert fit.model_input_shape((224, 224, 3), 64) == (64, 64, 3)
    with pytest.raises(ValueError, match=r"`image_size` must be at least 32x32 for resnet50.*Received: image_size=16x20"):
        fit.model_input_shape((224, 224, 3), (16, 20), min_shape=(32, 32), model="resnet50")


@pytest.mark.parametrize("command", [
    ["train", "lenet5", "--dataset", "digits", "--out", "o"],
    ["tune", "lenet5", "--tuner", "random", "--out", "o"],
    ["transfer", "--data", "d", "--backbone", "lenet5", "--out", "o"],
    ["bench", "--model", "lenet5"],
    ["convert", "c.pth", "--model", "resnet18", "--out", "o.keras"],
])
def test_every_command_takes_image_size_n_or_hxw_and_the_old_spelling(command, capsys):
    from zoo.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(command + ["--image-size", "48x40"]).image_size == (48, 40)
    assert parser.parse_args(command + ["--image-size", "48"]).image_size == 48
    capsys.readouterr()
    assert parser.parse_args(command + ["--input-size", "40"]).image_size == 40
    assert capsys.readouterr().err == "zoo: note: --input-size is deprecated; use --image-size (same value)\n"
    with pytest.raises(SystemExit) as e:
        parser.parse_args(command + ["--image-size", "4x"])
    assert e.value.code == 2
    assert "expected N or HxW (e.g. 32 or 64x48), got '4x'" in capsys.readouterr().err
