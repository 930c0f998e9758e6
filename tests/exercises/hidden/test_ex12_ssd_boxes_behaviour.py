"""Graded, hidden: exercise 12 against brute-force references over generated boxes
(zoo.grading.differential): feature maps and aspect ratios of any size, boxes that touch, nest
or lie apart, IoUs exactly at the threshold (corners on a 1/16 grid: every IoU is computed
exactly), thresholds other than 0.5."""

import numpy as np
import pytest
from hypothesis import assume, strategies as st

from zoo.grading.differential import differential, same
from test_ex12_ssd_boxes import ref_iou

MODULE = "ex12_ssd_boxes"


def grid_boxes(min_size=1, max_size=8):
    """Corner boxes with corners on a 1/16 grid, each at least 1/16 wide and high."""
    one = st.tuples(st.integers(0, 15), st.integers(0, 15), st.integers(1, 16), st.integers(1, 16)).map(
        lambda t: [t[0] / 16, t[1] / 16, min(16, t[0] + t[2]) / 16, min(16, t[1] + t[3]) / 16])
    return st.lists(one, min_size=min_size, max_size=max_size).map(lambda b: np.array(b, dtype=float))


@pytest.mark.points(1)
@pytest.mark.hidden
def test_default_boxes_any_map_and_ratios(ex):
    """default_boxes on maps of 1-6 cells a side, scales 0.05-1, one to four aspect ratios"""
    def check(case):
        f, scale, ratios = case
        want = np.array([[(j + 0.5) / f, (i + 0.5) / f, scale * np.sqrt(a), scale / np.sqrt(a)]
                         for i in range(f) for j in range(f) for a in ratios])
        same(ex, "default_boxes", (f, scale, ratios), want=want, rtol=1e-9, atol=1e-12)
    ratios = st.lists(st.sampled_from([1.0, 2.0, 0.5, 3.0, 1 / 3, 4.0]), min_size=1, max_size=4, unique=True).map(tuple)
    differential(st.tuples(st.integers(1, 6), st.sampled_from([0.05, 0.2, 0.5, 1.0]), ratios), check, max_examples=30)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_iou_matrix_any_boxes(ex):
    """iou_matrix of 1-8 by 1-8 boxes that touch, nest or lie apart"""
    def check(case):
        a, b = case
        same(ex, "iou_matrix", (a, b), want=ref_iou(a, b), rtol=1e-9, atol=1e-12)
    differential(st.tuples(grid_boxes(), grid_boxes()), check, max_examples=50)


def ref_match(anchors, gt, threshold):
    iou = ref_iou(anchors, gt)
    want = np.where(iou.max(1) >= threshold, iou.argmax(1), -1)
    for g in range(len(gt)):
        want[iou[:, g].argmax()] = g
    return want


def unambiguous(anchors, gt, threshold):
    """The docstring fixes the answer: no anchor above the threshold is equally close to two
    ground truths, and each ground truth has one best anchor of its own."""
    iou = ref_iou(anchors, gt)
    for row in iou:
        if row.max() >= threshold and np.sum(row == row.max()) > 1:
            return False
    best = [np.flatnonzero(iou[:, g] == iou[:, g].max()) for g in range(len(gt))]
    return all(len(b) == 1 for b in best) and len({int(b[0]) for b in best}) == len(gt)


@st.composite
def match_cases(draw):
    """Anchors on the grid; ground truths near some of them (moved by up to 3/16 a corner), so
    boxes overlap, compete for anchors and reach IoUs equal to the threshold, which is one of a
    few fixed values or the best IoU of one anchor."""
    anchors = draw(grid_boxes(2, 10))
    gt = []
    for _ in range(draw(st.integers(1, 3))):
        base = anchors[draw(st.integers(0, len(anchors) - 1))] * 16
        moved = base + np.array([draw(st.integers(-3, 3)) for _ in range(4)])
        x0, y0 = np.clip(moved[:2], 0, 15)
        x1, y1 = max(moved[2], x0 + 1), max(moved[3], y0 + 1)
        gt.append([x0 / 16, y0 / 16, min(x1, 16) / 16, min(y1, 16) / 16])
    gt = np.array(gt)
    best = ref_iou(anchors, gt).max(axis=1)
    threshold = draw(st.sampled_from([0.5, 0.3, 0.7]) | st.sampled_from(sorted(set(best[best > 0].tolist())) or [0.5]))
    return anchors, gt, threshold


@pytest.mark.points(2)
@pytest.mark.hidden
def test_match_any_boxes_and_threshold(ex):
    """match of 2-10 anchors to 1-3 ground truths that compete for them, thresholds 0.3-0.7 and IoUs exactly at the threshold"""
    def check(case):
        anchors, gt, threshold = case
        assume(unambiguous(anchors, gt, threshold))
        same(ex, "match", (anchors, gt), {"threshold": threshold}, want=ref_match(anchors, gt, threshold))
    differential(match_cases(), check, max_examples=80)


def ref_nms(boxes, scores, threshold):
    order, keep = list(np.argsort(-scores, kind="stable")), []
    while order:
        k = order.pop(0)
        keep.append(int(k))
        order = [o for o in order if ref_iou(boxes[[k]], boxes[[o]])[0, 0] <= threshold]
    return np.array(keep, dtype=int)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_nms_any_boxes_and_threshold(ex):
    """nms of 1-10 boxes with distinct scores, thresholds 0.1-0.7 (IoUs exactly at the threshold too)"""
    def check(case):
        boxes, threshold, seed = case
        scores = np.random.default_rng(seed).permutation(len(boxes)) / len(boxes) + 0.05
        same(ex, "nms", (boxes, scores), {"iou_threshold": threshold}, want=ref_nms(boxes, scores, threshold))
    differential(st.tuples(grid_boxes(1, 10), st.sampled_from([0.5, 0.25, 0.1, 0.7]), st.integers(0, 1000)), check, max_examples=50)
