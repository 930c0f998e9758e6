"""Segmentation losses and metrics against NumPy references, and their save/load, on
TensorFlow and JAX."""

import numpy as np
import pytest

import keras

import zoo
from zoo.segmentation import losses, metrics

pytestmark = pytest.mark.portable


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _data(seed=0, classes=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, (2, 8, 8))
    p = _softmax(rng.normal(size=(2, 8, 8, classes)) + 2 * np.eye(classes)[y]).astype("float32")
    return y, p


def _np(loss, y, p):
    return float(keras.ops.convert_to_numpy(loss(y, p)))


def test_dice_loss_matches_numpy_and_is_zero_for_a_perfect_prediction():
    y, p = _data()
    t = np.eye(3)[y]
    dice = (2 * (t * p).sum((1, 2)) + 1) / (t.sum((1, 2)) + p.sum((1, 2)) + 1)
    np.testing.assert_allclose(_np(losses.DiceLoss(), y, p), np.mean(1 - dice.mean(-1)), rtol=1e-5)
    assert _np(losses.DiceLoss(), y, np.eye(3, dtype="float32")[y]) < 1e-6
    assert _np(losses.DiceLoss(), y, np.eye(3, dtype="float32")[(y + 1) % 3]) > 0.9


def test_focal_loss_matches_numpy_and_down_weights_easy_pixels():
    y, p = _data(1)
    p_t = np.take_along_axis(p, y[..., None], -1)[..., 0]
    ref = np.mean(-0.25 * (1 - p_t) ** 2 * np.log(p_t))
    np.testing.assert_allclose(_np(losses.FocalLoss(), y, p), ref, rtol=1e-5)
    ce = np.mean(-np.log(p_t))
    assert _np(losses.FocalLoss(alpha=None, gamma=0.0), y, p) == pytest.approx(ce, rel=1e-5)
    assert _np(losses.FocalLoss(alpha=None), y, p) < ce


def test_bce_dice_is_cross_entropy_plus_dice_for_sigmoid_and_softmax():
    y, p = _data(2)
    ce = np.mean(-np.log(np.take_along_axis(p, y[..., None], -1)))
    assert _np(losses.BCEDiceLoss(), y, p) == pytest.approx(ce + _np(losses.DiceLoss(), y, p), rel=1e-5)
    rng = np.random.default_rng(3)
    yb = rng.integers(0, 2, (2, 8, 8, 1))
    pb = rng.uniform(0.05, 0.95, (2, 8, 8, 1)).astype("float32")
    bce = np.mean(-(yb * np.log(pb) + (1 - yb) * np.log(1 - pb)))
    got = _np(losses.BCEDiceLoss(dice_weight=0.0), yb, pb)
    assert got == pytest.approx(bce, rel=1e-5)


def test_numpy_iou_and_dice_on_a_hand_counted_example():
    y_true = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    y_pred = np.array([[0, 1, 1, 1], [0, 0, 0, 1]])
    cm = metrics.confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(cm[:2, :2], [[3, 1], [1, 3]])
    iou = metrics.iou_per_class(cm)
    np.testing.assert_allclose(iou[:2], [3 / 5, 3 / 5])
    assert np.isnan(iou[2])  # class 2 absent from both: left out of the mean
    np.testing.assert_allclose(metrics.dice_per_class(cm)[:2], [6 / 8, 6 / 8])
    assert metrics.mean_iou(y_true, y_pred, 3) == pytest.approx(0.6)


@pytest.mark.parametrize("classes", [1, 4])
def test_streaming_mean_iou_equals_the_numpy_mean_iou(classes):
    rng = np.random.default_rng(5)
    m = metrics.MeanIoU(num_classes=max(classes, 2))
    ys, preds = [], []
    for _ in range(3):
        n = max(classes, 2)
        y = rng.integers(0, n, (2, 6, 6))
        p = rng.random((2, 6, 6, classes)).astype("float32")
        m.update_state(y, p)
        ys.append(y)
        preds.append(metrics.predicted_labels(p))
    expected = metrics.mean_iou(np.stack(ys), np.stack(preds), max(classes, 2))
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_streaming_mean_iou_through_the_stateless_api_and_evaluate():
    """JAX's fit/evaluate drive metrics statelessly (variables passed in and out); an op on the
    Variable object itself there (ops.zeros_like(self.cm)) raised "Could not convert <Variable ...>
    to a NumPy dtype" on JAX."""
    m = metrics.MeanIoU(3)
    y = np.array([[[0, 1], [2, 2]]])
    p = np.eye(3, dtype="float32")[[[[0, 1], [2, 1]]]]
    state = m.stateless_update_state([v.value for v in m.variables], y, p)
    assert float(m.stateless_result(state)) == pytest.approx(metrics.mean_iou(y, [[[0, 1], [2, 1]]], 3))
    zeros = m.stateless_reset_state()
    assert float(np.abs(keras.ops.convert_to_numpy(zeros[0])).sum()) == 0.0
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(3, 1, activation="softmax")])
    model.compile(loss=losses.BCEDiceLoss(), metrics=[metrics.MeanIoU(3)])
    x, masks = np.random.default_rng(0).random((2, 4, 4, 3), "float32"), np.ones((2, 4, 4), "int32")
    first = model.evaluate(x, masks, verbose=0, return_dict=True)  # evaluate resets the metric each call
    assert model.evaluate(x, masks, verbose=0, return_dict=True)["mean_iou"] == pytest.approx(first["mean_iou"])


def test_model_compiled_with_the_losses_and_metric_saves_and_loads(tmp_path):
    model = zoo.get_model("unet", input_shape=(16, 16, 3), classes=3, depth=2, filters=4)
    model.compile(optimizer="adam", loss=losses.BCEDiceLoss(dice_weight=0.5), metrics=[metrics.MeanIoU(3)])
    path = str(tmp_path / "u.keras")
    model.save(path)
    loaded = zoo.load_model(path)
    assert isinstance(loaded.loss, losses.BCEDiceLoss) and loaded.loss.dice_weight == 0.5
    for cls, kw in ((losses.DiceLoss, {"smooth": 2.0}), (losses.FocalLoss, {"gamma": 1.0, "alpha": None})):
        again = cls.from_config(cls(**kw).get_config())
        assert all(getattr(again, k) == v for k, v in kw.items())
    assert metrics.MeanIoU.from_config(metrics.MeanIoU(5).get_config()).num_classes == 5
    with pytest.raises(ValueError, match="loss"):
        losses.get("jaccard")
