"""FLOPs of a Keras model, counted from its layers' shapes: what `zoo bench` divides by time.

How it is counted: the multiply-adds of the layers that do matrix work — convolutions (1-3D,
transposed, depthwise, separable) and Dense — each multiply-add counted as 2 FLOPs, one image
(batch dimension left out); biases, BatchNorm, activations, pooling and the loss are left out
(< 1 % of ResNet-50's). A training step costs about 3x the forward pass (forward, gradient with
respect to the inputs, gradient with respect to the weights: the same multiply-adds each), the
convention of Kaplan et al. 2020 and of MLPerf's "model FLOPs". ResNet-50 v1.5 at 224x224:
4.1 G multiply-adds, 8.2 GFLOPs forward, 24.6 GFLOPs per training image.

No well-kept library counts FLOPs for Keras 3 on every backend (TensorFlow's profiler needs a
tf.function graph, JAX's `cost_analysis` a jitted function, and both count elementwise work
and compiler rewrites), so the count is this module's own: a few lines per layer kind, checked
by a test against hand-computed numbers.
"""

from __future__ import annotations

import math

import keras

TRAINING_FACTOR = 3  # forward + two backward matmuls of the same size


def _prod(dims):
    return math.prod(int(d) for d in dims)


def _shapes(layer):
    """[(input shape, output shape)] of every call of `layer` in a built functional graph."""
    pairs = []
    for node in getattr(layer, "_inbound_nodes", []):
        ins = [t.shape for t in node.input_tensors]
        outs = [t.shape for t in node.output_tensors]
        if ins and outs:
            pairs.append((ins[0], outs[0]))
    return pairs


def _conv_macs(layer, in_shape, out_shape):
    kernel = _prod(layer.kernel_size)
    channels_last = getattr(layer, "data_format", "channels_last") == "channels_last"
    c_in = in_shape[-1] if channels_last else in_shape[1]
    c_out = out_shape[-1] if channels_last else out_shape[1]
    spatial_in = in_shape[1:-1] if channels_last else in_shape[2:]
    spatial_out = out_shape[1:-1] if channels_last else out_shape[2:]
    kind = type(layer).__name__
    if kind.startswith("DepthwiseConv"):
        return _prod(spatial_out) * int(c_out) * kernel
    if kind.startswith("SeparableConv"):
        mid = int(c_in) * layer.depth_multiplier
        return _prod(spatial_out) * (mid * kernel + mid * int(c_out))
    if "Transpose" in kind:  # every input pixel scatters a kernel-sized patch to all outputs
        return _prod(spatial_in) * int(c_in) * kernel * int(c_out) // getattr(layer, "groups", 1)
    return _prod(spatial_out) * int(c_out) * kernel * int(c_in) // getattr(layer, "groups", 1)


def _layer_macs(layer):
    macs = 0
    if isinstance(layer, keras.Model) and hasattr(layer, "layers") and layer.layers:
        return sum(_layer_macs(sub) for sub in layer.layers)  # a nested model: its own layers
    for in_shape, out_shape in _shapes(layer):
        if isinstance(layer, keras.layers.Dense):
            macs += _prod(in_shape[1:]) * int(layer.units)
        elif isinstance(layer, keras.layers.EinsumDense):
            raise TypeError(f"forward_flops does not count EinsumDense layers yet (layer {layer.name!r})")
        elif hasattr(layer, "kernel_size") and (hasattr(layer, "filters") or hasattr(layer, "depth_multiplier")):
            macs += _conv_macs(layer, in_shape, out_shape)  # convolutions of every kind
    return macs


def forward_flops(model):
    """FLOPs of one image's forward pass through `model` (2 per multiply-add of its conv/dense layers)."""
    return 2 * sum(_layer_macs(layer) for layer in model.layers)


def training_flops(model):
    """FLOPs of one image's training step: 3x `forward_flops` (see the module docstring)."""
    return TRAINING_FACTOR * forward_flops(model)
