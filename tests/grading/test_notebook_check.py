"""A student's notebook checks itself: its connect cell and `check("task")` cells run the task's
visible tests on the cells the kernel ran, and what they print agrees, test by test, with
`zoo grade` on the same saved notebook."""

import os
import re

import pytest

from tests.grading.test_course import FAST, ROOT, solution
from zoo.grading import build, notebook
from zoo.grading.grade import grade_submission
from zoo.grading.intake import collect


def _cell_defining(nb, name):
    return next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(f"def {name}("))


def _solution_of(name):
    """The solution's source of the top-level function `name` (its cell in the solution notebook)."""
    import nbformat

    nb = nbformat.reads(build.notebook_json(solution()), as_version=4)
    return _cell_defining(nb, name).source


def test_a_notebook_with_one_task_done_checks_itself_and_agrees_with_zoo_grade(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    stub = open(os.path.join(ROOT, "exercises", FAST + ".py"), encoding="utf-8").read()
    nb = nbformat.reads(build.notebook_json(stub, FAST), as_version=4)
    assert nb.cells[2].source.startswith(build.MARKER) and "connect(" in nb.cells[2].source
    _cell_defining(nb, "conv2d").source = _solution_of("conv2d")  # the student did conv2d, not the rest
    keep = ('check("conv2d")', 'check("max_pool2d")')  # two checks are enough (each grades in a process)
    nb.cells = [c for c in nb.cells if not re.match(r"# zoo: check\ncheck", c.source) or c.source.endswith(keep)]
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False).execute()

    printed = {}
    for cell in nb.cells:
        m = re.match(r"# zoo: check\ncheck\(\"(\w+)\"\)", cell.source)
        if m:
            printed[m.group(1)] = "".join(o.get("text", "") for o in cell.outputs)
    assert set(printed) == {"conv2d", "max_pool2d"}
    assert "PASS  test_conv_slide_example" in printed["conv2d"] and "2 / 2 points" in printed["conv2d"], printed["conv2d"]
    assert "FAIL  test_max_pool_slide_example" in printed["max_pool2d"] and "not written yet" in printed["max_pool2d"]
    assert not any("Traceback" in text for text in printed.values())

    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / (FAST + ".ipynb")).write_text(nbformat.writes(nb))
    intake = collect(str(sub), [FAST], str(tmp_path / "graded"))
    graded = {t.name.split(": ", 1)[-1].split(" (")[0]: t.score for t in grade_submission(intake.folder, exercises=[FAST]).tests}
    for task, text in printed.items():
        for name, score in re.findall(r"(?:PASS|FAIL)  (test_\w+)\s+([\d.]+)/", text):
            key = next(k for k in graded if name in k)
            assert graded[key] == float(score), (task, name, graded[key], score)


def test_check_names_the_tasks_and_refuses_what_it_does_not_know(tmp_path):
    class Shell:
        class events:
            @staticmethod
            def register(event, callback):
                assert event == "post_run_cell"

    check = notebook.connect("ex01", shell=Shell())
    assert list(check.tasks) == ["output_size", "conv2d", "max_pool2d", "avg_pool2d"]
    with pytest.raises(ValueError, match="has no task 'conv3d'; its tasks are 'output_size', 'conv2d'"):
        check("conv3d")
    with pytest.raises(RuntimeError, match="runs inside a notebook"):
        notebook.connect("ex01")


def test_plumbing_cells_are_never_graded():
    """The connect and check cells are dropped from a notebook submission: a grader's child
    never imports the grader."""
    stub = open(os.path.join(ROOT, "exercises", FAST + ".py"), encoding="utf-8").read()
    text = build.notebook_to_py(build.notebook_json(stub, FAST))
    assert "zoo.grading" not in text and "check(" not in text and "def conv2d(" in text
