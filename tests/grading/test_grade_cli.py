"""`zoo grade`, `zoo grade-class`, `zoo exercises build|check|pack`, and the results.json
schema (Gradescope) including the crash path."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import run_zoo
from zoo.grading.build import ROOT
from zoo.grading.gradebook import grade_class
from zoo.grading.results import HIDDEN_NOTE, Results, TestResult as Entry  # not collected as a test class
from marks import full_marks

FAST = ["--exercise", "ex01", "--exercise", "ex12"]  # NumPy exercises: no TensorFlow in the children


def test_grade_solutions_writes_gradescope_results(tmp_path):
    out = tmp_path / "results.json"
    proc = run_zoo("grade", "solutions", "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert set(data) >= {"score", "execution_time", "output", "tests"}
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) == full_marks("ex01", "ex12")  # hidden tests included
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] == "passed"
    vis = {t["name"].split(" (")[0]: t["visibility"] for t in data["tests"]}
    assert vis["ex12_ssd_boxes: test_match"] == "after_published" and vis["ex01_conv_pool: test_dice".replace("test_dice", "test_output_size")] == "visible"
    total = full_marks("ex01", "ex12")
    assert f"TOTAL {total} / {total} (100 %)" in proc.stdout
    assert "PASS  ex01_conv_pool: test_conv_slide_example" in proc.stdout


def test_feedback_says_expected_and_got(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    src = open(os.path.join(ROOT, "solutions", "ex01_conv_pool.py")).read()
    (sub / "ex01_conv_pool.py").write_text(src.replace("np.sum(window * kernel)", "np.sum(window * kernel) + 1"))
    proc = run_zoo("grade", str(sub), "--exercise", "1")
    assert proc.returncode == 0, proc.stderr
    assert "expected 19, got 20" in proc.stdout or "expected 19.0, got 20.0" in proc.stdout, proc.stdout
    assert "FAIL  ex01_conv_pool: test_conv_slide_example" in proc.stdout


def test_exercises_check_and_bad_arguments(tmp_path):
    proc = run_zoo("exercises", "check", "ex12", "--submission", "solutions")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test_nms" in proc.stdout and "test_match" not in proc.stdout  # hidden tests are not run
    proc = run_zoo("exercises", "check", "ex12")  # the stubs fail
    assert proc.returncode == 1 and "NotImplementedError" in proc.stdout
    for args, needle in [(("exercises", "check", "ex77"), "unknown exercise 'ex77'"),
                         (("grade", str(tmp_path / "nope")), "is not a folder"),
                         (("grade", "solutions", "--backend", "torch"), "invalid choice"),
                         (("exercises", "pack"), "--out")]:
        proc = run_zoo(*args)
        assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1


def test_pack_bundle_has_no_solutions(tmp_path):
    out = tmp_path / "autograder.zip"
    proc = run_zoo("exercises", "pack", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    names = zipfile.ZipFile(out).namelist()
    assert "setup.sh" in names and "run_autograder" in names  # at the root: Gradescope unpacks it into /autograder/source
    assert "zoo/grading/runner.py" in names and "tests/exercises/test_ex03_lenet.py" in names
    assert "tests/exercises/hidden/test_ex12_ssd_boxes.py" in names and "grader-requirements.txt" in names
    assert not [n for n in names if "solutions" in n or n.startswith(("exercises/", "source/"))]
    for script in ("setup.sh", "run_autograder"):
        assert (zipfile.ZipFile(out).getinfo(script).external_attr >> 16) & 0o111
    run = zipfile.ZipFile(out).read("run_autograder").decode()
    assert "zoo.grading.gradescope --submission" in run and 'RESULTS="$AUTOGRADER/results/results.json"' in run
    reqs = zipfile.ZipFile(out).read("grader-requirements.txt").decode()
    assert "tensorflow" in reqs and "hypothesis" in reqs and "jax" not in reqs and "pycocotools" not in reqs
    assert "venv" in zipfile.ZipFile(out).read("setup.sh").decode() and "pip install -q -e" not in zipfile.ZipFile(out).read("setup.sh").decode()


def test_grade_class_is_resumable(tmp_path):
    klass = tmp_path / "class"
    for student, src_dir in (("alice", "solutions"), ("bob", "exercises")):
        (klass / student).mkdir(parents=True)
        shutil.copy(os.path.join(ROOT, src_dir, "ex01_conv_pool.py"), klass / student)
    out = tmp_path / "gradebook.csv"
    proc = run_zoo("grade-class", str(klass), "--out", str(out), "--jobs", "2", "--exercise", "ex01")
    assert proc.returncode == 0, proc.stderr
    assert "2/2" in proc.stderr and "[" in proc.stderr  # progress bar
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"]) == full_marks("ex01")
    assert float(rows["bob"]["score"]) == 0.0 and float(rows["alice"]["ex01_conv_pool"]) == full_marks("ex01")
    # resume: a new student is graded, the others are not
    (klass / "carol").mkdir()
    shutil.copy(os.path.join(ROOT, "solutions", "ex01_conv_pool.py"), klass / "carol")
    proc = run_zoo("grade-class", str(klass), "--out", str(out), "--exercise", "ex01")
    assert "resuming: 2 of 3" in proc.stderr and "1/3" not in proc.stderr and "3/3" in proc.stderr
    assert [r["student"] for r in csv.DictReader(out.open())] == ["alice", "bob", "carol"]


def test_crash_and_collection_errors_give_visible_failure_and_hidden_traceback(tmp_path):
    res = Results.failed("boom", "Traceback ...")
    d = res.to_gradescope()
    assert d["score"] == 0 and [t["visibility"] for t in d["tests"]] == ["visible", "hidden"]
    (tmp_path / "test_broken.py").write_text("import pytest\nraise RuntimeError('grader bug')\n")
    (tmp_path / "test_ok.py").write_text("import pytest\n@pytest.mark.points(3)\ndef test_a():\n    pass\n")
    out = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "zoo.grading.plugin", "-p", "no:cacheprovider", "-o", "addopts=", "--continue-on-collection-errors",
                    "--rootdir", str(tmp_path), "--results-json", str(out), str(tmp_path)], cwd=tmp_path, env=env, capture_output=True)
    data = json.loads(out.read_text())
    failed = [t for t in data["tests"] if t["name"].startswith("Autograder failed")]
    assert [t["visibility"] for t in failed] == ["visible", "hidden"] and "grader bug" in failed[1]["output"]
    assert "grader bug" not in failed[0]["output"]
    assert data["score"] == 3.0


def _ex01(folder, change=None):
    """ex01's solution in `folder`, changed by `change(lines)` (a list of its lines)."""
    folder.mkdir(parents=True)
    lines = open(os.path.join(ROOT, "solutions", "ex01_conv_pool.py")).read().splitlines(keepends=True)
    if change:
        change(lines)
    (folder / "ex01_conv_pool.py").write_text("".join(lines))


