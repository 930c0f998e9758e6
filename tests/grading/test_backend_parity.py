"""The same submission scores the same, test by test, on TensorFlow and on JAX: a
grade must not depend on the backend the grader happens to use. `make test` grades three
planted bugs of representative exercises (NumPy only; BatchNorm and Dropout at training vs
inference time; model blocks described from their config); `make test-slow` grades the
solutions and every planted bug."""

import os

import pytest

import planted_bugs
from zoo.grading.grade import grade_submission

ROOT = planted_bugs.ROOT
REPRESENTATIVE = ("ex02_linear_classifier", "ex07_batchnorm_dropout", "ex08_vgg_resnet_blocks")


def scores_by_backend(bugs, folder, exercises=None):
    """{backend: {test name: score}} of the solutions with `bugs` planted."""
    planted_bugs.write_submission(bugs, folder)
    out = {}
    for backend in ("tensorflow", "jax"):
        res = grade_submission(folder, backend=backend, exercises=exercises)
        assert not any(t.name.startswith(("Autograder failed", "Grading interrupted")) for t in res.tests), res.table()
        out[backend] = {t.name.split(" (")[0]: t.score for t in res.tests}
    return out


def assert_same(scores, what):
    tf, jax = scores["tensorflow"], scores["jax"]
    assert sorted(tf) == sorted(jax)
    differ = [f"{name}: TensorFlow {tf[name]}, JAX {jax[name]}" for name in sorted(tf) if tf[name] != jax[name]]
    assert not differ, f"{what} scores differently by backend:\n" + "\n".join(differ)


def test_planted_bugs_score_the_same_on_both_backends(tmp_path):
    bugs = [b for b in planted_bugs.more_rounds()[0] if b.exercise in REPRESENTATIVE]
    assert sorted(b.exercise for b in bugs) == sorted(REPRESENTATIVE)
    scores = scores_by_backend(bugs, str(tmp_path / "sub"), exercises=list(REPRESENTATIVE))
    assert_same(scores, ", ".join(f"{b.exercise} / {b.name}" for b in bugs))
    assert sum(scores["tensorflow"].values()) > 0 and min(scores["tensorflow"].values()) == 0  # each bug costs points


ALL = [("solutions", [])] + [(f"round {k}", r) for k, r in enumerate(planted_bugs.rounds())] + \
      [(f"more round {k}", r) for k, r in enumerate(planted_bugs.more_rounds())]


@pytest.mark.slow
@pytest.mark.parametrize("name,bugs", ALL, ids=[name for name, _ in ALL])
def test_every_planted_bug_scores_the_same_on_both_backends(name, bugs, tmp_path):
    assert_same(scores_by_backend(bugs, os.path.join(str(tmp_path), "sub")), name)
