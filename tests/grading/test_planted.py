"""Planted bugs: every realistic wrong variant loses the points of the test meant to catch it.

The normal suite grades round 0 (one bug in every exercise, 13 bugs, one grading run), every
other bug of the NumPy-only exercises (their children start without Keras) and the second bug
of each Keras exercise: 32 of the 40 bugs. The slow suite grades the other 8."""

import ast
import os

import pytest

import planted_bugs
from zoo.grading.grade import grade_submission

ROOT = planted_bugs.ROOT


def test_every_exercise_has_two_planted_bugs_that_apply():
    counts = {}
    for bug in planted_bugs.BUGS:
        counts[bug.exercise] = counts.get(bug.exercise, 0) + 1
        src = open(os.path.join(ROOT, "solutions", bug.exercise + ".py"), encoding="utf-8").read()
        changed = bug.apply(src)  # each edit's text occurs exactly once
        assert changed != src
        compile(changed, bug.exercise, "exec")
        defined = set()
        for folder in ("exercises", os.path.join("exercises", "hidden")):  # visible and hidden tests
            path = os.path.join(ROOT, "tests", folder, f"test_{bug.exercise}.py")
            if os.path.exists(path):
                tests = ast.parse(open(path, encoding="utf-8").read())
                defined |= {n.name for n in ast.walk(tests) if isinstance(n, ast.FunctionDef)}
        assert bug.catches in defined, bug
    assert len(counts) == 13 and min(counts.values()) >= 2, counts


def test_rounds_cover_every_bug_once():
    graded = planted_bugs.rounds()[0] + [b for r in planted_bugs.fast_rounds() + planted_bugs.slow_rounds() for b in r]
    assert sorted(graded, key=repr) == sorted(planted_bugs.BUGS, key=repr)
    for r in planted_bugs.fast_rounds() + planted_bugs.slow_rounds():
        assert len({b.exercise for b in r}) == len(r)  # one bug per exercise (file) in a grading run
    assert all(planted_bugs.numpy_only(b.exercise) for r in planted_bugs.fast_rounds() for b in r)


def _grade_round(bugs, tmp_path):
    folder = planted_bugs.write_submission(bugs, str(tmp_path / "planted"))
    # only the tests meant to catch the bugs: the round costs one TensorFlow import, not the training tests
    res = grade_submission(folder, exercises=sorted({b.exercise for b in bugs}), only_tests=sorted({b.catches for b in bugs}))
    by_name = {t.name.split(" (")[0]: t for t in res.tests}
    missed = []
    for b in bugs:
        t = by_name.get(f"{b.exercise}: {b.catches}")
        assert t is not None, f"no result for {b.exercise}: {b.catches}; got {sorted(by_name)}"
        if t.score != 0:
            missed.append(f"{b.exercise} / {b.name}: {b.catches} still scored {t.score}")
    assert not missed, "planted bugs not caught:\n" + "\n".join(missed)
    assert res.score < res.max_score and len(res.tests) >= len(bugs)
    return res


def test_planted_bugs_round0_caught(tmp_path):
    _grade_round(planted_bugs.rounds()[0], tmp_path)


@pytest.mark.parametrize("k", range(len(planted_bugs.fast_rounds())))
def test_planted_bugs_numpy_exercises_caught(k, tmp_path):
    _grade_round(planted_bugs.fast_rounds()[k], tmp_path)


# the Keras exercises' second bugs (model builds and NumPy parts, no training) in make test, the rest in make test-slow
@pytest.mark.parametrize("k", [pytest.param(k, marks=[pytest.mark.slow] if k else []) for k in range(len(planted_bugs.slow_rounds()))])
def test_planted_bugs_keras_exercises_caught(k, tmp_path):
    _grade_round(planted_bugs.slow_rounds()[k], tmp_path)


# ----------------------------------------------------------------------------- four more planted bugs per exercise
def test_four_more_planted_bugs_per_exercise_apply():
    counts = {}
    for bug in planted_bugs.MORE_BUGS:
        counts[bug.exercise] = counts.get(bug.exercise, 0) + 1
        src = open(os.path.join(ROOT, "solutions", bug.exercise + ".py"), encoding="utf-8").read()
        changed = bug.apply(src)
        assert changed != src
        compile(changed, bug.exercise, "exec")
    assert len(counts) == 13 and min(counts.values()) >= 4, counts
    assert not {(b.exercise, b.name) for b in planted_bugs.MORE_BUGS} & {(b.exercise, b.name) for b in planted_bugs.BUGS}


def _grade_more(bugs, tmp_path):
    """Every test of the bugs' exercises: each bug costs its exercise some points, not all."""
    folder = planted_bugs.write_submission(bugs, str(tmp_path / "planted"))
    res = grade_submission(folder, exercises=sorted({b.exercise for b in bugs}))
    per = res.by_exercise()
    wrong = [f"{b.exercise} / {b.name}: {per[b.exercise][0]}/{per[b.exercise][1]}" for b in bugs
             if not 0 < per[b.exercise][0] < per[b.exercise][1]]
    assert not wrong, "planted bugs scoring full marks or nothing:\n" + "\n".join(wrong)


def _more_rounds(numpy_only):
    """The rounds of MORE_BUGS of the NumPy-only exercises (or of the Keras ones), empty rounds left out."""
    rounds = ([b for b in r if planted_bugs.numpy_only(b.exercise) == numpy_only] for r in planted_bugs.more_rounds())
    return [r for r in rounds if r]


@pytest.mark.parametrize("k", range(len(_more_rounds(True))))
def test_more_planted_bugs_numpy_exercises(k, tmp_path):
    _grade_more(_more_rounds(True)[k], tmp_path)


@pytest.mark.parametrize("k", [pytest.param(k, marks=[pytest.mark.slow] if k else []) for k in range(len(_more_rounds(False)))])
def test_more_planted_bugs_keras_exercises(k, tmp_path):
    _grade_more(_more_rounds(False)[k], tmp_path)
