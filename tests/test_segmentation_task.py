"""The segmentation task module (contract 3) driven directly: a short U-Net training on `shapes`
shows learning; the full target (mean IoU >= 0.90 on held-out scenes) is a slow test."""

import os
import time

import numpy as np
import pytest

import keras

import zoo
from zoo.data import ArrayDataset, shapes
from zoo.segmentation import task

EPOCHS_TO_TARGET = 20


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

    files = []
    for i in range(2):
        p = tmp_path / f"scene{i}.png"
        Image.fromarray((test.x[i] * 255).astype(np.uint8)).save(p)
        files.append(str(p))
    records = task.predict_files(model, files, str(tmp_path / "pred"), test.class_names)
    assert [r["path"] for r in records] == files
    for r in records:
        assert r["label"] in test.class_names and 0 <= r["probability"] <= 1
        assert os.path.isfile(r["mask"]) and os.path.isfile(r["overlay"])
        assert np.asarray(Image.open(r["mask"])).shape == (32, 32)
        assert sum(r["class_pixels"].values()) == 32 * 32


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
def test_unet_reaches_mean_iou_090_on_held_out_shapes(tmp_path):
    """The issue's target: the default unet reaches mean IoU >= 0.90 on held-out 64x64 scenes.

    Measured (same data, seed, model and optimizer; one fit call per epoch, evaluating after
    each; 2 shared CPU cores under heavy load): mean IoU 0.22, 0.26, 0.26, 0.52, 0.76, 0.85, 0.76,
    0.91, 0.91, 0.87 after epochs 1-10 at a constant learning rate 2e-3, 818 s of training in
    all (first epoch 222 s with compilation, the last ones about 45 s). The constant rate is
    noisy late, so this test decays it (cosine) over 20 epochs; that exact run is not measured.
    """
    train = shapes.load("train")
    test = shapes.load("test")
    keras.utils.set_random_seed(0)
    model = zoo.get_model("unet", input_shape=train.x.shape[1:], classes=train.classes)
    steps = EPOCHS_TO_TARGET * int(np.ceil(len(train) / 16))
    lr = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(lr), **task.compile_args(model, train))
    x, y = task.fit_data(model, train)
    start = time.perf_counter()
    model.fit(x, y, epochs=EPOCHS_TO_TARGET, batch_size=16, verbose=2)
    seconds = time.perf_counter() - start
    metrics = task.evaluate(model, test)
    task.plot_predictions(model, test, str(tmp_path / "seg.png"))
    print(f"unet on shapes 64x64: {model.count_params():,} parameters, {seconds:.0f} s training, {metrics}")
    assert metrics["mean_iou"] >= 0.90, metrics
