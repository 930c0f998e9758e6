"""Box formats on non-square images, input checks, IoU, default boxes (8732), codec, matching."""

import itertools

import numpy as np
import pytest
from keras import ops

from zoo.detection import anchors, boxes, matching

pytestmark = pytest.mark.portable

H, W = 40, 100  # non-square: a swapped width/height shows

# one box, written by hand in every format (pixels x 10..30, y 5..25 of a 100 x 40 image)
X1, Y1, X2, Y2 = 10.0, 5.0, 30.0, 25.0
BY_FORMAT = {
    "xyxy": [X1, Y1, X2, Y2],
    "yxyx": [Y1, X1, Y2, X2],
    "xywh": [X1, Y1, X2 - X1, Y2 - Y1],
    "center_xywh": [(X1 + X2) / 2, (Y1 + Y2) / 2, X2 - X1, Y2 - Y1],
    "center_yxhw": [(Y1 + Y2) / 2, (X1 + X2) / 2, Y2 - Y1, X2 - X1],
    "rel_xyxy": [X1 / W, Y1 / H, X2 / W, Y2 / H],
    "rel_yxyx": [Y1 / H, X1 / W, Y2 / H, X2 / W],
    "rel_xywh": [X1 / W, Y1 / H, (X2 - X1) / W, (Y2 - Y1) / H],
    "rel_center_xywh": [(X1 + X2) / 2 / W, (Y1 + Y2) / 2 / H, (X2 - X1) / W, (Y2 - Y1) / H],
}


def _np(x):
    return ops.convert_to_numpy(x)


def test_hand_written_table_covers_every_format():
    assert set(BY_FORMAT) == set(boxes.FORMATS)


def test_every_format_pair_on_a_non_square_image():
    for source, target in itertools.product(boxes.FORMATS, boxes.FORMATS):
        got = boxes.convert_format(np.array([BY_FORMAT[source]], "float32"), source, target, height=H, width=W)
        np.testing.assert_allclose(_np(got)[0], BY_FORMAT[target], rtol=1e-6, atol=1e-6,
                                   err_msg=f"{source} -> {target}")


def test_format_errors():
    with pytest.raises(ValueError, match=r"source.*'xyxz'"):
        boxes.convert_format(np.zeros((1, 4)), "xyxz", "xyxy")
    with pytest.raises(ValueError, match="needs the image size"):
        boxes.convert_format(np.zeros((1, 4)), "xyxy", "rel_xyxy")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4\)"):
        boxes.convert_format(np.zeros((1, 3)), "xyxy", "yxyx")


def test_validate_boxes_catches_flipped_and_outside_boxes():
    ok = boxes.validate_boxes([[10, 5, 30, 25], [0, 0, 100, 40]], "xyxy", height=H, width=W)
    np.testing.assert_allclose(ok, [BY_FORMAT["rel_xyxy"], [0, 0, 1, 1]], atol=1e-6)
    with pytest.raises(ValueError, match=r"boxes\[1\]=\[30.0, 5.0, 10.0, 25.0\].*x2 < x1"):
        boxes.validate_boxes([[10, 5, 30, 25], [30, 5, 10, 25]], "xyxy", height=H, width=W)
    with pytest.raises(ValueError, match=r"boxes\[0\].*outside the image of 100x40"):
        boxes.validate_boxes([[10, 5, 130, 25]], "xyxy", height=H, width=W)
    with pytest.raises(ValueError, match="outside the image"):
        boxes.validate_boxes([[-0.2, 0.1, 0.5, 0.5]], "rel_xyxy")
    with pytest.raises(ValueError, match="need the image size"):
        boxes.validate_boxes([[10, 5, 30, 25]], "xyxy")
    with pytest.raises(ValueError, match="format.*'corners'"):
        boxes.validate_boxes([[10, 5, 30, 25]], "corners")
    # padding rows (label -1) are not checked
    out = boxes.validate_boxes([[0.1, 0.1, 0.2, 0.2], [0, 0, -1, -1]], labels=[0, -1])
    assert out.shape == (2, 4)


def test_iou_matches_numpy():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (7, 2, 2)).reshape(7, 4)
    b = rng.uniform(0, 1, (5, 2, 2)).reshape(5, 4)
    a = np.concatenate([np.minimum(a[:, :2], a[:, 2:]), np.maximum(a[:, :2], a[:, 2:])], 1).astype("float32")
    b = np.concatenate([np.minimum(b[:, :2], b[:, 2:]), np.maximum(b[:, :2], b[:, 2:])], 1).astype("float32")
    from zoo.detection.metrics import pairwise_iou

    np.testing.assert_allclose(_np(boxes.iou(a, b)), pairwise_iou(a.astype(float), b.astype(float)), atol=1e-5)


def test_ssd300_has_8732_default_boxes():
    got = anchors.default_boxes(anchors.SSD300_FEATURE_SHAPES, anchors.SSD300_RATIOS, first_scale=0.1)
    assert got.shape == (8732, 4)
    assert anchors.boxes_per_cell(anchors.SSD300_RATIOS) == [4, 6, 6, 6, 4, 4]
    assert 38 * 38 * 4 + 19 * 19 * 6 + 10 * 10 * 6 + 5 * 5 * 6 + 3 * 3 * 4 + 4 == 8732


