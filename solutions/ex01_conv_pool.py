# %%
"""Exercise 1 - Convolution and pooling, forward pass by hand.

A convolutional layer slides a small kernel over the input feature map; at each position it
multiplies the overlapping numbers element-wise and sums them (deep-learning "convolution"
is cross-correlation: the kernel is NOT flipped). The lecture's worked example uses the
4x4 input below and the 2x2 kernel [[2, 4], [-5, 1]]:

    y11 = 6*2 + 5*4 + 3*(-5) + 2*1 = 19
    y21 = 5*2 + 5*4 + 2*(-5) + 6*1 = 26

With stride s and zero padding p, an input of side n and a kernel of side k give an output
of side floor((n + 2p - k) / s) + 1. Pooling layers have no weights: max pooling keeps the
largest value of each window, average pooling its mean (2x2 windows, stride 2 on the slide).

Use NumPy only. Arrays are 2-D (height, width), indexed [row, column].
"""

import numpy as np

SLIDE_INPUT = np.array([[6, 5, 5, 5], [3, 2, 6, 8], [4, 3, 3, 2], [3, 2, 9, 6]], dtype=float)
SLIDE_KERNEL = np.array([[2, 4], [-5, 1]], dtype=float)


# %%
def output_size(n, k, stride=1, padding=0):
    """Side of the output of a conv/pool window of side k over an input of side n."""
    # BEGIN SOLUTION hint: floor((n + 2p - k) / s) + 1, with integer division
    return (n + 2 * padding - k) // stride + 1
    # END SOLUTION


# %%
def conv2d(x, kernel, stride=1, padding=0):
    """2-D cross-correlation of x (H, W) with kernel (kh, kw), zero padding, given stride.

    Returns an array of shape (output_size(H, kh, stride, padding), output_size(W, kw, ...)).
    """
    x = np.asarray(x, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    # BEGIN SOLUTION hint: pad with np.pad, then for every output (i, j) take the window starting at (i*stride, j*stride)
    x = np.pad(x, padding)
    kh, kw = kernel.shape
    oh = (x.shape[0] - kh) // stride + 1
    ow = (x.shape[1] - kw) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.sum(window * kernel)
    return out
    # END SOLUTION


# %%
def max_pool2d(x, size=2, stride=2):
    """Max pooling of x (H, W) with square windows of side `size` (no padding)."""
    x = np.asarray(x, dtype=float)
    # BEGIN SOLUTION hint: like conv2d, but take np.max of each window
    oh = (x.shape[0] - size) // stride + 1
    ow = (x.shape[1] - size) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].max()
    return out
    # END SOLUTION


# %%
def avg_pool2d(x, size=2, stride=2):
    """Average pooling of x (H, W) with square windows of side `size` (no padding)."""
    x = np.asarray(x, dtype=float)
    # BEGIN SOLUTION hint: like max_pool2d with np.mean
    oh = (x.shape[0] - size) // stride + 1
    ow = (x.shape[1] - size) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].mean()
    return out
    # END SOLUTION
