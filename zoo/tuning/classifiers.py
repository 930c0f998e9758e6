"""HyperModels of the classifier families: LeNet-5, VGG, ResNet (ImageNet and CIFAR forms)."""

from __future__ import annotations

from zoo import registry
from zoo.tuning.base import ZooHyperModel
from zoo.tuning.spaces import HP


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
        # the configuration is a registered model (vgg11..vgg19); norm, width, top are its arguments
        return registry.get_model(
            v["config"], norm=_norm(v["norm"]), width_multiplier=v["width"], top_units=v["top_units"],
            dropout=v["dropout"], input_shape=self.input_shape, classes=self.classes, name=self.model_name,
        )


# ----------------------------------------------------------------------------- ResNet
def _registered_depths(family):
    """{depth: model name} of the registered models of `family` (resnet18 -> 18, resnet20 -> 20)."""
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
        # each depth is a registered model of this family (resnet18/34/50, resnet20/32/56)
        depth_model = _registered_depths(self.spec.family)[v["depth"]]
        return registry.get_model(
            depth_model, norm=_norm(v["norm"]), width_multiplier=v["width"], input_shape=self.input_shape,
            classes=self.classes, name=self.model_name,
        )


# ----------------------------------------------------------------------------- task HyperModels
