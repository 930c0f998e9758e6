"""The `zoo` command line (contract: shared CLI.md). A thin argparse layer over the library.

Each sub-command is an `_add_<name>(subparsers)` function that declares its flags and sets
`func` to a runner importing what it needs lazily, so `zoo --help` and argument errors never
import Keras. User errors (ValueError, FileNotFoundError, ...) print one line, exit 2.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, NotADirectoryError, PermissionError, KeyError)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument prints one line (`zoo: error: ...`) and exits 2."""

    def error(self, message):
        self.exit(2, f"zoo: error: {message} (see `{self.prog} --help`)\n")


def _int_at_least(text, low):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}")
    return value


def positive_int(text):
    """argparse type: an integer >= 1."""
    return _int_at_least(text, 1)


def non_negative_int(text):
    """argparse type: an integer >= 0."""
    return _int_at_least(text, 0)


def model_name(text):
    """argparse type: a registered model name, checked against the catalog (no Keras import)."""
    from zoo import registry

    try:
        return registry.check_model_name(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def positive_float(text):
    """argparse type: a float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


# ----------------------------------------------------------------------------- list / info
def _add_list(sub):
    p = sub.add_parser("list", help="registered models (fnmatch PATTERN, e.g. 'resnet*')")
    p.add_argument("pattern", nargs="?", default=None, help="fnmatch pattern, e.g. 'resnet*'")
    p.add_argument("--task", default=None, help="only models of this task (classification, segmentation, ...)")
    p.set_defaults(func=_run_list, needs_keras=False)


def _run_list(args):
    from zoo import registry

    if args.task is not None and args.task not in registry.TASKS:
        raise ValueError(f"--task must be one of {', '.join(registry.TASKS)}. Received: --task {args.task}")
    entries = registry.catalog()  # the registry's metadata without importing Keras
    names = [n for n, e in entries.items()
             if (args.pattern is None or fnmatch.fnmatchcase(n, args.pattern.lower()))
             and (args.task is None or e["task"] == args.task)]
    if not names:
        print(f"no model matches {args.pattern!r}; `zoo list` shows all", file=sys.stderr)
        return 1
    width = max(len(n) for n in names)
    for n in names:
        e = entries[n]
        shape = "x".join(str(d) for d in e["default_input_shape"])
        print(f"{n:<{width}}  {e['task']:<14}  {shape:<11}  {e['family']}")
    return 0


def _add_info(sub):
    p = sub.add_parser("info", help="parameter count, default input shape, task, reference of MODEL")
    p.add_argument("model", type=model_name)
    p.set_defaults(func=_run_info)


def _run_info(args):
    from zoo import registry

    spec = registry.get_spec(args.model)
    model = spec.builder()
    import numpy as np

    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    total = int(model.count_params())
    outs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    rows = [
        ("model", spec.name),
        ("family", spec.family),
        ("task", spec.task),
        ("parameters", f"{total:,} ({trainable:,} trainable)"),
        ("input shape", f"{spec.default_input_shape} (default); minimum {spec.min_input_shape}"),
        ("output shape", ", ".join(str(tuple(o.shape)) for o in outs)),
        ("reference", spec.paper),
    ]
    if spec.notes:
        rows.append(("notes", spec.notes))
    if spec.recipe:
        rows.append(("zoo train", " ".join(f"--{k.replace('_', '-')} {v}" for k, v in spec.recipe.items() if k != "measured")
                     + (f" (measured: {spec.recipe['measured']})" if spec.recipe.get("measured") else "")))
    for k, v in rows:
        print(f"{k:>13}: {v}")
    return 0


# ----------------------------------------------------------------------------- demo
def _add_demo(sub):
    p = sub.add_parser("demo", help="LeNet-5 on the embedded digits, report in runs/demo/")
    p.add_argument("--epochs", type=positive_int, default=40)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "demo"), help="output folder (default runs/demo)")
    p.set_defaults(func=_run_demo)


def _run_demo(args):
    from zoo.demo import run_demo

    metrics = run_demo(args.out, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    return 0 if metrics["test_accuracy"] > 0 else 1



# ----------------------------------------------------------------------------- training workbench
_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw")
_SCHEDULES = ("constant", "step", "exponential", "cosine", "warmup_cosine", "plateau")


def image_size_arg(text):
    """argparse type: N or HxW."""
    try:
        parts = [int(t) for t in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or min(parts, default=0) < 1:
        raise argparse.ArgumentTypeError(f"expected N or HxW (e.g. 32 or 64x48), got {text!r}")
    return parts[0] if len(parts) == 1 else tuple(parts)


def _add_train(sub):
    p = sub.add_parser("train", help="train MODEL on a dataset; rerun the same command to resume",
                       description="Train any registered model. The run folder keeps history.csv, best.keras, "
                       "model.keras, metrics.json and figures; rerunning the same command after an interruption "
                       "(even kill -9) continues after the last finished epoch.")
    p.add_argument("model", type=model_name)
    p.add_argument("--dataset", required=True, help="digits, shapes, shapes-det, a tfds name or folder:PATH")
    recipe = " (default: the model's recommended recipe, `zoo info MODEL`, else %s)"
    p.add_argument("--epochs", type=positive_int, default=None, help="number of epochs" + recipe % "10")
    p.add_argument("--batch-size", type=positive_int, default=None, help="batch size" + recipe % "32")
    p.add_argument("--optimizer", choices=_OPTIMIZERS, default=None, help="optimizer" + recipe % "adam")
    p.add_argument("--lr", type=positive_float, default=None, help="base learning rate" + recipe % "the optimizer's default")
    p.add_argument("--schedule", choices=_SCHEDULES, default=None, help="learning-rate schedule" + recipe % "cosine")
    p.add_argument("--augment", action="store_true", help="augmentation layers (digits: rotation/shift/zoom; photos: flip/crop/colour)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--image-size", type=image_size_arg, default=None, help="N or HxW (default: the dataset's)")
    p.add_argument("--data-dir", default=None, help="tfds data folder")
    p.add_argument("--l2", type=positive_float, default=None, help="L2 penalty on every kernel")
    p.add_argument("--weight-decay", type=positive_float, default=None, help="decoupled weight decay")
    p.add_argument("--patience", type=positive_int, default=None, help="early stopping after N epochs without val_loss gain")
    p.set_defaults(func=_run_train)


def _run_train(args):
    from zoo.training.callbacks import TrainingDiverged
    from zoo.training.train import train

    try:
        train(args.model, args.dataset, args.out, epochs=args.epochs, batch_size=args.batch_size,
              optimizer=args.optimizer, lr=args.lr, schedule=args.schedule, augment=args.augment, seed=args.seed,
              image_size=args.image_size, data_dir=args.data_dir, l2=args.l2, weight_decay=args.weight_decay,
              patience=args.patience)
    except TrainingDiverged as e:
        print(f"zoo: error: {e}", file=sys.stderr)
        return 1
    return 0


def _add_evaluate(sub):
    p = sub.add_parser("evaluate", help="metrics of a run folder or .keras file on a dataset")
    p.add_argument("path", metavar="RUN_DIR|MODEL.keras")
    p.add_argument("--dataset", required=True)
    p.add_argument("--split", choices=("train", "val", "test"), default="test")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None, help="folder for evaluation.json and figures (default: the run folder)")
    p.set_defaults(func=_run_evaluate)


def _run_evaluate(args):
    from zoo.training.evaluate import evaluate_path, format_classification, format_figures, format_metrics

    result = evaluate_path(args.path, args.dataset, out=args.out, split=args.split, data_dir=args.data_dir)
    print(format_classification(result) if result["task"] == "classification" else format_metrics(result))
    print(format_figures(result))
    return 0


def _add_check(sub):
    p = sub.add_parser("check", help="the training-recipe checks, pass/warn/fail table")
    p.add_argument("model", type=model_name)
    p.add_argument("--dataset", required=True)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for the LR range-test plot (default runs/check-MODEL)")
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=_run_check)


def _run_check(args):
    from zoo.training.recipe import format_table, run_checks

    out = args.out or os.path.join("runs", f"check-{args.model}")
    results = run_checks(args.model, args.dataset, out=out, batch_size=args.batch_size, seed=args.seed, data_dir=args.data_dir)
    print(format_table(results))
    return 1 if any(r.status == "fail" for r in results) else 0


def _add_report(sub):
    p = sub.add_parser("report", help="one HTML page with a run's metrics and figures")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--out", default=None, help="HTML file (default RUN_DIR/report.html)")
    p.set_defaults(func=_run_report, needs_keras=False)


def _run_report(args):
    from zoo.training.report import write_report

    print(write_report(args.run_dir, args.out))
    return 0


def _add_compare(sub):
    p = sub.add_parser("compare", help="compare optimizers: loss curves in one figure")
    p.add_argument("what", choices=("optimizers",))
    p.add_argument("--model", required=True, type=model_name)
    p.add_argument("--dataset", required=True)
    p.add_argument("--optimizers", default=",".join(_OPTIMIZERS), help="comma-separated subset (default: all eight)")
    p.add_argument("--epochs", type=positive_int, default=3)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "compare-optimizers"))
    p.set_defaults(func=_run_compare)


def _run_compare(args):
    from zoo.training.compare import compare_optimizers

    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    compare_optimizers(args.model, args.dataset, out=args.out, optimizers=names, epochs=args.epochs,
                       batch_size=args.batch_size, seed=args.seed)
    return 0


def _add_predict(sub):
    p = sub.add_parser("predict", help="predict image files or folders with a run folder or .keras model")
    p.add_argument("path", metavar="RUN_DIR|MODEL.keras")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    p.add_argument("--json", action="store_true", help="print one JSON list of records")
    p.add_argument("--out", default=None, help="folder for the PNGs of detectors / segmenters")
    p.set_defaults(func=_run_predict)


def _run_predict(args):
    import json

    from zoo.training.predict import predict_paths

    records = predict_paths(args.path, args.inputs, out=args.out)
    if args.json:
        print(json.dumps(records, indent=1))
    else:
        for r in records:
            print(f"{r['path']}\t{r['label']}\t{r['probability']:.4f}")
    return 0



# ----------------------------------------------------------------------------- bench (classifiers)
def _add_bench(sub):
    p = sub.add_parser(
        "bench",
        help="training throughput of a zoo model vs keras.applications (and torchvision), ratios",
    )
    p.add_argument("--model", required=True, type=model_name, help="zoo model name, e.g. resnet50 or vgg16")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--steps", type=positive_int, default=10, help="batches per measured round (default 10)")
    p.add_argument("--input-size", type=positive_int, default=None, help="square input side (default: the model's, 224)")
    p.add_argument("--precision", choices=("float32", "mixed_bfloat16"), default="float32")
    p.add_argument("--repeats", type=positive_int, default=3, help="measured rounds per model (default 3)")
    p.add_argument("--out", default=os.path.join("runs", "bench"), help="output folder (default runs/bench)")
    p.set_defaults(func=_run_bench)


def _run_bench(args):
    from zoo.bench import run_bench

    result = run_bench(
        args.model,
        batch_size=args.batch_size,
        steps=args.steps,
        input_size=args.input_size,
        precision=args.precision,
        repeats=args.repeats,
        out=args.out,
    )
    return 0 if all(r["median_images_per_s"] > 0 for r in result["results"]) else 1


# ----------------------------------------------------------------------------- transfer
def _add_transfer(sub):
    p = sub.add_parser(
        "transfer",
        help="fine-tune a backbone on a class-per-folder image directory (two phases)",
        description="Fine-tune a backbone on DIR/<class>/<image>: phase 1 trains a new head on the frozen "
        "backbone, phase 2 unfreezes the top --unfreeze blocks at a lower learning rate (BatchNorm stays in "
        "inference mode). Every file is validated first; broken ones are skipped with one warning. Writes "
        "model.keras (takes raw images), labels.json, metrics.json, history.csv and figures into --out.",
    )
    p.add_argument("--data", required=True, help="folder with one sub-folder of images per class")
    p.add_argument("--backbone", required=True, help="zoo classifier (lenet5, resnet18, ...) or keras.applications class (MobileNetV2)")
    p.add_argument("--weights", default=None, help="local .keras or .weights.h5 file with the backbone's weights (default: random init)")
    p.add_argument("--epochs", type=non_negative_int, default=5, help="epochs of phase 1, head only (default 5)")
    p.add_argument("--fine-tune-epochs", type=non_negative_int, default=None, help="epochs of phase 2 (default: --epochs)")
    p.add_argument("--unfreeze", type=non_negative_int, default=1, help="top blocks of the backbone unfrozen in phase 2 (default 1; 0 = phase 1 only)")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="phase-1 learning rate (default 1e-3); phase 2 uses a tenth")
    p.add_argument("--image-size", type=positive_int, default=None, help="resize images to N x N (default: the backbone's / saved model's input size)")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="run folder to write")
    p.set_defaults(func=_run_transfer)


def _run_transfer(args):
    from zoo.transfer import run_transfer

    if args.epochs + (args.epochs if args.fine_tune_epochs is None else args.fine_tune_epochs) < 1:
        raise ValueError("--epochs and --fine-tune-epochs are both 0: nothing to train")
    run_transfer(
        args.data,
        args.backbone,
        args.out,
        weights=args.weights,
        epochs=args.epochs,
        fine_tune_epochs=args.fine_tune_epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        image_size=args.image_size,
        unfreeze=args.unfreeze,
        learning_rates=(args.lr, args.lr / 10),
    )
    return 0


# ----------------------------------------------------------------------------- exercises / grade (grader)
def _add_exercises(sub):
    p = sub.add_parser("exercises", help="build the student stubs from solutions/, check one exercise, pack a Gradescope bundle")
    p.add_argument("action", choices=("build", "check", "pack"), help="build: exercises/ from solutions/; check [EXERCISE]: its visible tests; pack --out FILE: autograder zip")
    p.add_argument("exercise", nargs="?", default=None, help="for check: an exercise (ex03, 3 or lenet); default all")
    p.add_argument("--submission", default="exercises", help="for check: the folder holding your exNN_*.py (default exercises/)")
    p.add_argument("--out", default=None, help="for pack: the .zip to write")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"), help="Keras backend of the graded code")
    p.set_defaults(func=_run_exercises, needs_keras=False)


def _run_exercises(args):
    from zoo.grading import build

    if args.action == "build":
        if args.exercise:
            raise ValueError(f"`zoo exercises build` takes no EXERCISE (it builds all). Received: {args.exercise!r}")
        written = build.build()
        print(f"exercises/: {len(build.exercise_names())} exercises, {len(written)} file(s) updated")
        return 0
    if args.action == "pack":
        if not args.out:
            raise ValueError("`zoo exercises pack` needs --out FILE.zip")
        members = build.pack(args.out)
        print(f"wrote {args.out} ({len(members)} files: setup.sh, run_autograder, source/ with zoo/ and tests/exercises/, no solutions)")
        return 0
    from zoo.grading.grade import grade_submission

    exercises = [build.resolve_exercise(args.exercise)] if args.exercise else None
    res = grade_submission(args.submission, exercises=exercises, visible_only=True, backend=args.backend)
    print(res.table())
    return 0 if res.score == res.max_score and res.max_score > 0 else 1


def _add_grade(sub):
    p = sub.add_parser("grade", help="grade one submission folder (results.json in Gradescope's schema, table on the terminal)")
    p.add_argument("submission", metavar="SUBMISSION_DIR")
    p.add_argument("--out", default=None, help="write results.json here")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"), help="Keras backend of the graded code (jax: also on a GPU)")
    p.add_argument("--exercise", action="append", default=None, help="grade only this exercise (repeatable)")
    p.add_argument("--call-timeout", type=positive_float, default=None, help="seconds one call of the submission may take (default 300)")
    p.add_argument("--exercise-timeout", type=positive_float, default=None, help="seconds one exercise may take in all (default 300)")
    p.add_argument("--jobs", type=positive_int, default=1, help="test files graded in parallel (pytest-xdist)")
    p.set_defaults(func=_run_grade, needs_keras=False)


def _run_grade(args):
    from zoo.grading.grade import grade_submission

    res = grade_submission(args.submission, out=args.out, backend=args.backend, exercises=args.exercise,
                           call_timeout=args.call_timeout, exercise_timeout=args.exercise_timeout, jobs=args.jobs)
    print(res.table())
    if args.out:
        print(f"results: {args.out}")
    return 0


def _add_grade_class(sub):
    p = sub.add_parser("grade-class", help="grade a folder of submissions (one sub-folder per student) into a CSV gradebook; resumable")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--out", required=True, help="the gradebook .csv to write")
    p.add_argument("--jobs", type=positive_int, default=1, help="students graded in parallel")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"))
    p.add_argument("--call-timeout", type=positive_float, default=None)
    p.add_argument("--exercise-timeout", type=positive_float, default=None)
    p.add_argument("--exercise", action="append", default=None, help="grade only this exercise (repeatable)")
    p.set_defaults(func=_run_grade_class, needs_keras=False)


def _run_grade_class(args):
    from zoo.grading.gradebook import grade_class

    rows = grade_class(args.folder, args.out, jobs=args.jobs, backend=args.backend, exercises=args.exercise,
                       call_timeout=args.call_timeout, exercise_timeout=args.exercise_timeout)
    print(f"gradebook: {args.out} ({len(rows)} students)")
    return 0


# ----------------------------------------------------------------------------- tune (issue 9)
def _add_tune(sub):
    p = sub.add_parser(
        "tune",
        help="KerasTuner search over MODEL's family (random, grid, bayesian, hyperband); rerun to resume",
        description="KerasTuner search over the hyperparameters of MODEL's family and the shared training "
        "hyperparameters. Rerunning the same command resumes (finished trials are kept). Hyperband takes "
        "no trial count: --epochs is its max_epochs (factor 3) and --max-trials sets how many full "
        "Hyperband iterations run (enough to reach about that many trials).",
    )
    p.add_argument("model", type=model_name, help="registered model name, e.g. lenet5")
    p.add_argument("--dataset", default="digits", help="dataset name (default digits)")
    p.add_argument("--tuner", required=True, choices=("random", "grid", "bayesian", "hyperband"))
    p.add_argument("--max-trials", type=positive_int, default=10, help="number of trials (default 10)")
    p.add_argument("--epochs", type=positive_int, default=2, help="epochs per trial; hyperband: max_epochs (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the oracle, the split and the weights (default 0)")
    p.add_argument("--workers", type=int, default=0, help="K >= 1: one chief + K worker processes on this machine")
    p.add_argument("--overwrite", action="store_true", help="delete the search in --out and start over")
    p.add_argument("--objective", default=None, help="metric to optimise (default val_accuracy for classifiers, else val_loss)")
    p.add_argument("--image-size", type=positive_int, default=None, help="side of the images (default: 32 or the model's minimum)")
    p.add_argument("--space", action="append", default=[], metavar="NAME=RANGE",
                   help="narrow the search space: lr range 'learning_rate=1e-4:1e-2', choices 'optimizer=adam,sgd', "
                   "or a fixed value 'dropout=0.2' (repeatable)")
    p.add_argument("--train-size", type=positive_int, default=None,
                   help="use only N training examples (and N/4 validation ones): quick looks and tests")
    p.add_argument("--patience", type=positive_int, default=3, help="early stopping inside a trial (epochs, default 3)")
    p.add_argument("--baseline", action="store_true", help="also train the untuned default configuration for comparison")
    p.add_argument("--timeout", type=positive_float, default=6 * 3600, help="distributed: seconds for the whole search (default 6 h)")
    p.add_argument("--out", required=True, help="output folder (search, results.json, best_model.keras, plots/)")
    p.set_defaults(func=_run_tune)


def _run_tune(args):
    from zoo.tuning import search
    from zoo.tuning.hypermodels import parse_space

    space = parse_space(args.space)
    kw = dict(max_trials=args.max_trials, epochs=args.epochs, seed=args.seed, objective=args.objective,
              image_size=args.image_size, space=space, train_size=args.train_size, patience=args.patience)
    if args.workers < 0:
        raise ValueError(f"--workers must be >= 1 (0 = no distribution). Received: --workers {args.workers}")
    in_cluster = "KERASTUNER_ORACLE_IP" in os.environ
    try:
        if args.workers and not in_cluster:
            return _run_tune_distributed(args, kw)
        results = search.run_search(args.model, args.dataset, args.tuner, args.out, overwrite=args.overwrite,
                                    baseline=args.baseline, **kw)
    except search.SearchFailedError as e:
        print(f"zoo: error: {e}", file=sys.stderr)
        return 1
    return 0 if in_cluster or results["trials_completed"] else 1


def _run_tune_distributed(args, kw):
    from zoo.tuning import distributed, search

    # Every check (and --overwrite) happens here, once, before any process starts.
    os.environ["KERASTUNER_TUNER_ID"] = "chief"  # read the chief's state at the end
    ctx = search.prepare(args.model, args.dataset, args.tuner, args.out, overwrite=args.overwrite,
                         **{k: v for k, v in kw.items() if k != "patience"})
    child = ["tune", args.model, "--dataset", args.dataset, "--tuner", args.tuner, "--max-trials",
             str(args.max_trials), "--epochs", str(args.epochs), "--seed", str(args.seed), "--out", ctx["out"],
             "--objective", ctx["objective"], "--patience", str(args.patience)]
    if args.image_size:
        child += ["--image-size", str(args.image_size)]
    if args.train_size:
        child += ["--train-size", str(args.train_size)]
    for item in args.space:
        child += ["--space", item]
    try:
        info = distributed.launch(child, workers=args.workers, out=ctx["out"], timeout=args.timeout,
                                  expected_trials=args.max_trials if args.tuner != "hyperband" else None)
    except distributed.LaunchError as e:
        ctx = search.prepare(args.model, args.dataset, args.tuner, args.out, check_metrics=False,
                             **{k: v for k, v in kw.items() if k != "patience"})
        records = search.trial_records(ctx["tuner"], ctx["objective"])
        if records and not any(r["status"] == "COMPLETED" for r in records):
            raise search.SearchFailedError(search._failure_message(ctx["tuner"])) from None
        print(f"zoo: error: {e}", file=sys.stderr)
        return 1
    ctx = search.prepare(args.model, args.dataset, args.tuner, args.out, check_metrics=False,
                         **{k: v for k, v in kw.items() if k != "patience"})
    results = search.summarize(ctx, wall_time=info["wall_time_s"], baseline=args.baseline)
    results["distributed"] = dict(workers=args.workers, **info)
    from zoo.io import write_json

    write_json(os.path.join(ctx["out"], "results.json"), results)
    return 0


# ----------------------------------------------------------------------------- main
COMMANDS = [
    _add_list,
    _add_info,
    _add_demo,
    _add_train,
    _add_evaluate,
    _add_check,
    _add_report,
    _add_compare,
    _add_predict,
    _add_bench,
    _add_transfer,
    _add_exercises,
    _add_grade,
    _add_grade_class,
    _add_tune,
]


def build_parser():
    from zoo import __version__

    parser = _Parser(prog="zoo", description="Keras 3 model zoo and computer-vision course in a box.")
    parser.add_argument("--version", action="version", version=f"zoo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for add in COMMANDS:
        add(sub)
    return parser


def import_keras_quietly():
    """Imports Keras with TensorFlow's C++ start-up chatter (absl, CUDA probes) held back;
    the chatter is shown only if the import fails."""
    if "keras" in sys.modules:
        return
    import tempfile

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (embedded use): import plainly
        import keras  # noqa: F401

        return
    with tempfile.TemporaryFile() as log:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)
        try:
            import keras

            if keras.backend.backend() == "tensorflow":  # device discovery logs CUDA probes too
                import tensorflow as tf

                tf.config.list_physical_devices()
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def main(argv=None):
    """Entry point of the `zoo` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "needs_keras", True):
        import_keras_quietly()
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as e:
        if os.environ.get("ZOO_DEBUG"):
            raise
        msg = " ".join(str(e.args[0] if isinstance(e, KeyError) and e.args else e).split())
        print(f"zoo: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zoo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
