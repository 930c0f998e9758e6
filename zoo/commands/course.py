"""`zoo exercises`, `zoo grade`, `zoo grade-class`: the course's stubs, checks, bundle and grading."""

from __future__ import annotations

from zoo.commands import preflight
from zoo.commands.argtypes import positive_float, positive_int


def register(sub):
    p = sub.add_parser("exercises", help="build the student stubs from solutions/, check your exercises, pack a Gradescope bundle or the student release")
    p.add_argument("action", choices=("build", "check", "pack"),
                   help="build: exercises/ from solutions/; check [EXERCISE]: its visible tests; pack --out FILE.zip: the Gradescope autograder (--student: the student release)")
    p.add_argument("exercise", nargs="?", default=None, help="for check: an exercise (ex03, 3 or lenet); default all")
    p.add_argument("--submission", default="exercises", help="for check: the folder holding your exNN_*.py (default exercises/)")
    p.add_argument("-k", dest="keyword", default=None, metavar="EXPRESSION", help="for check: only the tests whose names match (pytest -k), e.g. -k softmax")
    p.add_argument("--out", default=None, help="for pack: the .zip to write; for build: the folder for the stubs (default exercises/ of the current course folder)")
    p.add_argument("--student", action="store_true", help="for pack: the student release (stubs, notebooks, visible tests, README) instead of the autograder")
    p.add_argument("--exercise", dest="exercises", action="append", default=None, help="for pack: an exercise of the assignment (repeatable; default all)")
    p.add_argument("--force", action="store_true", help="for build: overwrite stubs that were edited since they were built")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"), help="Keras backend of the graded code")
    p.set_defaults(func=run_exercises, needs_keras=False, preflight=preflight.exercises)

    p = sub.add_parser("grade", help="grade one submission folder (results.json in Gradescope's schema, table on the terminal)")
    p.add_argument("submission", metavar="SUBMISSION_DIR")
    p.add_argument("--out", default=None, help="write results.json here")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"), help="Keras backend of the graded code (jax: also on a GPU)")
    p.add_argument("--exercise", action="append", default=None, help="grade only this exercise (repeatable)")
    p.add_argument("--call-timeout", type=positive_float, default=None, help="seconds one call of the submission may take (default 300)")
    p.add_argument("--exercise-timeout", type=positive_float, default=None, help="seconds one exercise may take in all, importing it included (default 600)")
    p.add_argument("--jobs", type=positive_int, default=1, help="test files graded in parallel (pytest-xdist)")
    p.set_defaults(func=run_grade, needs_keras=False)

    p = sub.add_parser("grade-class", help="grade a folder of submissions (one sub-folder per student) into a CSV gradebook; resumable")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--out", required=True, help="the gradebook .csv to write")
    p.add_argument("--jobs", type=positive_int, default=1, help="students graded in parallel")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"))
    p.add_argument("--call-timeout", type=positive_float, default=None)
    p.add_argument("--exercise-timeout", type=positive_float, default=None)
    p.add_argument("--exercise", action="append", default=None, help="grade only this exercise (repeatable)")
    p.set_defaults(func=run_grade_class, needs_keras=False)


