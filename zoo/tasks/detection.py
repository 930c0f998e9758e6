"""The detection task: boxes and classes per image (SSD).

SSD models (zoo.models.ssd) output {"classes": (B, A, C + 1) logits, class 0 = background,
"boxes": (B, A, 4) encoded offsets}; a dataset's y is {"boxes": (N, M, 4) relative xyxy,
"labels": (N, M) int, -1 = padding}. The box math lives in zoo.detection; this module only
wires it to a model and a dataset.
"""

from __future__ import annotations

import os

import numpy as np
from keras import ops

from zoo import plots
from zoo.detection import matching
from zoo.detection.boxes import validate_boxes
from zoo.detection.losses import BoxLoss, ClassLoss
from zoo.detection.metrics import evaluate_detections
from zoo.detection.nms import compiled_detect
from zoo.io import ensure_out_dir
from zoo.models.ssd import default_boxes_of
from zoo.tasks.common import class_name, read_for_model

name = "detection"
dataset_tasks = ("detection",)
DETECT_DEFAULTS = dict(max_detections=100, iou_threshold=0.45, score_threshold=0.01, pre_nms_top_k=400)


def _check_dataset(model, dataset):
    default_boxes_of(model)  # an SSD model, or a clear error
    if getattr(dataset, "task", None) != "detection":
        raise ValueError(
            "the detection task needs a detection dataset (y = {'boxes', 'labels'}), e.g. shapes-det. "
            f"Received: dataset {getattr(dataset, 'name', dataset)!r} with task={getattr(dataset, 'task', None)!r}"
        )
    want = tuple(model.inputs[0].shape[1:3])
    got = tuple(dataset.x.shape[1:3])
    if want != got:
        raise ValueError(
            f"model {model.name!r} takes {want[0]}x{want[1]} images but dataset {dataset.name!r} has "
            f"{got[0]}x{got[1]}: load the data with image_size={want} or build the model with "
            f"input_shape={got + (dataset.x.shape[-1],)}"
        )
    classes = model.get_layer("classes").output.shape[-1] - 1
    labels = np.asarray(dataset.y["labels"])
    if labels.size and labels.max() >= classes:
        raise ValueError(
            f"dataset {dataset.name!r} has label {int(labels.max())} but model {model.name!r} predicts "
            f"{classes} classes: build it with classes={dataset.classes}"
        )


def compile_args(model, dataset):
    """{"loss": {"classes": ClassLoss, "boxes": BoxLoss}} (MultiBox, zoo.detection.losses)."""
    default_boxes_of(model)
    return {"loss": {"classes": ClassLoss(), "boxes": BoxLoss()}}


def encode_targets(model, boxes, labels, *, batch_size=256):
    """Per-anchor targets: ({"classes": (N, A) int32, "boxes": (N, A, 5) float32}) (matching.match)."""
    anchors, variances = default_boxes_of(model)
    cls_all, box_all = [], []
    for i in range(0, len(boxes), batch_size):
        c, d = matching.match(boxes[i : i + batch_size], labels[i : i + batch_size], anchors, variances=variances)
        c = ops.convert_to_numpy(c)
        cls_all.append(c)
        box_all.append(np.concatenate([ops.convert_to_numpy(d), c[..., None].astype("float32")], -1))
    return {"classes": np.concatenate(cls_all), "boxes": np.concatenate(box_all)}


def relative_ground_truth(dataset):
    """(boxes (N, M, 4) relative xyxy, labels (N, M) int32), checked; the dataset's format is
    `dataset.meta["box_format"]` (default "rel_xyxy"; the tfds loader gives pixel "xyxy")."""
    fmt = dataset.meta.get("box_format", "rel_xyxy")
    h, w = dataset.x.shape[1:3]
    labels = np.asarray(dataset.y["labels"], "int32")
    boxes = validate_boxes(dataset.y["boxes"], fmt, height=h, width=w, labels=labels, arg="dataset.y['boxes']")
    return boxes, labels


def fit_data(model, dataset):
    """(x, {"classes": (N, A), "boxes": (N, A, 5)}) for `model.fit` with `compile_args`' losses."""
    _check_dataset(model, dataset)
    boxes, labels = relative_ground_truth(dataset)
    return np.asarray(dataset.x, "float32"), encode_targets(model, boxes, labels)


