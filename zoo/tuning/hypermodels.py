"""KerasTuner HyperModels for every zoo family, and the training hyperparameters they share.

Every search space is data: a list of `HP` entries (name, kind, range or choices, default), so
the documentation's table, the range checks and `--space` overrides read the same source. A HyperModel
calls the family's registered builder, validates everything in `__init__` (before any
training) and always returns a compiled model. Hyperparameter names are stable: they are the
keys of `trial.json`, the results table and the plots.
"""

from __future__ import annotations

from zoo import registry
from zoo.training.optimizers import OPTIMIZERS  # noqa: F401
from zoo.tuning.base import ZooHyperModel, make_optimizer  # noqa: F401  (public names of this module)
from zoo.tuning.classifiers import LeNetHyperModel, ResNetHyperModel, VGGHyperModel
from zoo.tuning.dense import AutoencoderHyperModel, SSDHyperModel, UNetHyperModel
from zoo.tuning.spaces import HP, SCHEDULES, TRAINING_SPACE, parse_space  # noqa: F401

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
