"""The Gradescope entry point (`run_autograder` calls it): `python -m zoo.grading.gradescope
--submission /autograder/submission --results /autograder/results/results.json`.

Whatever happens, a valid results.json is written: the submission's files are found by name
(zoo.grading.intake) and what was found is told at the top; a crash of the grader itself
becomes a visible "Autograder failed" entry with the reason (the traceback hidden), never an
empty score. `--self-check` (setup.sh ends with it) checks that the bundle can grade.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback

from zoo.grading.build import exercise_names
from zoo.grading.grade import grade_submission, tests_for
from zoo.grading.intake import collect
from zoo.grading.results import Results
from zoo.startup import quiet_native_logs


def assignment_exercises(root):
    """The exercises of this assignment (assignment.json, written by `zoo exercises pack`)."""
    path = os.path.join(root, "assignment.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return list(json.load(f)["exercises"])
    return exercise_names(root)


def grade(submission, results, root):
    """Grades `submission` into `results` (Gradescope's results.json); returns the Results."""
    exercises = assignment_exercises(root)
    for _ in range(2):  # an incomplete grade (a full disk, the grader's own error) is graded again once
        with tempfile.TemporaryDirectory(prefix="zoo-intake-") as tmp:
            intake = collect(submission, exercises, os.path.join(tmp, "submission"))
            res = grade_submission(intake.folder, exercises=exercises, root=root)
        if not res.incomplete:
            break
    res.output = intake.above(res.output)
    res.write(results)
    return res


def self_check(root):
    """What run_autograder needs is importable and every graded test file is there."""
    # imported here, to check they are installed: grading itself never imports Keras in this process
    import hypothesis  # noqa: F401  (the hidden tests draw their inputs with it)
    import jupytext  # noqa: F401  (notebook submissions)
    import keras  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401

    files = tests_for(assignment_exercises(root), root)
    print(f"zoo autograder ready: {len(files)} graded test files, keras {keras.__version__}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m zoo.grading.gradescope", description=__doc__.split("\n\n")[0])
    ap.add_argument("--submission", default="/autograder/submission")
    ap.add_argument("--results", default="/autograder/results/results.json")
    ap.add_argument("--root", default=os.getcwd(), help="the bundle's source folder (default: the current directory)")
    ap.add_argument("--self-check", action="store_true")
    args = ap.parse_args(argv)
    quiet_native_logs()
    if args.self_check:
        self_check(args.root)
        return 0
    try:
        res = grade(args.submission, args.results, args.root)
    except BaseException as e:  # noqa: BLE001 - whatever it is, the student must see a result
        Results.failed(f"{type(e).__name__}: {e}", traceback.format_exc()).write(args.results)
        print(f"grading failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(res.table(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
