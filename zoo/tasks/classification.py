"""The classification task: one class id per image (LeNet, AlexNet, VGG, ResNet, transfer heads).

The model outputs class scores (N, classes), probabilities (softmax) or logits; a dataset's y holds
class ids (N,). Figures: the confusion matrix, the most confident mistakes, and what the network
looks at (first-layer filters, feature maps, saliency).
"""

from __future__ import annotations

import os

import keras
import numpy as np

from zoo import plots
from zoo.data.imagefolder import read_image
from zoo.gradients import input_gradient
from zoo.tasks.common import class_name, color_mode

name = "classification"
dataset_tasks = ("classification",)


def output_is_probability(model):
    """True when the model's last layer ends in softmax/sigmoid (then the loss takes probabilities).
    A nested model's last layer counts; the identities that carry metadata (ClassNames of zoo
    convert, the CheckpointRecord of a model built from a checkpoint) are looked through."""
    last = [l for l in model.layers if type(l).__name__ not in ("ClassNames", "CheckpointRecord")][-1]
    if hasattr(last, "layers") and last.layers:  # a nested model (zoo convert wraps the zoo model)
        return output_is_probability(last)
    act = getattr(last, "activation", None)
    act_name = getattr(act, "__name__", str(act)) if act is not None else ""
    return act_name in ("softmax", "sigmoid") or type(last).__name__ == "Softmax"


def compile_args(model, dataset):
    """Sparse categorical cross-entropy (from logits when the model has no softmax) and accuracy."""
    from_logits = not output_is_probability(model)
    return {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits), "metrics": ["accuracy"]}


def fit_data(model, dataset):
    """(images, class ids)."""
    return dataset.x, np.asarray(dataset.y)


def predict_probabilities(model, x, batch_size=256):
    """Class probabilities (softmax applied when the model returns logits)."""
    p = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if not output_is_probability(model):
        p = np.exp(p - p.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
    return p


def classification_metrics(y_true, y_pred, class_names):
    """accuracy, per-class precision / recall / support and the confusion matrix (rows = true)."""
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    n = max(len(class_names), int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1)
    cm = np.zeros((n, n), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    per_class = {}
    for k in range(n):
        tp = cm[k, k]
        pred_k, true_k = cm[:, k].sum(), cm[k].sum()
        per_class[class_name(class_names, k)] = {
            "precision": float(tp / pred_k) if pred_k else 0.0,
            "recall": float(tp / true_k) if true_k else 0.0,
            "support": int(true_k),
        }
    return {"accuracy": float(np.trace(cm) / max(cm.sum(), 1)), "per_class": per_class, "confusion_matrix": cm.tolist()}


OTHER = "(another class)"  # the column of a subset's confusion matrix for predictions outside it


def subset_view(y, y_pred, class_names, classes):
    """(true, predicted, names) over the model classes `classes` a dataset holds (meta["classes"]),
    a prediction of any other class counted in one last column, `OTHER`; unchanged when `classes`
    is None. A 1000-class model scored on a folder of three of its classes gets a 4x4 matrix."""
    if classes is None:
        return y, y_pred, class_names
    pos = {int(k): i for i, k in enumerate(classes)}
    other = len(classes)
    return (np.array([pos[int(k)] for k in y], dtype=int), np.array([pos.get(int(k), other) for k in y_pred], dtype=int),
            [class_name(class_names, k) for k in classes] + [OTHER])


def evaluate(model, dataset, *, mistakes=10):
    """Held-out metrics: accuracy first, then the mean negative log-likelihood, the error count,
    per-class precision / recall, the confusion matrix and the `mistakes` most confident mistakes.
    A dataset of some of the model's classes (meta["classes"]) has its table and matrix over those
    (`subset_view`)."""
    p = predict_probabilities(model, dataset.x)
    y_pred = p.argmax(axis=1)
    y = np.asarray(dataset.y).astype(int)
    nll = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0)))) if len(y) else float("nan")
    classes = dataset.meta.get("classes")
    table = classification_metrics(*subset_view(y, y_pred, dataset.class_names, classes))
    if classes is not None:
        table["per_class"].pop(OTHER, None)
    wrong = np.flatnonzero(y_pred != y)
    wrong = wrong[np.argsort(-p[wrong].max(1))][:mistakes]
    return {
        "accuracy": float((y_pred == y).mean()) if len(y) else float("nan"),
        "loss": nll,
        "errors": int((y_pred != y).sum()),
        "per_class": table["per_class"],
        "confusion_matrix": table["confusion_matrix"],
        "top_misclassified": [
            {"index": int(i), "true": class_name(dataset.class_names, y[i]),
             "predicted": class_name(dataset.class_names, y_pred[i]), "probability": float(p[i].max())}
            for i in wrong
        ],
    }


