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


# ----------------------------------------------------------------------------- main
COMMANDS = [_add_list, _add_info, _add_demo]
COMMANDS += [_add_exercises, _add_grade, _add_grade_class]  # grader


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
    """Imports Keras with TensorFlow's C++ start-up chatter (absl, CUDA stubs) held back;
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
            import keras  # noqa: F401
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