def test_scales_follow_the_paper_and_the_release():
    # paper (Liu et al. 2016, eq. 4): s_min=0.2 .. s_max=0.9 over m=6 maps
    np.testing.assert_allclose(anchors.scales(6), [0.2, 0.34, 0.48, 0.62, 0.76, 0.9, 1.0], atol=1e-9)
    # released SSD300: conv4_3 at 0.1, the other five spread over 0.2..0.9
    np.testing.assert_allclose(anchors.scales(6, first_scale=0.1), [0.1, 0.2, 0.375, 0.55, 0.725, 0.9, 1.0], atol=1e-9)
    with pytest.raises(ValueError, match="s_min=0.95"):
        anchors.scales(3, s_min=0.95, s_max=0.9)


def test_default_box_geometry_on_a_non_square_map():
    b = anchors.default_boxes([(2, 3)], [anchors.RATIOS_4], s_min=0.3, clip=False)
    assert b.shape == (2 * 3 * 4, 4)
    centres = (b[:, :2] + b[:, 2:]) / 2
    # first cell (row 0, col 0) at (1/6, 1/4); second cell is the next column
    np.testing.assert_allclose(centres[0], [1 / 6, 1 / 4], atol=1e-6)
    np.testing.assert_allclose(centres[4], [3 / 6, 1 / 4], atol=1e-6)
    np.testing.assert_allclose(centres[12], [1 / 6, 3 / 4], atol=1e-6)
    wh = b[:4, 2:] - b[:4, :2]
    # ratio 1, the extra square sqrt(0.3 * 1.0), ratio 2 (wide), ratio 1/2 (tall)
    e = np.sqrt(0.3)
    np.testing.assert_allclose(wh, [[0.3, 0.3], [e, e], [0.3 * np.sqrt(2), 0.3 / np.sqrt(2)],
                                    [0.3 / np.sqrt(2), 0.3 * np.sqrt(2)]], atol=1e-6)


def test_codec_round_trip_in_relative_coordinates():
    rng = np.random.default_rng(1)
    a = anchors.default_boxes([(5, 5)], [anchors.RATIOS_6])
    centre = rng.uniform(0.05, 0.95, (2, len(a), 2))
    size = rng.uniform(0.02, 0.6, (2, len(a), 2))
    gt = np.clip(np.concatenate([centre - size / 2, centre + size / 2], -1), 0, 1).astype("float32")
    deltas = boxes.encode(gt, a)
    back = _np(boxes.decode(deltas, a))
    np.testing.assert_allclose(back, gt, atol=1e-5)
    # variances (0.1, 0.2): a box shifted by a tenth of its anchor's width encodes to 1.0
    one = a[:1].copy()
    w = one[0, 2] - one[0, 0]
    np.testing.assert_allclose(_np(boxes.encode(one + [0.1 * w, 0, 0.1 * w, 0], one))[0], [1, 0, 0, 0], atol=1e-4)


def test_matching_best_anchor_threshold_padding_and_empty():
    a = np.array([[0.0, 0.0, 0.5, 0.5], [0.5, 0.0, 1.0, 0.5], [0.0, 0.5, 0.5, 1.0], [0.45, 0.45, 1.0, 1.0],
                  [0.5, 0.5, 1.0, 1.0]], "float32")
    gt = np.array([
        [[0.0, 0.0, 0.45, 0.5], [0.6, 0.6, 0.9, 0.9], [0, 0, 0, 0]],  # 2 objects + padding
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],  # no objects
    ], "float32")
    lab = np.array([[2, 0, -1], [-1, -1, -1]])
    cls, deltas = matching.match(gt, lab, a)
    cls, deltas = _np(cls), _np(deltas)
    # object 0 overlaps anchor 0 by 0.9 -> positive, class 2 + 1; object 1's IoU with anchor 4 is
    # only 0.36 (< 0.5) but it is its best anchor, so anchor 4 is forced; anchor 3 (IoU 0.30) is not
    np.testing.assert_array_equal(cls[0], [3, 0, 0, 0, 1])
    np.testing.assert_array_equal(cls[1], [0, 0, 0, 0, 0])
    assert np.isfinite(deltas).all() and (deltas[1] == 0).all() and (deltas[0, 1:4] == 0).all()
    np.testing.assert_allclose(_np(boxes.decode(deltas[0, [0, 4]], a[[0, 4]])), gt[0, :2], atol=1e-5)


def test_matching_threshold_counts_every_anchor_above_half():
    a = anchors.default_boxes([(4, 4)], [anchors.RATIOS_6], s_min=0.3)
    gt = np.array([[[0.175, 0.175, 0.575, 0.575]]], "float32")  # centred on cell (1, 1)
    cls, _ = matching.match(gt, np.array([[1]]), a)
    from zoo.detection.metrics import pairwise_iou

    ov = pairwise_iou(gt[0].astype(float), a.astype(float))[0]
    expected = ov >= 0.5
    expected[np.argmax(ov)] = True
    np.testing.assert_array_equal(_np(cls)[0] > 0, expected)
    assert expected.sum() >= 3
