"""Routes against the trusted side of the grader (issue 31): a full disk, a student's links,
a reaper outrun by a changing pid, channels between exercises and gradings, budgets of the
trusted process, one student stopping a class, the user mode. Each grades the NumPy exercise
slots (seconds each) on TensorFlow; a grade is complete or says it is not."""

import contextlib
import csv
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
