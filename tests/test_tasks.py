"""The task protocol (zoo.tasks): every task implements all of it, one image reader feeds every
task the same pixels, a dataset of another task is refused in one sentence, and a run's task is
read from what the run recorded."""

import inspect
import json
import types

import keras
import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_zoo
from zoo import tasks

PROTOCOL_FUNCTIONS = ("compile_args", "fit_data", "evaluate", "predict_files", "figures")


@pytest.mark.portable
@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_every_task_implements_the_whole_protocol(name):
    task = tasks.get_task(name)
    assert isinstance(task, tasks.Task) and task.name == name
    for fn in PROTOCOL_FUNCTIONS:
        want = [p for p in inspect.signature(getattr(tasks.Task, fn)).parameters if p != "self"]
        got = list(inspect.signature(getattr(task, fn)).parameters)
        assert got[: len(want)] == want, (name, fn, got)
    assert set(task.dataset_tasks) <= {"classification", "segmentation", "detection"}
    assert tasks.fitting_datasets(name), name  # a refusal always has something to suggest


def test_every_registered_model_has_a_task():
    import zoo

    assert {zoo.registry.get_spec(m).task for m in zoo.list_models()} <= set(tasks.TASKS)


def _pngs(tmp_path):
    """An RGBA PNG (left half transparent black, right half opaque red) and a 16-bit grey PNG
    (a ramp up to 65535): the files where readers used to disagree."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:, 4:] = (255, 0, 0, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    grey = np.tile(np.linspace(0, 65535, 8), (8, 1)).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "grey16.png")
    assert Image.open(tmp_path / "grey16.png").mode.startswith("I")
    return [str(tmp_path / "rgba.png"), str(tmp_path / "grey16.png")]


def _spy(model, seen):
    real = model.predict

    def predict(x, *args, **kw):
        seen.append(np.array(x))
        return real(x, *args, **kw)

    model.predict = predict
    return model


@pytest.mark.portable
def test_a_png_gives_a_classifier_and_a_segmenter_the_same_pixels(tmp_path):
    files = _pngs(tmp_path)
    inputs = keras.Input((8, 8, 3))
    classifier = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs)))
    segmenter = keras.Model(inputs, keras.layers.Conv2D(2, 1, activation="softmax")(inputs))
    seen_cls, seen_seg = [], []
    tasks.get_task("classification").predict_files(_spy(classifier, seen_cls), files, None, ["a", "b"])
    tasks.get_task("segmentation").predict_files(_spy(segmenter, seen_seg), files, str(tmp_path / "out"), ["a", "b"])
    cls_pixels = np.concatenate(seen_cls)
    seg_pixels = np.concatenate(seen_seg)
    assert cls_pixels.shape == seg_pixels.shape == (2, 8, 8, 3)
    np.testing.assert_array_equal(cls_pixels, seg_pixels)
    rgba, grey = cls_pixels
    # transparent pixels are composited onto white (not the black stored under them); red stays red
    np.testing.assert_allclose(rgba[:, :4], 1.0)
    np.testing.assert_allclose(rgba[0, 4:], [[1.0, 0.0, 0.0]] * 4)
    # 16 bits scaled to [0, 1], not clipped at 255/65535: a ramp from black to white, grey on all channels
    np.testing.assert_allclose(grey[0, :, 0], np.linspace(0, 1, 8), atol=1 / 255)
    assert np.all(grey[..., 0] == grey[..., 2])
    mask = Image.open(tmp_path / "out" / "rgba_mask.png")
    assert mask.size == (8, 8)


def test_zoo_train_refuses_a_dataset_of_another_task_in_one_sentence_and_writes_nothing(tmp_path):
    from zoo.training.train import train

    with pytest.raises(ValueError) as e:
        train("unet", "digits", str(tmp_path / "run"), epochs=1)
    assert str(e.value) == (
        "'unet' is a segmentation model and dataset 'digits' is a classification dataset: a segmentation model "
        "trains on shapes, oxford_iiit_pet. Received: dataset='digits'"
    )
    assert not (tmp_path / "run").exists()
    with pytest.raises(ValueError, match="'ssd_tiny' is a detection model and dataset 'shapes' is a segmentation dataset: "
                                         "a detection model trains on shapes-det, voc"):
        train("ssd_tiny", "shapes", str(tmp_path / "run"), epochs=1)
    assert not (tmp_path / "run").exists()


def test_tune_compare_and_check_refuse_a_dataset_of_another_task_the_same_way(tmp_path):
    from zoo.training.compare import compare_optimizers
    from zoo.training.recipe import run_checks
    from zoo.tuning.search import run_search

    sentence = "'unet' is a segmentation model and dataset 'digits' is a classification dataset"
    with pytest.raises(ValueError, match=sentence):
        run_search("unet", "digits", "random", str(tmp_path / "tune"), max_trials=1, epochs=1)
    with pytest.raises(ValueError, match=sentence):
        compare_optimizers("unet", "digits", out=str(tmp_path / "cmp"), optimizers=["adam"], epochs=1)
    with pytest.raises(ValueError, match="'lenet5' is a classification model and dataset 'shapes' is a segmentation dataset"):
        run_checks("lenet5", "shapes", out=str(tmp_path / "chk"))
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_zoo_train_unet_on_digits_says_so_on_the_command_line(tmp_path):
    r = run_zoo("train", "unet", "--dataset", "digits", "--out", str(tmp_path / "run"))
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("zoo: error: 'unet' is a segmentation model and dataset 'digits'")
    assert "shapes, oxford_iiit_pet" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "run").exists()


def test_a_runs_task_comes_from_what_it_recorded(tmp_path):
    """config.json first, then metrics.json (transfer runs), then the registry; never the output shape."""
    from zoo.training.evaluate import model_task

    head = types.SimpleNamespace(name="transfer_head")  # not a registered name
    (tmp_path / "metrics.json").write_text(json.dumps({"task": "classification", "model": "transfer_head"}))
    assert model_task(head, {}, str(tmp_path)) == "classification"
    assert model_task(head, {"task": "segmentation"}, str(tmp_path)) == "segmentation"
    (tmp_path / "metrics.json").write_text(json.dumps({"model": "transfer_head"}))
    assert model_task(head, {"model": "unet"}, str(tmp_path)) == "segmentation"
    assert model_task(types.SimpleNamespace(name="vae"), {}, None) == "generation"
    with pytest.raises(ValueError, match="cannot tell the task of model 'transfer_head'"):
        model_task(head, {}, str(tmp_path))
