"""Distributed search: one chief (KerasTuner's oracle server) and K workers, on one machine or several.

KerasTuner's own mechanism: every process runs the same `zoo tune` command with
`KERASTUNER_ORACLE_IP`/`KERASTUNER_ORACLE_PORT` pointing at the chief and its own
`KERASTUNER_TUNER_ID` ("chief" for the oracle, "tuner0".."tunerK-1" for the workers); they share
the `--out` folder. KerasTuner leaves two gaps this launcher closes:

* a worker killed mid-trial leaves its trial RUNNING and the chief waits for it forever; the
  launcher restarts a dead worker with the same KERASTUNER_TUNER_ID, and the chief hands it
  its trial back (`Oracle.create_trial` returns the ongoing trial of a known tuner id);
* the chief polls every 20 s for the end and nothing bounds the whole run; zoo's chief
  (`adapter.serve_as_chief`) polls every 0.5 s, the launcher stops the chief as soon as every
  worker has finished (all state is on disk by then) and kills everything after `timeout` seconds.

Started by hand on several machines (the same variables, a shared `--out`), the chief writes
the results when the last worker is done.

The launcher uses 127.0.0.1 only; README "Scaling out" shows the same variables set by hand
across hosts.
"""

from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys
import time

from zoo.io import write_json
from zoo.tuning import search

HOST = "127.0.0.1"


class LaunchError(RuntimeError):
    """The distributed search could not finish (timeout, chief died, a worker kept dying)."""


def free_port(host=HOST):
    """A TCP port nobody listens on at `host` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _count_trials(project_dir):
    """(completed or failed, total) trial.json files in the search folder."""
    done = total = 0
    for path in glob.glob(os.path.join(project_dir, "trial_*", "trial.json")):
        try:
            with open(path, encoding="utf-8") as f:
                status = json.load(f).get("status")
        except (OSError, ValueError):
            continue
        total += 1
        done += status in ("COMPLETED", "FAILED")
    return done, total


def _tail(path, n=15):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _stop(proc, grace=5.0):
    """SIGTERM, then SIGKILL after `grace` seconds; waits for the process."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def launch(child_args, *, workers, out, timeout=6 * 3600, max_restarts=3, python=None, log=print, poll=0.5, expected_trials=None):
    """Runs the search `zoo <child_args>` as one chief and `workers` workers on localhost.

    Args:
        child_args: the `zoo` arguments of the search (`tune MODEL ... --out DIR`), without --workers.
        workers: K >= 1 worker processes.
        out: the shared output folder (logs go to out/logs/, the pids to out/logs/processes.json).
        timeout: seconds for the whole search; past it every process is killed.
        max_restarts: how often one worker may be restarted after dying.
        expected_trials: for the progress line only.

    Returns:
        dict(wall_time_s, restarts={tuner_id: n}).
    Raises:
        LaunchError on timeout, a failing chief, or a worker that keeps dying.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"`workers` must be an integer >= 1. Received: workers={workers!r}")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"`timeout` must be a number of seconds > 0. Received: timeout={timeout!r}")
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    port = free_port()
    env = dict(os.environ, KERASTUNER_ORACLE_IP=HOST, KERASTUNER_ORACLE_PORT=str(port), **{search.LAUNCHED_ENV: "1"})
    group = _Processes([python or sys.executable, "-m", "zoo", *child_args], env, logs, port)
    worker_ids = [f"tuner{i}" for i in range(workers)]
    restarts = {w: 0 for w in worker_ids}
    finished = set()
    project = os.path.join(out, "search")
    t0 = time.time()
    log(f"zoo tune: distributed search on {HOST}:{port}: chief + {workers} worker(s), logs in {logs}")
    try:
        for tuner_id in ["chief", *worker_ids]:
            group.start(tuner_id)
        shown = (-1, -1)
        while len(finished) < workers:
            now = time.time()
            if now > t0 + timeout:
                raise LaunchError(
                    f"the distributed search did not finish within --timeout {timeout:g} s; every process "
                    f"was stopped. Finished trials are kept in {project}: rerun the command to resume"
                )
            done = _count_trials(project)
            if done != shown:
                shown = done
                log(f"[{now - t0:6.0f}s] {done[0]}/{expected_trials or done[1]} trials finished, {done[1] - done[0]} running")
            chief_rc = group.procs["chief"].poll()
            # exit code 0: the chief saw every worker stopped and every trial ended (`adapter.serve_as_chief`)
            if chief_rc not in (None, 0) and len(finished) < workers:
                raise LaunchError(
                    f"the chief (oracle server) exited with code {chief_rc} before the workers finished; "
                    f"its log {os.path.join(logs, 'chief.log')} ends:\n{_tail(os.path.join(logs, 'chief.log'))}"
                )
            for w in worker_ids:
                if w not in finished and group.ended(w, chief_rc, restarts, max_restarts=max_restarts,
                                                     log=lambda line: log(f"[{now - t0:6.0f}s] {line}")):
                    finished.add(w)
            if len(finished) < workers:
                time.sleep(poll)
        # Every worker got STOPPED from the chief, so every trial has ended and the oracle's
        # state is on disk; KerasTuner's chief would poll up to 20 s more before exiting.
        try:
            group.procs["chief"].wait(2)
        except subprocess.TimeoutExpired:
            _stop(group.procs["chief"])
    finally:
        group.close()
    wall = time.time() - t0
    log(f"zoo tune: all workers finished in {wall:.0f} s (restarts: {sum(restarts.values())})")
    return dict(wall_time_s=round(wall, 1), restarts=restarts, port=port)


class _Processes:
    """The chief and workers of one search: each started with its KERASTUNER_TUNER_ID and its log
    file in `logs`, restarted when it dies, stopped at the end."""

    def __init__(self, cmd, env, logs, port):
        self.cmd, self.env, self.logs, self.port = cmd, env, logs, port
        self.procs, self.files = {}, []

    def start(self, tuner_id):
        f = open(os.path.join(self.logs, f"{tuner_id}.log"), "a", encoding="utf-8")
        self.files.append(f)
        f.write(f"--- {time.strftime('%H:%M:%S')} start {tuner_id}\n")
        f.flush()
        self.procs[tuner_id] = subprocess.Popen(self.cmd, env=dict(self.env, KERASTUNER_TUNER_ID=tuner_id), stdout=f,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _write_pids(self.logs, self.procs, self.port)

    def ended(self, w, chief_rc, restarts, *, max_restarts, log):
        """Whether worker `w` has ended its part; a worker that died is restarted (`restarts[w]`
        counts) and one that died more than `max_restarts` times raises LaunchError."""
        rc = self.procs[w].poll()
        if rc is None:
            return False
        if rc == 0 or chief_rc == 0:  # after the chief's end there is nothing left to resume
            return True
        how = f"signal {-rc}" if rc < 0 else f"exit code {rc}"
        path = os.path.join(self.logs, w + ".log")
        if restarts[w] >= max_restarts:
            raise LaunchError(f"worker {w} died ({how}) {restarts[w] + 1} times; giving up. Its log {path} ends:\n{_tail(path)}")
        restarts[w] += 1
        log(f"worker {w} died ({how}); restarting it with KERASTUNER_TUNER_ID={w} "
            f"(restart {restarts[w]}/{max_restarts}): it resumes its trial")
        self.start(w)
        return False

    def close(self):
        for p in self.procs.values():
            _stop(p)
        for f in self.files:
            f.close()


def _write_pids(logs, procs, port):
    """logs/processes.json: {tuner_id: pid} of the live processes (for people and tests)."""
    write_json(os.path.join(logs, "processes.json"),
               dict(port=port, pids={k: p.pid for k, p in procs.items()}))


def trial_run_counts(out):
    """{trial_id: times KerasTuner ended it} from the oracle's saved state (1 = ran once)."""
    path = os.path.join(out, "search", "oracle.json")
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    return {k: int(v) for k, v in state.get("run_times", {}).items()}


