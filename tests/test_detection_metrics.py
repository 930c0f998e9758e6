"""VOC AP@0.5 (all-point) and COCO mAP@[.5:.95] (101-point) against worked numbers and pycocotools."""

import contextlib
import io

import numpy as np
import pytest

from zoo.detection import metrics


def _scene(rng, n_images=12, classes=3, miss=0.2, noise=0.08, fp=3):
    """Ground truth and noisy detections (some missed, some jittered, some false) in pixels."""
    gts, dts = [], []
    for _ in range(n_images):
        m = int(rng.integers(0, 6))
        xy = rng.uniform(0, 80, (m, 2))
        wh = rng.uniform(8, 40, (m, 2))
        gb = np.concatenate([xy, xy + wh], 1)
        gl = rng.integers(0, classes, m)
        keep = rng.uniform(size=m) > miss
        db = gb[keep] + rng.normal(0, noise, (keep.sum(), 4)) * np.repeat(wh[keep], 2, 1)
        dl = gl[keep].copy()
        flip = rng.uniform(size=len(dl)) < 0.1
        dl[flip] = rng.integers(0, classes, flip.sum())
        xy2 = rng.uniform(0, 80, (fp, 2))
        db = np.concatenate([db, np.concatenate([xy2, xy2 + rng.uniform(8, 40, (fp, 2))], 1)])
        dl = np.concatenate([dl, rng.integers(0, classes, fp)])
        ds = rng.uniform(0.05, 1, len(dl))
        db[:, 2:] = np.maximum(db[:, 2:], db[:, :2] + 1)
        gts.append({"boxes": gb, "labels": gl})
        dts.append({"boxes": db, "scores": ds, "labels": dl})
    return dts, gts


def _pycocotools(dts, gts):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, anns, res = [], [], []
    cats = sorted({int(c) for g in gts for c in g["labels"]} | {int(c) for d in dts for c in d["labels"]})
    for i, (d, g) in enumerate(zip(dts, gts)):
        images.append({"id": i + 1, "width": 200, "height": 200})
        for b, c in zip(g["boxes"], g["labels"]):
            w, h = b[2] - b[0], b[3] - b[1]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(c) + 1,
                         "bbox": [float(b[0]), float(b[1]), float(w), float(h)], "area": float(w * h), "iscrowd": 0})
        for b, s, c in zip(d["boxes"], d["scores"], d["labels"]):
            res.append({"image_id": i + 1, "category_id": int(c) + 1, "score": float(s),
                        "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]})
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": images, "annotations": anns, "categories": [{"id": c + 1} for c in cats]}
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(res), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coco_map_agrees_with_pycocotools(seed):
    pytest.importorskip("pycocotools")
    dts, gts = _scene(np.random.default_rng(seed))
    ours = metrics.coco_map(dts, gts)
    stats = _pycocotools(dts, gts)
    assert 0.05 < ours["map"] < 0.95
    np.testing.assert_allclose(ours["map"], stats[0], atol=1e-4)
    np.testing.assert_allclose(ours["map50"], stats[1], atol=1e-4)
    np.testing.assert_allclose(ours["map75"], stats[2], atol=1e-4)


def test_coco_max_detections_per_image_and_class_is_100():
    pytest.importorskip("pycocotools")
    rng = np.random.default_rng(7)
    gts = [{"boxes": np.array([[10.0, 10, 30, 30]]), "labels": np.array([0])}]
    xy = rng.uniform(100, 160, (150, 2))  # far from the object: false positives
    b = np.concatenate([xy, xy + 20], 1)
    b[120] = [10, 10, 30, 30]  # the one true positive ranks 121st: beyond maxDets
    s = np.linspace(1, 0.01, 150)
    dts = [{"boxes": b, "scores": s, "labels": np.zeros(150, int)}]
    ours = metrics.coco_map(dts, gts)
    assert ours["map"] == pytest.approx(_pycocotools(dts, gts)[0], abs=1e-4) and ours["map"] == 0.0
    b[[50, 120]] = b[[120, 50]]  # now it ranks 51st: found, precision 1/51
    ours = metrics.coco_map(dts, gts)
    assert ours["map"] == pytest.approx(_pycocotools(dts, gts)[0], abs=1e-4) and ours["map"] == pytest.approx(1 / 51)


def test_voc_ap_worked_example():
    # one class, 3 objects; detections by score: TP, FP, TP, FP (the last TP below IoU 0.5 misses)
    gts = [{"boxes": np.array([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50.0]]), "labels": np.array([0, 0, 0])}]
    dts = [{"boxes": np.array([[0, 0, 10, 10], [60, 60, 70, 70], [20, 20, 30, 31], [40, 40, 45, 45.0]]),
            "scores": np.array([0.9, 0.8, 0.7, 0.6]), "labels": np.array([0, 0, 0, 0])}]
    ap, per_class = metrics.voc_map(dts, gts)
    # recall 1/3 at precision 1, 2/3 at precision 2/3 -> 1/3 * 1 + 1/3 * 2/3
    assert ap == pytest.approx(1 / 3 + 2 / 9) and per_class == {0: pytest.approx(ap)}
    # a duplicate of a found object is a false positive
    dts[0]["boxes"][1] = [0, 0, 10, 10]
    assert metrics.voc_map(dts, gts)[0] == pytest.approx(1 / 3 + 2 / 9)


def test_perfect_empty_and_bad_inputs():
    gts = [{"boxes": np.array([[0, 0, 10, 10.0], [0, 0, 0, 0]]), "labels": np.array([1, -1])}]
    perfect = [{"boxes": np.array([[0, 0, 10, 10.0]]), "scores": np.array([0.9]), "labels": np.array([1])}]
    assert metrics.evaluate_detections(perfect, gts) == pytest.approx({"map50": 1.0, "coco_map": 1.0, "coco_map50": 1.0})
    empty = [{"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": np.zeros(0, int)}]
    assert metrics.evaluate_detections(empty, gts) == {"map50": 0.0, "coco_map": 0.0, "coco_map50": 0.0}
    with pytest.raises(ValueError, match="image list is empty"):
        metrics.evaluate_detections([], [])
    with pytest.raises(ValueError, match="1 detections and 2 ground_truths"):
        metrics.coco_map(perfect, gts * 2)
