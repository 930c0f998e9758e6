"""Shared test set-up: quiet TensorFlow, seeded, and small helpers."""

import os
import subprocess
import sys

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
