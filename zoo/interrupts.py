"""Ctrl-C (SIGINT) in zoo's commands. Standard library only: the command line installs it first.

SIGINT raises KeyboardInterrupt in every zoo command, and is remembered (`seen`). Python leaves
SIGINT ignored when the process starts with it ignored, as every job that a non-interactive shell
starts with `cmd &` does; a `kill -INT` from the user (or a test, or a scheduler) would then be
swallowed and the command would run on to exit 0, so the handler is installed again at start.

Inside `deferred()` (a Keras fit) the first SIGINT is only noted and raised at the next safe point,
`check()`, which a callback calls at the end of each batch and epoch: a KeyboardInterrupt raised
at a random bytecode inside the framework's step, a summary writer or a checkpoint write can leave
native state half torn down (seen: glibc's "free(): invalid next size" and SIGABRT instead of a
clean exit 130). A second Ctrl-C raises at once.
"""

from __future__ import annotations

import contextlib
import signal


class _State:
    seen = False  # a SIGINT arrived in this process
    deferring = 0  # depth of deferred() blocks
    pending = False  # noted inside deferred(), not raised yet


def install():
    """SIGINT raises KeyboardInterrupt (or is deferred, inside `deferred()`)."""
    try:
        signal.signal(signal.SIGINT, _handle)
    except ValueError:  # not the main thread (embedded use): leave the handler as it is
        pass


def _handle(signum, frame):
    _State.seen = True
    if _State.deferring and not _State.pending:
        _State.pending = True
        return
    _State.pending = False
    raise KeyboardInterrupt


def seen():
    """Whether a SIGINT arrived: an error raised while one unwinds still ends as an interruption."""
    return _State.seen


def check():
    """Raises the KeyboardInterrupt a deferred SIGINT left pending (a safe point)."""
    if _State.pending:
        _State.pending = False
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred():
    """Within the block the first SIGINT waits for `check()`; one still pending at the end is
    raised there."""
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1
    if not _State.deferring:
        check()
