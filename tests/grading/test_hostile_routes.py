"""The routes of tests/grading/hostile_cases.py against the grader: each attack scores what the stub it sits in is
worth (0), the other exercises full marks; no file outside the output changes (the
repository, site-packages), no process of the attack is left, and grading takes at most the
honest time plus one exercise budget. As root (CI) the submission runs sandboxed under a uid of
its own; the "none" cases show what a check as an ordinary user keeps: the scores already
earned when the trusted process is killed or stopped."""

import glob
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid

import pytest

import hostile_cases
from zoo.grading import sandbox
from zoo.grading.grade import grade_submission

ROOT = hostile_cases.ROOT
SLOTS = hostile_cases.SLOTS
BUDGET = 15.0
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="privilege separation needs root (CI runs as root)")


def snapshot():
    """sha1 of every tracked file of the repository, and of the installed packages' files an
    attacker would patch (zoo's editable finder, numpy/__init__.py)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    paths = [os.path.join(ROOT, f) for f in files if f]
    for d in {os.path.dirname(os.path.dirname(os.path.abspath(__import__("numpy").__file__)))}:
        paths += glob.glob(os.path.join(d, "__editable__*zoo*")) + [os.path.join(d, "numpy", "__init__.py")]
    out = {}
    for p in paths:
        try:
            with open(p, "rb") as f:
                out[p] = hashlib.sha1(f.read()).hexdigest()
        except OSError:
            pass
    return out


def leftovers(marker):
    """Pids of live processes whose command line holds `marker`."""
    mark = marker.encode()
    return [p for p in sandbox.processes() if _cmdline(p).find(mark) >= 0 and p != os.getpid()]


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


@pytest.fixture(scope="module")
def honest_time(tmp_path_factory):
    """Seconds the slot exercises' solutions take to grade on this machine now."""
    start = time.monotonic()
    res = grade_submission(os.path.join(ROOT, "solutions"), exercises=SLOTS)
    assert res.score == res.max_score > 0
    return time.monotonic() - start


def attack(route, slot, tmp_path, **kw):
    marker = "zoo-hostile-" + uuid.uuid4().hex
    out = tmp_path / "results.json"
    folder = hostile_cases.route_submission(route, slot, str(tmp_path / "sub"), out=out, marker=marker, mb=kw.pop("mb", 400))
    before = snapshot()
    start = time.monotonic()
    res = grade_submission(folder, out=str(out), exercises=SLOTS, call_timeout=6, exercise_timeout=BUDGET, timeout=600, **kw)
    elapsed = time.monotonic() - start
    written = out.read_text()
    time.sleep(1.5)  # a survivor would rewrite the output now
    assert out.read_text() == written, f"{route}: {out} changed after zoo grade returned"
    assert json.loads(written)["score"] == res.score
    assert leftovers(marker) == [], f"{route}: processes left"
    after = snapshot()
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert changed == [], f"{route} changed {changed}"
    return res, elapsed


def assert_honest(res, slot, route):
    for ex, (score, max_score) in res.by_exercise().items():
        if ex == slot:
            assert score == 0, f"{route!r} in {ex} scored {score}"
        else:
            assert score == max_score > 0, f"{ex} (correct) scored {score}/{max_score} next to {route!r}"


def user_mode_possible():
    """The separate-user path needs the interpreter and site-packages readable by other users."""
    from zoo.grading.runner import site_dirs

    return all(sandbox.readable_by_others(d) for d in [sandbox.interpreter(), sys.base_prefix] + site_dirs(exclude=[ROOT]))


USER_ROUTES = ["setsid grandchild rewriting --out", "writing into the installed package", "/proc and site-packages discovery",
               "SIGKILL to the grader's processes"]
BWRAP = pytest.mark.skipif(not sandbox.bwrap_works(), reason="bubblewrap is missing or refused here")
USER = pytest.mark.skipif(os.geteuid() != 0 or not user_mode_possible(),
                          reason="the separate-user path needs root and an interpreter other users can read")


@ROOT_ONLY
@pytest.mark.parametrize("mode,route", [pytest.param("bwrap", r, marks=BWRAP) for r in hostile_cases.ROUTES if r != "memory spread over processes"]
                         + [pytest.param("user", r, marks=USER) for r in USER_ROUTES])
def test_route_is_contained_as_root(mode, route, tmp_path, honest_time, monkeypatch):
    monkeypatch.setenv(sandbox.SANDBOX_ENV, mode)
    slot = SLOTS[hash(route) % len(SLOTS)] if route != "SIGKILL to the grader's processes" else SLOTS[2]
    res, elapsed = attack(route, slot, tmp_path)
    assert_honest(res, slot, route)
    assert not any(t.name.startswith(("Autograder failed", "Grading interrupted")) for t in res.tests), res.output
    assert elapsed <= 1.5 * honest_time + BUDGET + 20, f"{route}: {elapsed:.0f} s (honest {honest_time:.0f} s)"
    print(f"ROUTE {mode} {route}: {res.score:.0f}/{res.max_score:.0f} in {elapsed:.1f} s (honest {honest_time:.1f} s)")


@ROOT_ONLY
def test_memory_spread_over_processes_is_limited_as_a_whole(tmp_path, honest_time):
    """Four processes of 400 MB, each far under the limit, 1.6 GB together: over 1 GiB."""
    res, elapsed = attack("memory spread over processes", SLOTS[0], tmp_path, memory_limit=1024**3)
    assert_honest(res, SLOTS[0], "memory")
    first = next(t for t in res.tests if t.exercise == SLOTS[0])
    assert "memory" in res.output and first.output.startswith("not graded"), res.table()  # killed at import: said once, at the top
    assert elapsed <= 1.5 * honest_time + BUDGET + 20


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGSTOP"])
def test_trusted_process_killed_or_stopped_keeps_earned_scores(signal_name, tmp_path, monkeypatch, honest_time):
    """As an ordinary user the child can signal the trusted pytest process: killed, or stopped
    (no heartbeat for 5 s), it leaves the scores of the tests graded before: every visible test
    runs before any hidden one, so those are the visible tests of the exercises before it (the
    hidden ones had not run: 0, and the grade says it is incomplete)."""
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "none")
    slot = SLOTS[3]
    route = f"{signal_name} to the grader's processes"
    res, elapsed = attack(route, slot, tmp_path, heartbeat_timeout=5)
    before = [t for t in res.tests if t.exercise in SLOTS[:3] and t.visibility == "visible"]
    earned = sum(t.max_score for t in before)
    assert res.score == earned > 0 and res.incomplete, res.table()
    assert all(t.score == t.max_score for t in before)
    assert "interrupted" in res.output
    assert elapsed <= 1.5 * honest_time + BUDGET + 20


def test_forged_probe_scores_nothing(tmp_path):
    """A stub whose child answers every model probe with a hard-coded LeNet-5 summary: the
    trusted process describes only models it rebuilt itself, so the stub still scores 0."""
    folder = tmp_path / "sub"
    folder.mkdir()
    stub = open(os.path.join(ROOT, "exercises", "ex03_lenet.py"), encoding="utf-8").read()
    (folder / "ex03_lenet.py").write_text(hostile_cases.FORGED_PROBE + "\n" + stub)
    before = snapshot()
    res = grade_submission(str(folder), exercises=["ex03_lenet"], call_timeout=120, exercise_timeout=300)
    assert res.max_score > 0 and res.score == 0, res.table()
    assert any("did not send a model" in t.output for t in res.tests), res.table()
    assert snapshot() == before