def test_feedback_to_send_holds_no_hidden_test_output(tmp_path):
    """The student's folder: visible tests in full, each hidden test as a score line without its
    output (its inputs and expected values); the staff's folder keeps every output."""
    klass = tmp_path / "class"
    _ex01(klass / "alice", lambda lines: lines.__setitem__(slice(None), [
        line.replace("np.sum(window * kernel)", "np.sum(window * kernel) + 1") for line in lines]))
    out = tmp_path / "gradebook.csv"
    said = io.StringIO()
    [row] = grade_class(str(klass), str(out), exercises=["ex01"], stream=said)
    sent, staff = tmp_path / "gradebook-feedback" / "alice", tmp_path / "gradebook-staff" / "alice"
    assert sorted(os.listdir(sent)) == ["feedback.txt", "results.json"] and "gradebook-staff" in said.getvalue()
    full, mine = Results.read(staff / "results.json"), Results.read(sent / "results.json")
    hidden = [t for t in full.tests if t.visibility != "visible" and t.status == "failed"]
    assert hidden and all(t.output for t in hidden), "the bug fails hidden tests; the staff keep their output"
    text = (sent / "feedback.txt").read_text()
    for t in hidden:
        for line in t.output.splitlines():
            assert len(line.strip()) < 12 or line.strip() not in text + (sent / "results.json").read_text(), line
        assert t.output.splitlines()[0][:60] in (staff / "feedback.txt").read_text()
    assert "expected 19, got 20" in text  # a visible test's feedback in full
    assert [(t.name, t.score, t.status) for t in mine.tests] == [(t.name, t.score, t.status) for t in full.tests]
    assert {t.output for t in mine.tests if t.visibility != "visible"} <= {"", HIDDEN_NOTE}
    assert text.count(HIDDEN_NOTE) == len(hidden)
    assert mine.score == full.score == float(row["score"]) < full_marks("ex01")
    assert f"TOTAL {full.score:.1f} / {full_marks('ex01'):.1f}" in text


