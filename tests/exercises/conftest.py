"""Graded tests: the target submission is `--submission DIR` (with `-p zoo.grading.plugin`,
as `zoo grade` runs them), else $ZOO_SUBMISSION, else solutions/. The submission's code runs
only in child processes (zoo.grading.runner); every assertion runs here."""

import os

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
    for opt, key in (("--call-timeout", "call_timeout"), ("--exercise-timeout", "exercise_timeout")):
        if _opt(cfg, opt):
            kw[key] = _opt(cfg, opt)
    sub = Submission(folder, backend=_opt(cfg, "--backend"), **kw)
    yield sub
    sub.close()


class Exercise:
    """Calls into one exercise module of the submission; a failure becomes the test's feedback."""

    def __init__(self, submission, module):
        self.submission, self.module = submission, module

    def __call__(self, function, *args, **kwargs):
        try:
            return self.submission.call(self.module, function, *args, **kwargs)
        except SubmissionError as e:
            pytest.fail(f"{function}() failed: {e.message}", pytrace=False)

    def raises(self, function, *args, **kwargs):
        """The error message when the call fails, None when it succeeds."""
        try:
            self.submission.call(self.module, function, *args, **kwargs)
        except SubmissionError as e:
            return e.message
        return None


@pytest.fixture
def ex(submission, request):
    return Exercise(submission, request.module.MODULE)
