"""TensorFlow's start-up lines held back in every zoo command, whichever code imports it.

TensorFlow's C++ side writes to file descriptor 2 while it loads (absl's "All log messages before
absl::InitializeLog()", CUDA probes, CPU-feature notes) and, at TF_CPP_MIN_LOG_LEVEL below 3, at
run time (tf.data's "NodeDef mentions attribute use_unbounded_threadpool"). Python's own stderr
cannot filter those. `quiet_native_logs` raises the log level to errors-off unless the user set
one, and makes the first `import tensorflow` (Keras on the TensorFlow backend, a TensorBoard
callback or tfds on JAX) run with descriptor 2 held in a temporary file, shown only if the import
fails. Standard library only: the CLI's light start and the grader use it.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import sys
import tempfile

NOISY_MODULES = ("tensorflow",)


@contextlib.contextmanager
def held_stderr():
    """File descriptor 2 goes to a temporary file for the block; replayed if the block raises."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (embedded use): nothing to hold
        saved = None
    if saved is None:
        yield
        return
    with tempfile.TemporaryFile() as log:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _HeldLoader(importlib.abc.Loader):
    """Runs the wrapped loader's module code inside `held_stderr`, then steps aside."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        try:
            with held_stderr():
                self.loader.exec_module(module)
        finally:
            module.__loader__ = self.loader
            if getattr(module, "__spec__", None) is not None:
                module.__spec__.loader = self.loader

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _QuietImports(importlib.abc.MetaPathFinder):
    """Finds NOISY_MODULES as the other finders do, with their loader wrapped in `_HeldLoader`."""

    def __init__(self):
        self.finding = False

    def find_spec(self, name, path=None, target=None):
        if name not in NOISY_MODULES or self.finding:
            return None
        self.finding = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.finding = False
        if spec is not None and spec.loader is not None:
            spec.loader = _HeldLoader(spec.loader)
        return spec


def quiet_native_logs():
    """TF_CPP_MIN_LOG_LEVEL 3 unless set, and the first TensorFlow import held quiet (once per process)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not any(isinstance(f, _QuietImports) for f in sys.meta_path) and not any(m in sys.modules for m in NOISY_MODULES):
        sys.meta_path.insert(0, _QuietImports())
