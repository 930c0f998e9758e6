"""Graded tests: the target submission is `--submission DIR` (with `-p zoo.grading.plugin`,
as `zoo grade` runs them), else $ZOO_SUBMISSION, else solutions/. The submission's code runs
only in child processes (zoo.grading.runner); every assertion runs here."""

import os
import re
import threading
import time

import pytest

from zoo.grading.results import missing_summary
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
    A call that runs long reports "still running" on the grader's progress line. A module that
    is missing or could not be imported fails every test of its exercise, and the test's `node` carries
    "zoo_import_error" (the error, and its one-line summary): the grader's plugin shows the
    error once per exercise, not under each test."""

    def __init__(self, submission, module, progress_fd=None, node=None):
        self.submission, self.module, self.progress_fd, self.node = submission, module, progress_fd, node

    def __call__(self, function, *args, **kwargs):
        try:
            with still_running(self.progress_fd, f"{self.module}: {function}()"):
                return self.submission.call(self.module, function, *args, **kwargs)
        except SubmissionError as e:
            if e.import_failed:
                self.not_imported(e)
            pytest.fail(f"{function}() failed: {self.explain(e.message)}", pytrace=False)

    def files(self, name):
        """(relative path, text) of the files called `name` the exercise's calls left in its
        working folder, read by the grader, never by the submission (`Submission.work_files`)."""
        return self.submission.work_files(self.module, name)

    def raises(self, function, *args, **kwargs):
        """The error message when the call fails, None when it succeeds (a module that could not
        be imported fails the test: that is no error the function raised)."""
        try:
            with still_running(self.progress_fd, f"{self.module}: {function}()"):
                self.submission.call(self.module, function, *args, **kwargs)
        except SubmissionError as e:
            if e.import_failed:
                self.not_imported(e)
            return e.message
        return None

    def not_imported(self, error):
        """Fails the test: the module could not be imported (said on the test's node too, with
        a one-line summary: 'syntax error in ex01_conv_pool.py line 3', 'import error in
        ex01_conv_pool.py line 5: NameError: ...', 'ex01_conv_pool.py is missing')."""
        file = self.module + ".py"
        syntax = self.syntax_error()
        if not os.path.isfile(os.path.join(self.submission.folder, file)):
            message, summary = error.message, missing_summary(self.module)
        elif syntax is not None:
            message = self.explain(error.message)
            kind = re.sub(r"(?<!^)(?=[A-Z])", " ", type(syntax).__name__).lower()  # IndentationError -> indentation error
            summary = f"{kind} in {file} line {syntax.lineno}"
        else:
            message = error.message.replace(f"importing {file} failed: ", "", 1)
            lines = re.findall(r'File "[^"]*/' + re.escape(file) + r'", line (\d+)', error.details or "")
            summary = f"import error in {file}" + (f" line {lines[-1]}" if lines else "") + f": {(message.splitlines() or [''])[0]}"
            summary = summary[:200]
            message = (f"line {lines[-1]}: " if lines else "") + message
        if self.node is not None and not any(k == "zoo_import_error" for k, _ in self.node.user_properties):
            self.node.user_properties.append(("zoo_import_error", {"message": message, "summary": summary}))
        pytest.fail(summary if summary == missing_summary(self.module) else f"{file} could not be imported: {message}", pytrace=False)

    def syntax_error(self):
        """The SyntaxError compiling the module raises, None when it compiles (compiled here,
        never run: compiling executes nothing)."""
        path = os.path.join(self.submission.folder, self.module + ".py")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                compile(f.read(), os.path.basename(path), "exec", dont_inherit=True)
        except SyntaxError as e:
            return e
        except (OSError, ValueError, RecursionError, MemoryError):
            pass
        return None

    def explain(self, message):
        """A SyntaxError names the file, line and column, and shows the line."""
        if message.startswith("NotImplementedError"):
            return f"not written yet ({message.rstrip(': ')}): replace the `raise NotImplementedError` with your code"
        if "SyntaxError" not in message and "IndentationError" not in message and "TabError" not in message:
            return message
        e = self.syntax_error()
        if e is None:
            return message
        where = f"{e.filename}, line {e.lineno}" + (f", column {e.offset}" if e.offset else "")
        shown = ""
        if e.text:
            line = e.text.rstrip("\n")
            shown = f"\n    {line.strip()}\n    {' ' * max(0, (e.offset or 1) - 1 - (len(line) - len(line.lstrip())))}^"
        return f"{type(e).__name__} in {where}: {e.msg}{shown}"


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
    return Exercise(submission, request.module.MODULE, fd, request.node)
