"""The `zoo` command line (contract: shared CLI.md). A thin argparse layer over the library.

Each sub-command is an `_add_<name>(subparsers)` function that declares its flags and sets
`func` to a runner importing what it needs lazily, so `zoo --help` and argument errors never
import Keras. User errors (ValueError, FileNotFoundError, ...) print one line, exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, NotADirectoryError, PermissionError, KeyError)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument prints one line (`zoo: error: ...`) and exits 2."""

    def error(self, message):
        self.exit(2, f"zoo: error: {message} (see `{self.prog} --help`)\n")


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


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
    p.set_defaults(func=_run_list)


def _run_list(args):
    from zoo import registry

    names = registry.list_models(args.pattern, task=args.task)
    if not names:
        print(f"no model matches {args.pattern!r}; `zoo list` shows all", file=sys.stderr)
        return 1
    width = max(len(n) for n in names)
    for n in names:
        s = registry.get_spec(n)
        shape = "x".join(str(d) for d in s.default_input_shape)
        print(f"{n:<{width}}  {s.task:<14}  {shape:<11}  {s.family}")
    return 0


def _add_info(sub):
    p = sub.add_parser("info", help="parameter count, default input shape, task, reference of MODEL")
    p.add_argument("model")
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
    p.add_argument("model")
    p.add_argument("--dataset", required=True, help="digits, shapes, shapes-det, a tfds name or folder:PATH")
    p.add_argument("--epochs", type=positive_int, default=10)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--optimizer", choices=_OPTIMIZERS, default="adam")
    p.add_argument("--lr", type=positive_float, default=None, help="base learning rate (default: per optimizer)")
    p.add_argument("--schedule", choices=_SCHEDULES, default="cosine")
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
    import json

    from zoo.training.evaluate import evaluate_path, format_classification

    result = evaluate_path(args.path, args.dataset, out=args.out, split=args.split, data_dir=args.data_dir)
    if result["task"] == "classification":
        print(format_classification(result))
    else:
        print(json.dumps(result["metrics"], indent=2))
    return 0


def _add_check(sub):
    p = sub.add_parser("check", help="the training-recipe checks, pass/warn/fail table")
    p.add_argument("model")
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
    p.add_argument("--model", required=True)
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

# ----------------------------------------------------------------------------- main
COMMANDS = [_add_list, _add_info, _add_demo, _add_train, _add_evaluate, _add_check, _add_report, _add_compare, _add_predict]


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
