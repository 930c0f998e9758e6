"""Routes against the trusted side of the grader: a full disk, a student's links,
a reaper outrun by a changing pid, channels between exercises and gradings, budgets of the
trusted process, one student stopping a class, the user mode. Each grades the NumPy exercise
slots (seconds each) on TensorFlow; a grade is complete or says it is not."""

import contextlib
import csv
import ctypes
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
from marks import full_marks

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
    assert (res.score == res.max_score == full_marks(*FAST) and not res.incomplete) or res.incomplete, res.table()


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader's own tmpfs needs root")
def test_as_root_a_full_tmpdir_does_not_reach_the_grade(tmp_path, tmpdir_on):
    sub = solutions_of(FAST, str(tmp_path / "sub"))
    with small_disk(tmp_path) as disk:
        tmpdir_on(disk)
        fill(disk)
        res = grade_submission(sub, exercises=FAST, call_timeout=20, exercise_timeout=60, timeout=300)
    assert res.score == res.max_score == full_marks(*FAST) and not res.incomplete, res.table()


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
    assert sum(per["ex01_conv_pool"]) == 0 and sum(per["ex02_linear_classifier"]) == 0 and sum(per["ex12_ssd_boxes"]) == full_marks("ex12")
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
    assert float(rows["alice"]["score"]) == float(rows["bob"]["score"]) == full_marks("ex01"), rows
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


# ----------------------------------------------------------------------------- channels between exercises
# ex01 (correct) records every argument it is called with in the kernel keyring, SysV shared
# memory and a POSIX message queue; the ex02 stub (the attacked exercise, 0 points) reads them
# back at import and fails with what it found, which would put ex01's hidden inputs in ex02's
# feedback. "keras" in a comment sends both through the fork server.
RECORD_CHANNELS = r'''
import ctypes as _ct, functools as _ft, json as _js, os as _os  # keras
_libc = _ct.CDLL(None, use_errno=True)
_libc.shmat.restype = _ct.c_void_p
def _record(text):
    data = text.encode()[:3000]
    _libc.syscall(248, b"user", b"__MARK__", data, len(data), -4)  # add_key to the user keyring
    shm = _libc.shmget(0x5a00, 4096, 0o1666)
    if shm >= 0:
        at = _libc.shmat(shm, None, 0)
        if at not in (None, _ct.c_void_p(-1).value):
            _ct.memmove(at, data + b"\0", min(len(data) + 1, 4096))
    mq = _libc.mq_open(b"/__MARK__", 0o4102, 0o666, None)  # O_CREAT | O_RDWR | O_NONBLOCK
    if mq >= 0:
        _libc.mq_send(mq, data, min(len(data), 8192), 0)
def _spy(fn):
    @_ft.wraps(fn)
    def inner(*a, **k):
        try:
            _record("__MARK__ " + repr((fn.__name__, a, k))[:2500])
        except Exception:
            pass
        return fn(*a, **k)
    return inner
'''

READ_CHANNELS = r'''
import ctypes as _ct, os as _os  # keras
_libc = _ct.CDLL(None, use_errno=True)
_libc.shmat.restype = _ct.c_void_p
_found = []
_key = _libc.syscall(249, b"user", b"__MARK__", None, 0)  # request_key
if _key > 0:
    _buf = _ct.create_string_buffer(4096)
    _n = _libc.syscall(250, 11, _key, _buf, 4096)  # KEYCTL_READ
    _found.append(("keyring", _buf.raw[:max(_n, 0)]))
_shm = _libc.shmget(0x5a00, 4096, 0o666)
if _shm >= 0:
    _at = _libc.shmat(_shm, None, 0o10000)
    if _at not in (None, _ct.c_void_p(-1).value):
        _found.append(("shm", _ct.string_at(_at, 4096).split(b"\0")[0]))
_mq = _libc.mq_open(b"/__MARK__", 0o4000, 0, None)
if _mq >= 0:
    _buf = _ct.create_string_buffer(8192)
    _n = _libc.mq_receive(_mq, _buf, 8192, None)
    _found.append(("mqueue", _buf.raw[:max(_n, 0)]))
raise RuntimeError(f"uid {_os.getuid()} found {_found!r}")
'''