def first_conv(model):
    """The first Conv2D layer of a model (searching nested models), or None."""
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found = first_conv(layer)
            if found is not None:
                return found
        elif type(layer).__name__ == "Conv2D":
            return layer
    return None


def conv_layers(model, limit=4):
    """Names of up to `limit` conv/pool layers of a functional model (the feature-map figure)."""
    kinds = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "DepthwiseConv2D")
    return [layer.name for layer in model.layers if type(layer).__name__ in kinds][:limit]


def one_per_class(y, n):
    """Indices of up to `n` images of `y` (class ids), the first image of each class before any
    class's second: a folder read class by class would otherwise fill the saliency figure with its
    first class. In class order, then dataset order."""
    y = np.asarray(y).astype(int)
    rank = np.zeros(len(y), dtype=int)  # 0 for a class's first image, 1 for its second...
    seen = {}
    for i, c in enumerate(y):
        rank[i] = seen.get(c, 0)
        seen[c] = rank[i] + 1
    chosen = np.lexsort((np.arange(len(y)), rank))[:n]
    return chosen[np.lexsort((chosen, y[chosen]))]


def figures(model, dataset, out, *, prefix="", name=None, n_saliency=6):
    """The confusion matrix, the most confident mistakes, first-layer filters, feature maps and
    saliency of a classifier on `dataset`, written into folder `out` with `prefix` in front of each
    name (`zoo evaluate` uses "eval_"), the model called `name` (default `model.name`) in their
    titles; returns the file names written."""
    label = name or model.name
    path = lambda stem: os.path.join(out, f"{prefix}{stem}.png")  # noqa: E731
    names = dataset.class_names
    p = predict_probabilities(model, dataset.x)
    y_pred = p.argmax(1)
    cm_true, cm_pred, cm_names = subset_view(np.asarray(dataset.y).astype(int), y_pred, names, dataset.meta.get("classes"))
    plots.plot_confusion_matrix(cm_true, cm_pred, path("confusion_matrix"), labels=cm_names, title=f"{label}, held-out {dataset.name}")
    plots.plot_misclassified(dataset.x, dataset.y, y_pred, path("misclassified"), probabilities=p.max(1), labels=names)
    written = ["confusion_matrix", "misclassified"]
    if not len(dataset):
        return [f"{prefix}{stem}.png" for stem in written]
    conv = first_conv(model)
    if conv is not None:
        plots.plot_first_layer_filters(keras.ops.convert_to_numpy(conv.kernel), path("filters"), title=f"{label} {conv.name} filters")
        written.append("filters")
    layers = conv_layers(model)
    if layers:
        try:
            probe = keras.Model(model.inputs, [model.get_layer(n).output for n in layers])
            acts = probe.predict(dataset.x[:1], verbose=0)
            acts = acts if isinstance(acts, list) else [acts]
            plots.plot_feature_maps(dataset.x[0], {n: a[0] for n, a in zip(layers, acts)}, path("feature_maps"),
                                    title=f"{label} feature maps for one {dataset.name} image (true {class_name(names, dataset.y[0])})")
            written.append("feature_maps")
        except (ValueError, AttributeError) as e:  # nested / subclassed models
            print(f"zoo: no feature-map figure ({e})")
    idx = one_per_class(dataset.y, n_saliency)
    sel = np.zeros((len(idx), p.shape[1]), dtype=np.float32)
    sel[np.arange(len(idx)), y_pred[idx]] = 1.0
    grads = input_gradient(model, dataset.x[idx], sel)
    plots.plot_saliency(dataset.x[idx], grads, path("saliency"), predicted=y_pred[idx], true=dataset.y[idx],
                        probabilities=p[idx].max(1), labels=names)
    written.append("saliency")
    return [f"{prefix}{stem}.png" for stem in written]


def predict_files(model, paths, out_dir, class_names):
    """One record per image file: path, label, probability, class index and top-3 (no files written)."""
    h, w, c = model.input_shape[1:]
    x = np.stack([read_image(p, (h, w), color_mode(c)) for p in paths])
    probs = predict_probabilities(model, x)
    records = []
    for path, p in zip(paths, probs):
        order = np.argsort(-p)[:3]
        records.append(
            {
                "path": os.fspath(path),
                "label": class_name(class_names, order[0]),
                "probability": float(p[order[0]]),
                "class_index": int(order[0]),
                "top3": [{"label": class_name(class_names, k), "probability": float(p[k])} for k in order],
            }
        )
    return records
