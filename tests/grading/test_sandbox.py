"""zoo.grading.sandbox: the reaper finds and kills every process of a tree (a double-forked,
setsid grandchild included), a uid is never handed to two gradings at once, memory cgroups
limit a group of processes as a whole, and zoo grade --help states the runner's defaults."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from zoo.grading import runner, sandbox
from tests.conftest import run_zoo


def test_kill_all_reaches_a_setsid_grandchild():
    marker = f"zoo-reaper-test-{os.getpid()}"
    code = ("import os, sys, time\n"
            "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(300)', sys.argv[1]])\n"
            "    os._exit(0)\n"
            "time.sleep(300)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, marker], preexec_fn=sandbox.make_subreaper)
    try:
        deadline, grandchild = time.monotonic() + 30, None
        while grandchild is None and time.monotonic() < deadline:
            procs = sandbox.processes()
            for pid in sandbox.descendants([proc.pid], procs)[1:]:
                if procs[pid].ppid == proc.pid and marker.encode() in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0"):
                    grandchild = pid
            time.sleep(0.05)
        assert grandchild is not None, "the setsid grandchild should come back under the subreaper"
        sandbox.kill_all(roots=[proc.pid])
        proc.wait(timeout=10)
        assert proc.pid not in sandbox.processes() and grandchild not in sandbox.processes()
    finally:
        proc.kill()


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are handed out only to a grader running as root")
def test_identities_are_exclusive():
    a, b = sandbox.Identity(), sandbox.Identity()
    try:
        assert a.uid != b.uid and a.uid >= sandbox.UID_BASE and b.uid >= sandbox.UID_BASE
    finally:
        a.release()
        b.release()


def test_readable_by_others():
    top = tempfile.mkdtemp(dir="/tmp")
    try:
        os.chmod(top, 0o755)
        private = os.path.join(top, "private")
        os.mkdir(private, 0o700)
        with open(os.path.join(private, "f"), "w") as f:
            f.write("x")
        assert not sandbox.readable_by_others(os.path.join(private, "f"))
        os.chmod(private, 0o711)  # search alone on the way is enough
        os.chmod(os.path.join(private, "f"), 0o644)
        assert sandbox.readable_by_others(os.path.join(private, "f"))
    finally:
        shutil.rmtree(top)


def test_help_states_the_runner_defaults():
    out = run_zoo("grade", "--help").stdout
    options = " ".join(out.split("options:", 1)[1].split())
    call = options.split("--call-timeout CALL_TIMEOUT", 1)[1].split("--exercise-timeout")[0]
    budget = options.split("--exercise-timeout EXERCISE_TIMEOUT", 1)[1].split("--jobs")[0]
    assert f"(default {runner.DEFAULT_CALL_TIMEOUT:.0f})" in call, call
    assert f"(default {runner.DEFAULT_EXERCISE_TIMEOUT:.0f})" in budget, budget


def test_the_grader_reads_what_a_call_left_in_its_folder_without_following_links(tmp_path):
    """`Submission.work_files`: the trusted process reads the files of one name that the
    exercise's calls wrote (a tuner's trial.json), never a link (to a file of the grader's, or
    to a FIFO that would block the read), a FIFO or a file over the size cap."""
    secret = tmp_path / "secret.json"
    secret.write_text('{"grader": "only"}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "leave.py").write_text(
        "import os\n"
        "def leave(secret):\n"
        "    for d in ('a', 'b', 'c', 'd', 'e'):\n"
        "        os.makedirs(os.path.join('out', d))\n"
        "    open('out/a/trial.json', 'w').write('{\"status\": \"COMPLETED\"}')\n"
        "    os.symlink(secret, 'out/b/trial.json')\n"
        "    os.mkfifo('out/c/trial.json')\n"
        "    open('out/d/trial.json', 'w').write('x' * 70000)\n"
        "    os.symlink(os.path.abspath('out/a'), 'out/e/linked')\n"
        "    return sorted(os.listdir('out'))\n")
    with runner.Submission(str(tmp_path / "sub")) as sub:
        assert sub.work_files("leave", "trial.json") == []  # nothing ran yet
        assert sub.call("leave", "leave", str(secret)) == ["a", "b", "c", "d", "e"]
        assert sub.work_files("leave", "trial.json") == [(os.path.join("out", "a", "trial.json"), '{"status": "COMPLETED"}')]
