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
    # HINT: a loop of layers.Conv2D(filters, 3, padding="same", activation="relu"), then layers.MaxPooling2D(2)
    raise NotImplementedError


# %%
def vgg_block_params(c_in, filters, convs=2):
    """Parameter count of vgg_block, by hand."""
    raise NotImplementedError


# %%
def residual_block(x, filters, stride=1, name="res"):
    """The ResNet basic block described above."""
    # HINT: keep the input as `shortcut`; project it with a 1x1 conv + BN if stride != 1 or the channels change; layers.Add()
    raise NotImplementedError


# %%
def residual_block_params(c_in, filters, stride=1):
    """Parameter count (trainable + BN moving statistics) of residual_block, by hand."""
    raise NotImplementedError
