"""KerasTuner HyperModels for every zoo family, and the training hyperparameters they share.

Every search space is data: a list of `HP` entries (name, kind, range or choices, default), so
the README table, the range checks and `--space` overrides read the same source. A HyperModel
calls the family's registered builder, validates everything in `__init__` (before any
training) and always returns a compiled model. Hyperparameter names are stable: they are the
keys of `trial.json`, the results table and the plots.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import keras_tuner as kt

from zoo.detection import anchors
from zoo.training.augment import augmentation
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
        """Short text of the range for the README table."""
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


class ZooHyperModel(kt.HyperModel):
    """Base class: family space + shared training space -> compiled zoo model.

    Args:
        model: registered zoo model name (its family picks the HyperModel).
        input_shape: (H, W, C) of the data.
        classes: number of classes (labels, mask classes or object classes).
        epochs: the most epochs a trial trains (learning-rate schedules span them).
        train_size: number of training examples (steps per epoch for the schedules).
        space: overrides {name: (min, max) | [values] | value}; unknown names and bad
            ranges raise ValueError here, before any training.
        seed: seeds the weights of every trial (same hyperparameters -> same model).
        tune_training: whether the shared training hyperparameters are searched (else fixed
            to their defaults).
        dataset: the training `zoo.data.ArrayDataset` (segmentation, detection and autoencoder
            HyperModels hand it to their task module's `compile_args` / `fit_data`).
    """

    family = None
    task = "classification"

    def __init__(self, model, *, input_shape, classes, epochs=2, train_size=1000, space=None, seed=0, tune_training=True,
                 dataset=None):
        from zoo import registry

        self.dataset = dataset  # a zoo.data.ArrayDataset (template for the task modules), or None

        super().__init__(name=f"{model}_hypermodel", tunable=True)
        spec = registry.get_spec(model)
        if self.family is not None and spec.family != self.family:
            raise ValueError(
                f"{type(self).__name__} tunes the {self.family!r} family; model {model!r} is of family "
                f"{spec.family!r}. Use zoo.tuning.get_hypermodel({model!r}, ...)"
            )
        self.model_name = spec.name
        self.spec = spec
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be (height, width, channels). Received: input_shape={input_shape!r}")
        self.input_shape = tuple(int(s) for s in input_shape)
        if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
            raise ValueError(f"`classes` must be an integer >= 1. Received: classes={classes!r}")
        self.classes = classes
        for arg, v in (("epochs", epochs), ("train_size", train_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"`{arg}` must be an integer >= 1. Received: {arg}={v!r}")
        self.epochs = epochs
        self.train_size = train_size
        self.seed = int(seed)
        training = TRAINING_SPACE if tune_training else tuple(
            dataclasses.replace(s, kind="choice", values=(s.default,)) for s in TRAINING_SPACE
        )
        entries = {s.name: s for s in tuple(self.family_space()) + tuple(training)}
        space = dict(space or {})
        unknown = sorted(set(space) - set(entries))
        if unknown:
            raise ValueError(
                f"search space of {self.model_name!r} has no hyperparameter {', '.join(map(repr, unknown))}; "
                f"it has: {', '.join(entries)}. Received: space={space!r}"
            )
        for name, value in space.items():
            entries[name] = _override(entries[name], value, self.model_name)
        for s in entries.values():
            s.check(self.model_name)
        self.space = tuple(entries.values())
        self.check_space()

    # --- per family
    def family_space(self):
        """The family's architecture hyperparameters (list of HP)."""
        return ()

    def check_space(self):
        """Family checks across hyperparameters (e.g. the input is big enough for every choice)."""

    def build_network(self, values):
        """The uncompiled Keras model for the hyperparameter `values` (a dict)."""
        raise NotImplementedError

    def compile_args(self, model):
        """`model.compile` keyword arguments except the optimizer."""
        return dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def fit_data(self, model, x, y):
        """What model.fit gets as (x, y) for the task (detection: per-anchor targets of `model`)."""
        return x, y

    # --- shared
    def values_of(self, hp):
        """Declares the whole space on `hp` and returns {name: value}."""
        return {s.name: s.declare(hp) for s in self.space}

    def default_values(self):
        """The untuned configuration: every hyperparameter at its default."""
        return self.values_of(kt.HyperParameters())

    def build(self, hp):
        import keras

        values = self.values_of(hp)
        keras.utils.set_random_seed(self.seed)
        network = self.build_network(values)
        model = network if self.task == "detection" else _with_augmentation(network, values["augment"], self.task)
        model.compile(optimizer=make_optimizer(values, epochs=self.epochs, train_size=self.train_size), **self.compile_args(model))
        return model

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        """model.fit with the trial's batch size, on the task's (x, y) for this model."""
        kwargs["batch_size"] = hp.get("batch_size")
        x, y = self.fit_data(model, x, y)
        if validation_data is not None:
            validation_data = self.fit_data(model, *validation_data)
        return model.fit(x, y, validation_data=validation_data, **kwargs)

    def table_rows(self):
        """(family, name, range, default, doc) rows for the README table."""
        return [(self.family, s.name, s.describe(), s.default, s.doc) for s in self.space]


def _with_augmentation(network, strength, task):
    """`network` behind train-time augmentation layers (a no-op at inference), when strength > 0."""
    if not strength:
        return network
    import keras

    # masks and reconstruction targets stay aligned with the image under pixel noise only
    preset = "geometric" if task == "classification" else "noise"
    inputs = keras.Input(shape=network.input_shape[1:], name="input")
    x = augmentation(preset, image_shape=network.input_shape[1:], strength=strength)(inputs)
    return keras.Model(inputs, network(x), name=network.name)


def make_optimizer(values, *, epochs, train_size):
    """The optimizer of `values` (optimizer, learning_rate, schedule, weight_decay, batch_size),
    built by the training workbench's factory (zoo.training.optimizers) so a tuned trial and
    `zoo train --optimizer ... --lr ... --schedule ...` train alike."""
    from zoo.training.optimizers import make_optimizer as by_name

    steps = max(1, epochs * math.ceil(train_size / int(values["batch_size"])))
    return by_name(values["optimizer"], float(values["learning_rate"]), schedule=values["schedule"],
                   total_steps=steps, weight_decay=float(values["weight_decay"]))


# ----------------------------------------------------------------------------- LeNet
class LeNetHyperModel(ZooHyperModel):
    """LeNet-5: C1/C3 filters, kernel size, activation, pooling, dropout (zoo.models.lenet)."""

    family = "lenet"

    def family_space(self):
        return (
            HP("c1_filters", "choice", 6, values=(4, 6, 8, 12, 16), doc="feature maps of C1"),
            HP("c3_filters", "choice", 16, values=(8, 16, 24, 32), doc="feature maps of C3"),
            HP("kernel_size", "choice", 5, values=(3, 5), doc="C1 and C3 kernel side"),
            HP("activation", "choice", "relu", values=("relu", "tanh", "elu"), doc="hidden activation"),
            HP("pool", "choice", "max", values=("max", "avg"), doc="S2/S4 subsampling"),
            HP("dropout", "float", 0.0, 0.0, 0.5, step=0.1, doc="before F5 and F6"),
        )

    def check_space(self):
        k = max(next(s for s in self.space if s.name == "kernel_size").values)
        side = min(self.input_shape[:2])
        if side < 3 * k + 1:
            raise ValueError(
                f"input_shape={self.input_shape!r} is too small for lenet5 with kernel_size up to {k}: "
                f"every side must be >= {3 * k + 1}; use a larger --image-size or --space kernel_size=3"
            )

    def build_network(self, v):
        from zoo import registry

        return registry.get_model(
            self.model_name,
            input_shape=self.input_shape,
            classes=self.classes,
            filters=(v["c1_filters"], v["c3_filters"]),
            kernel_size=v["kernel_size"],
            activation=v["activation"],
            pool=v["pool"],
            dropout=v["dropout"],
        )


# ----------------------------------------------------------------------------- VGG
def _norm(value):
    """Search spaces hold strings; the builders take None for "no normalization"."""
    return None if value == "none" else value


class VGGHyperModel(ZooHyperModel):
    """VGG: depth configuration (A/B/D/E = vgg11/13/16/19), width multiplier, BatchNorm, dense
    width and dropout of the top (zoo.models.vgg)."""

    family = "vgg"

    def family_space(self):
        own = getattr(self, "model_name", "vgg16").replace("_bn", "")
        bn = getattr(self, "model_name", "").endswith("_bn")
        return (
            HP("config", "choice", own if own in ("vgg11", "vgg13", "vgg16", "vgg19") else "vgg16",
               values=("vgg11", "vgg13", "vgg16", "vgg19"), doc="convolutions per block, Table 1 A/B/D/E; default: the model's own (vgg13_bn: vgg13 + batch)"),
            HP("width", "choice", 1.0, values=(0.125, 0.25, 0.5, 1.0), doc="multiplies 64-128-256-512-512 filters"),
            HP("norm", "choice", "batch" if bn else "none", values=("none", "batch"), doc="BatchNorm after every conv"),
            HP("top_units", "choice", 4096, values=(64, 256, 512, 4096), doc="width of the two hidden dense layers"),
            HP("dropout", "float", 0.5, 0.0, 0.5, step=0.1, doc="after each hidden dense layer"),
        )

    def check_space(self):
        side = min(self.input_shape[:2])
        if side < 32:
            raise ValueError(
                f"input_shape={self.input_shape!r} is too small for VGG (five 2x2 pools): every side "
                "must be >= 32; use --image-size 32 or more"
            )

    def build_network(self, v):
        from zoo import registry

        # the configuration is a registered model (vgg11..vgg19); norm, width, top are its arguments
        return registry.get_model(
            v["config"], norm=_norm(v["norm"]), width_multiplier=v["width"], top_units=v["top_units"],
            dropout=v["dropout"], input_shape=self.input_shape, classes=self.classes, name=self.model_name,
        )


# ----------------------------------------------------------------------------- ResNet
def _registered_depths(family):
    """{depth: model name} of the registered models of `family` (resnet18 -> 18, resnet20 -> 20)."""
    from zoo import registry

    return {int("".join(c for c in n if c.isdigit())): n for n in registry.list_models(family=family)}


class ResNetHyperModel(ZooHyperModel):
    """ResNet (ImageNet form: depth 18/34/50) and the CIFAR ResNets (depth 20/32/56): depth,
    width multiplier, normalization (zoo.models.resnet)."""

    family = "resnet"

    def _cifar(self):
        return getattr(self, "spec", None) is not None and self.spec.family == "resnet_cifar"

    def family_space(self):
        name = getattr(self, "model_name", "resnet18")
        digits = "".join(c for c in name if c.isdigit())
        own = int(digits) if digits else None
        if self._cifar():
            values = tuple(sorted({20, 32, 56} | ({own} if own in _registered_depths("resnet_cifar") else set())))
            depth = HP("depth", "choice", own if own in values else 20, values=values, doc="CIFAR: 6n+2 layers (20, 32, 56)")
        else:
            values = tuple(sorted({18, 34, 50} | ({own} if own in _registered_depths("resnet") else set())))
            depth = HP("depth", "choice", own if own in values else 18, values=values,
                       doc="ImageNet form: 18/34 basic, 50 bottleneck blocks; CIFAR form (resnet20..110): 20/32/56; default: the model's own")
        return (
            depth,
            HP("width", "choice", 1.0, values=(0.25, 0.5, 1.0), doc="multiplies the stage widths"),
            HP("norm", "choice", "batch", values=("batch", "group", "layer", "none"), doc="after every conv"),
        )

    def __init__(self, model, **kwargs):
        from zoo import registry

        spec = registry.get_spec(model)
        if spec.family not in ("resnet", "resnet_cifar"):
            raise ValueError(f"ResNetHyperModel tunes resnet18..152 and resnet20..110. Received: model={model!r}")
        self.spec, self.model_name = spec, spec.name
        self.family = spec.family
        super().__init__(model, **kwargs)

    def check_space(self):
        stride = 4 if self._cifar() else 32
        side = min(self.input_shape[:2])
        if side < max(8, stride):
            raise ValueError(
                f"input_shape={self.input_shape!r} is too small for {self.model_name}: every side must be "
                f">= {max(8, stride)}"
            )

    def build_network(self, v):
        from zoo import registry

        # each depth is a registered model of this family (resnet18/34/50, resnet20/32/56)
        depth_model = _registered_depths(self.spec.family)[v["depth"]]
        return registry.get_model(
            depth_model, norm=_norm(v["norm"]), width_multiplier=v["width"], input_shape=self.input_shape,
            classes=self.classes, name=self.model_name,
        )


# ----------------------------------------------------------------------------- task HyperModels
def _builder_default(spec, arg, fallback):
    """The registered builder's own default of keyword `arg` (the untuned value)."""
    import inspect

    p = inspect.signature(spec.builder).parameters.get(arg)
    return fallback if p is None or p.default is inspect.Parameter.empty else p.default


class _TaskHyperModel(ZooHyperModel):
    """Segmentation / detection / reconstruction: loss, metrics and (x, y) from the model's task
    (`zoo.tasks`; the VAE's is generation)."""

    def _task(self):
        from zoo import registry
        from zoo.tasks import get_task

        return get_task(registry.get_spec(self.model_name).task)

    def _as_dataset(self, x, y):
        from zoo.data import ArrayDataset

        t = self.dataset
        if t is None:
            raise ValueError(f"{type(self).__name__} needs `dataset=` (a zoo.data.ArrayDataset) for its task module")
        return ArrayDataset(x=x, y=y, task=t.task, class_names=t.class_names, name=t.name, meta=t.meta)

    def compile_args(self, model):
        t = self.dataset
        return self._task().compile_args(model, self._as_dataset(t.x[:2], _head(t.y, 2)))

    def fit_data(self, model, x, y):
        return self._task().fit_data(model, self._as_dataset(x, y))


def _head(y, n):
    return {k: v[:n] for k, v in y.items()} if isinstance(y, dict) else y[:n]


class AutoencoderHyperModel(_TaskHyperModel):
    """Autoencoders (dense, conv, denoising, VAE): latent size, depth, width (zoo.models.autoencoder)."""

    family = "autoencoder"
    task = "reconstruction"

    def family_space(self):
        spec = getattr(self, "spec", None)
        latent = _builder_default(spec, "latent_dim", 16) if spec else 16
        depth = _builder_default(spec, "depth", 2) if spec else 2
        width = _builder_default(spec, "width", 32) if spec else 32
        return (
            HP("latent_dim", "choice", latent, values=tuple(sorted({2, 8, 16, 32, 64, latent})), doc="size of the code"),
            HP("depth", "choice", depth, values=tuple(sorted({1, 2, 3, depth})), doc="encoder stages (the decoder mirrors them)"),
            HP("width", "choice", width, values=tuple(sorted({16, 32, 64, width})), doc="filters / units of the first stage; default: the model's own"),
        )

    def check_space(self):
        depth = max(next(s for s in self.space if s.name == "depth").values)
        side = min(self.input_shape[:2])
        if self.model_name != "autoencoder_dense" and side % (2 ** depth):
            raise ValueError(
                f"input_shape={self.input_shape!r} does not fit {self.model_name} with depth up to {depth}: "
                f"height and width must be multiples of {2 ** depth}"
            )

    def build_network(self, v):
        from zoo import registry

        return registry.get_model(self.model_name, input_shape=self.input_shape, latent_dim=v["latent_dim"],
                                  depth=v["depth"], width=v["width"])


class UNetHyperModel(_TaskHyperModel):
    """U-Net: depth (poolings), base filters, BatchNorm (zoo.models.unet)."""

    family = "unet"
    task = "segmentation"

    def family_space(self):
        return (
            HP("depth", "choice", 4, values=(2, 3, 4), doc="number of poolings (the paper: 4)"),
            HP("filters", "choice", 16, values=(8, 16, 32, 64), doc="filters of the first level, doubled per level (the paper: 64)"),
            HP("batch_norm", "choice", True, values=(False, True), doc="BatchNorm after every conv (the paper: none)"),
        )

    def check_space(self):
        depth = max(next(s for s in self.space if s.name == "depth").values)
        if min(self.input_shape[:2]) % (2 ** depth):
            raise ValueError(
                f"input_shape={self.input_shape!r} does not fit unet with depth up to {depth}: height and "
                f"width must be multiples of {2 ** depth}; use --image-size or --space depth=2,3"
            )

    def build_network(self, v):
        from zoo import registry

        return registry.get_model(self.model_name, input_shape=self.input_shape, classes=self.classes,
                                  depth=int(v["depth"]), filters=int(v["filters"]), batch_norm=bool(v["batch_norm"]))


ANCHOR_RATIOS = {"1-2": anchors.RATIOS_4, "1-2-3": anchors.RATIOS_6}  # + the extra square box per cell


class SSDHyperModel(_TaskHyperModel):
    """SSD (ssd_tiny): default-box scales s_min / s_max and aspect ratios (zoo.models.ssd)."""

    family = "ssd"
    task = "detection"

    def __init__(self, model, **kwargs):
        if model != "ssd_tiny":
            raise ValueError(
                "the SSD search space is built on ssd_tiny (the CPU detector); SSD300 is too large to "
                f"search on CPU. Received: model={model!r}"
            )
        super().__init__(model, **kwargs)

    def family_space(self):
        return (
            HP("s_min", "choice", 0.15, values=(0.1, 0.15, 0.2), doc="scale of the finest map's boxes (Liu et al. Eq. 4)"),
            HP("s_max", "choice", 0.75, values=(0.6, 0.75, 0.9), doc="scale of the coarsest map's boxes"),
            HP("aspect_ratios", "choice", "1-2", values=tuple(ANCHOR_RATIOS),
               doc="box shapes per cell: 1-2 = ratios 1, 2, 1/2 + an extra square (4 boxes); 1-2-3 adds 3 and 1/3 (6)"),
        )

    def build_network(self, v):
        from zoo import registry

        return registry.get_model(self.model_name, input_shape=self.input_shape, classes=self.classes,
                                  s_min=v["s_min"], s_max=v["s_max"], aspect_ratios=ANCHOR_RATIOS[v["aspect_ratios"]])


HYPERMODELS = {
    "lenet": LeNetHyperModel,
    "vgg": VGGHyperModel,
    "resnet": ResNetHyperModel,
    "resnet_cifar": ResNetHyperModel,
    "autoencoder": AutoencoderHyperModel,
    "unet": UNetHyperModel,
    "ssd": SSDHyperModel,
}


def get_hypermodel(model, **kwargs):
    """The HyperModel for registered model `model` (picked by its family)."""
    from zoo import registry

    spec = registry.get_spec(model)
    if spec.family not in HYPERMODELS:
        raise ValueError(
            f"no search space for model {model!r} (family {spec.family!r}); families with one: "
            f"{', '.join(sorted(HYPERMODELS))}"
        )
    return HYPERMODELS[spec.family](model, **kwargs)


def search_space_table():
    """One markdown table of every family's search space and the shared training space."""
    rows = ["| family | hyperparameter | range / choices | default | notes |", "|---|---|---|---|---|"]
    for family, cls in HYPERMODELS.items():
        if family == "resnet_cifar":
            continue  # one row set for both ResNet forms
        for s in cls.family_space(cls.__new__(cls)):
            rows.append(f"| {family} | `{s.name}` | {s.describe()} | {s.default} | {s.doc} |")
    for s in TRAINING_SPACE:
        rows.append(f"| all (training) | `{s.name}` | {s.describe()} | {s.default} | {s.doc} |")
    return "\n".join(rows) + "\n"
