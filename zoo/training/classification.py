"""The classification task module (contract 3 of the integrator): what `zoo train / evaluate /
predict` need to know about classifiers."""

from __future__ import annotations

import os

import numpy as np


def output_is_probability(model):
    """True when the model's last layer ends in softmax/sigmoid (then the loss takes probabilities)."""
    last = model.layers[-1]
    act = getattr(last, "activation", None)
    name = getattr(act, "__name__", str(act)) if act is not None else ""
    return name in ("softmax", "sigmoid") or type(last).__name__ == "Softmax"


def compile_args(model, dataset):
    import keras

    from_logits = not output_is_probability(model)
    return {
        "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        "metrics": ["accuracy"],
    }


def fit_data(model, dataset):
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
        name = class_names[k] if k < len(class_names) else str(k)
        per_class[name] = {
            "precision": float(tp / pred_k) if pred_k else 0.0,
            "recall": float(tp / true_k) if true_k else 0.0,
            "support": int(true_k),
        }
    return {"accuracy": float(np.trace(cm) / max(cm.sum(), 1)), "per_class": per_class, "confusion_matrix": cm.tolist()}


def evaluate(model, dataset):
    p = predict_probabilities(model, dataset.x)
    y_pred = p.argmax(axis=1)
    y = np.asarray(dataset.y).astype(int)
    nll = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0)))) if len(y) else float("nan")
    return {"accuracy": float((y_pred == y).mean()) if len(y) else float("nan"), "loss": nll, "errors": int((y_pred != y).sum())}


def plot_predictions(model, dataset, path):
    """The most confident mistakes on `dataset`."""
    from zoo import plots

    p = predict_probabilities(model, dataset.x)
    return plots.plot_misclassified(
        dataset.x, dataset.y, p.argmax(1), path, probabilities=p.max(1), labels=dataset.class_names
    )


def predict_files(model, paths, out_dir, class_names):
    """One record per image file: path, label, probability, class index and top-3."""
    from zoo.data.folder import read_image

    h, w, c = model.input_shape[1:]
    x = np.stack([read_image(p, (h, w), c) for p in paths])
    probs = predict_probabilities(model, x)
    records = []
    for path, p in zip(paths, probs):
        order = np.argsort(-p)[:3]
        name = lambda k: class_names[k] if class_names and k < len(class_names) else str(int(k))  # noqa: E731
        records.append(
            {
                "path": os.fspath(path),
                "label": name(order[0]),
                "probability": float(p[order[0]]),
                "class_index": int(order[0]),
                "top3": [{"label": name(k), "probability": float(p[k])} for k in order],
            }
        )
    return records
