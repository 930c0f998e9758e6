"""Planted bugs: every realistic wrong variant loses the points of the test meant to catch it.

The normal suite grades round 0 (one bug in every exercise, 13 bugs, one grading run); the
slow suite grades every other round too."""

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
        tests = ast.parse(open(os.path.join(ROOT, "tests", "exercises", f"test_{bug.exercise}.py"), encoding="utf-8").read())
        assert bug.catches in {n.name for n in ast.walk(tests) if isinstance(n, ast.FunctionDef)}, bug
    assert len(counts) == 13 and min(counts.values()) >= 2, counts


def _grade_round(k, tmp_path):
    bugs = planted_bugs.rounds()[k]
    folder = planted_bugs.write_submission(bugs, str(tmp_path / f"planted{k}"))
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
    _grade_round(0, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("k", range(1, len(planted_bugs.rounds())))
def test_planted_bugs_other_rounds_caught(k, tmp_path):
    _grade_round(k, tmp_path)
