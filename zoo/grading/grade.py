"""Grading one submission: the graded tests (tests/exercises) run in a trusted pytest process
with `-p zoo.grading.plugin`; the submission's code runs only in that process's isolated
children (zoo.grading.runner). The results come back as a `Results` (results.json schema)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from zoo.grading.build import ROOT, exercise_names, resolve_exercise, tests_for  # noqa: F401  (zoo.grading.grade.tests_for)
from zoo.grading.results import Results

BACKENDS = ("tensorflow", "jax")


def grade_submission(submission, *, out=None, backend=None, exercises=None, visible_only=False,
                     call_timeout=None, exercise_timeout=None, timeout=3600, root=ROOT, jobs=1, only_tests=None, keyword=None, progress=None):
    """Grades `submission` (a folder of exNN_*.py); writes results.json to `out` when given.
    `keyword`: pytest's -k expression (only the tests it selects); `progress`: a callable that
    gets a line ("ex03_lenet: build_lenet5() still running, 30 s") while a call runs long.

    A crash of the trusted run itself (it should not happen) gives `Results.failed`: a visible
    failure worth 0 and a hidden traceback, never points by accident."""
    submission = os.fspath(submission)
    if not os.path.isdir(submission):
        raise NotADirectoryError(f"SUBMISSION_DIR={submission!r} is not a folder: pass the folder holding exNN_*.py files")
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}. Received: --backend={backend!r}")
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zoo-grade-") as tmp:
        res_path = os.path.join(tmp, "results.json")
        cmd = [sys.executable, "-m", "pytest", "-p", "zoo.grading.plugin", "-p", "no:cacheprovider",
               "--confcutdir", os.path.join("tests", "exercises"), "--rootdir", ".",
               "-q", "--no-header", "-o", "addopts=", "--continue-on-collection-errors", "--timeout", str(int(timeout)),
               "--submission", os.path.abspath(submission), "--results-json", res_path, "--backend", backend]
        if call_timeout:
            cmd += ["--call-timeout", str(call_timeout)]
        if exercise_timeout:
            cmd += ["--exercise-timeout", str(exercise_timeout)]
        if visible_only:
            cmd += ["-m", "not hidden"]
        if jobs and jobs > 1:
            cmd += ["-n", str(jobs), "--dist", "loadfile"]
        files = tests_for(exercises, root, visible_only=visible_only)
        if only_tests:  # test function names: grade just those (the planted-bug suite uses it)
            files = [f"{f}::{t}" for f in files for t in only_tests if _defines(os.path.join(root, f), t)]
        cmd += files
        env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        env.pop("ZOO_SUBMISSION", None)
        if keyword:
            cmd += ["-k", keyword]
        log = run_trusted(cmd, cwd=root, env=env, timeout=timeout + 60, progress=progress)
        if os.path.exists(res_path):
            results = Results.read(res_path)
        else:
            last = next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "no output")
            results = Results.failed(f"the grader crashed before writing results ({last[-300:]})", log[-8000:])
    results.execution_time = time.monotonic() - started
    if out:
        results.write(out)
    return results


def run_trusted(cmd, *, cwd, env, timeout, progress=None):
    """Runs the trusted pytest `cmd` in a session of its own and returns its output. The
    "still running" lines it writes on --progress-fd go to `progress` as they come. On Ctrl-C
    (KeyboardInterrupt) or any error here, the run and every process it started are stopped
    within 2 s (SIGINT, then SIGKILL of its group; its children die with it), then re-raised."""
    r, w = os.pipe()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd + ["--progress-fd", str(w)], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, pass_fds=(w,), start_new_session=True)
        os.close(w)
        reading, buf, deadline, late = True, b"", time.monotonic() + timeout, ""
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    late = f"the grading run passed its {timeout} s limit\n"
                    stop(proc)
                    break
                if not reading:
                    _wait(proc, 0.2)
                    continue
                if select.select([r], [], [], 0.2)[0]:
                    chunk = os.read(r, 4096)
                    reading = bool(chunk)
                    *lines, buf = (buf + chunk).split(b"\n")
                    for line in lines:
                        if progress:
                            progress(line.decode(errors="replace"))
        except BaseException:
            stop(proc)
            raise
        finally:
            os.close(r)
        log.seek(0)
        text = late + log.read().decode(errors="replace")
        if proc.returncode not in (0, 1):  # pytest's own codes: 2 interrupted, 3 internal error, 4 usage, 5 no tests; < 0 a signal
            why = f"killed by {signal.Signals(-proc.returncode).name}" if proc.returncode < 0 else f"exit status {proc.returncode}"
            text += f"\nthe grading run ended: {why}"
        return text


def _wait(proc, seconds):
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass


def stop(proc, grace=1.5):
    """SIGINT to the run's process group (pytest tears down: the children are killed), then
    SIGKILL to the group after `grace` seconds."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        _wait(proc, wait)


def _defines(path, test_name):
    with open(path, encoding="utf-8") as f:
        return f"def {test_name}(" in f.read()
