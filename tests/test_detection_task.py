"""The detection task module (contract 3): targets, training that learns, evaluation, pictures."""

import os
import time

import numpy as np
import pytest
import keras

import zoo
from zoo.data import ArrayDataset, shapes_det
from zoo.tasks import detection as task


def _train(n_train, epochs, *, lr=3e-3, n_test=60, seed=0):
    train = shapes_det.load("train", num_examples=n_train, seed=seed)
    test = shapes_det.load("test", num_examples=n_test, seed=seed)
    keras.utils.set_random_seed(seed)
    model = zoo.get_model("ssd_tiny", input_shape=train.x.shape[1:], classes=train.classes)
    steps = epochs * (-(-n_train // 32))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(lr, steps)),
                  **task.compile_args(model, train))
    x, y = task.fit_data(model, train)
    before = task.evaluate(model, test)
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    return model, test, before, task.evaluate(model, test), history.history


def test_fit_data_targets():
    model = zoo.get_model("ssd_tiny", classes=3)
    ds = shapes_det.load("train", num_examples=6)
    x, y = task.fit_data(model, ds)
    assert x.shape == (6, 64, 64, 3)
    assert y["classes"].shape == (6, 340) and y["boxes"].shape == (6, 340, 5)
    n_objects = (ds.y["labels"] >= 0).sum(1)
    positives = (y["classes"] > 0).sum(1)
    assert (positives >= n_objects).all()  # every object gets at least its best default box
    np.testing.assert_array_equal(y["boxes"][..., 4], y["classes"])
    assert set(np.unique(y["classes"])) <= {0, 1, 2, 3}
    assert set(task.compile_args(model, ds)["loss"]) == {"classes", "boxes"}
    # the same scenes in pixel xyxy (as the tfds loader gives them) make the same targets
    pixels = ArrayDataset(x=ds.x, y={"boxes": ds.y["boxes"] * 64, "labels": ds.y["labels"]}, task="detection",
                          class_names=ds.class_names, name="px", meta={"box_format": "xyxy"})
    _, y_px = task.fit_data(model, pixels)
    np.testing.assert_array_equal(y_px["classes"], y["classes"])
    np.testing.assert_allclose(y_px["boxes"], y["boxes"], atol=1e-5)


def test_task_errors():
    model = zoo.get_model("ssd_tiny", classes=3)
    ds = shapes_det.load("train", num_examples=2, image_size=96)
    with pytest.raises(ValueError, match="takes 64x64 images.*96x96"):
        task.fit_data(model, ds)
    cls = ArrayDataset(x=np.zeros((2, 64, 64, 3), "float32"), y=np.zeros(2, int), task="classification",
                       class_names=["a"], name="digits")
    with pytest.raises(ValueError, match="needs a detection dataset.*classification"):
        task.evaluate(model, cls)
    small = zoo.get_model("ssd_tiny", classes=2)
    with pytest.raises(ValueError, match="has label 2.*classes=3"):
        task.fit_data(small, shapes_det.load("train", num_examples=20))
    bad = shapes_det.load("train", num_examples=2)
    bad.y["boxes"][1, 0] = [0.5, 0.5, 0.2, 0.9]
    with pytest.raises(ValueError, match=r"boxes'\]\[1, 0\].*x2 < x1"):
        task.fit_data(model, bad)
    with pytest.raises(ValueError, match="no input images"):
        task.predict_files(model, [], "out", ["a"])


def test_short_training_learns_and_draws_boxes(tmp_path):
    model, test, before, after, hist = _train(n_train=480, epochs=4, lr=5e-3)
    print(f"\nssd_tiny, 480 scenes x 4 epochs: {before} -> {after}; loss {hist['loss'][0]:.3f} -> {hist['loss'][-1]:.3f}")
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert before["map50"] < 0.05
    assert after["map50"] > before["map50"] + 0.15 and after["coco_map"] > before["coco_map"] + 0.03
    assert {f"ap50_{c}" for c in test.class_names} <= set(after)  # the per-class AP table's numbers
    assert after["map50"] == pytest.approx(np.mean([after[f"ap50_{c}"] for c in test.class_names]))
    png = task.plot_predictions(model, test, str(tmp_path / "pred.png"))
    assert os.path.getsize(png) > 10_000
    # zoo predict: image files in, PNGs with boxes out, records with the contract's keys
    from PIL import Image

    paths = []
    for i in range(2):
        p = str(tmp_path / f"scene{i}.png")
        Image.fromarray((test.x[i] * 255).astype("uint8")).resize((128, 96)).save(p)
        paths.append(p)
    records = task.predict_files(model, paths, str(tmp_path / "out"), test.class_names)
    assert [r["path"] for r in records] == paths
    for r in records:
        assert {"path", "label", "probability", "detections", "output"} <= set(r)
        assert r["box_format"] == "xyxy" and r["box_units"].startswith("pixels of the input image (128x96")
        assert os.path.getsize(r["output"]) > 5_000
        for d in r["detections"]:
            x1, y1, x2, y2 = d["box"]
            assert 0 <= x1 <= x2 <= 128 and 0 <= y1 <= y2 <= 96 and d["label"] in test.class_names
    assert any(r["detections"] for r in records)


@pytest.mark.slow
def test_ssd_tiny_reaches_voc_map50_of_0_80_on_held_out_scenes(tmp_path):
    """The training target: 2,000 scenes, 10 epochs, 300 held-out test scenes."""
    start = time.time()
    model, test, before, after, _ = _train(n_train=2000, epochs=10, n_test=300)
    wall = time.time() - start
    print(f"\nssd_tiny on shapes-det: {before} -> {after} in {wall:.0f} s")
    task.plot_predictions(model, test, str(tmp_path / "pred.png"))
    assert after["map50"] >= 0.80


def test_the_detection_page_example_runs(tmp_path, monkeypatch):
    text = open(os.path.join(os.path.dirname(__file__), "..", "docs", "topics", "detection.md"), encoding="utf-8").read()
    code = text.split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, "docs/topics/detection.md", "exec"), scope)
    assert os.path.getsize(tmp_path / "detections.png") > 10_000
    assert len(scope["dets"]) == 2 and set(scope["dets"][0]) == {"boxes", "scores", "labels"}


def test_tags_of_overlapping_detections_stay_readable(tmp_path, monkeypatch):
    """Two classes proposed for one object: the higher score keeps the top-left tag, the other's
    tag goes under its box instead of being drawn over the first one."""
    from zoo import plots

    captured = {}
    monkeypatch.setattr(plots.style, "save_figure", lambda fig, path: captured.setdefault("fig", fig) and path)
    image = np.zeros((1, 64, 64, 3), "float32")
    dets = [{"boxes": np.array([[0.5, 0.5, 0.6, 0.6], [0.51, 0.5, 0.6, 0.61], [0.1, 0.1, 0.3, 0.3]]),
             "scores": np.array([0.31, 0.66, 0.9]), "labels": np.array([0, 1, 2])}]
    plots.plot_detections(image, dets, str(tmp_path / "d.png"), class_names=["circle", "square", "triangle"])
    texts = {t.get_text(): t for t in captured["fig"].axes[0].texts}
    assert set(texts) == {"circle 0.31", "square 0.66", "triangle 0.90"}
    assert texts["square 0.66"].get_position() == (0.51 * 64, 0.5 * 64)  # top-left of its box
    assert texts["circle 0.31"].get_position() == (0.5 * 64, 0.6 * 64) and texts["circle 0.31"].get_va() == "top"
    assert texts["triangle 0.90"].get_position() == (0.1 * 64, 0.1 * 64)
