# %%
"""Exercise 3 - Build LeNet-5 with Keras.

LeNet-5 (LeCun et al. 1998) as taught in the lecture, on 32x32x1 inputs:

    C1  Conv2D 6 filters 5x5, valid padding     -> 28x28x6
    S2  pooling 2x2, stride 2                    -> 14x14x6
    C3  Conv2D 16 filters 5x5, valid padding    -> 10x10x16
    S4  pooling 2x2, stride 2                    -> 5x5x16
        Flatten                                  -> 400
    F5  Dense 120
    F6  Dense 84
        Dense `classes` with softmax

Every conv and hidden dense layer has a nonlinearity (tanh in the paper, ReLU today).
Parameters: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 for 10 classes.
"""

import keras
from keras import layers


# %%
def build_lenet5(input_shape=(32, 32, 1), classes=10, activation="relu"):
    """LeNet-5 as a keras.Sequential (or Functional) model ending in a softmax."""
    # HINT: keras.Sequential([keras.Input(input_shape), layers.Conv2D(6, 5, activation=...), ...])
    raise NotImplementedError


# %%
def lenet5_parameter_count(classes=10):
    """The parameter count of LeNet-5 on 32x32x1, by hand (weights + biases per layer)."""
    # HINT: conv: (k*k*c_in + 1) * filters; dense: (n_in + 1) * n_out
    raise NotImplementedError
