"""`zoo evaluate` matches a dataset's classes to the model's by name: a folder in another order, a
folder of renamed classes (`--class-map` or a refusal), a dataset of another class count (refused
before any prediction), a 1000-class model on a folder of three of its classes (a subset matrix)."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_zoo
from zoo.training.classes import match_classes, parse_class_map

COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}


def _colour_model(classes, hot):
    """A fixed classifier of 16x16 RGB images: channel c scores class hot[c] (no training)."""
    import keras

    w = np.zeros((3, classes), np.float32)
    for channel, k in enumerate(hot):
        w[channel, k] = 20.0
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(classes, activation="softmax")], name="colours")
    model.layers[-1].set_weights([w, np.zeros(classes, np.float32)])
    return model


def _run(root, model, names):
    root.mkdir()
    model.save(root / "model.keras")
    (root / "labels.json").write_text(json.dumps(names))
    (root / "config.json").write_text(json.dumps({"kind": "train", "model": "lenet5", "task": "classification", "seed": 0}))
    (root / "evaluation.json").write_text('{"the run\'s own": true}')
    return root


def _folder(root, names_to_colour, n=10):
    for name, colour in names_to_colour.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (16, 16), colour).save(root / name / f"{i}.png")
    return f"folder:{root}"


@pytest.fixture
def rgb_run(tmp_path):
    """A 3-class run whose classes are red, green, blue, in that order (not alphabetical)."""
    return _run(tmp_path / "run", _colour_model(3, (0, 1, 2)), ["red", "green", "blue"])


def test_a_folder_in_another_order_is_matched_by_name(rgb_run, tmp_path, capsys):
    from zoo.training.evaluate import evaluate_path

    data = _folder(tmp_path / "data", COLOURS)  # sorted: blue, green, red
    result = evaluate_path(str(rgb_run), data, out=str(tmp_path / "eval"))
    assert result["metrics"]["accuracy"] == 1.0  # by position: blue scored as red, 1/3
    assert list(result["metrics"]["per_class"]) == ["red", "green", "blue"]
    assert "matched by name" in capsys.readouterr().out


def test_renamed_classes_are_refused_naming_both_sides_and_the_map(rgb_run, tmp_path):
    from zoo.training.evaluate import evaluate_path

    data = _folder(tmp_path / "data", {"x": COLOURS["red"], "y": COLOURS["green"], "z": COLOURS["blue"]})
    with pytest.raises(ValueError) as e:
        evaluate_path(str(rgb_run), data)
    msg = str(e.value)
    assert "has 3 classes (x, y, z) and the model 3 (red, green, blue)" in msg and "`class_map` (x=red,y=green,z=blue)" in msg
    assert json.loads((rgb_run / "evaluation.json").read_text()) == {"the run's own": True}  # not overwritten
    assert not (rgb_run / "eval_confusion_matrix.png").exists()


def test_class_map_renames_and_the_run_scores_them(rgb_run, tmp_path, capsys):
    from zoo.training.evaluate import evaluate_path

    data = _folder(tmp_path / "data", {"x": COLOURS["red"], "y": COLOURS["green"], "z": COLOURS["blue"]})
    (tmp_path / "map.txt").write_text("x=red  # the first\ny=green\nz=blue\n")
    result = evaluate_path(str(rgb_run), data, class_map=parse_class_map(str(tmp_path / "map.txt")))
    assert result["metrics"]["accuracy"] == 1.0
    assert capsys.readouterr().out.splitlines()[0] == "classes: renamed x → red, y → green, z → blue"


def test_digits_on_a_three_class_model_are_refused_before_any_prediction(rgb_run, monkeypatch):
    """Was: IndexError: index 7 is out of bounds for axis 1 with size 3."""
    from zoo.training import evaluate

    monkeypatch.setattr(evaluate, "load_for_model", lambda *a, **k: pytest.fail("data loaded before the refusal"))
    with pytest.raises(ValueError, match=r"digits has 10 classes \(0, 1, .*\) and the model 3 \(red, green, blue\)"):
        evaluate.evaluate_path(str(rgb_run), "digits")


def test_the_cli_refuses_in_one_line_before_keras_is_imported(rgb_run, tmp_path):
    """A Keras that cannot import (an unknown backend) is never reached: the match is refused first."""
    data = _folder(tmp_path / "data", {"x": COLOURS["red"], "y": COLOURS["green"], "z": COLOURS["blue"]}, n=1)
    for dataset, needle in ((data, "x=red,y=green,z=blue"), ("digits", "digits has 10 classes")):
        proc = run_zoo("evaluate", str(rgb_run), "--dataset", dataset, env={"KERAS_BACKEND": "no-such-backend"})
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("zoo: error: "), proc.stderr
        assert needle in lines[0] and "--class-map" in lines[0], lines[0]
    proc = run_zoo("evaluate", str(rgb_run), "--dataset", data, "--class-map", "x=red,q=blue",
                   env={"KERAS_BACKEND": "no-such-backend"})
    assert proc.returncode == 2 and "--class-map renames q, which" in proc.stderr, proc.stderr


def test_a_1000_class_model_on_a_folder_of_three_of_its_classes(tmp_path, capsys):
    from zoo.training.evaluate import evaluate_path, format_classification

    names = [f"n{k:03d}" for k in range(1000)]
    run = _run(tmp_path / "run", _colour_model(1000, (5, 500, 900)), names)
    data = _folder(tmp_path / "data", {"n005": COLOURS["red"], "n500": COLOURS["green"], "n900": COLOURS["blue"]})
    result = evaluate_path(str(run), data)
    m = result["metrics"]
    assert m["accuracy"] == 1.0  # by position: n005, n500, n900 read as classes 0, 1, 2: 0 %
    assert list(m["per_class"]) == ["n005", "n500", "n900"]
    assert np.array(m["confusion_matrix"]).shape == (4, 4)  # the three + predictions of any other class
    assert "classes: 3 of the model's 1000 classes in" in capsys.readouterr().out
    assert "n500" in format_classification(result)


def test_a_model_without_names_matches_in_order_and_says_so():
    assert match_classes(["0", "1", "2"], ["a", "b", "c"], named=False).note.startswith(
        "classes: the model keeps no class names; the dataset's 3 classes are taken in order (a = 0, b = 1, c = 2)")
    with pytest.raises(ValueError, match=r"has 10 classes .* and the model 3, without class names"):
        match_classes(["0", "1", "2"], [str(i) for i in range(10)], named=False)


def test_class_map_forms_and_mistakes(tmp_path):
    assert parse_class_map("a=b, c = d") == {"a": "b", "c": "d"}
    for bad, needle in (("a", "is not one"), ("a=b,a=c", "maps 'a' twice"), (",", "no OLD=NEW")):
        with pytest.raises(ValueError, match=needle):
            parse_class_map(bad)
    with pytest.raises(ValueError, match=r"maps to q, which the model has no class of"):
        match_classes(["a", "b"], ["x", "b"], class_map={"x": "q"})


def test_the_light_folder_listing_agrees_with_the_scan(tmp_path):
    from zoo.data.imagefolder import scan_image_folder
    from zoo.training.classes import dataset_class_names

    data = _folder(tmp_path / "data", {"b": COLOURS["red"], "A": COLOURS["green"], "a": COLOURS["blue"]}, n=2)
    (tmp_path / "data" / ".hidden").mkdir()
    (tmp_path / "data" / "notes.txt").write_text("x")
    assert dataset_class_names(data) == scan_image_folder(data[len("folder:"):], warn=False).class_names


def test_predict_says_how_its_inputs_were_fitted(rgb_run, tmp_path, capsys):
    from zoo.training.predict import predict_paths

    for i, size in enumerate(((20, 12), (20, 12))):
        Image.new("L", size, 200).save(tmp_path / f"g{i}.png")
    records = predict_paths(str(rgb_run), [str(tmp_path / "g0.png"), str(tmp_path / "g1.png")])
    assert [r["label"] for r in records] == ["red", "red"]  # grey repeated: every channel alike, the first wins
    err = capsys.readouterr().err
    assert "data: 2 input images 1 → 3 channels, 12×20 → 16×16 to fit colours\n" in err
