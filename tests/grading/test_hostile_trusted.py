"""Routes against the trusted side of the grader: a full disk, a student's links,
a reaper outrun by a changing pid, channels between exercises and gradings, budgets of the
trusted process, one student stopping a class, the user mode. Each grades the NumPy exercise
slots (seconds each) on TensorFlow; a grade is complete or says it is not."""

import contextlib
import csv
import json
import os
import shutil
import subprocess
import tempfile
import threading

import pytest

import hostile_cases
from zoo.grading import gradebook, sandbox
from zoo.grading.gradebook import grade_class
from zoo.grading.grade import grade_submission
from tests.conftest import run_zoo

ROOT = hostile_cases.ROOT
SLOTS = hostile_cases.SLOTS
FAST = ["ex01_conv_pool", "ex12_ssd_boxes"]


@contextlib.contextmanager
def small_disk(tmp_path, size="16m"):
    """A tmpfs of `size` mounted for the test (skipped where mount is not permitted)."""
    where = tmp_path / "disk"
    where.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"mounting a small tmpfs is not permitted here: {proc.stderr.decode().strip()[:200]}")
    try:
        yield str(where)
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder):
    """Fills the filesystem of `folder` to the last byte; returns the filler's path."""
    path = os.path.join(folder, "filler")
    with open(path, "wb", buffering=0) as f:
        for block in (1 << 20, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * block)
            except OSError:
                pass
    return path


@pytest.fixture
def tmpdir_on(monkeypatch):
    """Points TMPDIR (this process's and the grader's children's) at a folder."""
    def point(folder):
        monkeypatch.setenv("TMPDIR", folder)
        monkeypatch.setattr(tempfile, "tempdir", folder)
    return point


def solutions_of(exercises, folder):
    os.makedirs(folder, exist_ok=True)
    for ex in exercises:
        shutil.copy(os.path.join(ROOT, "solutions", ex + ".py"), folder)
    return folder


# ----------------------------------------------------------------------------- a full disk
def test_full_tmpdir_gives_incomplete_not_a_silent_partial_grade(tmp_path, tmpdir_on, monkeypatch):
    """An honest submission, TMPDIR full for the whole grading, the grader's files there too
    (checking as an ordinary user): the grade says it is incomplete, and why."""
    sub = solutions_of(FAST, str(tmp_path / "sub"))
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "none")
    with small_disk(tmp_path) as disk:
        tmpdir_on(disk)
        fill(disk)
        res = grade_submission(sub, exercises=FAST, call_timeout=20, exercise_timeout=60, timeout=300)
    assert res.incomplete, res.table()
    assert res.score < 20
    assert any(t.name.startswith("Grading incomplete") and t.visibility == "visible" for t in res.tests)
    assert res.to_gradescope()["incomplete"] == res.incomplete


@pytest.mark.parametrize("mode", ["none", "auto"])
def test_tmpdir_that_fills_for_a_while_gives_full_marks_or_incomplete(mode, tmp_path, tmpdir_on, monkeypatch):
    """The disk is full when the grading starts and freed a moment later: full marks, or a grade
    that says it is incomplete; never a partial grade that looks whole. As root the grader's own
    files and the boxes live on tmpfs of their own: the full TMPDIR does not reach them."""
    sub = solutions_of(FAST, str(tmp_path / "sub"))
    monkeypatch.setenv(sandbox.SANDBOX_ENV, mode)
    with small_disk(tmp_path) as disk:
        tmpdir_on(disk)
        filler = fill(disk)
        timer = threading.Timer(1.0, os.remove, [filler])
        timer.start()
        try:
            res = grade_submission(sub, exercises=FAST, call_timeout=20, exercise_timeout=60, timeout=300)
        finally:
            timer.join()
    assert (res.score == res.max_score == 20 and not res.incomplete) or res.incomplete, res.table()


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader's own tmpfs needs root")
def test_as_root_a_full_tmpdir_does_not_reach_the_grade(tmp_path, tmpdir_on):
    sub = solutions_of(FAST, str(tmp_path / "sub"))
    with small_disk(tmp_path) as disk:
        tmpdir_on(disk)
        fill(disk)
        res = grade_submission(sub, exercises=FAST, call_timeout=20, exercise_timeout=60, timeout=300)
    assert res.score == res.max_score == 20 and not res.incomplete, res.table()