# The grader never imports Keras in the trusted process's start-up; its modules load when used.
def run_exercises(args):
    import os

    from _pytest.mark import expression  # pytest's -k grammar

    from zoo.grading import build
    from zoo.grading.results import counted

    if args.action != "check" and args.keyword:
        raise ValueError(f"-k selects tests of `zoo exercises check`, not of {args.action}. Received: -k {args.keyword}")
    if args.keyword:
        try:
            expression.Expression.compile(args.keyword)
        except (SyntaxError, getattr(expression, "ParseError", SyntaxError)) as e:  # pytest >= 8.4 / before
            raise ValueError(f"-k {args.keyword!r} is not a test-name expression ({e}): use words joined by and, or, not, "
                             "e.g. -k 'slide and not max'") from None
    if args.action == "build":
        if args.exercise:
            raise ValueError(f"`zoo exercises build` takes no EXERCISE (it builds all). Received: {args.exercise!r}")
        root = build.course_root(need="solutions")
        written = build.build(root, out_dir=args.out, force=args.force)
        folder = args.out or os.path.join(root, "exercises")
        print(f"{folder}: {counted(len(build.exercise_names(root)), 'exercise')}, {counted(len(written), 'file')} updated")
        return 0
    root = build.course_root()
    if args.action == "pack":
        if not args.out:
            raise ValueError("`zoo exercises pack` needs --out FILE.zip")
        if args.student:
            if args.exercises:
                raise ValueError("--student packs every exercise: leave out --exercise")
            members = build.pack_student(args.out, root)
            print(f"wrote {args.out} ({len(members)} files: exercises/, notebooks/, the visible tests, the zoo package and a README for students; "
                  f"no solutions, no hidden tests)")
        else:
            members = build.pack(args.out, root, exercises=args.exercises)
            print(f"wrote {args.out} ({len(members)} files: setup.sh and run_autograder at the root, zoo/, tests/exercises/ with the hidden tests; "
                  f"no solutions): upload it as the autograder of a Gradescope programming assignment")
        return 0
    from zoo.grading.grade import grade_submission
    from zoo.grading.intake import intake_copy

    submission = args.submission
    if not os.path.isdir(submission) and not os.path.isabs(submission) and os.path.isdir(os.path.join(root, submission)):
        submission = os.path.join(root, submission)
    exercises = [build.resolve_exercise(args.exercise, root)] if args.exercise else None
    with intake_copy(submission, exercises or build.exercise_names(root)) as intake:
        res = grade_submission(intake.folder, exercises=exercises, visible_only=True, backend=args.backend, root=root,
                               keyword=args.keyword, progress=_progress)
    if not res.tests or (args.keyword and not any(t.max_score > 0 for t in res.tests)):  # only the run's own notes
        raise ValueError(f"-k {args.keyword} selects no visible test" + (f" of {exercises[0]}" if exercises else "")
                         + ": -k matches test names (e.g. -k avg_pool); `zoo exercises check` without -k shows them all")
    print(res.table())
    return 0 if res.score == res.max_score and res.max_score > 0 else 1


def _progress(line):
    import sys

    print(line, file=sys.stderr, flush=True)


def run_grade(args):
    import os
    import sys

    from zoo.grading.build import course_root, exercise_names, resolve_exercise
    from zoo.grading.grade import grade_submission
    from zoo.grading.intake import intake_copy

    root = course_root()
    if args.out and os.path.isdir(args.submission):
        inside = os.path.realpath(os.path.dirname(os.path.abspath(args.out)))
        top = os.path.realpath(args.submission)
        if inside == top or inside.startswith(top + os.sep) or os.path.abspath(args.out).startswith(os.path.abspath(args.submission) + os.sep):
            raise ValueError(f"--out={args.out!r} is inside the submission {args.submission!r}: write the results outside it")
    if not os.path.isdir(args.submission):
        raise NotADirectoryError(f"SUBMISSION_DIR={args.submission!r} is not a folder: pass the folder holding exNN_*.py files")
    names = [resolve_exercise(e, root) for e in args.exercise] if args.exercise else exercise_names(root)
    with intake_copy(args.submission, names) as intake:
        res = grade_submission(intake.folder, backend=args.backend, exercises=args.exercise,
                               call_timeout=args.call_timeout, exercise_timeout=args.exercise_timeout, jobs=args.jobs,
                               root=root, progress=_progress)
    res.output = intake.above(res.output)
    if args.out:
        res.write(args.out)
    print(res.table())
    if args.out:
        print(f"results: {args.out}")
    if res.incomplete:
        print(f"zoo grade: the grade is incomplete: {res.incomplete}", file=sys.stderr)
        return 1
    return 0


def run_grade_class(args):
    from zoo.grading.build import course_root
    from zoo.grading.gradebook import grade_class
    from zoo.grading.results import counted

    rows = grade_class(args.folder, args.out, jobs=args.jobs, backend=args.backend, exercises=args.exercise,
                       call_timeout=args.call_timeout, exercise_timeout=args.exercise_timeout, root=course_root())
    print(f"gradebook: {args.out} ({counted(len(rows), 'student')})")
    return 0
