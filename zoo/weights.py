"""What a checkpoint is, as data: one frozen `Weights` record per known checkpoint kind (the
counterpart of torchvision's `Weights` and timm's `PretrainedCfg`).

A family declares its records beside the model (`register_model(weights=...)`, kept in the
`ModelSpec`); the loaders of zoo.checkpoints read the record that fits a file's format, `zoo info`
shows them, and a model built or converted from a checkpoint carries its record inside the saved
`.keras` file (zoo.models.labels.CheckpointRecord). Light: no Keras, no NumPy.
"""

from __future__ import annotations

import dataclasses

# the file formats of zoo.checkpoints.readers, as a record names them
TORCH_FORMATS = ("torch", "safetensors")
KERAS_H5_FORMATS = ("keras_h5",)
FORMAT_NAMES = TORCH_FORMATS + KERAS_H5_FORMATS

# (mode, mean, std) of the three input conventions, on the [0, 1] RGB scale:
# ImagePreprocessing(mode)(x) == (x - mean) / std, "caffe" then flips RGB to BGR.
TORCH_INPUT = dict(preprocessing="torch", mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
CAFFE_INPUT = dict(preprocessing="caffe", mean=(123.68 / 255, 116.779 / 255, 103.939 / 255), std=(1 / 255,) * 3)
LITE_INPUT = dict(preprocessing="lite", mean=(127 / 255,) * 3, std=(128 / 255,) * 3)

IMAGENET_1K = dict(categories="imagenet-1k", num_classes=1000)
CIFAR_10 = dict(categories="cifar-10", num_classes=10)


@dataclasses.dataclass(frozen=True)
class Weights:
    """One kind of checkpoint a zoo model reads.

    Attributes:
        name: short name, unique among a model's records ("torchvision", "keras.applications").
        reader: the zoo.checkpoints map that reads its tensors into the model ("resnet", "vgg", ...).
        formats: the file formats it comes in, out of `FORMAT_NAMES`.
        source: who publishes it and which release, in words.
        license: the license it is published under.
        preprocessing: the ImagePreprocessing mode its input takes from [0, 1] RGB images.
        mean, std: that mode as per-channel RGB mean and std on the [0, 1] scale.
        input_size: (H, W) it was trained and measured at.
        categories: the name of its classes' list ("imagenet-1k"; zoo.checkpoints.category_names),
            or None: the checkpoint says nothing of what its classes are.
        num_classes: the size of its classifier.
        num_params: trainable parameters of the zoo model built for it (torch's parameter count;
            BatchNorm statistics are buffers there, non-trainable here).
        metrics: measured reference metrics, {"<dataset> <metric>": value}, as `source` reports them.
        builder_kwargs: builder arguments its layout needs ({"variant": "v1"}).
    """

    name: str
    reader: str
    formats: tuple
    source: str
    license: str
    preprocessing: str
    mean: tuple
    std: tuple
    input_size: tuple
    categories: str | None = None
    num_classes: int | None = None
    num_params: int | None = None
    metrics: dict = dataclasses.field(default_factory=dict)
    builder_kwargs: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        unknown = [f for f in self.formats if f not in FORMAT_NAMES]
        if not self.formats or unknown:
            raise ValueError(
                f"Weights {self.name!r}: `formats` must be a non-empty tuple out of {FORMAT_NAMES}. "
                f"Received: formats={self.formats!r}"
            )
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError(f"Weights {self.name!r}: `mean` and `std` need 3 values (RGB). "
                             f"Received: mean={self.mean!r}, std={self.std!r}")
        if (self.categories is None) != (self.num_classes is None):
            raise ValueError(f"Weights {self.name!r}: `categories` and `num_classes` go together. "
                             f"Received: categories={self.categories!r}, num_classes={self.num_classes!r}")

    def to_config(self):
        """A JSON-able dict (what a saved model keeps); `Weights.from_config` reads it back."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_config(cls, config):
        tuples = ("formats", "mean", "std", "input_size")
        return cls(**{k: tuple(v) if k in tuples else v for k, v in config.items()})

    def summary(self):
        """One line: source, formats, input, classes, parameters, metrics, license."""
        classes = f"{self.num_classes} {self.categories} classes" if self.categories else "no class names"
        params = f", {self.num_params:,} parameters" if self.num_params else ""
        metrics = "".join(f", {k} {v}" for k, v in self.metrics.items())
        needs = "".join(f", {k}={v!r}" for k, v in self.builder_kwargs.items())
        return (f"{self.source} ({'/'.join(self.formats)}{needs}): input {self.input_size[0]}x{self.input_size[1]}, "
                f"preprocessing {self.preprocessing!r}, {classes}{params}{metrics}; license {self.license}")


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def weights_for(records, fmt):
    """The record of `records` whose formats include `fmt`, or None."""
    return next((r for r in records if fmt in r.formats), None)


# ----------------------------------------------------------------------------- shared kinds
def torchvision_imagenet(reader, model, num_params, top1, top5):
    """torchvision's IMAGENET1K_V1 weights of `model`, with the accuracies its documentation
    reports (ImageNet-1k validation, 224x224 centre crop of a 256 resize)."""
    return Weights(
        name="torchvision", reader=reader, formats=TORCH_FORMATS,
        source=f"torchvision {model} IMAGENET1K_V1", license="BSD-3-Clause (torchvision)",
        input_size=(224, 224), num_params=num_params,
        metrics={"ImageNet-1k top-1": top1, "ImageNet-1k top-5": top5}, **TORCH_INPUT, **IMAGENET_1K,
    )


def keras_applications_imagenet(reader, application, num_params, top1, top5, *, license, **builder_kwargs):
    """keras.applications' ImageNet `.h5` weights of `application`, with the accuracies of its
    documentation's table."""
    return Weights(
        name="keras.applications", reader=reader, formats=KERAS_H5_FORMATS,
        source=f"keras.applications {application}", license=license, input_size=(224, 224), num_params=num_params,
        metrics={"ImageNet-1k top-1": top1, "ImageNet-1k top-5": top5}, builder_kwargs=builder_kwargs,
        **CAFFE_INPUT, **IMAGENET_1K,
    )
