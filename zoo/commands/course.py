"""`zoo exercises`, `zoo grade`, `zoo grade-class`: the course's stubs, checks, bundle and grading."""

from __future__ import annotations

from zoo.commands.argtypes import positive_float, positive_int


def register(sub):
    p = sub.add_parser("exercises", help="build the student stubs from solutions/, check one exercise, pack a Gradescope bundle")
    p.add_argument("action", choices=("build", "check", "pack"), help="build: exercises/ from solutions/; check [EXERCISE]: its visible tests; pack --out FILE: autograder zip")
    p.add_argument("exercise", nargs="?", default=None, help="for check: an exercise (ex03, 3 or lenet); default all")
    p.add_argument("--submission", default="exercises", help="for check: the folder holding your exNN_*.py (default exercises/)")
    p.add_argument("--out", default=None, help="for pack: the .zip to write")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"), help="Keras backend of the graded code")
    p.set_defaults(func=run_exercises, needs_keras=False)

    p = sub.add_parser("grade", help="grade one submission folder (results.json in Gradescope's schema, table on the terminal)")
    p.add_argument("submission", metavar="SUBMISSION_DIR")
    p.add_argument("--out", default=None, help="write results.json here")
    p.add_argument("--backend", default=None, choices=("tensorflow", "jax"), help="Keras backend of the graded code (jax: also on a GPU)")
    p.add_argument("--exercise", action="append", default=None, help="grade only this exercise (repeatable)")
    p.add_argument("--call-timeout", type=positive_float, default=None, help="seconds one call of the submission may take (default 300)")
    p.add_argument("--exercise-timeout", type=positive_float, default=None, help="seconds one exercise may take in all (default 300)")
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


def run_grade(args):
    from zoo.grading.grade import grade_submission

    res = grade_submission(args.submission, out=args.out, backend=args.backend, exercises=args.exercise,
                           call_timeout=args.call_timeout, exercise_timeout=args.exercise_timeout, jobs=args.jobs)
    print(res.table())
    if args.out:
        print(f"results: {args.out}")
    return 0


def run_grade_class(args):
    from zoo.grading.gradebook import grade_class

    rows = grade_class(args.folder, args.out, jobs=args.jobs, backend=args.backend, exercises=args.exercise,
                       call_timeout=args.call_timeout, exercise_timeout=args.exercise_timeout)
    print(f"gradebook: {args.out} ({len(rows)} students)")
    return 0
