"""Grading one submission: the graded tests (tests/exercises) run in a trusted pytest process
with `-p zoo.grading.plugin`; the submission's code runs only in that process's isolated
children (zoo.grading.runner). The results come back as a `Results` (results.json schema).

This process watches the trusted one by a heartbeat (a file it touches every second), not by
one long timeout: stopped or killed, it still leaves the scores it had earned (the plugin
writes them after every test). This process is a subreaper: when the trusted run ends, every
process still under it (a child's double-forked grandchild included) is killed before the
results are written, atomically, here."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from zoo.grading import sandbox
from zoo.grading.build import ROOT, exercise_names, resolve_exercise, tests_for  # noqa: F401  (zoo.grading.grade.tests_for)
from zoo.grading.results import Results, TestResult
from zoo.io import read_json_or_none

HEARTBEAT_TIMEOUT = 60.0  # seconds without a heartbeat: the trusted run is stopped or hung
OWN_SPACE = 256 * 1024**2  # the grader's own folder (results, heartbeat, the run's output): a tmpfs of this size
_said = []

BACKENDS = ("tensorflow", "jax")


def grade_submission(submission, *, out=None, backend=None, exercises=None, visible_only=False,
                     call_timeout=None, exercise_timeout=None, timeout=3600, root=ROOT, jobs=1, only_tests=None, keyword=None, progress=None,
                     memory_limit=None, heartbeat_timeout=HEARTBEAT_TIMEOUT):
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
    if sandbox.mode() == "none" and not _said:
        _said.append(True)
        print(sandbox.NOT_A_BOUNDARY, file=sys.stderr)
    started = time.monotonic()
    sandbox.make_subreaper()
    tmp, _ = sandbox.scratch_folder("zoo-grade-", size=OWN_SPACE, base=sandbox.RUN_BASE)
    try:
        results = _run(tmp, submission, out=out, backend=backend, exercises=exercises, visible_only=visible_only,
                       call_timeout=call_timeout, exercise_timeout=exercise_timeout, timeout=timeout, root=root, jobs=jobs,
                       only_tests=only_tests, keyword=keyword, progress=progress, memory_limit=memory_limit,
                       heartbeat_timeout=heartbeat_timeout)
    finally:
        sandbox.remove_folder(tmp)
    results.execution_time = time.monotonic() - started
    if out:
        results.write(out)
    return results


def _run(tmp, submission, *, out, backend, exercises, visible_only, call_timeout, exercise_timeout, timeout, root, jobs,
         only_tests, keyword, progress, memory_limit, heartbeat_timeout):
    """The trusted run in the grader's own folder `tmp`; its Results, marked incomplete when
    the run did not finish, left tests unrun or could not write what it found."""
    res_path = os.path.join(tmp, "results.json")
    beat = os.path.join(tmp, "heartbeat")
    finished = os.path.join(tmp, "finished.json")
    cmd = [sys.executable, "-m", "pytest", "-p", "zoo.grading.plugin", "-p", "no:cacheprovider",
           "--confcutdir", os.path.join("tests", "exercises"), "--rootdir", ".",
           "-q", "--no-header", "-o", "addopts=", "--continue-on-collection-errors", "--timeout", str(int(timeout)),
           "--submission", os.path.abspath(submission), "--results-json", res_path, "--backend", backend,
           "--heartbeat", beat, "--finished", finished]
    if call_timeout:
        cmd += ["--call-timeout", str(call_timeout)]
    if exercise_timeout:
        cmd += ["--exercise-timeout", str(exercise_timeout)]
    if memory_limit:
        cmd += ["--memory-limit", str(int(memory_limit))]
    if visible_only:
        cmd += ["-m", "not hidden"]
    if jobs and jobs > 1:
        cmd += ["-n", str(jobs), "--dist", "loadfile"]
    files = tests_for(exercises, root, visible_only=visible_only)
    if only_tests:  # test function names: grade just those (the planted-bug suite uses it)
        files = [f"{f}::{t}" for f in files for t in only_tests if _defines(os.path.join(root, f), t)]
    cmd += files
    token = os.path.basename(tmp)  # marks every process of this run (children inherit it)
    # the trusted run's own temporary files (pytest's captured output) stay in its folder
    env = dict(os.environ, KERAS_BACKEND=backend, ZOO_GRADE_RUN=token, TMPDIR=tmp,
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    env.pop("ZOO_SUBMISSION", None)
    if keyword:
        cmd += ["--test-names", keyword]  # pytest's -k also matches module names
    status = {}
    log = run_trusted(cmd, cwd=root, env=env, timeout=timeout + 60, progress=progress,
                      watch=_heartbeat_watch(beat, heartbeat_timeout), status=status, log_dir=tmp)
    problem = status.get("problem")
    boxes = _heartbeat(beat)
    try:  # every process of the run, orphans included, is gone before results are read and written
        for uid in boxes.get("uids", []):
            sandbox.kill_all(uid=int(uid))
        sandbox.kill_all(roots=_orphans(token))
    except (TimeoutError, ValueError, TypeError) as e:  # pragma: no cover
        problem = (problem or "") + f" ({e})"
    for path in boxes.get("boxes", []):  # a trusted run that was killed left its children's folders
        if isinstance(path, str) and os.path.basename(path).startswith("zoo-grade-box-"):
            sandbox.remove_folder(path)
    marker = read_json_or_none(finished)
    if os.path.exists(res_path):
        try:
            results = Results.read(res_path)
        except (OSError, ValueError, KeyError) as e:
            results = Results.failed(f"the grader's results could not be read ({e})", log[-8000:])
        if problem:
            results.output = "\n".join(p for p in (f"The grading run was interrupted ({problem}): the tests it had not finished score 0.",
                                                   results.output) if p)
            results.tests.append(TestResult(f"Grading interrupted: {problem}", 0.0, 0.0, "failed", log[-5000:], "hidden"))
    else:
        last = next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "no output")
        results = Results.failed(f"the grader crashed before writing results ({problem or last[-300:]})", log[-8000:])
    reasons = [problem] if problem else []
    if not isinstance(marker, dict) or marker.get("finished") is not True:
        reasons.append("the grading run did not finish writing its results" + _disk_note(log))
    else:
        reasons += [str(r) for r in marker.get("incomplete", []) if r]
    if reasons:
        results.mark_incomplete("; ".join(dict.fromkeys(reasons)))
    return results


def _disk_note(log):
    """' (no space left on the disk)' when the trusted run's output says so."""
    return " (no space left on the disk)" if "No space left" in log or "ENOSPC" in log else ""