def spying_solution(exercise, mark):
    """The solution of `exercise` with every public function wrapped by RECORD_CHANNELS' spy."""
    with open(os.path.join(ROOT, "solutions", exercise + ".py"), encoding="utf-8") as f:
        src = f.read()
    names = [line.split("(")[0][4:] for line in src.splitlines() if line.startswith("def ") and not line.startswith("def _")]
    wrap = "\n".join(f"{n} = _spy({n})" for n in names)
    return RECORD_CHANNELS.replace("__MARK__", mark) + "\n" + src + "\n" + wrap + "\n"


def as_uid(uid, call):
    """call(libc) in a forked child that has become `uid` (the grading uids have no passwd
    entry and may not read this interpreter: no exec); returns its int result."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.write(w, str(call(ctypes.CDLL(None, use_errno=True))).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return int(out)


def keyring_bytes(uid):
    """Bytes in `uid`'s user keyring (KEYCTL_READ, as that uid): 0 when it holds no key."""
    buf = ctypes.create_string_buffer(65536)
    return as_uid(uid, lambda libc: max(0, libc.syscall(250, 11, -4, buf, 65536)))


def processes_of(uid):
    return sorted(p.pid for p in sandbox.processes().values() if p.uid == uid)


@pytest.mark.skipif(os.geteuid() != 0 or not sandbox.bwrap_works(), reason="the sandbox needs root and bubblewrap")
def test_no_channel_carries_hidden_inputs_to_another_exercise(tmp_path):
    """Keyring, SysV shared memory, POSIX message queues: refused by the sandbox's seccomp
    filter, so the ex02 stub finds nothing, no feedback holds ex01's arguments, and the
    grading uid's keyring is empty afterwards."""
    mark = "zoo" + os.urandom(6).hex()
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "ex01_conv_pool.py").write_text(spying_solution("ex01_conv_pool", mark))
    with open(os.path.join(ROOT, "exercises", "ex02_linear_classifier.py"), encoding="utf-8") as f:
        (sub / "ex02_linear_classifier.py").write_text(READ_CHANNELS.replace("__MARK__", mark) + "\n" + f.read())
    solutions_of(["ex12_ssd_boxes"], str(sub))
    exercises = ["ex01_conv_pool", "ex02_linear_classifier", "ex12_ssd_boxes"]
    res = grade_submission(str(sub), exercises=exercises, call_timeout=30, exercise_timeout=120, timeout=600)
    said = [res.output] + [t.output for t in res.tests]  # an error at import is said once, in the output
    found = [o for o in said if "found [" in o]
    assert found, "the ex02 stub's report is in its feedback"
    assert all("found []" in o for o in found), found[0][:500]
    assert not any(mark + " " in o for o in said)
    by = res.by_exercise()
    assert by["ex02_linear_classifier"][0] == 0
    assert by["ex01_conv_pool"][0] == by["ex01_conv_pool"][1] > 0 and by["ex12_ssd_boxes"][0] == by["ex12_ssd_boxes"][1] > 0
    uid = int(found[0].split("uid ")[1].split()[0])
    assert keyring_bytes(uid) == 0
    assert processes_of(uid) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="clearing another uid's keyring needs root")
def test_the_reaper_clears_the_uids_keyring():
    """A key a process of the grading uid added (where no seccomp filter refuses it: user
    mode) is gone once the reaper has ended the uid's processes."""
    uid = sandbox.UID_BASE + sandbox.UID_COUNT - 1
    assert as_uid(uid, lambda libc: libc.syscall(248, b"user", b"secret", b"hidden stride 2", 15, -4)) > 0
    assert keyring_bytes(uid) > 0
    sandbox.kill_all(uid=uid)
    assert keyring_bytes(uid) == 0


def test_visible_tests_of_every_exercise_run_before_any_hidden_one(tmp_path):
    """Whatever an exercise carries over reaches only hidden feedback: the run order (the
    results' order) is every visible test, then every hidden one."""
    sub = solutions_of(FAST, str(tmp_path / "sub"))
    res = grade_submission(sub, exercises=FAST, call_timeout=30, exercise_timeout=120, timeout=600)
    order = [t.visibility for t in res.tests]
    assert "after_published" in order and order == sorted(order, key=lambda v: v != "visible")
    assert {t.exercise for t in res.tests if t.visibility == "visible"} == set(FAST)
