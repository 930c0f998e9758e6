"""torchvision AlexNet state dicts into zoo.models.alexnet: `features.0/3/6/8/10` by the module
walk, `classifier.1/4/6` = fc1, fc2, predictions, fc1 re-ordered from torch's C,H,W flatten."""

from __future__ import annotations

from zoo.checkpoints.assign import CheckpointMap
from zoo.checkpoints.sequential import features_indices

CLASSIFIER = {"fc1": "classifier.1", "fc2": "classifier.4", "predictions": "classifier.6"}


def torch_names(model):
    present = {l.name for l in model.layers}
    names = features_indices(model, stop="adaptive_pool" if "adaptive_pool" in present else "flatten")
    names.update({k: v for k, v in CLASSIFIER.items() if k in present})
    return names


MAP = CheckpointMap(
    name="alexnet", torch_names=torch_names, head_key="classifier.6.weight", head_prefixes=("classifier.",),
    flattened=("fc1",),
)
