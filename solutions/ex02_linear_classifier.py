# %%
"""Exercise 2 - A linear classifier: scores, softmax and hinge losses, and a gradient check.

A linear classifier computes class scores S = X @ W for inputs X (N, D) and weights W (D, C).
* Softmax (cross-entropy) loss: L = mean_i -log(softmax(S_i)[y_i]). Subtract the row maximum
  before exp() so large scores do not overflow; softmax is applied once, to raw scores.
  At initialisation (W = 0) the loss is -log(1/C) = log(C): a first sanity check.
* Multiclass SVM (hinge) loss: L = mean_i sum_{j != y_i} max(0, S_ij - S_iy_i + delta).
  The correct class itself does not contribute.
* Gradients dL/dW have W's shape. Check analytic gradients against a numeric one computed
  with central differences: (f(w + h) - f(w - h)) / (2h) for each entry of w.

Use NumPy only.
"""

import numpy as np


# %%
def softmax(scores):
    """Row-wise softmax of scores (N, C), numerically stable."""
    scores = np.asarray(scores, dtype=float)
    # BEGIN SOLUTION hint: subtract scores.max(axis=1, keepdims=True) before np.exp
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
    # END SOLUTION


# %%
def softmax_loss(W, X, y):
    """Mean cross-entropy loss of the linear classifier and its gradient dL/dW.

    Returns (loss: float, dW: array like W)."""
    W, X, y = np.asarray(W, float), np.asarray(X, float), np.asarray(y)
    # BEGIN SOLUTION hint: p = softmax(X @ W); loss = -mean(log p[i, y_i]); dS = (p - onehot(y)) / N; dW = X.T @ dS
    n = X.shape[0]
    p = softmax(X @ W)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    dW = X.T @ dscores / n
    return float(loss), dW
    # END SOLUTION


# %%
def hinge_loss(W, X, y, delta=1.0):
    """Mean multiclass SVM loss and its gradient dL/dW. Returns (loss, dW)."""
    W, X, y = np.asarray(W, float), np.asarray(X, float), np.asarray(y)
    # BEGIN SOLUTION hint: margins = max(0, S - S[i, y_i] + delta) with the correct class's margin set to 0
    n = X.shape[0]
    s = X @ W
    correct = s[np.arange(n), y][:, None]
    margins = np.maximum(0.0, s - correct + delta)
    margins[np.arange(n), y] = 0.0
    loss = margins.sum() / n
    mask = (margins > 0).astype(float)
    mask[np.arange(n), y] = -mask.sum(axis=1)
    dW = X.T @ mask / n
    return float(loss), dW
    # END SOLUTION


# %%
def numeric_gradient(f, w, h=1e-5):
    """Central-difference gradient of the scalar function f at w (any shape)."""
    w = np.array(w, dtype=float)
    grad = np.zeros_like(w)
    # BEGIN SOLUTION hint: for each index (np.ndindex), evaluate f at w + h and w - h in that entry only
    for idx in np.ndindex(w.shape):
        old = w[idx]
        w[idx] = old + h
        fp = f(w)
        w[idx] = old - h
        fm = f(w)
        w[idx] = old
        grad[idx] = (fp - fm) / (2 * h)
    return grad
    # END SOLUTION


# %%
def relative_error(a, b):
    """max |a - b| / max(|a| + |b|, 1e-8): below 1e-6 means the gradients agree."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))
