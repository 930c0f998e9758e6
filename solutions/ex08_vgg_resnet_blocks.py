# %%
"""Exercise 8 - VGG and ResNet building blocks: shapes and parameter counts.

VGG block (Simonyan & Zisserman 2015): `convs` 3x3 convolutions with `same` padding and ReLU,
then 2x2 max pooling with stride 2 (halves height and width). A 3x3 conv from c_in to c_out
channels has (9 * c_in + 1) * c_out parameters.

ResNet basic block (He et al. 2016), for `filters` f and `stride` s:
    main path:  Conv 3x3 (stride s, same, no bias) -> BN -> ReLU -> Conv 3x3 (stride 1, same, no bias) -> BN
    shortcut:   identity, or Conv 1x1 (stride s, no bias) -> BN when the shape changes
                (s != 1 or c_in != f)
    output:     ReLU(main + shortcut)
The stride goes in the FIRST conv. BatchNorm has 4 parameters per channel (2 trainable).
"""

from keras import layers


# %%
def vgg_block(x, filters, convs=2, name="block"):
    """`convs` x (Conv2D 3x3 same + ReLU), then MaxPooling2D(2)."""
    # BEGIN SOLUTION hint: a loop of layers.Conv2D(filters, 3, padding="same", activation="relu"), then layers.MaxPooling2D(2)
    for i in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{i + 1}")(x)
    return layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")(x)
    # END SOLUTION


# %%
def vgg_block_params(c_in, filters, convs=2):
    """Parameter count of vgg_block, by hand."""
    # BEGIN SOLUTION
    total, c = 0, c_in
    for _ in range(convs):
        total += (9 * c + 1) * filters
        c = filters
    return total
    # END SOLUTION


# %%
def residual_block(x, filters, stride=1, name="res"):
    """The ResNet basic block described above."""
    # BEGIN SOLUTION hint: keep the input as `shortcut`; project it with a 1x1 conv + BN if stride != 1 or the channels change; layers.Add()
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)
    # END SOLUTION


# %%
def residual_block_params(c_in, filters, stride=1):
    """Parameter count (trainable + BN moving statistics) of residual_block, by hand."""
    # BEGIN SOLUTION
    total = 9 * c_in * filters + 4 * filters + 9 * filters * filters + 4 * filters
    if stride != 1 or c_in != filters:
        total += c_in * filters + 4 * filters
    return total
    # END SOLUTION
