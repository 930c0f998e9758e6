"""`zoo evaluate RUN_DIR|MODEL.keras --dataset D`: the held-out metrics and figures of the model's
task (`zoo.tasks`); for classifiers accuracy, per-class precision / recall, the confusion matrix and
the most confident mistakes, plus the figures that show what the network learned."""

from __future__ import annotations

import os
import shutil

import numpy as np

from zoo import registry
from zoo.data.fit import load_fitted
from zoo.io import ensure_out_dir, write_json
from zoo.models import load_model
from zoo.models.labels import model_class_names
from zoo.tasks import check_dataset, get_task
from zoo.training.classes import dataset_class_names, match_classes
from zoo.training.runs import RunFiles


def load_run_model(path):
    """(model, run_dir or None, config dict or {}) from a run folder (`RunFiles`) or a .keras file."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        return load_model(path), None, {}
    run = RunFiles(path)
    return load_model(run.model_file()), path, run.read_config()


def model_task(model, config, run_dir=None):
    """The task of a loaded model, as the run recorded it: "task" of the run's config.json, else of
    its metrics.json (transfer runs), else the registry's task of the model the run names (or of
    the model's own name). Never guessed from the output shape.

    Raises:
        ValueError: none of these names a task.
    """
    metrics = RunFiles(run_dir).read_metrics() if run_dir else {}
    for source in (config, metrics):
        if source.get("task"):
            return source["task"]
    for name in (config.get("model"), metrics.get("model"), model.name):
        try:
            return registry.get_spec(name).task
        except (ValueError, TypeError):
            pass
    raise ValueError(
        f"cannot tell the task of model {model.name!r}: its run folder's config.json or metrics.json names "
        "it (\"task\"); evaluate the run folder rather than the .keras file"
    )


def class_names_for(run_dir, n, model=None):
    """labels.json of the run, else the names kept in the model (zoo convert), else "0".."n-1"."""
    return stored_class_names(run_dir, n, model)[0]


def stored_class_names(run_dir, n, model=None):
    """(class names, whether the run or the model keeps them) as `class_names_for` finds them."""
    labels = RunFiles(run_dir).read_labels() if run_dir else None
    if labels is not None:
        return [str(c) for c in labels], True
    if model is not None:
        names = model_class_names(model)
        if names and len(names) == n:
            return list(names), True
    return [str(i) for i in range(n)], False


def by_name(ds, match, names):
    """`ds` with its labels as the model's class indices (`match`, `zoo.training.classes`) and the
    model's class names; a dataset of fewer classes than the model keeps them in meta["classes"]
    (the classification task scores that subset)."""
    ds.y = np.asarray(match.to_model, dtype=np.int64)[np.asarray(ds.y, dtype=np.int64)]
    ds.class_names = list(names)
    if len(match.classes) < len(names):
        ds.meta["classes"] = list(match.classes)
    return ds


def load_for_model(model, dataset, split="test", *, seed=0, data_dir=None, image_size=None):
    """The dataset split fitted to `model`'s input (`zoo.data.fit`; `image_size` where the model
    takes any size)."""
    (ds,) = load_fitted(dataset, tuple(model.input_shape[1:]), splits=(split,), image_size=image_size, fixed=True,
                        seed=seed, data_dir=data_dir, model=model.name)
    return ds


def evaluate_path(path, dataset, *, out=None, split="test", data_dir=None, seed=None, class_map=None):
    """Evaluates a run folder or .keras file on `dataset` through its task (`zoo.tasks`); writes
    evaluation.json and the task's figures (prefixed "eval_") into `out` (default: the run folder,
    or beside the .keras file); returns {"model", "dataset", "split", "task", "images", "metrics",
    "figures", "folder"}.

    A classifier's classes are matched to the dataset's by name (`zoo.training.classes`; the
    run's labels.json or the names kept in the model), `class_map` ({dataset class: model class})
    renaming first; a dataset of some of the model's classes is scored on those.

    Raises:
        ValueError: `dataset` is of another task than the model's (one sentence naming both), or
            holds a class the model does not have (before any image is predicted or file written).
    """
    model, run_dir, config = load_run_model(path)
    task = get_task(model_task(model, config, run_dir))
    check_dataset(task, dataset, model=model.name)
    seed = config.get("seed", 0) if seed is None else seed
    if task.name == "classification":
        names, named = stored_class_names(run_dir, model.output_shape[-1], model)
        known = dataset_class_names(dataset)
        if known is not None:  # refused before the images are read
            match_classes(names, known, class_map=class_map, dataset=dataset, named=named)
    ds = load_for_model(model, dataset, split, seed=seed, data_dir=data_dir)
    check_dataset(task, ds, model=model.name)
    if task.name == "classification":
        match = match_classes(names, ds.class_names, class_map=class_map, dataset=dataset, named=named)
        if match.note:
            print(match.note, flush=True)
        ds = by_name(ds, match, names)
    metrics = task.evaluate(model, ds)
    target = out or run_dir or os.path.dirname(os.path.abspath(path))
    existed = os.path.isdir(target)
    out = ensure_out_dir(target)
    try:
        figures = task.figures(model, ds, out, prefix="eval_", name=config.get("model"))  # the report's name
        result = {"model": model.name, "dataset": dataset, "split": split, "task": task.name, "images": int(len(ds)),
                  "metrics": metrics, "figures": figures, "folder": out}
        write_json(RunFiles(out).path("evaluation"), result)
    except BaseException:
        if not existed:  # nothing half-written: a folder this call made goes with its failure
            shutil.rmtree(out, ignore_errors=True)
        raise
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
    head = {k: v for k, v in m.items() if not any(k.startswith(p) for p in ("iou_", "dice_", "ap50_", "ap_"))}
    lines = [f"{result['model']} on {result['dataset']} ({result['split']}, {result['images']} images): "
             + ", ".join(f"{k} {v:.4g}" for k, v in head.items())]
    classes = [k[len("iou_"):] for k in m if k.startswith("iou_")]
    if classes:
        lines += ["", f"{'class':>12}     IoU    Dice"]
        lines += [f"{c[:12]:>12}  {m['iou_' + c]:6.3f}  {m.get('dice_' + c, float('nan')):6.3f}" for c in classes]
    classes = [k[len("ap50_"):] for k in m if k.startswith("ap50_")]
    if classes:  # a detector: VOC AP@0.5 and COCO AP@[.5:.95] per class
        lines += ["", f"{'class':>12}  AP@0.5  AP@[.5:.95]"]
        lines += [f"{c[:12]:>12}  {m['ap50_' + c]:6.3f}  {m.get('ap_' + c, float('nan')):11.3f}" for c in classes]
    return "\n".join(lines)


def format_figures(result):
    """One line naming the figures `zoo evaluate` wrote and their folder."""
    return f"figures: {', '.join(result['figures'])} in {result['folder']}" if result.get("figures") else ""
