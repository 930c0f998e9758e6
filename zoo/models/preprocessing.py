"""Backbone input preprocessing as a registered layer, so saved models take raw [0, 1] images.

The zoo's datasets give float32 images in [0, 1]. keras.applications backbones expect their own
input convention (`keras.applications.imagenet_utils.preprocess_input` modes); putting the
conversion inside the model (instead of a Lambda or a preprocessing step the user must remember)
means `model.keras` predicts correctly on images loaded the zoo's way.
"""

from __future__ import annotations

import keras
from keras import layers, ops

# mode: what the backbone expects, starting from [0, 1] RGB
PREPROCESSING_MODES = {
    "none": "unchanged [0, 1] (zoo models trained on the zoo's datasets)",
    "raw255": "x * 255: pixel values 0-255 (EfficientNet, ConvNeXt, MobileNetV3 rescale inside)",
    "tf": "x * 2 - 1: [-1, 1] (MobileNet, MobileNetV2, ResNetV2, Inception, Xception, NASNet)",
    "torch": "(x - ImageNet mean) / ImageNet std per RGB channel (DenseNet)",
    "caffe": "x * 255, RGB -> BGR, minus the ImageNet BGR mean (ResNet, VGG16/19)",
    "lite": "(x * 255 - 127) / 128: TensorFlow Lite / EfficientNet-Lite's inception-style input",
}
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="zoo")
class ImagePreprocessing(layers.Layer):
    """Maps [0, 1] RGB images to what a backbone expects; `mode` is one of PREPROCESSING_MODES.

    Input and output: (B, H, W, C), float; "torch" and "caffe" need C = 3.
    """

    def __init__(self, mode="none", **kwargs):
        super().__init__(**kwargs)
        if mode not in PREPROCESSING_MODES:
            raise ValueError(
                f"`mode` must be one of {', '.join(repr(m) for m in PREPROCESSING_MODES)}. Received: mode={mode!r}"
            )
        self.mode = mode

    def build(self, input_shape):
        if self.mode in ("torch", "caffe") and input_shape[-1] != 3:
            raise ValueError(
                f"ImagePreprocessing(mode={self.mode!r}) needs RGB input (3 channels). Received: input_shape={tuple(input_shape)}"
            )

    def call(self, x):
        x = ops.cast(x, self.compute_dtype)
        if self.mode == "none":
            return x
        if self.mode == "raw255":
            return x * 255.0
        if self.mode == "tf":
            return x * 2.0 - 1.0
        if self.mode == "lite":
            return (x * 255.0 - 127.0) / 128.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor(IMAGENET_MEAN_RGB, dtype=x.dtype)
            std = ops.convert_to_tensor(IMAGENET_STD_RGB, dtype=x.dtype)
            return (x - mean) / std
        bgr = ops.flip(x, axis=-1) * 255.0  # caffe
        return bgr - ops.convert_to_tensor(CAFFE_MEAN_BGR, dtype=x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
