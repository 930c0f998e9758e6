"""The segmentation task module (contract 3) driven directly: a short U-Net training on `shapes`
shows learning; the full target (mean IoU >= 0.90 on held-out scenes) is a slow test."""

import json
import os
import time

import numpy as np
import pytest

import keras

import zoo
from zoo.data import ArrayDataset, shapes
from zoo.tasks import segmentation as task


def _train(train, *, epochs, filters, depth, lr, batch_size=16, batch_norm=False):
    keras.utils.set_random_seed(0)
    model = zoo.get_model(
        "unet", input_shape=train.x.shape[1:], classes=train.classes, depth=depth, filters=filters,
        batch_norm=batch_norm,
    )
    model.compile(optimizer=keras.optimizers.Adam(lr), **task.compile_args(model, train))
    x, y = task.fit_data(model, train)
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model, history.history["loss"]


def test_short_unet_training_on_shapes_learns(tmp_path):
    train = shapes.load("train", image_size=32, num_examples=240)
    test = shapes.load("test", image_size=32, num_examples=40)
    model, losses = _train(train, epochs=8, filters=8, depth=2, lr=3e-3, batch_size=8, batch_norm=True)
    metrics = task.evaluate(model, test)
    assert list(metrics)[0] == "mean_iou"
    assert {"iou_circle", "dice_triangle", "mean_dice", "pixel_accuracy"} <= set(metrics)
    # 240 steps: the loss falls by more than half, shapes are found (foreground vs background
    # IoU on held-out scenes) and the mean IoU rises above predicting background everywhere
    pred, _ = task.predict_masks(model, test.x)
    fg_iou = ((pred > 0) & (test.y > 0)).sum() / ((pred > 0) | (test.y > 0)).sum()
    all_background = np.mean([(test.y == 0).mean(), 0, 0, 0])
    assert losses[-1] < 0.5 * losses[0], losses
    assert fg_iou > 0.35, (fg_iou, metrics)
    assert metrics["mean_iou"] > all_background + 0.05, metrics
    png = task.plot_predictions(model, test, str(tmp_path / "seg.png"))
    assert os.path.getsize(png) > 10_000

    # zoo predict: masks and overlays for image files
    from PIL import Image

    from zoo.plots import class_colours

    files = []
    for i, size in enumerate([(32, 32), (48, 32)]):  # (width, height): a square and a wide input
        p = tmp_path / f"scene{i}.png"
        Image.fromarray((test.x[i] * 255).astype(np.uint8)).resize(size).save(p)
        files.append(str(p))
    records = task.predict_files(model, files, str(tmp_path / "pred"), test.class_names)
    assert [r["path"] for r in records] == files
    aspects = []
    for r, (w, h) in zip(records, [(32, 32), (48, 32)]):
        assert r["label"] in test.class_names and 0 <= r["probability"] <= 1
        assert os.path.isfile(r["mask"]) and os.path.isfile(r["overlay"])
        assert sum(r["class_pixels"].values()) == 32 * 32
        # the mask is a palette PNG at the input's size: it looks like a mask, and reads back as class indices
        with Image.open(r["mask"]) as im:
            assert im.mode == "P" and im.size == (w, h)
            palette = np.asarray(im.getpalette()[: 3 * len(test.class_names)]).reshape(-1, 3)
            indices = np.asarray(im)
        assert set(np.unique(indices)) <= set(range(len(test.class_names)))
        np.testing.assert_array_equal(palette, (class_colours(len(test.class_names)) * 255).round())
        with Image.open(r["overlay"]) as im:
            aspects.append(im.size[0] / im.size[1])
    assert aspects[1] > 1.25 * aspects[0]  # the wide input's overlay is drawn wide, not squashed square


def test_bad_masks_are_refused_with_clear_errors():
    x = np.zeros((2, 16, 16, 3), np.float32)
    with pytest.raises(ValueError, match=r"masks must have shape \(N, H, W\) = \(2, 16, 16\)"):
        task.check_data(x, np.zeros((2, 16, 15), int), 4)
    with pytest.raises(ValueError, match="class ids must be in 0..3 .* class id 4"):
        task.check_data(x, np.full((2, 16, 16), 4), 4)
    with pytest.raises(ValueError, match="class id -1"):
        task.check_data(x, np.full((2, 16, 16), -1), 4)
    model = zoo.get_model("unet", input_shape=(16, 16, 3), classes=3, depth=2, filters=4)
    ds = ArrayDataset(x, np.zeros((2, 16, 16), int), "segmentation", ["a", "b", "c", "d"], "toy")
    with pytest.raises(ValueError, match="predicts 3 classes but dataset 'toy' has 4"):
        task.compile_args(model, ds)
    ok = ArrayDataset(x, np.full((2, 16, 16), 3), "segmentation", ["a", "b", "c"], "toy")
    with pytest.raises(ValueError, match="class id 3"):
        task.fit_data(model, ok)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 15-25 min on 2 shared cores; pytest.ini's 900 s cut it in its last evaluation
def test_zoo_train_unet_on_shapes_with_no_flags_reaches_mean_iou_090(tmp_path):
    """The issue's target, through the exact command `zoo train unet --dataset shapes --out DIR`:
    the registered unet's recipe (8 epochs, batch 16, adam 2e-3, cosine) on 1000 64x64 scenes,
    mean IoU on the 200 held-out test scenes.

    Measured on a quiet 2-core machine: test mean IoU 0.931 (IoU circle 0.937, square 0.896,
    triangle 0.899; mean Dice 0.964), 6 min 7 s wall for the command (358 s of training).
    Before the U-Net's BatchNorm momentum went from Keras' 0.99 to 0.9, validation lagged
    training by ~3 epochs and the recipe needed 10 epochs (0.946, 7 min 49 s). The former
    defaults (10 epochs at batch 32, adam 1e-3) gave half the steps at half the rate.
    """
    from tests.conftest import run_zoo

    out = tmp_path / "unet"
    start = time.perf_counter()
    p = run_zoo("train", "unet", "--dataset", "shapes", "--out", str(out), timeout=3600)
    seconds = time.perf_counter() - start
    assert p.returncode == 0, p.stderr[-3000:]
    assert "unet's recommended recipe: --epochs 8 --batch-size 16 --lr 0.002" in p.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    print(f"zoo train unet --dataset shapes: {seconds:.0f} s wall, {os.getloadavg()} load, {metrics['test']}")
    assert metrics["epochs_run"] == 8 and os.path.getsize(out / "predictions.png") > 10_000
    assert metrics["test"]["mean_iou"] >= 0.90, metrics["test"]
