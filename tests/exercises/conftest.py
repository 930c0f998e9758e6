"""Graded tests: the target submission is `--submission DIR` (with `-p zoo.grading.plugin`,
as `zoo grade` runs them), else $ZOO_SUBMISSION, else solutions/. The submission's code runs
only in child processes (zoo.grading.runner); every assertion runs here."""

import os
import threading
import time

import pytest

from zoo.grading.runner import Submission, SubmissionError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _opt(config, name):
    try:
        return config.getoption(name)
    except ValueError:
        return None


@pytest.fixture(scope="session")
def submission(request):
    cfg = request.config
    folder = _opt(cfg, "--submission") or os.environ.get("ZOO_SUBMISSION") or os.path.join(ROOT, "solutions")
    kw = {}
    for opt, key in (("--call-timeout", "call_timeout"), ("--exercise-timeout", "exercise_timeout"), ("--memory-limit", "memory_limit")):
        if _opt(cfg, opt):
            kw[key] = _opt(cfg, opt)
    sub = Submission(folder, backend=_opt(cfg, "--backend"), **kw)
    yield sub
    sub.close()


class Exercise:
    """Calls into one exercise module of the submission; a failure becomes the test's feedback.
    A call that runs long reports "still running" on the grader's progress line."""

    def __init__(self, submission, module, progress_fd=None):
        self.submission, self.module, self.progress_fd = submission, module, progress_fd

    def __call__(self, function, *args, **kwargs):
        try:
            with still_running(self.progress_fd, f"{self.module}: {function}()"):
                return self.submission.call(self.module, function, *args, **kwargs)
        except SubmissionError as e:
            pytest.fail(f"{function}() failed: {self.explain(e.message)}", pytrace=False)

    def raises(self, function, *args, **kwargs):
        """The error message when the call fails, None when it succeeds."""
        try:
            with still_running(self.progress_fd, f"{self.module}: {function}()"):
                self.submission.call(self.module, function, *args, **kwargs)
        except SubmissionError as e:
            return e.message
        return None

    def explain(self, message):
        """A SyntaxError names the file, line and column, and shows the line (compiled here,
        never run: compiling executes nothing)."""
        if message.startswith("NotImplementedError"):
            return f"not written yet ({message.rstrip(': ')}): replace the `raise NotImplementedError` with your code"
        if "SyntaxError" not in message and "IndentationError" not in message and "TabError" not in message:
            return message
        path = os.path.join(self.submission.folder, self.module + ".py")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                compile(f.read(), os.path.basename(path), "exec", dont_inherit=True)
        except SyntaxError as e:
            where = f"{e.filename}, line {e.lineno}" + (f", column {e.offset}" if e.offset else "")
            shown = ""
            if e.text:
                line = e.text.rstrip("\n")
                shown = f"\n    {line.strip()}\n    {' ' * max(0, (e.offset or 1) - 1 - (len(line) - len(line.lstrip())))}^"
            return f"{type(e).__name__} in {where}: {e.msg}{shown}"
        except (OSError, ValueError, RecursionError, MemoryError):
            pass
        return message


class still_running:
    """While the body runs, writes "<what> still running, N s" to the grader's progress
    descriptor after FIRST seconds, then every EVERY seconds (nothing without a descriptor)."""

    FIRST, EVERY = 5.0, 10.0

    def __init__(self, fd, what):
        self.fd, self.what = fd, what

    def __enter__(self):
        if self.fd is not None:
            self.done = threading.Event()
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def _run(self):
        started, wait = time.monotonic(), self.FIRST
        while not self.done.wait(wait):
            try:
                os.write(self.fd, f"{self.what} still running, {time.monotonic() - started:.0f} s\n".encode())
            except OSError:
                return
            wait = self.EVERY

    def __exit__(self, *exc):
        if self.fd is not None:
            self.done.set()


@pytest.fixture
def ex(submission, request):
    # the descriptor is the trusted run's own: an xdist worker (`zoo grade --jobs`) does not inherit it
    fd = None if hasattr(request.config, "workerinput") else _opt(request.config, "--progress-fd")
    return Exercise(submission, request.module.MODULE, fd)
