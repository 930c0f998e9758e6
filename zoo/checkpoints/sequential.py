"""Index walk shared by the maps of torch `nn.Sequential` feature stacks (AlexNet, VGG): torch
numbers every module of `features` (conv, BatchNorm, ReLU, pool), the zoo fuses some of them."""

from __future__ import annotations

from keras import layers


def features_indices(model, stop):
    """{zoo layer: "features.i"} for the convolutions and BatchNorms before layer `stop` (or the
    end), counting torch's modules: a Conv2D with a fused activation is two (conv, ReLU), a
    BatchNorm, an Activation and a pool one each; padding and taps none."""
    out, i = {}, 0
    for layer in model.layers:
        if layer.name == stop:
            break
        if isinstance(layer, layers.Conv2D):
            out[layer.name] = f"features.{i}"
            i += 1 if layer.activation.__name__ == "linear" else 2
        elif isinstance(layer, layers.BatchNormalization):
            out[layer.name] = f"features.{i}"
            i += 1
        elif isinstance(layer, (layers.Activation, layers.MaxPooling2D)):
            i += 1
    return out
