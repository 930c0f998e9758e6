"""zoo tune with real processes: kill -9 then rerun resumes; --overwrite starts over; a
distributed search (chief + 2 workers on localhost) survives a worker killed mid-trial."""

import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT, run_zoo

TINY = ["--image-size", "16", "--train-size", "96", "--epochs", "1"]
LIMIT = 600  # seconds: nothing may hang longer


def _popen(args, **env):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), **env)
    return subprocess.Popen([sys.executable, "-m", "zoo", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _wait_for(cond, proc, what):
    t0 = time.time()
    while time.time() - t0 < LIMIT:
        value = cond()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"process ended (rc {proc.returncode}) before {what}:\n{proc.stdout.read()[-3000:]}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"timed out waiting for {what}")


def _trial_status(out, tid):
    t = _json(os.path.join(out, "search", f"trial_{tid}", "trial.json"))
    return t and t["status"]


def test_kill_9_during_a_search_then_rerun_keeps_finished_trials(tmp_path):
    out = str(tmp_path / "run")
    args = ["tune", "lenet5", "--dataset", "digits", "--tuner", "random", "--max-trials", "3", "--seed", "3",
            *TINY, "--out", out]
    proc = _popen(args)
    _wait_for(lambda: _trial_status(out, 0) == "COMPLETED" and _trial_status(out, 1) == "RUNNING", proc,
              "trial 0 finished and trial 1 running")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    first = _json(os.path.join(out, "search", "trial_0", "trial.json"))
    ckpt = os.path.join(out, "search", "trial_0", "checkpoint.weights.h5")
    mtime = os.path.getmtime(ckpt)

    r = run_zoo(*args, timeout=LIMIT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "1 trial(s) already finished" in r.stdout
    res = _json(os.path.join(out, "results.json"))
    assert [t["trial"] for t in res["trials"]] == [1, 2, 3]  # numbered from 1, as KerasTuner's log
    assert [t["rounds"][0]["folder"] for t in res["trials"]] == ["search/trial_0", "search/trial_1", "search/trial_2"]
    assert all(t["status"] == "COMPLETED" for t in res["trials"])
    oracle = _json(os.path.join(out, "search", "oracle.json"))
    assert sorted(oracle["end_order"]) == ["0", "1", "2"]  # each ended once: none lost, none counted twice
    assert oracle["run_times"] == {"0": 1, "1": 1, "2": 1}
    assert os.path.getmtime(ckpt) == mtime, "the finished trial 0 was trained again"
    assert res["trials"][0]["score"] == first["score"]
    assert res["trials"][0]["hyperparameters"] == first["hyperparameters"]["values"]


def test_distributed_search_with_two_workers_survives_a_killed_worker(tmp_path):
    out = str(tmp_path / "dist")
    t0 = time.time()
    proc = _popen(["tune", "lenet5", "--dataset", "digits", "--tuner", "random", "--max-trials", "4",
                   "--workers", "2", "--timeout", str(LIMIT - 60), "--seed", "1", *TINY, "--out", out])

    def tuner0_in_a_trial():
        state = _json(os.path.join(out, "search", "oracle.json"))
        pids = _json(os.path.join(out, "logs", "processes.json"))
        if state and pids and "tuner0" in state.get("ongoing_trials", {}):
            return pids["pids"]["tuner0"], state["ongoing_trials"]["tuner0"]
        return None

    pid, trial_id = _wait_for(tuner0_in_a_trial, proc, "worker tuner0 running a trial")
    os.kill(pid, signal.SIGKILL)
    try:
        text, _ = proc.communicate(timeout=LIMIT)
    finally:
        proc.kill()
    wall = time.time() - t0
    print(f"distributed search, 2 workers, 4 trials, one worker killed: {wall:.1f} s wall")
    assert proc.returncode == 0, text[-4000:]
    assert "worker tuner0 died (signal 9); restarting it with KERASTUNER_TUNER_ID=tuner0" in text
    res = _json(os.path.join(out, "results.json"))
    assert res["trials_completed"] == 4 and res["trials_total"] == 4
    assert res["distributed"]["restarts"] == {"tuner0": 1, "tuner1": 0}
    oracle = _json(os.path.join(out, "search", "oracle.json"))
    assert sorted(oracle["end_order"]) == ["0", "1", "2", "3"]
    assert oracle["run_times"] == {"0": 1, "1": 1, "2": 1, "3": 1}  # every trial ended exactly once
    assert _json(os.path.join(out, "search", f"trial_{trial_id}", "trial.json"))["status"] == "COMPLETED"
    # the restarted worker got its trial back and trained it; no process is left behind
    log0 = open(os.path.join(out, "logs", "tuner0.log"), encoding="utf-8").read()
    assert log0.count("start tuner0") == 2
    assert "val_loss" in log0.split("start tuner0")[-1]  # an epoch's progress line after the restart
    for p in _json(os.path.join(out, "logs", "processes.json"))["pids"].values():
        assert not os.path.exists(f"/proc/{p}"), f"process {p} still runs"


def test_search_across_machines_from_kerastuner_variables_only(tmp_path):
    """The several-machines recipe on 127.0.0.1: a chief and two workers started by hand with
    only KerasTuner's variables and a shared --out; each worker runs a trial, the chief ends
    with the last worker and writes the results of every trial."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = str(tmp_path / "shared")
    args = ["tune", "lenet5", "--dataset", "digits", "--tuner", "random", "--max-trials", "2", "--seed", "2",
            *TINY, "--out", out]
    t0 = time.time()
    procs = {}
    for tuner_id in ("chief", "tuner0", "tuner1"):
        procs[tuner_id] = _popen(args, KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP="127.0.0.1",
                                 KERASTUNER_ORACLE_PORT=str(port))

    def ongoing(tuner_id):
        state = _json(os.path.join(out, "search", "oracle.json"))
        return state and tuner_id in state.get("ongoing_trials", {})

    texts = {}
    try:
        # Hold tuner0 in its trial until tuner1 has one too, so that each worker runs a trial
        # whichever process starts faster.
        _wait_for(lambda: ongoing("tuner0"), procs["tuner0"], "tuner0 in a trial")
        os.kill(procs["tuner0"].pid, signal.SIGSTOP)
        try:
            _wait_for(lambda: ongoing("tuner1"), procs["tuner1"], "tuner1 in a trial")
        finally:
            os.kill(procs["tuner0"].pid, signal.SIGCONT)
        for tuner_id, p in procs.items():
            texts[tuner_id] = p.communicate(timeout=LIMIT)[0]
    finally:
        for p in procs.values():
            p.kill()
    print(f"chief + 2 workers by hand, 2 trials: {time.time() - t0:.1f} s wall")
    assert {k: p.returncode for k, p in procs.items()} == {"chief": 0, "tuner0": 0, "tuner1": 0}, texts
    assert f"chief (the oracle) serving on 127.0.0.1:{port}; it ends when every worker is done" in texts["chief"]
    for worker in ("tuner0", "tuner1"):
        assert f"worker {worker} of the chief at 127.0.0.1:{port}" in texts[worker]
        assert "val_loss" in texts[worker], texts[worker][-2000:]  # it trained its trial's epoch
    res = _json(os.path.join(out, "results.json"))  # written by the chief
    assert res["trials_completed"] == 2 and res["trials_total"] == 2
    assert [t["status"] for t in res["trials"]] == ["COMPLETED", "COMPLETED"]
    assert os.path.isfile(os.path.join(out, "model.keras"))
    assert _json(os.path.join(out, "search", "oracle.json"))["run_times"] == {"0": 1, "1": 1}
