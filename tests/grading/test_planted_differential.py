"""The differential tests at work: each planted mistake of planted_differential loses the
points of the test meant to catch it, each correct alternative keeps full marks (graded with
the real grader, one mistake per exercise in a run)."""

import pytest

import planted_bugs
import planted_differential
from zoo.grading.grade import grade_submission

ROOT = planted_bugs.ROOT


def test_cases_apply_and_name_their_tests():
    planted_bugs.check_cases(planted_differential.BUGS, planted_differential.ALTERNATIVES, hidden_only=True)


def _numpy_rounds():
    return planted_bugs._rounds_of([b for b in planted_differential.BUGS if planted_bugs.numpy_only(b.exercise)])


def _keras_rounds():
    return planted_bugs._rounds_of([b for b in planted_differential.BUGS if not planted_bugs.numpy_only(b.exercise)])


def _grade_bugs(bugs, tmp_path):
    folder = planted_bugs.write_submission(bugs, str(tmp_path / "planted"))
    res = grade_submission(folder, exercises=sorted({b.exercise for b in bugs}), only_tests=sorted({b.catches for b in bugs}))
    by_name = {t.name.split(" (")[0]: t for t in res.tests}
    missed = [f"{b.exercise} / {b.name}: {b.catches} scored {by_name[f'{b.exercise}: {b.catches}'].score}" for b in bugs
              if by_name[f"{b.exercise}: {b.catches}"].score != 0]
    assert not missed, "planted mistakes not caught:\n" + "\n".join(missed)
    return by_name


@pytest.mark.parametrize("k", range(len(_numpy_rounds())))
def test_planted_mistakes_numpy_exercises(k, tmp_path):
    by_name = _grade_bugs(_numpy_rounds()[k], tmp_path)
    if k == 0:  # the feedback names the shrunk input, what was expected and what came back, on one line
        out = by_name["ex01_conv_pool: test_conv_any_kernel_shape_stride_padding"].output
        assert out.startswith("conv2d([[") and "expected shape" in out and "\n" not in out, out


# each Keras round imports TensorFlow in two children: the first in make test, the others in make test-slow
@pytest.mark.parametrize("k", [pytest.param(k, marks=[pytest.mark.slow] if k else []) for k in range(len(_keras_rounds()))])
def test_planted_mistakes_keras_exercises(k, tmp_path):
    _grade_bugs(_keras_rounds()[k], tmp_path)


def _alternative_rounds():
    return planted_bugs._rounds_of(planted_differential.ALTERNATIVES)


@pytest.mark.parametrize("k", range(len(_alternative_rounds())))
def test_alternatives_keep_full_marks(k, tmp_path):
    alts = _alternative_rounds()[k]
    folder = planted_bugs.write_submission(alts, str(tmp_path / "alternative"))
    res = grade_submission(folder, exercises=sorted({a.exercise for a in alts}))
    lost = [f"{t.name}: {t.score}/{t.max_score}: {t.output[:300]}" for t in res.tests if t.score < t.max_score]
    assert not lost, "correct alternatives lost points:\n" + "\n".join(lost)
