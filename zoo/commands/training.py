"""`zoo demo`, `train`, `evaluate`, `check`, `report`, `compare`, `predict`: the training workbench."""

from __future__ import annotations

import json
import os
import sys

from zoo.commands import preflight
from zoo.commands.argtypes import add_image_size, model_name, positive_float, positive_int
from zoo.training.names import OPTIMIZERS, SCHEDULES


def register(sub):
    """The parsers of the training workbench's commands."""
    for add in (_demo_parser, _train_parser, _evaluate_parser, _check_parser, _report_parser, _compare_parser, _predict_parser):
        add(sub)


def _demo_parser(sub):
    p = sub.add_parser("demo", help="LeNet-5 on the embedded digits, report in runs/demo/",
                       description="`zoo train lenet5 --dataset digits --augment` with LeNet-5's recipe (`zoo info lenet5`). "
                       "Rerun to resume; a larger --epochs extends a finished run.")
    p.add_argument("--epochs", type=positive_int, default=None, help="number of epochs (default: the recipe's 60)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="batch size (default: the recipe's 32)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "demo"), help="output folder (default runs/demo)")
    p.set_defaults(func=run_demo)


def _train_parser(sub):
    p = sub.add_parser("train", help="train MODEL on a dataset; rerun the same command to resume",
                       description="Train any registered model. The run folder keeps history.csv, best.keras, "
                       "model.keras, metrics.json and figures; rerunning the same command after an interruption "
                       "(even kill -9, or Ctrl-C) continues after the last finished epoch; a larger --epochs extends a finished run.")
    p.add_argument("model", type=model_name)
    p.add_argument("--dataset", required=True, help="digits, shapes, shapes-det, a tfds name or folder:PATH")
    recipe = " (default: the model's recommended recipe, `zoo info MODEL`, else %s)"
    p.add_argument("--epochs", type=positive_int, default=None, help="number of epochs" + recipe % "10")
    p.add_argument("--batch-size", type=positive_int, default=None, help="batch size" + recipe % "32")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="optimizer" + recipe % "adam")
    p.add_argument("--lr", type=positive_float, default=None, help="base learning rate" + recipe % "the optimizer's default")
    p.add_argument("--schedule", choices=SCHEDULES, default=None, help="learning-rate schedule" + recipe % "cosine")
    p.add_argument("--augment", action="store_true", help="augmentation layers (digits: rotation/shift/zoom; photos: flip/crop/colour)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="run folder")
    add_image_size(p, "N or HxW (default: 32x32 for digits, the model's size up to 64x64 for folders, else the dataset's)")
    p.add_argument("--data-dir", default=None, help="tfds data folder")
    p.add_argument("--l2", type=positive_float, default=None, help="L2 penalty on every kernel")
    p.add_argument("--weight-decay", type=positive_float, default=None, help="decoupled weight decay")
    p.add_argument("--patience", type=positive_int, default=None, help="early stopping after N epochs without val_loss gain")
    p.add_argument("--distribute", choices=("data",), default=None,
                   help="data: data-parallel over every device (KERAS_BACKEND=jax); the --batch-size is the global batch, "
                   "split over the devices. Several processes or hosts join from KERAS_DISTRIBUTION_JOB_ADDRESSES "
                   "(process 0's host:port), KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID; "
                   "--out must be a folder they share, and process 0 writes it")
    p.add_argument("--deterministic", action="store_true",
                   help="TensorFlow's deterministic ops for the run (the demo uses them; off by default: "
                   "they cost ResNet-50 7-11 %% of its step on a CPU, and the same --seed already repeats a run "
                   "on one machine)")
    p.set_defaults(func=run_train, preflight=preflight.train)


def _evaluate_parser(sub):
    p = sub.add_parser("evaluate", help="metrics of a run folder or .keras file on a dataset")
    p.add_argument("path", metavar="RUN_DIR|MODEL.keras")
    p.add_argument("--dataset", required=True)
    p.add_argument("--split", choices=("train", "val", "test"), default="test")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None, help="folder for evaluation.json and figures (default: the run folder)")
    p.add_argument("--class-map", default=None, metavar="OLD=NEW,...|FILE",
                   help="rename the dataset's classes to the model's (classes are matched by name; a dataset class "
                   "the model does not have is refused)")
    p.set_defaults(func=run_evaluate, preflight=preflight_evaluate)


def _check_parser(sub):
    p = sub.add_parser("check", help="the training-recipe checks, pass/warn/fail table")
    p.add_argument("model", type=model_name)
    p.add_argument("--dataset", required=True)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for the LR range-test plot (default runs/check-MODEL)")
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=run_check, preflight=preflight.dataset_only)


def _report_parser(sub):
    p = sub.add_parser("report", help="one HTML page with a run's metrics and figures")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--out", default=None, help="HTML file (default RUN_DIR/report.html)")
    p.set_defaults(func=run_report, needs_keras=False)


