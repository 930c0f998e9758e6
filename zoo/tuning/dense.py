"""HyperModels of the dense-prediction and reconstruction families: autoencoders, U-Net, SSD."""

from __future__ import annotations

import inspect

from zoo import registry
from zoo.data import ArrayDataset
from zoo.detection import anchors
from zoo.tasks import get_task
from zoo.tuning.base import ZooHyperModel
from zoo.tuning.spaces import HP


def _builder_default(spec, arg, fallback):
    """The registered builder's own default of keyword `arg` (the untuned value)."""
    p = inspect.signature(spec.builder).parameters.get(arg)
    return fallback if p is None or p.default is inspect.Parameter.empty else p.default


class _TaskHyperModel(ZooHyperModel):
    """Segmentation / detection / reconstruction: loss, metrics and (x, y) from the model's task
    (`zoo.tasks`; the VAE's is generation)."""

    def _task(self):
        return get_task(registry.get_spec(self.model_name).task)

    def _as_dataset(self, x, y):
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
        return registry.get_model(self.model_name, input_shape=self.input_shape, classes=self.classes,
                                  s_min=v["s_min"], s_max=v["s_max"], aspect_ratios=ANCHOR_RATIOS[v["aspect_ratios"]])
