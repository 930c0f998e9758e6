"""Graded, hidden (never in the student release): exercise 12, the tests students see only after
publication. Helpers and MODULE come from the visible tests/exercises/test_ex12_ssd_boxes.py."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array
from test_ex12_ssd_boxes import MODULE, rand_boxes, ref_iou


@pytest.mark.points(2)
@pytest.mark.hidden
def test_match(ex):
    """threshold matching plus each ground truth's best anchor"""
    anchors = rand_boxes(30, 3)
    gt = np.array([[0.1, 0.1, 0.4, 0.4], [0.6, 0.55, 0.68, 0.62]])
    iou = ref_iou(anchors, gt)
    want = np.where(iou.max(1) >= 0.5, iou.argmax(1), -1)
    for g in range(2):
        want[iou[:, g].argmax()] = g
    expect_array(ex("match", anchors, gt, threshold=0.5), want, "match(30 anchors, 2 ground-truth boxes, threshold=0.5)")
