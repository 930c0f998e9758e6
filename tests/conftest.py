"""Shared test set-up: quiet TensorFlow, seeded, and small helpers."""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_zoo(*args, cwd=None, timeout=600, env=None):
    """Runs the `zoo` command line in a subprocess; returns CompletedProcess (text)."""
    full_env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "zoo", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


@pytest.fixture
def zoo_cli():
    return run_zoo


@pytest.fixture(autouse=True)
def _seed():
    try:
        import keras
    except ImportError:  # pragma: no cover
        return
    keras.utils.set_random_seed(1234)


class ZooProcess:
    """`python -m zoo ARGS` in the background, its output read line by line as it comes.

    Tests that signal a running command wait for a line the command prints (`wait_for`), an event
    it reports, never for a guessed time or a file that may be half written. `sigint_ignored=True`
    starts it as a non-interactive shell starts a `cmd &` job: with SIGINT ignored."""

    def __init__(self, *args, env=None, sigint_ignored=False):
        full_env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), PYTHONUNBUFFERED="1")
        full_env.update(env or {})
        ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
        self.proc = subprocess.Popen([sys.executable, "-m", "zoo", *args], cwd=ROOT, env=full_env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=ignore)
        self.lines, self._queue = [], queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern, timeout=600):
        """The first line (from now on) matching regex `pattern`; AssertionError with the output so
        far when the command ends first or `timeout` s pass."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.output()[-3000:]}") from None
            if line is None:
                self._queue.put(None)
                raise AssertionError(f"the command ended (rc {self.proc.wait()}) before printing a line matching "
                                     f"{pattern!r}:\n{self.output()[-3000:]}")
            self.lines.append(line)
            if re.search(pattern, line):
                return line

    def finish(self, timeout=300):
        """Waits for the end; returns (returncode, the whole output)."""
        rc = self.proc.wait(timeout=timeout)
        while True:
            line = self._queue.get(timeout=timeout)
            if line is None:
                break
            self.lines.append(line)
        return rc, self.output()

    def output(self):
        return "".join(self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