def _compare_parser(sub):
    p = sub.add_parser("compare", help="compare optimizers: loss curves in one figure")
    p.add_argument("what", choices=("optimizers",))
    p.add_argument("--model", required=True, type=model_name)
    p.add_argument("--dataset", required=True)
    p.add_argument("--optimizers", default=",".join(OPTIMIZERS), help="comma-separated subset (default: all eight)")
    p.add_argument("--epochs", type=positive_int, default=3)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "compare-optimizers"))
    p.set_defaults(func=run_compare, preflight=preflight.dataset_only)


def _predict_parser(sub):
    p = sub.add_parser("predict", help="predict image files or folders with a run folder or .keras model")
    p.add_argument("path", metavar="RUN_DIR|MODEL.keras")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    p.add_argument("--json", action="store_true", help="print one JSON list of records")
    p.add_argument("--out", default=None, help="folder for the PNGs of detectors / segmenters")
    p.set_defaults(func=run_predict, preflight=preflight.predict)


# The runners import the workbench when the command runs: `zoo --help` must not load Keras.
def run_demo(args):
    from zoo.demo import run_demo as demo

    return training_command(demo, args.out, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)


def run_train(args):
    from zoo.training.train import train

    return training_command(train, args.model, args.dataset, args.out, epochs=args.epochs, batch_size=args.batch_size,
                         optimizer=args.optimizer, lr=args.lr, schedule=args.schedule, augment=args.augment,
                         seed=args.seed, image_size=args.image_size, data_dir=args.data_dir, l2=args.l2,
                         weight_decay=args.weight_decay, patience=args.patience, distribute=args.distribute,
                         deterministic=args.deterministic)


def training_command(fn, *args, **kwargs):
    """Runs a training command: exit 1 with the causes when it diverged, 130 with the resume command on Ctrl-C."""
    from zoo.training.callbacks import TrainingDiverged
    from zoo.training.runs import RunInterrupted

    try:
        fn(*args, **kwargs)
    except TrainingDiverged as e:
        print(f"zoo: error: {e}", file=sys.stderr)
        return 1
    except RunInterrupted as e:
        print(str(e), file=sys.stderr)
        return 130
    return 0


def preflight_evaluate(args):
    preflight.evaluate(args)
    check_evaluate(args)


def check_evaluate(args):
    """The class match of a run folder and a dataset whose names are known unloaded (digits,
    folders), refused before Keras is imported."""
    from zoo.training.classes import dataset_class_names, match_classes, parse_class_map

    args.class_map = parse_class_map(args.class_map)
    labels = os.path.join(args.path, "labels.json")
    known = dataset_class_names(args.dataset)
    if known is None or not os.path.isfile(labels):
        return
    try:
        with open(os.path.join(args.path, "config.json"), encoding="utf-8") as f:
            if json.load(f).get("task") != "classification":
                return  # the evaluation names a dataset of another task
        with open(labels, encoding="utf-8") as f:
            names = [str(n) for n in json.load(f)]
    except (OSError, ValueError, AttributeError):
        return  # the evaluation reads them again and names what is wrong
    match_classes(names, known, class_map=args.class_map, dataset=args.dataset)


def run_evaluate(args):
    from zoo.training.evaluate import evaluate_path, format_classification, format_figures, format_metrics

    result = evaluate_path(args.path, args.dataset, out=args.out, split=args.split, data_dir=args.data_dir,
                           class_map=args.class_map)
    print(format_classification(result) if result["task"] == "classification" else format_metrics(result))
    print(format_figures(result))
    return 0


def run_check(args):
    from zoo.training.recipe import format_table, run_checks

    out = args.out or os.path.join("runs", f"check-{args.model}")
    results = run_checks(args.model, args.dataset, out=out, batch_size=args.batch_size, seed=args.seed, data_dir=args.data_dir)
    print(format_table(results))
    return 1 if any(r.status == "fail" for r in results) else 0


def run_report(args):
    from zoo.training.report import write_report

    try:
        print(write_report(args.run_dir, args.out))
    except PermissionError as e:
        if args.out:
            raise
        raise PermissionError(f"{e}: pass --out FILE.html to write the report elsewhere, e.g. "
                              f"zoo report {args.run_dir} --out report.html") from None
    return 0


def run_compare(args):
    from zoo.training.compare import compare_optimizers

    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    compare_optimizers(args.model, args.dataset, out=args.out, optimizers=names, epochs=args.epochs,
                       batch_size=args.batch_size, seed=args.seed)
    return 0


def run_predict(args):
    from zoo.training.predict import predict_paths

    records = predict_paths(args.path, args.inputs, out=args.out)
    if args.json:
        print(json.dumps(records, indent=1, ensure_ascii=False))  # class names as they are spelt
    else:
        for r in records:
            print(f"{r['path']}\t{r['label']}\t{r['probability']:.4f}")
    return 0
