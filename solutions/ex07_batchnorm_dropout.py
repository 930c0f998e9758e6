# %%
"""Exercise 7 - BatchNorm and Dropout behave differently in training and at inference.

BatchNorm over a batch x (N, D):
* training: normalise with the BATCH mean and variance (biased, ddof=0):
  y = gamma * (x - mean) / sqrt(var + eps) + beta, and update the running statistics
  running = momentum * running + (1 - momentum) * batch_stat (Keras' convention);
* inference: normalise with the RUNNING mean and variance, update nothing.
Inverted dropout with drop rate p:
* training: zero each unit with probability p and scale the survivors by 1 / (1 - p), so
  the expected activation is unchanged;
* inference: the identity.
Use NumPy only.
"""

import numpy as np


# %%
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.99, eps=1e-3):
    """Returns (y, new_running_mean, new_running_var)."""
    x = np.asarray(x, float)
    # BEGIN SOLUTION hint: in training use x.mean(0) and x.var(0); at inference the running statistics
    if training:
        mean, var = x.mean(axis=0), x.var(axis=0)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
    y = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return y, running_mean, running_var
    # END SOLUTION


# %%
def dropout_forward(x, rate, training, seed=0):
    """Inverted dropout of x with drop probability `rate`."""
    x = np.asarray(x, float)
    rng = np.random.default_rng(seed)
    # BEGIN SOLUTION hint: keep = rng.random(x.shape) >= rate; scale the kept values by 1 / (1 - rate)
    if not training or rate == 0:
        return x
    keep = rng.random(x.shape) >= rate
    return x * keep / (1.0 - rate)
    # END SOLUTION
