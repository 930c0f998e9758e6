"""Hostile and broken submissions: each attacked exercise scores 0, the others full marks,
the grader finishes, and only the trusted process writes results.json."""

import json

import pytest

import hostile_cases
from zoo.grading.grade import grade_submission


@pytest.mark.parametrize("k", range(len(hostile_cases.rounds())))
def test_hostile_submissions_are_contained(k, tmp_path):
    assignments = hostile_cases.rounds()[k]
    folder = hostile_cases.write_submission(assignments, str(tmp_path / "sub"))
    out = tmp_path / "results.json"
    res = grade_submission(folder, out=str(out), exercises=hostile_cases.SLOTS, call_timeout=6, exercise_timeout=15, timeout=600)
    per = res.by_exercise()
    attacked = {slot: case for case, slot in assignments}
    for ex in hostile_cases.SLOTS:
        score, max_score = per[ex]
        assert max_score > 0, ex
        if ex in attacked:
            assert score == 0, f"{attacked[ex]!r} in {ex} scored {score}"
        else:
            assert score == max_score, f"{ex} (correct) scored {score}/{max_score} next to {sorted(attacked.values())}"
    data = json.loads(out.read_text())
    assert data["score"] == res.score == sum(per[e][0] for e in hostile_cases.SLOTS if e not in attacked)
    assert all(t["name"] != "everything" for t in data["tests"])
    assert not any(t.name.startswith("Autograder failed") for t in res.tests)
