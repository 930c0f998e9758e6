"""argparse types shared by every command group: each refuses a bad value in one line."""

from __future__ import annotations

import argparse
import sys

from zoo import registry


def _int_at_least(text, low):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}")
    return value


def positive_int(text):
    """An integer >= 1."""
    return _int_at_least(text, 1)


def non_negative_int(text):
    """An integer >= 0."""
    return _int_at_least(text, 0)


def positive_float(text):
    """A float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def model_name(text):
    """A registered model name, checked against the catalog (no Keras import)."""
    try:
        return registry.check_model_name(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def image_size(text):
    """N or HxW."""
    try:
        parts = [int(t) for t in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or min(parts, default=0) < 1:
        raise argparse.ArgumentTypeError(f"expected N or HxW (e.g. 32 or 64x48), got {text!r}")
    return parts[0] if len(parts) == 1 else tuple(parts)


class _DeprecatedFlag(argparse.Action):
    """An old spelling of a flag: takes the value, says once on stderr which flag to use now."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"zoo: note: {option_string} is deprecated; use {self.metavar} (same value)", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_image_size(parser, help):
    """`--image-size N|HxW`, the one image-size flag of every command (the old `--input-size` is
    still taken, with a deprecation note)."""
    parser.add_argument("--image-size", type=image_size, default=None, metavar="N|HxW", help=help)
    parser.add_argument("--input-size", dest="image_size", type=image_size, default=None, action=_DeprecatedFlag,
                        metavar="--image-size", help=argparse.SUPPRESS)