def run_trusted(cmd, *, cwd, env, timeout, progress=None, watch=None, status=None, log_dir=None):
    """Runs the trusted pytest `cmd` in a session of its own and returns its output. The
    "still running" lines it writes on --progress-fd go to `progress` as they come. On Ctrl-C
    (KeyboardInterrupt) or any error here, the run and every process it started are stopped
    within 2 s (SIGINT, then SIGKILL of its group; its children die with it), then re-raised.
    `watch()` is asked between reads: a message stops the run (its heartbeat stopped); what
    went wrong, if anything, goes to status["problem"]."""
    status = {} if status is None else status
    r, w = os.pipe()
    with tempfile.TemporaryFile(dir=log_dir) as log:
        proc = subprocess.Popen(cmd + ["--progress-fd", str(w)], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, pass_fds=(w,), start_new_session=True)
        os.close(w)
        reading, buf, deadline, late = True, b"", time.monotonic() + timeout, ""
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    late = f"the grading run passed its {timeout} s limit\n"
                    status["problem"] = late.strip()
                    stop(proc)
                    break
                why = watch() if watch else None
                if why:
                    late = why + "\n"
                    status["problem"] = why
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
            status.setdefault("problem", f"the trusted run ended: {why}")
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


def _heartbeat_watch(beat, heartbeat_timeout):
    """A check for run_trusted: a message when the trusted run's heartbeat file is older than
    `heartbeat_timeout` seconds (the run is stopped or hung), else None."""
    start = time.time()

    def check():
        try:
            last = os.stat(beat).st_mtime
        except OSError:
            last = start
        if time.time() - last > heartbeat_timeout:
            return f"the trusted run gave no heartbeat for {heartbeat_timeout:.0f} s (stopped or hung)"
        return None

    return check


def _orphans(token):
    """Processes of this run that came back to this subreaper (their parents died): this
    process's children whose environment carries the run's token (other gradings' runs in
    other threads carry theirs)."""
    me, mark = os.getpid(), f"ZOO_GRADE_RUN={token}".encode()
    out = []
    for p in sandbox.processes().values():
        if p.ppid != me:
            continue
        try:
            with open(f"/proc/{p.pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    out.append(p.pid)
        except OSError:
            continue
    return out


def _heartbeat(beat):
    """What the trusted run's last heartbeat said: the uids and folders of its boxes."""
    try:
        with open(beat, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _defines(path, test_name):
    with open(path, encoding="utf-8") as f:
        return f"def {test_name}(" in f.read()
