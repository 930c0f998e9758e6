"""Search spaces as data: `HP` entries (name, kind, range or choices, default), the training
hyperparameters every family shares, and `--space NAME=RANGE` overrides."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from zoo.training.optimizers import OPTIMIZERS  # one list of optimizer names

SCHEDULES = ("constant", "cosine", "step")  # the searched subset of zoo.training.optimizers.SCHEDULES


@dataclasses.dataclass(frozen=True)
class HP:
    """One hyperparameter of a search space.

    kind: "float" / "int" (min_value..max_value, `step`, `sampling` "linear" or "log"; with
    "log" the step multiplies) or "choice" (`values`). `default` is the untuned value: the
    zoo builder's own default where there is one.
    """

    name: str
    kind: str
    default: Any
    min_value: Any = None
    max_value: Any = None
    step: Any = None
    sampling: str = "linear"
    values: tuple = ()
    doc: str = ""

    def check(self, family):
        """Raises ValueError when the range or choices are unusable."""
        where = f"search space of {family!r}: hyperparameter {self.name!r}"
        if self.kind == "choice":
            if not self.values:
                raise ValueError(f"{where} needs at least one value. Received: values={self.values!r}")
            if len(set(self.values)) != len(self.values):
                raise ValueError(f"{where} has repeated values. Received: values={self.values!r}")
            if self.default not in self.values:
                raise ValueError(f"{where}: default {self.default!r} is not one of {self.values!r}")
            return
        lo, hi = self.min_value, self.max_value
        for arg, v in (("min_value", lo), ("max_value", hi)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{where}: {arg} must be a finite number. Received: {arg}={v!r}")
        if self.kind == "int" and not (float(lo).is_integer() and float(hi).is_integer()):
            raise ValueError(f"{where} takes integers. Received: range=({lo!r}, {hi!r})")
        if not lo <= hi:
            raise ValueError(
                f"{where}: min_value must be <= max_value. Received: range=({lo!r}, {hi!r})"
            )
        if self.sampling == "log":
            if lo <= 0:
                raise ValueError(
                    f"{where} is sampled on a log scale, so min_value must be > 0. "
                    f"Received: range=({lo!r}, {hi!r})"
                )
            if self.step is not None and self.step <= 1:
                raise ValueError(f"{where}: a log-scale step multiplies and must be > 1. Received: step={self.step!r}")
        elif self.step is not None and self.step <= 0:
            raise ValueError(f"{where}: step must be > 0. Received: step={self.step!r}")

    def declare(self, hp):
        """Registers this hyperparameter on `hp` (a keras_tuner.HyperParameters) and returns its value."""
        if self.kind == "choice":
            if len(self.values) == 1:
                return hp.Fixed(self.name, self.values[0])
            return hp.Choice(self.name, list(self.values), default=self.default)
        if self.min_value == self.max_value:
            return hp.Fixed(self.name, self.min_value)
        default = min(max(self.default, self.min_value), self.max_value)
        if self.kind == "int":
            return hp.Int(
                self.name, int(self.min_value), int(self.max_value), step=self.step, sampling=self.sampling, default=int(default)
            )
        return hp.Float(self.name, self.min_value, self.max_value, step=self.step, sampling=self.sampling, default=default)

    def describe(self):
        """Short text of the range for the documentation's search-space table."""
        if self.kind == "choice":
            return "{" + ", ".join(str(v) for v in self.values) + "}"
        step = ""
        if self.step is not None:
            step = f", x{self.step:g}" if self.sampling == "log" else f", step {self.step:g}"
        scale = " log" if self.sampling == "log" else ""
        return f"[{self.min_value:g}, {self.max_value:g}]{scale}{step}"


TRAINING_SPACE = (
    HP("optimizer", "choice", "adam", values=OPTIMIZERS,
       doc="momentum/nesterov: SGD with momentum 0.9 (Nesterov); adamw: decoupled weight decay"),
    HP("learning_rate", "float", 1e-3, 1e-4, 1e-1, step=10, sampling="log", doc="initial learning rate"),
    HP("schedule", "choice", "constant", values=SCHEDULES,
       doc="cosine: cosine decay to 0 over all epochs; step: x0.1 at 50 % and 75 % of the steps"),
    HP("weight_decay", "choice", 0.0, values=(0.0, 1e-5, 1e-4, 1e-3), doc="decoupled weight decay of the optimizer"),
    HP("batch_size", "choice", 32, values=(16, 32, 64, 128)),
    HP("augment", "float", 0.0, 0.0, 3.0, step=1.0,
       doc="strength of zoo.training.augment's preset: classification 'geometric' (1 = 0.05 turn, 8 % shift, "
           "10 % zoom); segmentation and reconstruction 'noise' (1 = Gaussian noise of std 0.1)"),
)


def parse_space(text):
    """Parses `--space` items: "learning_rate=1e-4:1e-2", "optimizer=adam,sgd", "dropout=0.2".

    Returns {name: (min, max) | list of values | single value}.
    """
    out = {}
    for item in text:
        if "=" not in item:
            raise ValueError(
                "--space takes NAME=MIN:MAX, NAME=A,B,C or NAME=VALUE. "
                f"Received: --space {item!r}"
            )
        name, value = item.split("=", 1)
        name, value = name.strip(), value.strip()
        if ":" in value:
            lo, hi = value.split(":", 1)
            out[name] = (_number(lo, name), _number(hi, name))
        elif "," in value:
            out[name] = [_scalar(v) for v in value.split(",")]
        else:
            out[name] = _scalar(value)
    return out


def _number(text, name):
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"--space {name}: {text!r} is not a number") from None
    return int(v) if v.is_integer() and "." not in text and "e" not in text.lower() else v


def _scalar(text):
    text = text.strip()
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def _override(spec, value, family):
    """A copy of `spec` with the user's override applied: a (min, max) range, a list, or one value."""
    if spec.kind == "choice":
        values = tuple(value) if isinstance(value, (list, tuple)) else (value,)
        bad = [v for v in values if v not in spec.values]
        if bad:
            raise ValueError(
                f"search space of {family!r}: {spec.name} accepts values from "
                f"{', '.join(repr(v) for v in spec.values)}. Received: {spec.name}={list(values)!r}"
            )
        default = spec.default if spec.default in values else values[0]
        return dataclasses.replace(spec, values=values, default=default)
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(
                f"search space of {family!r}: {spec.name} takes a range (min, max). Received: {spec.name}={value!r}"
            )
        lo, hi = value
    else:
        lo = hi = value
    step = spec.step
    if step is not None and spec.sampling != "log" and hi != lo and (hi - lo) < step:
        step = None
    if spec.sampling == "log" and step is not None and hi > lo > 0 and hi / lo < step:
        step = None
    new = dataclasses.replace(spec, min_value=lo, max_value=hi, step=step)
    return new