def test_a_missing_file_is_said_once_per_exercise_and_in_the_status(tmp_path):
    """An exercise whose file is not in the submission: one line says so above its tests (each
    says "not graded"), never the same message under every test; the gradebook's status names
    the file and what was found instead; the student's own check says it once too."""
    klass = tmp_path / "class"
    _ex01(klass / "ann")
    (klass / "ann" / "ex01_conv_pool.py").rename(klass / "ann" / "lenet.py")
    out = tmp_path / "gradebook.csv"
    proc = run_zoo("grade-class", str(klass), "--out", str(out), "--exercise", "ex01")
    assert proc.returncode == 0, proc.stderr
    [row] = csv.DictReader(out.open())
    assert row["status"] == "missing files: ex01_conv_pool.py (found instead: lenet.py)" and float(row["score"]) == 0.0
    text = (tmp_path / "gradebook-feedback" / "ann" / "feedback.txt").read_text()
    tests = json.loads((tmp_path / "gradebook-feedback" / "ann" / "results.json").read_text())["tests"]
    top = text.split("FAIL ", 1)[0]
    assert " ".join(top.split()).count("ex01_conv_pool.py") == 1 and "Found instead: lenet.py" in top, text
    assert text.count("not graded: ex01_conv_pool.py is missing") == len(tests) > 1, text
    assert "the submission has no" not in text
    for args in (("grade", str(klass / "ann"), "--exercise", "ex01"),
                 ("exercises", "check", "ex01", "--submission", str(klass / "ann"))):
        proc = run_zoo(*args)
        said = " ".join(proc.stdout.split("FAIL ", 1)[0].split())
        assert said.count("ex01_conv_pool.py") == 1 and "the submission has no" not in proc.stdout, (args, proc.stdout)
        assert proc.stdout.count("not graded: ex01_conv_pool.py is missing") == proc.stdout.count("FAIL ") > 1, proc.stdout


def test_the_copy_for_a_student_leaves_out_the_staff_details():
    res = Results.failed("the grader crashed", "Traceback: /autograder/source/zoo/secret.py line 7")
    res.tests.append(Entry("ex01_conv_pool: test_x", 0.0, 2.0, "failed", "conv2d([[0]]): expected 0, got 1", "after_published", "ex01_conv_pool"))
    mine = res.for_student()
    shown = json.dumps(mine.to_gradescope()) + mine.table(width=100)
    assert "secret.py" not in shown and "expected 0, got 1" not in shown and "the grader crashed" in shown
    assert [t.name for t in mine.tests] == ["Autograder failed", "ex01_conv_pool: test_x"] and mine.max_score == 2.0
    assert "secret.py" in res.table(width=100) + json.dumps(res.to_gradescope())  # the original is untouched


def test_a_syntax_error_is_said_once_per_exercise_and_in_the_status(tmp_path):
    """`zoo grade-class`: the SyntaxError once, above the exercise's tests (each says "not graded"),
    the gradebook's status names the file and line; counts in the singular where they are 1."""
    klass = tmp_path / "class"
    _ex01(klass / "bob", lambda lines: lines.insert(19, "def broken(:\n"))  # line 20
    out = tmp_path / "gradebook.csv"
    proc = run_zoo("grade-class", str(klass), "--out", str(out), "--exercise", "ex01")
    assert proc.returncode == 0, proc.stderr
    assert f"gradebook: {out} (1 student)\n" in proc.stdout
    [row] = csv.DictReader(out.open())
    assert row["status"] == "syntax error in ex01_conv_pool.py line 20" and float(row["score"]) == 0.0
    text = (tmp_path / "gradebook-feedback" / "bob" / "feedback.txt").read_text()
    tests = json.loads((tmp_path / "gradebook-feedback" / "bob" / "results.json").read_text())["tests"]
    assert text.count("SyntaxError") == 1 and "line 20, column 12" in text and text.count("def broken(:") == 1, text
    assert f"ex01_conv_pool.py could not be imported (0 points from its {len(tests)} tests)" in text
    assert text.count("not graded: ex01_conv_pool.py could not be imported") == len(tests) > 1
    # the student's own check of one test
    proc = run_zoo("exercises", "check", "ex01", "-k", "output_size", "--submission", str(klass / "bob"))
    assert "(0 points from its 1 test)" in proc.stdout and proc.stdout.count("SyntaxError") == 1, proc.stdout