def predict_detections(model, x, *, batch_size=64, **detect_kwargs):
    """Detections per image: [{"boxes": (D, 4) relative xyxy, "scores": (D,), "labels": (D,)}, ...]."""
    anchors, variances = default_boxes_of(model)
    fn = compiled_detect(**{**DETECT_DEFAULTS, **detect_kwargs, "variances": tuple(variances)})
    anchors = ops.convert_to_tensor(anchors)
    out = []
    for i in range(0, len(x), batch_size):
        pred = model.predict(np.asarray(x[i : i + batch_size], "float32"), verbose=0)
        if isinstance(pred, (list, tuple)):
            pred = dict(zip(model.output_names, pred))
        r = fn(ops.convert_to_tensor(pred["classes"]), ops.convert_to_tensor(pred["boxes"]), anchors)
        r = {k: ops.convert_to_numpy(v) for k, v in r.items()}
        for j in range(len(r["num_valid"])):
            n = int(r["num_valid"][j])
            out.append({"boxes": r["boxes"][j, :n], "scores": r["scores"][j, :n], "labels": r["classes"][j, :n]})
    return out


def _ground_truths(dataset):
    boxes, labels = relative_ground_truth(dataset)
    return [{"boxes": b, "labels": lab} for b, lab in zip(boxes, labels)]


def evaluate(model, dataset):
    """{"map50": VOC AP@0.5, "coco_map": COCO mAP@[.5:.95], "coco_map50": COCO AP@0.5} on `dataset`."""
    _check_dataset(model, dataset)
    dets = predict_detections(model, dataset.x)
    h, w = dataset.x.shape[1:3]
    scale = np.array([w, h, w, h], "float64")  # pixel units: same numbers, clearer in reports
    dets = [{**d, "boxes": d["boxes"] * scale} for d in dets]
    gts = [{"boxes": np.asarray(g["boxes"]) * scale, "labels": g["labels"]} for g in _ground_truths(dataset)]
    return evaluate_detections(dets, gts, class_names=dataset.class_names)


def plot_predictions(model, dataset, path, *, max_images=12, score_threshold=0.3):
    """PNG of `max_images` scenes: predicted boxes (label, score) solid, ground truth dashed."""
    n = min(max_images, len(dataset))
    dets = predict_detections(model, dataset.x[:n])
    return plots.plot_detections(dataset.x[:n], dets, path, class_names=dataset.class_names,
                           ground_truths=_ground_truths(dataset)[:n], score_threshold=score_threshold)


def figures(model, dataset, out, *, prefix="", name=None):
    """`predictions.png` (predicted and true boxes) in folder `out`, `prefix` in front (no title
    names the model: `name` goes unused)."""
    return [os.path.basename(plot_predictions(model, dataset, os.path.join(out, f"{prefix}predictions.png")))]


def predict_files(model, paths, out_dir, class_names, *, score_threshold=0.3):
    """Detects objects in image files; writes `<name>_boxes.png` per image into `out_dir`.

    Returns:
        one record per image: {"path", "label" (best detection's class or None), "probability"
        (its score, 0.0 if none), "box_format": "xyxy", "box_units": ..., "detections":
        [{"label", "score", "box": [x1, y1, x2, y2] pixels of the original image]}, "output": PNG path}.
    """
    if not paths:
        raise ValueError("no input images: pass image files or folders. Received: paths=[]")
    out_dir = ensure_out_dir(out_dir)
    records = []
    for p in paths:
        resized, original = read_for_model(p, model)
        det = predict_detections(model, resized[None])[0]
        keep = det["scores"] >= score_threshold
        oh, ow = original.shape[:2]
        boxes = det["boxes"][keep] * np.array([ow, oh, ow, oh])
        labels = [class_name(class_names, c) for c in det["labels"][keep]]
        scores = det["scores"][keep]
        stem = os.path.splitext(os.path.basename(p))[0]
        out = os.path.join(out_dir, f"{stem}_boxes.png")
        plots.draw_detections(original, boxes, labels, scores, out, class_ids=det["labels"][keep])
        dets = [{"label": lab, "score": float(s), "box": [float(v) for v in b]} for lab, s, b in zip(labels, scores, boxes)]
        records.append({
            "path": p,
            "label": labels[0] if labels else None,
            "probability": float(scores[0]) if len(scores) else 0.0,
            "box_format": "xyxy",  # x1, y1 top-left corner; x2, y2 bottom-right corner
            "box_units": f"pixels of the input image ({ow}x{oh}; origin top-left, y down)",
            "detections": dets,
            "output": out,
        })
    return records