def test_grade_class_retries_an_incomplete_student_and_says_so(tmp_path, tmpdir_on, monkeypatch):
    """A student whose grading stays incomplete (TMPDIR full throughout) is graded twice, their
    row says "incomplete: <reason>", and a resumed run grades them again."""
    klass = tmp_path / "class"
    solutions_of(["ex01_conv_pool"], str(klass / "alice"))
    out = tmp_path / "gradebook.csv"
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "none")
    calls = []
    real = gradebook.collect
    monkeypatch.setattr(gradebook, "collect", lambda *a, **k: calls.append(1) or real(*a, **k))
    with small_disk(tmp_path) as disk:
        tmpdir_on(disk)
        fill(disk)
        rows = grade_class(str(klass), str(out), exercises=["ex01"], call_timeout=20, exercise_timeout=60,
                           stream=open(os.devnull, "w"))
        assert rows[0]["status"].startswith("incomplete: "), rows
        assert len(calls) == 2
        grade_class(str(klass), str(out), exercises=["ex01"], call_timeout=20, exercise_timeout=60,
                    stream=open(os.devnull, "w"))
    assert len(calls) == 4, "an incomplete student is graded again on resume"
    assert [r["status"].split(":")[0] for r in csv.DictReader(out.open())] == ["incomplete"]


# ----------------------------------------------------------------------------- a student's links
def test_links_and_special_files_are_never_read_or_written_through(tmp_path):
    """`zoo grade DIR`: an exercise file that is a link to a root-only file is not read (the
    exercise is missing, the file's content in no feedback); a FIFO does not hang the intake;
    `--out` inside the submission (a planted `out/` link) is refused."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711 = 1\n")
    os.chmod(secret, 0o600)
    sub = tmp_path / "sub"
    solutions_of(["ex12_ssd_boxes"], str(sub))
    os.symlink(secret, sub / "ex01_conv_pool.py")
    os.mkfifo(sub / "ex02_linear_classifier.py")
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.symlink(target, sub / "out")
    proc = run_zoo("grade", str(sub), "--exercise", "ex01", "--exercise", "ex12", "--out", str(sub / "out" / "results.json"))
    assert proc.returncode == 2 and "inside the submission" in proc.stderr, proc.stderr
    assert os.listdir(target) == []
    out = tmp_path / "results.json"
    proc = run_zoo("grade", str(sub), "--exercise", "ex01", "--exercise", "ex02", "--exercise", "ex12", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert "TOP-SECRET" not in out.read_text() and "TOP-SECRET" not in proc.stdout
    per = {}
    for t in data["tests"]:
        per.setdefault(t["name"].split(":")[0], []).append(t["score"])
    assert sum(per["ex01_conv_pool"]) == 0 and sum(per["ex02_linear_classifier"]) == 0 and sum(per["ex12_ssd_boxes"]) == 11
    assert "Not found: ex01_conv_pool.py" in data["output"]


# ----------------------------------------------------------------------------- one student, a class
def test_deep_folders_and_a_deep_notebook_stop_no_one(tmp_path):
    """1,500 nested folders in one student's folder and a notebook nested 100,000 deep in
    another's: every student is graded, each broken file is that student's note alone."""
    klass = tmp_path / "class"
    solutions_of(["ex01_conv_pool"], str(klass / "alice"))
    deep = klass / "bob"
    solutions_of(["ex01_conv_pool"], str(deep))
    path = str(deep)
    for _ in range(1500):
        path = os.path.join(path, "d")
        os.mkdir(path)
    carol = klass / "carol"
    carol.mkdir()
    (carol / "ex01_conv_pool.ipynb").write_text("[" * 100000 + "]" * 100000)
    out = tmp_path / "gradebook.csv"
    try:
        rows = {r["student"]: r for r in grade_class(str(klass), str(out), exercises=["ex01"], call_timeout=20,
                                                     exercise_timeout=60, stream=open(os.devnull, "w"))}
    finally:
        # pytest removes old temporary folders recursively and stops on a RecursionError at this
        # depth, failing the next run's first tests: the tree goes now (rm walks it iteratively).
        subprocess.run(["rm", "-rf", str(deep)], check=True)
    assert float(rows["alice"]["score"]) == float(rows["bob"]["score"]) == 9.0, rows
    assert float(rows["carol"]["score"]) == 0.0 and rows["carol"]["status"].startswith("missing files"), rows["carol"]


def test_control_characters_in_feedback_reach_no_terminal(tmp_path):
    """Terminal escape sequences in a failure message are printed escaped by `zoo grade`."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "ex12_ssd_boxes.py").write_text(
        "def _boom(*a, **k):\n    raise ValueError('\\x1b]0;owned\\x07\\x1b[2J\\rcleared')\n"
        "default_boxes = iou_matrix = nms = match = _boom\n")
    proc = run_zoo("grade", str(sub), "--exercise", "ex12")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\r" not in proc.stdout and "\x07" not in proc.stdout
    assert "\\x1b[2J" in proc.stdout
