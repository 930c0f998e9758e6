"""The `zoo` command line (contract: shared CLI.md): the parser, Keras' quiet start and error exits.

The commands live in zoo/commands/, one module per group (models, training, transfer, tuning,
course); each `register(subparsers)` declares its flags and sets `func` to a runner that loads the
library when it runs, so `zoo --help` and argument errors never import Keras. User errors
(ValueError, FileNotFoundError, ...) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from zoo import interrupts
from zoo.commands import course, models, training, transfer, tuning
from zoo.startup import held_stderr, quiet_native_logs

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, NotADirectoryError, PermissionError, KeyError)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument prints one line (`zoo: error: ...`) and exits 2."""

    def error(self, message):
        self.exit(2, f"zoo: error: {message} (see `{self.prog} --help`)\n")


COMMAND_GROUPS = (models, training, transfer, tuning, course)


def build_parser():
    from zoo import __version__

    parser = _Parser(prog="zoo", description="Keras 3 model zoo and computer-vision course in a box.")
    parser.add_argument("--version", action="version", version=f"zoo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for group in COMMAND_GROUPS:
        group.register(sub)
    for name, subparser in sub.choices.items():
        subparser.set_defaults(parser=subparser)  # for flag_wording
    return parser


def import_keras_quietly():
    """Imports Keras with TensorFlow's C++ start-up chatter (absl, CUDA probes) held back;
    the chatter is shown only if the import fails."""
    if "keras" in sys.modules:
        return
    with held_stderr():
        import keras

        if keras.backend.backend() == "tensorflow":  # device discovery logs CUDA probes too
            import tensorflow as tf

            tf.config.list_physical_devices()


def flag_wording(message, subparser):
    """A library message in the CLI's words: `batch_size` and `Received: batch_size=0` name the
    flag the user typed (`--batch-size`, `Received: --batch-size 0`). The library names Python
    arguments; only this face speaks in flags."""
    for action in getattr(subparser, "_actions", ()):
        flags = [o for o in action.option_strings if o.startswith("--")]
        if not flags or action.dest in ("help",):
            continue
        flag = flags[0]
        message = re.sub(rf"`{re.escape(action.dest)}`", flag, message)
        message = re.sub(rf"Received: {re.escape(action.dest)}=", f"Received: {flag} ", message)
    return message


PIPE_CLOSED = 128 + 13  # SIGPIPE's status: what a shell reports for `yes | head -1`'s yes


def main(argv=None):
    """Entry point of the `zoo` console script; returns the exit code. Output piped to a reader
    that stops reading (`zoo list | head -1`) ends the command quietly with PIPE_CLOSED, as
    Unix tools end: no traceback, and a `set -o pipefail` script sees the pipe was cut."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a pipe closed early shows here for output still buffered
        return code
    except BrokenPipeError:
        _reader_gone()
        return PIPE_CLOSED


def _reader_gone():
    """stdout to /dev/null: the interpreter's last flush of what is still buffered cannot fail
    and print "Exception ignored ... BrokenPipeError" on the way out."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced by an object of no descriptor
        pass
    os.close(devnull)


def _main(argv):
    interrupts.install()
    quiet_native_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "preflight", None):  # the paths it names, checked before the Keras import
            args.preflight(args)
        if getattr(args, "needs_keras", True):
            import_keras_quietly()
        return int(args.func(args) or 0)
    except USER_ERRORS as e:
        if interrupts.seen():
            return _interrupted()
        if os.environ.get("ZOO_DEBUG"):
            raise
        msg = " ".join(str(e.args[0] if isinstance(e, KeyError) and e.args else e).split())
        msg = flag_wording(msg, getattr(args, "parser", None))
        print(f"zoo: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted()
    except Exception:
        if interrupts.seen():
            return _interrupted()
        raise


def _interrupted():
    print("zoo: interrupted", file=sys.stderr)
    return 130


if __name__ == "__main__":
    sys.exit(main())
