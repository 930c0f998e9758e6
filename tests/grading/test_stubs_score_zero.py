"""The generated stubs score 0 on every graded test, and the trusted run survives them."""

import os

from zoo.grading.build import ROOT, exercise_names
from zoo.grading.grade import grade_submission


def test_stubs_score_zero(tmp_path):
    out = tmp_path / "results.json"
    res = grade_submission(os.path.join(ROOT, "exercises"), out=str(out))
    per = res.by_exercise()
    assert sorted(per) == exercise_names()
    assert res.max_score >= 90 and res.score == 0, res.table()
    assert all(t.status == "failed" for t in res.tests)
    assert any("NotImplementedError" in t.output for t in res.tests)
    assert out.exists()
