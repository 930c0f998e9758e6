# %%
"""Exercise 5 - Optimizers and learning-rate schedules, compared.

Update rules for parameters w with gradient g and learning rate lr:
* SGD:            w <- w - lr * g
* SGD + momentum: v <- mu * v - lr * g ; w <- w + v
* Adam:           m <- b1 m + (1 - b1) g ; v <- b2 v + (1 - b2) g^2 ;
                  m_hat = m / (1 - b1^t) ; v_hat = v / (1 - b2^t) (t counts from 1) ;
                  w <- w - lr * m_hat / (sqrt(v_hat) + eps)
Schedules give the learning rate at a step:
* step decay:   lr0 * drop ** floor(step / every)
* cosine decay: lr0 * 0.5 * (1 + cos(pi * min(step, total) / total))
* linear warm-up over `warmup` steps from lr0/warmup to lr0, then constant.

`compare` runs each optimizer on an ill-conditioned quadratic f(w) = 0.5 * sum(a_i w_i^2)
and returns the final losses: momentum and Adam should beat plain SGD there.
Use NumPy only.
"""

import math

import numpy as np


# %%
def sgd_step(w, g, lr):
    """One plain SGD step; returns the new w."""
    raise NotImplementedError


# %%
def momentum_step(w, g, v, lr, mu=0.9):
    """One SGD-with-momentum step; returns (w, v)."""
    # HINT: v = mu * v - lr * g, then w + v
    raise NotImplementedError


# %%
def adam_step(w, g, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """One Adam step at step t (t >= 1); returns (w, m, v)."""
    # HINT: do not forget the bias corrections 1 - b1**t and 1 - b2**t
    raise NotImplementedError


# %%
def step_decay(step, lr0, drop=0.5, every=10):
    """lr0 * drop ** floor(step / every)."""
    raise NotImplementedError


# %%
def cosine_decay(step, lr0, total):
    """Cosine decay from lr0 (step 0) to 0 (step >= total)."""
    raise NotImplementedError


# %%
def warmup(step, lr0, warmup_steps):
    """Linear warm-up: lr0 * (step + 1) / warmup_steps for step < warmup_steps, then lr0."""
    raise NotImplementedError


# %%
def compare(steps=100, lr=0.02):
    """Final loss of 'sgd', 'momentum' and 'adam' (lr=0.1 for Adam) on the quadratic with
    a = (1, 50), from w = (1, 1). Returns a dict name -> final loss."""
    a = np.array([1.0, 50.0])
    loss = lambda w: 0.5 * float(np.sum(a * w * w))  # noqa: E731
    grad = lambda w: a * w  # noqa: E731
    out = {}
    # HINT: run each update rule for `steps` steps from w = (1, 1) and record loss(w)
    raise NotImplementedError
    return out
