"""Issue point 6: the graded tests on the JAX backend (GPU machine: `make gpu-test` or
`zoo grade solutions --backend jax`) give the reference solutions the same full score."""

import pytest

from zoo.grading.build import ROOT
from zoo.grading.grade import grade_submission


@pytest.mark.gpu
def test_solutions_full_score_on_jax(tmp_path):
    import os

    res = grade_submission(os.path.join(ROOT, "solutions"), backend="jax", out=str(tmp_path / "r.json"))
    assert res.score == res.max_score and res.max_score >= 90, res.table()
