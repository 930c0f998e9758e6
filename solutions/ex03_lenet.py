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
    # BEGIN SOLUTION hint: keras.Sequential([keras.Input(input_shape), layers.Conv2D(6, 5, activation=...), ...])
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(6, 5, activation=activation, name="c1"),
            layers.MaxPooling2D(2, name="s2"),
            layers.Conv2D(16, 5, activation=activation, name="c3"),
            layers.MaxPooling2D(2, name="s4"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation=activation, name="f5"),
            layers.Dense(84, activation=activation, name="f6"),
            layers.Dense(classes, activation="softmax", name="predictions"),
        ],
        name="lenet5",
    )
    # END SOLUTION


# %%
def lenet5_parameter_count(classes=10):
    """The parameter count of LeNet-5 on 32x32x1, by hand (weights + biases per layer)."""
    # BEGIN SOLUTION hint: conv: (k*k*c_in + 1) * filters; dense: (n_in + 1) * n_out
    c1 = (5 * 5 * 1 + 1) * 6
    c3 = (5 * 5 * 6 + 1) * 16
    f5 = (5 * 5 * 16 + 1) * 120
    f6 = (120 + 1) * 84
    out = (84 + 1) * classes
    return c1 + c3 + f5 + f6 + out
    # END SOLUTION