__all__ = ["launch", "free_port", "trial_run_counts", "LaunchError", "HOST"]


def search_distributed(model, dataset, tuner, out, *, workers, space_args=(), timeout=6 * 3600, overwrite=False,
                       baseline=False, max_trials=10, epochs=2, seed=0, objective=None, image_size=None,
                       space=None, train_size=None, patience=3):
    """`zoo tune --workers K`: checks the search once, launches chief + K workers, summarises.

    `space_args` are the `NAME=RANGE` strings the workers receive (`space` is their parsed form).
    Returns the results dict written to `out/results.json`.

    Raises:
        search.SearchFailedError: every trial failed (the message names the first error).
        LaunchError: the processes could not finish (timeout, a dying chief or worker).
    """
    kw = dict(max_trials=max_trials, epochs=epochs, seed=seed, objective=objective, image_size=image_size,
              space=space, train_size=train_size)
    # Every check (and --overwrite) happens here, once, before any process starts.
    os.environ["KERASTUNER_TUNER_ID"] = "chief"  # read the chief's state at the end
    ctx = search.prepare(model, dataset, tuner, out, overwrite=overwrite, **kw)
    child = ["tune", model, "--dataset", dataset, "--tuner", tuner, "--max-trials", str(max_trials), "--epochs",
             str(epochs), "--seed", str(seed), "--out", ctx["out"], "--objective", ctx["objective"],
             "--patience", str(patience)]
    if image_size:
        child += ["--image-size", "x".join(map(str, image_size)) if isinstance(image_size, (tuple, list)) else str(image_size)]
    if train_size:
        child += ["--train-size", str(train_size)]
    for item in space_args:
        child += ["--space", item]
    try:
        info = launch(child, workers=workers, out=ctx["out"], timeout=timeout,
                      expected_trials=max_trials if tuner != "hyperband" else None)
    except LaunchError:
        ctx = search.prepare(model, dataset, tuner, out, check_metrics=False, **kw)
        records = search.trial_records(ctx["tuner"], ctx["objective"])
        if records and not any(r["status"] == "COMPLETED" for r in records):
            raise search.SearchFailedError(search.failure_message(ctx["tuner"])) from None
        raise
    ctx = search.prepare(model, dataset, tuner, out, check_metrics=False, **kw)
    ctx["patience"] = patience  # the baseline stops early as the trials did
    results = search.summarize(ctx, wall_time=info["wall_time_s"], baseline=baseline)
    results["distributed"] = dict(workers=workers, **info)
    write_json(os.path.join(ctx["out"], "results.json"), results)
    return results
