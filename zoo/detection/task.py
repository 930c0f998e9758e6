"""The detection task module for `zoo train / evaluate / predict` (contract 3 of the zoo).

SSD models (zoo.models.ssd) output {"classes": (B, A, C + 1) logits, class 0 = background,
"boxes": (B, A, 4) encoded offsets}; the dataset is an ArrayDataset with
y = {"boxes": (N, M, 4) relative xyxy, "labels": (N, M) int, -1 = padding}.
"""

from __future__ import annotations

import os

import numpy as np

DETECT_DEFAULTS = dict(max_detections=100, iou_threshold=0.45, score_threshold=0.01, pre_nms_top_k=400)


def _default_boxes(model):
    from zoo.models.ssd import default_boxes_of

    return default_boxes_of(model)


def _check_dataset(model, dataset):
    _default_boxes(model)  # an SSD model, or a clear error
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
    from zoo.detection.losses import BoxLoss, ClassLoss

    _default_boxes(model)
    return {"loss": {"classes": ClassLoss(), "boxes": BoxLoss()}}


def encode_targets(model, boxes, labels, *, batch_size=256):
    """Per-anchor targets: ({"classes": (N, A) int32, "boxes": (N, A, 5) float32}) (matching.match)."""
    from keras import ops

    from zoo.detection import matching

    anchors, variances = _default_boxes(model)
    cls_all, box_all = [], []
    for i in range(0, len(boxes), batch_size):
        c, d = matching.match(boxes[i : i + batch_size], labels[i : i + batch_size], anchors, variances=variances)
        c = ops.convert_to_numpy(c)
        cls_all.append(c)
        box_all.append(np.concatenate([ops.convert_to_numpy(d), c[..., None].astype("float32")], -1))
    return {"classes": np.concatenate(cls_all), "boxes": np.concatenate(box_all)}


def fit_data(model, dataset):
    """(x, {"classes": (N, A), "boxes": (N, A, 5)}) for `model.fit` with `compile_args`' losses."""
    from zoo.detection.boxes import validate_boxes

    _check_dataset(model, dataset)
    fmt = dataset.meta.get("box_format", "rel_xyxy")
    h, w = dataset.x.shape[1:3]
    labels = np.asarray(dataset.y["labels"], "int32")
    boxes = validate_boxes(dataset.y["boxes"], fmt, height=h, width=w, labels=labels, arg="dataset.y['boxes']")
    return np.asarray(dataset.x, "float32"), encode_targets(model, boxes, labels)


def predict_detections(model, x, *, batch_size=64, **detect_kwargs):
    """Detections per image: [{"boxes": (D, 4) relative xyxy, "scores": (D,), "labels": (D,)}, ...]."""
    from keras import ops

    from zoo.detection.nms import compiled_detect

    anchors, variances = _default_boxes(model)
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
    return [{"boxes": b, "labels": lab} for b, lab in zip(dataset.y["boxes"], dataset.y["labels"])]


def evaluate(model, dataset):
    """{"map50": VOC AP@0.5, "coco_map": COCO mAP@[.5:.95], "coco_map50": COCO AP@0.5} on `dataset`."""
    from zoo.detection.metrics import evaluate_detections

    _check_dataset(model, dataset)
    dets = predict_detections(model, dataset.x)
    h, w = dataset.x.shape[1:3]
    scale = np.array([w, h, w, h], "float64")  # pixel units: same numbers, clearer in reports
    dets = [{**d, "boxes": d["boxes"] * scale} for d in dets]
    gts = [{"boxes": np.asarray(g["boxes"]) * scale, "labels": g["labels"]} for g in _ground_truths(dataset)]
    return evaluate_detections(dets, gts)


def plot_predictions(model, dataset, path, *, max_images=12, score_threshold=0.3):
    """PNG of `max_images` scenes: predicted boxes (label, score) solid, ground truth dashed."""
    from zoo.plots import plot_detections

    n = min(max_images, len(dataset))
    dets = predict_detections(model, dataset.x[:n])
    return plot_detections(dataset.x[:n], dets, path, class_names=dataset.class_names,
                           ground_truths=_ground_truths(dataset)[:n], score_threshold=score_threshold)


def _read_image(path, size, channels):
    from PIL import Image

    try:
        with Image.open(path) as im:
            im = im.convert("L" if channels == 1 else "RGB")
            original = np.asarray(im, "float32") / 255.0
            resized = np.asarray(im.resize((size[1], size[0]), Image.BILINEAR), "float32") / 255.0
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read image {path!r}: {e}") from None
    if channels == 1:
        original, resized = original[..., None], resized[..., None]
    return original, resized


def predict_files(model, paths, out_dir, class_names, *, score_threshold=0.3):
    """Detects objects in image files; writes `<name>_boxes.png` per image into `out_dir`.

    Returns:
        one record per image: {"path", "label" (best detection's class or None), "probability"
        (its score, 0.0 if none), "detections": [{"label", "score", "box": [x1, y1, x2, y2]
        pixels of the original image]}, "output": PNG path}.
    """
    from zoo.io import ensure_out_dir
    from zoo.plots import draw_detections

    if not paths:
        raise ValueError("no input images: pass image files or folders. Received: paths=[]")
    out_dir = ensure_out_dir(out_dir)
    size = tuple(model.inputs[0].shape[1:3])
    channels = model.inputs[0].shape[-1]
    records = []
    for p in paths:
        if not os.path.isfile(p):
            raise FileNotFoundError(f"image not found: {p!r}")
        original, resized = _read_image(p, size, channels)
        det = predict_detections(model, resized[None])[0]
        keep = det["scores"] >= score_threshold
        oh, ow = original.shape[:2]
        boxes = det["boxes"][keep] * np.array([ow, oh, ow, oh])
        labels = [class_names[int(c)] if int(c) < len(class_names) else str(int(c)) for c in det["labels"][keep]]
        scores = det["scores"][keep]
        name = os.path.splitext(os.path.basename(p))[0]
        out = os.path.join(out_dir, f"{name}_boxes.png")
        draw_detections(original, boxes, labels, scores, out)
        dets = [{"label": l, "score": float(s), "box": [float(v) for v in b]} for l, s, b in zip(labels, scores, boxes)]
        records.append({
            "path": p,
            "label": labels[0] if labels else None,
            "probability": float(scores[0]) if len(scores) else 0.0,
            "detections": dets,
            "output": out,
        })
    return records
