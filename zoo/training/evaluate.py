"""`zoo evaluate RUN_DIR|MODEL.keras --dataset D`: the task's held-out metrics; for classifiers
accuracy, per-class precision / recall, the confusion matrix and the most confident mistakes,
plus the figures that show what the network learned (filters, feature maps, saliency)."""

from __future__ import annotations

import json
import os

import numpy as np


def load_run_model(path):
    """(model, run_dir or None, config dict or {}) from a run folder or a .keras file."""
    from zoo.io import load_model

    path = os.fspath(path)
    run_dir = path if os.path.isdir(path) else None
    config = {}
    if run_dir and os.path.isfile(os.path.join(run_dir, "config.json")):
        with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    return load_model(path), run_dir, config


def model_task(model, config):
    """The task of a loaded model: from the run's config, the registry (by model name), or its output."""
    if config.get("task"):
        return config["task"]
    from zoo import registry

    try:
        return registry.get_spec(model.name).task
    except ValueError:
        pass
    if len(model.outputs) == 1 and len(model.outputs[0].shape) == 2:
        return "classification"
    raise ValueError(f"cannot tell the task of model {model.name!r}: evaluate its run folder (config.json says it)")


def class_names_for(run_dir, n):
    """labels.json of the run, else "0".."n-1"."""
    if run_dir and os.path.isfile(os.path.join(run_dir, "labels.json")):
        with open(os.path.join(run_dir, "labels.json"), encoding="utf-8") as f:
            return [str(c) for c in json.load(f)]
    return [str(i) for i in range(n)]


def load_for_model(model, dataset, split="test", *, seed=0, data_dir=None):
    """The dataset split resized (and coloured) for `model`'s input."""
    from zoo.data import load

    h, w, c = model.input_shape[1:]
    kw = {"channels": c} if dataset == "digits" or dataset.startswith("folder:") else {}
    size = h if dataset == "digits" else (h, w)
    return load(dataset, split, image_size=size, seed=seed, data_dir=data_dir, **kw)


def evaluate_path(path, dataset, *, out=None, split="test", data_dir=None, seed=None):
    """Evaluates a run folder or .keras file on `dataset`; writes evaluation.json and figures into
    `out` (default: the run folder, or beside the .keras file); returns the metrics dict."""
    from zoo.io import ensure_out_dir, write_json
    from zoo.training.train import task_module

    model, run_dir, config = load_run_model(path)
    task = model_task(model, config)
    seed = config.get("seed", 0) if seed is None else seed
    ds = load_for_model(model, dataset, split, seed=seed, data_dir=data_dir)
    if task in ("classification", "segmentation", "detection") and ds.task != task:
        raise ValueError(
            f"--dataset {dataset} is a {ds.task} dataset, and {model.name!r} is a {task} model: "
            f"evaluate it on a {task} dataset (the one it was trained on: {config.get('dataset', 'see its run folder')})"
        )
    out = ensure_out_dir(out or run_dir or os.path.dirname(os.path.abspath(path)))
    if task != "classification":
        metrics = task_module(task).evaluate(model, ds)
        figures = [os.path.basename(task_module(task).plot_predictions(model, ds, os.path.join(out, "eval_predictions.png")))]
        if hasattr(task_module(task), "extra_figures"):  # e.g. a VAE's samples and latent map
            figures += task_module(task).extra_figures(model, ds, out, prefix="eval_")
        result = {"model": model.name, "dataset": dataset, "split": split, "task": task, "images": int(len(ds)),
                  "metrics": metrics, "figures": figures, "folder": out}
        write_json(os.path.join(out, "evaluation.json"), result)
        return result
    from zoo import plots
    from zoo.training import classification as cls

    names = class_names_for(run_dir, model.output_shape[-1])
    ds.class_names = names if len(names) >= ds.classes else ds.class_names
    p = cls.predict_probabilities(model, ds.x)
    y_pred = p.argmax(1)
    m = cls.classification_metrics(ds.y, y_pred, ds.class_names)
    wrong = np.flatnonzero(y_pred != ds.y)
    wrong = wrong[np.argsort(-p[wrong].max(1))][:10]
    m["top_misclassified"] = [
        {"index": int(i), "true": ds.class_names[int(ds.y[i])], "predicted": ds.class_names[int(y_pred[i])], "probability": float(p[i].max())}
        for i in wrong
    ]
    plots.plot_confusion_matrix(ds.y, y_pred, os.path.join(out, "eval_confusion_matrix.png"), labels=ds.class_names, title=f"{model.name} on {dataset} {split}")
    plots.plot_misclassified(ds.x, ds.y, y_pred, os.path.join(out, "eval_misclassified.png"), probabilities=p.max(1), labels=ds.class_names)
    result = {
        "model": model.name, "dataset": dataset, "split": split, "task": task, "images": int(len(ds)),
        "metrics": m, "figures": ["eval_confusion_matrix.png", "eval_misclassified.png"], "folder": out,
    }
    write_json(os.path.join(out, "evaluation.json"), result)
    return result


