"""The structural and behavioural tests at work: each planted mistake of planted_structural
loses the points of the test meant to catch it, each correct alternative keeps full marks
(graded with the real grader, one case per exercise in a run)."""

import pytest

import planted_bugs
import planted_structural
from zoo.grading.grade import grade_submission

ROOT = planted_bugs.ROOT


def test_cases_apply_and_name_their_tests():
    planted_bugs.check_cases(planted_structural.BUGS, planted_structural.ALTERNATIVES)


def _bug_rounds():
    return planted_bugs._rounds_of(planted_structural.BUGS)


def _alternative_rounds():
    return planted_bugs._rounds_of(planted_structural.ALTERNATIVES)


@pytest.mark.parametrize("k", [pytest.param(k, marks=[pytest.mark.slow] if k else []) for k in range(len(_bug_rounds()))])
def test_planted_mistakes_caught(k, tmp_path):
    bugs = _bug_rounds()[k]
    folder = planted_bugs.write_submission(bugs, str(tmp_path / "planted"))
    res = grade_submission(folder, exercises=sorted({b.exercise for b in bugs}), only_tests=sorted({b.catches for b in bugs}))
    by_name = {t.name.split(" (")[0]: t for t in res.tests}
    missed = [f"{b.exercise} / {b.name}: {b.catches} scored {by_name[f'{b.exercise}: {b.catches}'].score}" for b in bugs
              if by_name[f"{b.exercise}: {b.catches}"].score != 0]
    assert not missed, "planted mistakes not caught:\n" + "\n".join(missed)


@pytest.mark.parametrize("k", [pytest.param(k, marks=[pytest.mark.slow] if k else []) for k in range(len(_alternative_rounds()))])
def test_alternatives_keep_full_marks(k, tmp_path):
    alts = _alternative_rounds()[k]
    folder = planted_bugs.write_submission(alts, str(tmp_path / "alternative"))
    res = grade_submission(folder, exercises=sorted({a.exercise for a in alts}))
    lost = [f"{t.name}: {t.score}/{t.max_score}: {t.output[:300]}" for t in res.tests if t.score < t.max_score]
    assert not lost, "correct alternatives lost points:\n" + "\n".join(lost)
