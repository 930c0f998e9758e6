"""Graded edge cases of exercise 12: boxes ordered row by row, width = scale * sqrt(ratio),
an overlap exactly at the NMS threshold is kept, ties in score keep the first box."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array

MODULE = "ex12_ssd_boxes"


@pytest.mark.points(1)
@pytest.mark.hidden
def test_default_boxes_order_and_ratio(ex):
    """feature map 2, ratio 4: the second box is row 0, column 1; width = 2 x scale, height = scale / 2"""
    got = ex("default_boxes", 2, 0.2, (4.0,))
    want = np.array([[0.25, 0.25, 0.4, 0.1], [0.75, 0.25, 0.4, 0.1], [0.25, 0.75, 0.4, 0.1], [0.75, 0.75, 0.4, 0.1]])
    expect_array(got, want, "default_boxes(2, 0.2, (4.0,)) as (cx, cy, w, h), row by row")


@pytest.mark.points(1)
@pytest.mark.hidden
def test_nms_threshold_and_ties(ex):
    """IoU exactly 0.5 is not above the threshold (both kept); equal scores keep the first box"""
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.5]])
    expect_array(ex("nms", boxes, np.array([0.9, 0.8]), iou_threshold=0.5), np.array([0, 1]), "nms with an IoU of exactly 0.5")
    same = np.array([[0.0, 0.0, 1.0, 1.0], [0.05, 0.0, 1.0, 1.0]])
    expect_array(ex("nms", same, np.array([0.7, 0.7]), iou_threshold=0.5), np.array([0]), "nms of two overlapping boxes with equal scores")