def format_classification(result):
    """The text `zoo evaluate` prints for a classifier."""
    m = result["metrics"]
    lines = [f"{result['model']} on {result['dataset']} ({result['split']}, {result['images']} images): accuracy {m['accuracy']:.2%}", ""]
    lines.append(f"{'class':>12}  precision  recall  support")
    for name, r in m["per_class"].items():
        lines.append(f"{name[:12]:>12}  {r['precision']:9.3f}  {r['recall']:6.3f}  {r['support']:7d}")
    if m["top_misclassified"]:
        lines.append("")
        lines.append("most confident mistakes (index: true -> predicted, probability):")
        for r in m["top_misclassified"]:
            lines.append(f"  {r['index']:5d}: {r['true']} -> {r['predicted']} ({r['probability']:.2f})")
    return "\n".join(lines)


def format_metrics(result):
    """The text `zoo evaluate` prints for a segmenter, detector or autoencoder: the headline
    metrics on one line, per-class values as a table, where the figures went."""
    m = result["metrics"]
    head = {k: v for k, v in m.items() if not any(k.startswith(p) for p in ("iou_", "dice_"))}
    lines = [f"{result['model']} on {result['dataset']} ({result['split']}, {result['images']} images): "
             + ", ".join(f"{k} {v:.4g}" for k, v in head.items())]
    classes = [k[len("iou_"):] for k in m if k.startswith("iou_")]
    if classes:
        lines += ["", f"{'class':>12}     IoU    Dice"]
        lines += [f"{c[:12]:>12}  {m['iou_' + c]:6.3f}  {m.get('dice_' + c, float('nan')):6.3f}" for c in classes]
    return "\n".join(lines)


def format_figures(result):
    """One line naming the figures `zoo evaluate` wrote and their folder."""
    return f"figures: {', '.join(result['figures'])} in {result['folder']}" if result.get("figures") else ""


def first_conv(model):
    """The first Conv2D layer of a model (searching nested models), or None."""
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found = first_conv(layer)
            if found is not None:
                return found
        elif type(layer).__name__ in ("Conv2D",):
            return layer
    return None


def conv_layers(model, limit=4):
    """Names of up to `limit` conv/pool layers of a functional model (the feature-map figure)."""
    names = [l.name for l in model.layers if type(l).__name__ in ("Conv2D", "MaxPooling2D", "AveragePooling2D", "DepthwiseConv2D")]
    return names[:limit]


def classification_figures(model, ds, out, *, n_saliency=6):
    """confusion matrix, misclassified, first-layer filters, feature maps and saliency PNGs of a
    classifier on `ds`; returns the file names written into `out`."""
    import keras

    from zoo import plots
    from zoo.training import classification as cls
    from zoo.training.gradients import input_gradient

    written = []
    p = cls.predict_probabilities(model, ds.x)
    y_pred = p.argmax(1)
    plots.plot_confusion_matrix(ds.y, y_pred, os.path.join(out, "confusion_matrix.png"), labels=ds.class_names, title=f"{model.name}, held-out {ds.name}")
    plots.plot_misclassified(ds.x, ds.y, y_pred, os.path.join(out, "misclassified.png"), probabilities=p.max(1), labels=ds.class_names)
    written += ["confusion_matrix.png", "misclassified.png"]
    conv = first_conv(model)
    if conv is not None:
        plots.plot_first_layer_filters(keras.ops.convert_to_numpy(conv.kernel), os.path.join(out, "filters.png"), title=f"{model.name} {conv.name} filters")
        written.append("filters.png")
    names = conv_layers(model)
    if names:
        try:
            probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
            acts = probe.predict(ds.x[:1], verbose=0)
            acts = acts if isinstance(acts, list) else [acts]
            plots.plot_feature_maps(ds.x[0], {n: a[0] for n, a in zip(names, acts)}, os.path.join(out, "feature_maps.png"),
                                    title=f"{model.name} feature maps for one {ds.name} image (true {ds.class_names[int(ds.y[0])]})")
            written.append("feature_maps.png")
        except (ValueError, AttributeError) as e:  # nested / subclassed models
            print(f"zoo: no feature-map figure ({e})")
    idx = np.arange(min(n_saliency, len(ds)))
    sel = np.zeros((len(idx), p.shape[1]), dtype=np.float32)
    sel[np.arange(len(idx)), y_pred[idx]] = 1.0
    grads = input_gradient(model, ds.x[idx], sel)
    plots.plot_saliency(ds.x[idx], grads, os.path.join(out, "saliency.png"),
                        titles=[f"{ds.class_names[int(y_pred[i])]} ({p[i].max():.2f})" for i in idx])
    written.append("saliency.png")
    return written
