"""Detection mAP in NumPy, our own code: PASCAL VOC AP@0.5 and COCO mAP@[.5:.95].

- VOC (Everingham et al. 2010, devkit 2010+): per class, detections by descending score, each
  matched to the unmatched ground truth of highest IoU if that IoU > 0.5 (strictly, as the
  devkit), AP = area under the precision envelope at every recall point ("all-point").
  Continuous coordinates (no +1 pixel).
- COCO (as pycocotools' COCOeval, iouType "bbox", areaRng "all", maxDets 100): IoU thresholds
  .50:.05:.95, per image and class the 100 best detections, greedy matching with IoU >= t,
  precision envelope sampled at 101 recall points, averaged over thresholds and the classes
  that have ground truth.
An empty detection set gives 0, not an error; classes without ground truth are left out.

Inputs are per-image lists (any consistent units, xyxy):
    detections: [{"boxes": (D, 4), "scores": (D,), "labels": (D,)}, ...]
    ground_truths: [{"boxes": (M, 4), "labels": (M,)}, ...]  (labels < 0 are padding)
"""

from __future__ import annotations

import numpy as np

COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def _check(detections, ground_truths):
    if len(detections) != len(ground_truths):
        raise ValueError(
            "`detections` and `ground_truths` need one entry per image. "
            f"Received: {len(detections)} detections and {len(ground_truths)} ground_truths"
        )
    if len(ground_truths) == 0:
        raise ValueError("the image list is empty: pass at least one image's ground truth")
    gts = []
    for g in ground_truths:
        b = np.asarray(g["boxes"], "float64").reshape(-1, 4)
        lab = np.asarray(g["labels"]).reshape(-1).astype(int)
        keep = lab >= 0
        gts.append((b[keep], lab[keep]))
    dts = []
    for d in detections:
        b = np.asarray(d["boxes"], "float64").reshape(-1, 4)
        s = np.asarray(d["scores"], "float64").reshape(-1)
        lab = np.asarray(d["labels"]).reshape(-1).astype(int)
        keep = lab >= 0
        dts.append((b[keep], s[keep], lab[keep]))
    return dts, gts


def pairwise_iou(a, b):
    """IoU (len(a), len(b)) of xyxy boxes, float64."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _classes(gts):
    return sorted({int(c) for _, lab in gts for c in lab})


def voc_ap(recall, precision):
    """All-point interpolated AP (VOC 2010+): area under the monotone precision envelope."""
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def voc_map(detections, ground_truths, *, iou_threshold=0.5):
    """VOC mAP@0.5 (all-point): returns (map, {class: ap})."""
    dts, gts = _check(detections, ground_truths)
    aps = {}
    for c in _classes(gts):
        npos = sum(int((lab == c).sum()) for _, lab in gts)
        recs = []
        for img, (b, s, lab) in enumerate(dts):
            m = lab == c
            recs += [(sc, img, box) for sc, box in zip(s[m], b[m])]
        order = np.argsort([-r[0] for r in recs], kind="mergesort")
        used = [np.zeros(int((lab == c).sum()), bool) for _, lab in gts]
        tp = np.zeros(len(recs))
        for rank, j in enumerate(order):
            _, img, box = recs[j]
            gb = gts[img][0][gts[img][1] == c]
            if len(gb):
                ov = pairwise_iou(box[None], gb)[0]
                best = int(np.argmax(ov))
                if ov[best] > iou_threshold and not used[img][best]:
                    tp[rank] = 1
                    used[img][best] = True
        ctp = np.cumsum(tp)
        cfp = np.cumsum(1 - tp)
        recall = ctp / npos
        precision = ctp / np.maximum(ctp + cfp, np.finfo(float).eps)
        aps[c] = voc_ap(recall, precision) if len(recs) else 0.0
    return (float(np.mean(list(aps.values()))) if aps else 0.0), aps


def coco_map(detections, ground_truths, *, max_detections=100):
    """COCO mAP@[.5:.95] as COCOeval computes it; returns dict with "map", "map50", "map75",
    "per_class" ({class: AP@[.5:.95]})."""
    dts, gts = _check(detections, ground_truths)
    T, R = len(COCO_IOU_THRESHOLDS), len(COCO_RECALL_POINTS)
    classes = _classes(gts)
    precision = -np.ones((T, R, len(classes)))
    for ci, c in enumerate(classes):
        scores_all, matched_all = [], []
        npig = 0
        for (db, ds, dl), (gb, gl) in zip(dts, gts):
            g = gb[gl == c]
            m = dl == c
            d, s = db[m], ds[m]
            order = np.argsort(-s, kind="mergesort")[:max_detections]
            d, s = d[order], s[order]
            npig += len(g)
            ov = pairwise_iou(d, g)
            matched = np.zeros((T, len(d)), bool)
            for ti, t in enumerate(COCO_IOU_THRESHOLDS):
                taken = np.zeros(len(g), bool)
                for di in range(len(d)):
                    best_iou, best = min(t, 1 - 1e-10), -1
                    for gi in range(len(g)):
                        if taken[gi] or ov[di, gi] < best_iou:
                            continue
                        best_iou, best = ov[di, gi], gi
                    if best >= 0:
                        taken[best] = True
                        matched[ti, di] = True
            scores_all.append(s)
            matched_all.append(matched)
        if npig == 0:
            continue
        s = np.concatenate(scores_all)
        order = np.argsort(-s, kind="mergesort")
        tps = np.concatenate(matched_all, axis=1)[:, order] if len(s) else np.zeros((T, 0), bool)
        fps = ~tps
        tp_sum = np.cumsum(tps, axis=1).astype(float)
        fp_sum = np.cumsum(fps, axis=1).astype(float)
        for ti in range(T):
            tp, fp = tp_sum[ti], fp_sum[ti]
            q = np.zeros(R)
            if len(tp):
                rc = tp / npig
                pr = tp / (fp + tp + np.spacing(1))
                pr = np.maximum.accumulate(pr[::-1])[::-1]
                inds = np.searchsorted(rc, COCO_RECALL_POINTS, side="left")
                ok = inds < len(pr)
                q[ok] = pr[inds[ok]]
            precision[ti, :, ci] = q

    def mean(p):
        p = p[p > -1]
        return float(np.mean(p)) if p.size else 0.0

    return {
        "map": mean(precision),
        "map50": mean(precision[0]),
        "map75": mean(precision[5]),
        "per_class": {c: mean(precision[:, :, i]) for i, c in enumerate(classes)},
    }


def evaluate_detections(detections, ground_truths, *, class_names=None):
    """{"map50": VOC AP@0.5, "coco_map": COCO mAP@[.5:.95], "coco_map50": COCO AP@0.5}; with
    `class_names` (one per label) also "ap50_NAME" (VOC AP@0.5) and "ap_NAME" (COCO AP@[.5:.95])
    for every class that has ground truth."""
    v, voc_per_class = voc_map(detections, ground_truths)
    c = coco_map(detections, ground_truths)
    out = {"map50": v, "coco_map": c["map"], "coco_map50": c["map50"]}
    if class_names is not None:
        name = lambda k: str(class_names[k]) if 0 <= k < len(class_names) else str(k)  # noqa: E731
        out.update({f"ap50_{name(k)}": float(ap) for k, ap in sorted(voc_per_class.items())})
        out.update({f"ap_{name(k)}": float(ap) for k, ap in sorted(c["per_class"].items())})
    return out
