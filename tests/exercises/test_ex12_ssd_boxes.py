"""Graded: exercise 12, SSD default boxes, IoU, matching and NMS (NumPy brute force here)."""

import numpy as np
import pytest

from zoo.grading.checks import expect_array, expect_equal

MODULE = "ex12_ssd_boxes"


def ref_iou(a, b):
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            w = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
            h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
            inter = w * h
            out[i, j] = inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter)
    return out


def rand_boxes(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * 0.7
    wh = rng.random((n, 2)) * 0.3 + 0.05
    return np.concatenate([xy, xy + wh], axis=1)


@pytest.mark.points(2)
def test_default_boxes(ex):
    """3x3 map, scale 0.3, ratios (1, 2, 0.5): 27 boxes centred at (j + 0.5)/3"""
    got = ex("default_boxes", 3, 0.3, (1.0, 2.0, 0.5))
    want = np.array([[(j + 0.5) / 3, (i + 0.5) / 3, 0.3 * np.sqrt(a), 0.3 / np.sqrt(a)]
                     for i in range(3) for j in range(3) for a in (1.0, 2.0, 0.5)])
    expect_array(got, want, "default_boxes(3, 0.3, (1, 2, 0.5)) as (cx, cy, w, h)")


@pytest.mark.points(2)
def test_iou_matrix(ex):
    """pairwise IoU, 0 for boxes far apart"""
    a, b = rand_boxes(6, 1), rand_boxes(5, 2)
    b[0] = [0.9, 0.9, 0.95, 0.95]
    expect_array(ex("iou_matrix", a, b), ref_iou(a, b), "iou_matrix(6 boxes, 5 boxes)")


@pytest.mark.points(3)
def test_nms(ex):
    """greedy NMS keeps the best box of each cluster, in score order"""
    boxes = np.array([[0.1, 0.1, 0.4, 0.4], [0.12, 0.1, 0.42, 0.4], [0.5, 0.5, 0.9, 0.9],
                      [0.52, 0.5, 0.9, 0.92], [0.11, 0.12, 0.4, 0.41], [0.0, 0.6, 0.2, 0.8]])
    scores = np.array([0.6, 0.9, 0.7, 0.8, 0.3, 0.5])
    expect_array(ex("nms", boxes, scores, iou_threshold=0.5), np.array([1, 3, 5]), "nms(6 boxes in 3 clusters, iou_threshold=0.5)")
    rng = np.random.default_rng(5)
    b, s = rand_boxes(40, 6), rng.random(40)
    order, keep = list(np.argsort(-s)), []
    while order:
        k = order.pop(0)
        keep.append(k)
        order = [o for o in order if ref_iou(b[[k]], b[[o]])[0, 0] <= 0.3]
    expect_array(ex("nms", b, s, iou_threshold=0.3), np.array(keep), "nms(40 random boxes, iou_threshold=0.3)")
