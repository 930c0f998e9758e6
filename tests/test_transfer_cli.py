"""`zoo transfer` end to end on a generated class-per-folder directory of digit PNGs."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_zoo

NAMES = ["five", "six", "seven", "eight", "nine"]


def write_digit_folder(root, per_class=12, seed=0, classes=(5, 6, 7, 8, 9)):
    """Digits written as 32x32 PNGs into root/<name>/, plus one broken file; returns root."""
    from zoo.data import load_digits

    (x, y), _ = load_digits(32, classes=list(classes), seed=seed)
    for k, digit in enumerate(classes):
        folder = os.path.join(root, NAMES[k] if classes == (5, 6, 7, 8, 9) else str(digit))
        os.makedirs(folder, exist_ok=True)
        for i, img in enumerate(x[y == digit][:per_class]):
            Image.fromarray((img[..., 0] * 255).astype(np.uint8), "L").save(os.path.join(folder, f"{i:03d}.png"))
    with open(os.path.join(root, NAMES[0], "broken.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\nnot really")
    return root


def test_zoo_transfer_writes_a_run_folder_that_predicts(tmp_path):
    import zoo

    data = write_digit_folder(str(tmp_path / "digits"))
    out = str(tmp_path / "run")
    weights = str(tmp_path / "lenet5.keras")  # stands for a pretrained file: the two-phase recipe
    zoo.get_model("lenet5", classes=10).save(weights)
    r = run_zoo("transfer", "--data", data, "--backbone", "lenet5", "--weights", weights, "--epochs", "3",
                "--fine-tune-epochs", "1", "--batch-size", "16", "--lr", "3e-3", "--out", out)
    assert r.returncode == 0, r.stderr[-2000:]
    warn = [l for l in r.stderr.splitlines() if l.startswith("zoo: warning:")]
    assert len(warn) == 1 and "broken.png" in warn[0]
    assert "phase 1/2: head only" in r.stdout and "phase 2/2: top 1 block(s)" in r.stdout
    assert "epoch 3/3" in r.stdout and "epoch 4/4" in r.stdout
    assert "train acc" in r.stdout and "test" in r.stdout.splitlines()[-1]
    for name in ("model.keras", "labels.json", "metrics.json", "history.csv", "learning_curves.png", "confusion_matrix.png"):
        assert os.path.isfile(os.path.join(out, name)), name
    labels = json.load(open(os.path.join(out, "labels.json")))
    assert labels == sorted(NAMES)
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    assert metrics["images"] == {"train": 45, "val": 5, "test": 10}
    assert [p["phase"] for p in metrics["phases"]] == [1, 2]
    assert metrics["phases"][0]["trainable_params"] < metrics["phases"][1]["trainable_params"]
    assert len(metrics["skipped_files"]) == 1
    assert metrics["train_accuracy"] > 0.4  # 5 classes: chance is 0.2; a few epochs already learn

    from zoo.tasks.classification import predict_files

    model = zoo.load_model(out)
    paths = [os.path.join(data, n, "011.png") for n in ("seven", "nine")]
    records = predict_files(model, paths, None, labels)
    assert [r["path"] for r in records] == paths
    assert all(r["label"] == labels[r["class_index"]] and 0 < r["probability"] <= 1 for r in records)
    # the training workbench's `zoo predict` reads the same run folder; an unreadable input is
    # skipped with one warning line naming it
    broken = os.path.join(data, NAMES[0], "broken.png")
    r = run_zoo("predict", out, *paths, broken, "--json")
    assert r.returncode == 0, r.stderr[-1500:]
    warn = [l for l in r.stderr.splitlines() if l.startswith("zoo: warning:")]
    assert len(warn) == 1 and "skipped 1 unreadable input image(s)" in warn[0] and broken in warn[0], r.stderr[-1500:]
    printed = json.loads(r.stdout)
    assert [(p["label"], p["class_index"]) for p in printed] == [(p["label"], p["class_index"]) for p in records]
    np.testing.assert_allclose([p["probability"] for p in printed], [p["probability"] for p in records], atol=1e-5)


def test_zoo_transfer_weights_that_do_not_fit_exit_2_naming_both(tmp_path):
    data = write_digit_folder(str(tmp_path / "digits"), per_class=3)
    import keras

    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])  # weights of another network
    bad = tmp_path / "bad.weights.h5"
    other.save_weights(str(bad))
    r = run_zoo("transfer", "--data", data, "--backbone", "lenet5", "--weights", str(bad), "--out", str(tmp_path / "run"))
    assert r.returncode == 2
    err = [l for l in r.stderr.splitlines() if l.startswith("zoo: error:")]
    assert len(err) == 1 and "bad.weights.h5" in err[0] and "lenet5" in err[0], r.stderr[-1500:]
    assert "Traceback" not in r.stderr and not os.path.exists(tmp_path / "run")


def test_zoo_transfer_weights_that_are_not_hdf5_are_refused_before_keras(tmp_path):
    data = write_digit_folder(str(tmp_path / "digits"), per_class=3)
    text = tmp_path / "text.weights.h5"
    text.write_bytes(b"not an h5 file")
    r = run_zoo("transfer", "--data", data, "--backbone", "lenet5", "--weights", str(text), "--out", str(tmp_path / "run"))
    err = [l for l in r.stderr.splitlines() if l.startswith("zoo: error:")]
    assert r.returncode == 2 and len(err) == 1, r.stderr[-1500:]
    assert "--weights=" in err[0] and "text.weights.h5" in err[0] and "HDF5" in err[0] and "text" in err[0]
    assert "Traceback" not in r.stderr and not os.path.exists(tmp_path / "run")


def test_zoo_transfer_argument_errors_need_no_keras(tmp_path):
    r = run_zoo("transfer", "--data", str(tmp_path), "--backbone", "lenet5", "--epochs", "-1", "--out", str(tmp_path / "r"))
    assert r.returncode == 2 and "--epochs" in r.stderr and "integer >= 0" in r.stderr


def test_predict_inputs_that_cannot_be_read_are_named(tmp_path):
    from zoo.training.predict import _readable

    good, bad = str(tmp_path / "good.png"), str(tmp_path / "bad.jpg")
    Image.fromarray(np.zeros((9, 9), np.uint8), "L").save(good)
    open(bad, "wb").write(b"\xff\xd8\xff\xe0 cut short")
    assert _readable([good]) == [good]
    with pytest.raises(ValueError, match=r"no readable input image: .*bad\.jpg \(corrupt or truncated"):
        _readable([bad])


def test_learning_curves_mark_where_phase_2_starts(tmp_path):
    from zoo.plots import plot_learning_curves

    path = plot_learning_curves({"loss": [1.0, 0.9, 0.8, 0.7], "accuracy": [0.3, 0.5, 0.6, 0.7]}, str(tmp_path / "c.png"),
                                marks={3: "phase 2"})
    assert os.path.getsize(path) > 1000


def test_zoo_transfer_without_weights_trains_the_whole_network_and_announces_grey(tmp_path, capsys):
    """No pretrained weights: freezing random features would train a head on noise, so the whole
    network trains (one phase, every parameter trainable); colour photos for 1-channel LeNet-5 are
    converted to grey, and the run says both."""
    from zoo.transfer import run_transfer

    root = tmp_path / "colour"
    rng = np.random.default_rng(0)
    for k, name in enumerate(("red", "blue")):
        (root / name).mkdir(parents=True)
        for i in range(10):
            img = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
            img[8:24, 8:24, 2 * k] = 255  # a bright square, in the red or the blue channel
            Image.fromarray(img, "RGB").save(root / name / f"{i}.png")
    m = run_transfer(str(root), "lenet5", str(tmp_path / "run"), epochs=1, fine_tune_epochs=1, batch_size=8, verbose=0)
    assert m["pretrained"] is False and [p["phase"] for p in m["phases"]] == [1] and m["epochs_run"] == 2
    assert m["phases"][0]["trainable_params"] == m["parameters"] and m["phases"][0]["unfrozen_blocks"] == ["all"]
    said = capsys.readouterr().out
    assert f"data: folder:{root} 3 → 1 channel to fit lenet5\n" in said  # the line zoo train prints for the same folder
    assert "no --weights, so lenet5 starts from random weights: the whole network trains for 2 epochs" in said
