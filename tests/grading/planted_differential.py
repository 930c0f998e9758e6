"""Planted mistakes the differential tests catch, and correct alternatives they must keep at
full marks (exercises 1, 2, 4, 5, 6 and 12). Both are exact text edits of solutions/exNN_*.py,
like planted_bugs.BUGS: a mistake is a single realistic change that loses points (its
`catches` test scores 0) and that the examples of the other tests let through; an alternative
is the same behaviour written another way (vectorised, loops, functional, other layers)."""

from planted_bugs import Bug, _b

BUGS = [
    # ex01: only square kernels and non-negative windows are in the other tests
    _b("ex01_conv_pool", "kernel read as square (its first side)", "test_conv_any_kernel_shape_stride_padding",
       ("kh, kw = kernel.shape", "kh = kw = kernel.shape[0]")),
    _b("ex01_conv_pool", "output width from the kernel height", "test_conv_any_kernel_shape_stride_padding",
       ("ow = (x.shape[1] - kw) // stride + 1", "ow = (x.shape[1] - kh) // stride + 1")),
    _b("ex01_conv_pool", "max pool's running maximum starts at 0", "test_max_pool_any_window",
       ("            out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].max()",
        "            best = 0.0\n            for v in x[i * stride : i * stride + size, j * stride : j * stride + size].ravel():\n"
        "                best = max(best, v)\n            out[i, j] = best")),
    # ex02: softmax() alone sees large scores, h and delta take two values each
    _b("ex02_linear_classifier", "softmax_loss exponentiates the raw scores", "test_softmax_loss_any_batch",
       ("    p = softmax(X @ W)\n", "    e = np.exp(X @ W)\n    p = e / e.sum(axis=1, keepdims=True)\n")),
    _b("ex02_linear_classifier", "numeric gradient with a fixed step of 1e-5", "test_numeric_gradient_any_shape_and_step",
       ("        w[idx] = old + h\n", "        w[idx] = old + 1e-5\n"), ("        w[idx] = old - h\n", "        w[idx] = old - 1e-5\n"),
       ("grad[idx] = (fp - fm) / (2 * h)", "grad[idx] = (fp - fm) / 2e-5")),
    _b("ex02_linear_classifier", "a margin of 0 taken as the default 1", "test_hinge_loss_any_batch_and_margin",
       ("    n = X.shape[0]\n    s = X @ W\n", "    delta = delta or 1.0\n    n = X.shape[0]\n    s = X @ W\n")),
    # ex04: the other tests accept any initial loss near log C and any numbers of the right form
    _b("ex04_training_recipe", "cross-entropy by hand on p[:, y] (every row's probability of every label)", "test_initial_loss_is_the_fresh_models_loss",
       ('    model.compile(loss="sparse_categorical_crossentropy")\n    return float(model.evaluate(x, y, verbose=0))\n',
        "    p = model.predict(x, verbose=0)\n    return float(-np.mean(np.log(p[:, y])))\n")),
    _b("ex04_training_recipe", "overfit runs 150 steps whatever `steps`", "test_overfit_one_batch_reports_its_own_run",
       ("np.tile(x, (steps, 1)), np.tile(y, steps)", "np.tile(x, (150, 1)), np.tile(y, 150)")),
    _b("ex04_training_recipe", "first loss of another fresh model", "test_overfit_one_batch_reports_its_own_run",
       ("    first = float(model.evaluate(x, y, verbose=0))\n    xs", "    first = initial_loss(x, y, classes)\n    xs")),
    _b("ex04_training_recipe", "first loss made up as log C", "test_overfit_one_batch_reports_its_own_run",
       ("    return first, last, acc", "    return expected_initial_loss(classes), last, acc")),
    _b("ex04_training_recipe", "baseline takes the index of np.unique's counts as the label", "test_majority_baseline_any_labels",
       ("    majority = np.bincount(np.asarray(y_train)).argmax()\n",
        "    _, counts = np.unique(np.asarray(y_train), return_counts=True)\n    majority = counts.argmax()\n")),
    # ex05: the other tests use the default mu, b1 and every, and compare() alone
    _b("ex05_optimizers", "momentum coefficient fixed at 0.9", "test_sgd_and_momentum_any_arguments",
       ("    v = mu * v - lr * g\n    return", "    v = 0.9 * v - lr * g\n    return")),
    _b("ex05_optimizers", "Adam's first bias correction with b1 = 0.9", "test_adam_any_arguments",
       ("m_hat = m / (1 - b1**t)", "m_hat = m / (1 - 0.9**t)")),
    _b("ex05_optimizers", "step decay every 10 steps whatever `every`", "test_schedules_any_arguments",
       ("lr0 * drop ** (step // every)", "lr0 * drop ** (step // 10)")),
    _b("ex05_optimizers", "compare runs 100 steps whatever `steps`", "test_compare_runs_what_it_is_asked",
       ("    for _ in range(steps):\n        w = sgd_step", "    for _ in range(100):\n        w = sgd_step"),
       ("    for _ in range(steps):\n        w, v = momentum_step", "    for _ in range(100):\n        w, v = momentum_step"),
       ("for t in range(1, steps + 1):", "for t in range(1, 101):")),
    _b("ex05_optimizers", "compare's Adam at the SGD learning rate", "test_compare_runs_what_it_is_asked",
       ("w, m, v = adam_step(w, grad(w), m, v, t, lr=0.1)", "w, m, v = adam_step(w, grad(w), m, v, t, lr=lr)")),
    # ex06: the other tests check augmented pixels only by value, the MLP's layer kinds and order only
    _b("ex06_regularization", "shifts wrap around (np.roll)", "test_augment_flips_and_shifts_each_image",
       ("        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))\n"
        "        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))\n"
        "        out[i][yd, xd] = img[ys, xs]\n",
        "        out[i] = np.roll(img, (dy, dx), axis=(0, 1))\n")),
    _b("ex06_regularization", "one flip and shift drawn for the whole batch", "test_augment_flips_and_shifts_each_image",
       ("    for i, img in enumerate(images):\n        if rng.random() < 0.5:\n            img = img[:, ::-1]\n"
        "        dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)\n",
        "    flip = rng.random() < 0.5\n    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)\n"
        "    for i, img in enumerate(images):\n        if flip:\n            img = img[:, ::-1]\n")),
    _b("ex06_regularization", "shifts only down and right", "test_augment_flips_and_shifts_each_image",
       ("rng.integers(-max_shift, max_shift + 1, size=2)", "rng.integers(0, max_shift + 1, size=2)")),
    _b("ex06_regularization", "output layer without softmax", "test_regularized_mlp_over_argument_sets",
       ('model.add(layers.Dense(classes, activation="softmax"))', "model.add(layers.Dense(classes))")),
    _b("ex06_regularization", "hidden layers without activation (a linear MLP)", "test_regularized_mlp_over_argument_sets",
       ('layers.Dense(units, activation="relu", kernel_regularizer=', "layers.Dense(units, kernel_regularizer=")),
    # ex12: the other tests match at 0.5 on random boxes, where no IoU equals the threshold
    _b("ex12_ssd_boxes", "match needs an IoU above the threshold", "test_match_any_boxes_and_threshold",
       ("idx[iou.max(axis=1) < threshold] = -1", "idx[iou.max(axis=1) <= threshold] = -1")),
    _b("ex12_ssd_boxes", "match threshold fixed at 0.5", "test_match_any_boxes_and_threshold",
       ("idx[iou.max(axis=1) < threshold] = -1", "idx[iou.max(axis=1) < 0.5] = -1")),
    _b("ex12_ssd_boxes", "a ground truth claims its best anchor only from the background", "test_match_any_boxes_and_threshold",
       ("        idx[iou[:, g].argmax()] = g\n", "        if idx[iou[:, g].argmax()] == -1:\n            idx[iou[:, g].argmax()] = g\n")),
]

# correct code written differently: every test of the exercise keeps full marks
ALTERNATIVES = [
    _b("ex01_conv_pool", "vectorised conv2d (sliding windows, einsum)", None,
       ("    x = np.pad(x, padding)\n    kh, kw = kernel.shape\n    oh = (x.shape[0] - kh) // stride + 1\n    ow = (x.shape[1] - kw) // stride + 1\n"
        "    out = np.zeros((oh, ow))\n    for i in range(oh):\n        for j in range(ow):\n"
        "            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw]\n            out[i, j] = np.sum(window * kernel)\n    return out\n",
        "    x = np.pad(x, padding)\n    windows = np.lib.stride_tricks.sliding_window_view(x, kernel.shape)[::stride, ::stride]\n"
        "    return np.einsum(\"ijkl,kl->ij\", windows, kernel)\n")),
    _b("ex01_conv_pool", "pooling through one helper over sliding windows", None,
       ("    oh = (x.shape[0] - size) // stride + 1\n    ow = (x.shape[1] - size) // stride + 1\n    out = np.zeros((oh, ow))\n"
        "    for i in range(oh):\n        for j in range(ow):\n            out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].max()\n    return out\n",
        "    return np.lib.stride_tricks.sliding_window_view(x, (size, size))[::stride, ::stride].max(axis=(2, 3))\n"),
       ("    oh = (x.shape[0] - size) // stride + 1\n    ow = (x.shape[1] - size) // stride + 1\n    out = np.zeros((oh, ow))\n"
        "    for i in range(oh):\n        for j in range(ow):\n            out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].mean()\n    return out\n",
        "    total = np.zeros(((x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1))\n"
        "    for di in range(size):\n        for dj in range(size):\n"
        "            total += x[di : di + stride * (total.shape[0] - 1) + 1 : stride, dj : dj + stride * (total.shape[1] - 1) + 1 : stride]\n"
        "    return total / (size * size)\n")),
    _b("ex02_linear_classifier", "log-sum-exp softmax loss and looped hinge loss", None,
       ("    p = softmax(X @ W)\n    loss = -np.mean(np.log(p[np.arange(n), y]))\n",
        "    s = X @ W\n    z = s - s.max(axis=1, keepdims=True)\n    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
        "    loss = -np.mean(logp[np.arange(n), y])\n    p = np.exp(logp)\n"),
       ("    s = X @ W\n    correct = s[np.arange(n), y][:, None]\n    margins = np.maximum(0.0, s - correct + delta)\n    margins[np.arange(n), y] = 0.0\n"
        "    loss = margins.sum() / n\n    mask = (margins > 0).astype(float)\n    mask[np.arange(n), y] = -mask.sum(axis=1)\n    dW = X.T @ mask / n\n",
        "    loss, dW = 0.0, np.zeros_like(W)\n    for i in range(n):\n        s = X[i] @ W\n        for j in range(W.shape[1]):\n"
        "            if j == y[i]:\n                continue\n            margin = s[j] - s[y[i]] + delta\n            if margin > 0:\n"
        "                loss += margin\n                dW[:, j] += X[i]\n                dW[:, y[i]] -= X[i]\n    loss, dW = loss / n, dW / n\n")),
    _b("ex04_training_recipe", "cross-entropy by hand, np.unique baseline, a train_on_batch loop", None,
       ('    model.compile(loss="sparse_categorical_crossentropy")\n    return float(model.evaluate(x, y, verbose=0))\n',
        "    p = model.predict(x, verbose=0)\n    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))))\n"),
       ("    majority = np.bincount(np.asarray(y_train)).argmax()\n",
        "    labels, counts = np.unique(np.asarray(y_train), return_counts=True)\n    majority = labels[counts.argmax()]\n"),
       ("    xs, ys = np.tile(x, (steps, 1)), np.tile(y, steps)\n    model.fit(xs, ys, batch_size=len(x), epochs=1, shuffle=False, verbose=0)\n",
        "    for _ in range(steps):\n        model.train_on_batch(x, y)\n")),
    _b("ex05_optimizers", "schedules with math.floor and min(), Adam in two lines", None,
       ("return lr0 * drop ** (step // every)", "return lr0 * drop ** math.floor(step / every)"),
       ("return lr0 * (step + 1) / warmup_steps if step < warmup_steps else lr0", "return lr0 * min(1.0, (step + 1) / warmup_steps)"),
       ("    m_hat = m / (1 - b1**t)\n    v_hat = v / (1 - b2**t)\n    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
        "    step = lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)\n    return w - step, m, v")),
    _b("ex06_regularization", "functional MLP: InputLayer, own names, separate ReLU and Softmax layers, L2 on the output too", None,
       ("    model = keras.Sequential([keras.Input((input_dim,))])\n    for units in hidden:\n"
        "        model.add(layers.Dense(units, activation=\"relu\", kernel_regularizer=keras.regularizers.L2(l2)))\n"
        "        model.add(layers.Dropout(dropout))\n    model.add(layers.Dense(classes, activation=\"softmax\"))\n    return model\n",
        "    inputs = keras.Input((input_dim,), name=\"features\")\n    x = inputs\n    for k, units in enumerate(hidden):\n"
        "        x = layers.Dense(units, kernel_regularizer=keras.regularizers.L2(l2), name=f\"hidden{k}\")(x)\n"
        "        x = layers.ReLU(name=f\"relu{k}\")(x)\n        x = layers.Dropout(dropout, name=f\"drop{k}\")(x)\n"
        "    x = layers.Dense(classes, kernel_regularizer=keras.regularizers.L2(l2), name=\"scores\")(x)\n"
        "    return keras.Model(inputs, layers.Softmax(name=\"probs\")(x), name=\"mlp\")\n"),
       ("    h, w = images.shape[1:3]\n    for i, img in enumerate(images):\n        if rng.random() < 0.5:\n            img = img[:, ::-1]\n"
        "        dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)\n"
        "        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))\n"
        "        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))\n"
        "        out[i][yd, xd] = img[ys, xs]\n",
        "    n, h, w = images.shape[:3]\n    s = max_shift\n    flips = rng.random(n) < 0.5\n"
        "    shifts = rng.integers(-s, s + 1, size=(n, 2))\n"
        "    padded = np.pad(np.where(flips[:, None, None, None], images[:, :, ::-1], images), ((0, 0), (s, s), (s, s), (0, 0)))\n"
        "    for i, (dy, dx) in enumerate(shifts):\n        out[i] = padded[i, s - dy : s - dy + h, s - dx : s - dx + w]\n"),
       ("    best, best_epoch, waited = float(\"inf\"), 0, 0\n    for epoch, loss in enumerate(val_losses):\n        if loss < best:\n"
        "            best, best_epoch, waited = loss, epoch, 0\n        else:\n            waited += 1\n            if waited >= patience:\n"
        "                return epoch, best_epoch\n    return len(val_losses) - 1, best_epoch\n",
        "    for epoch in range(len(val_losses)):\n        best_epoch = int(np.argmin(val_losses[: epoch + 1]))\n"
        "        if epoch - best_epoch >= patience:\n            return epoch, best_epoch\n"
        "    return len(val_losses) - 1, int(np.argmin(val_losses))\n")),
    _b("ex12_ssd_boxes", "looped IoU, vectorised NMS and matching", None,
       ("    lt = np.maximum(a[:, None, :2], b[None, :, :2])\n    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])\n    wh = np.clip(rb - lt, 0, None)\n"
        "    inter = wh[..., 0] * wh[..., 1]\n    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])\n    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])\n"
        "    return inter / (area_a[:, None] + area_b[None, :] - inter)\n",
        "    out = np.zeros((len(a), len(b)))\n    for i, p in enumerate(a):\n        for j, q in enumerate(b):\n"
        "            w = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))\n            h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))\n"
        "            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - w * h\n            out[i, j] = w * h / union\n    return out\n"),
       ("    order = list(np.argsort(-scores, kind=\"stable\"))\n    keep = []\n    while order:\n        best = order.pop(0)\n        keep.append(int(best))\n"
        "        if order:\n            ious = iou_matrix(boxes[[best]], boxes[order])[0]\n            order = [o for o, v in zip(order, ious) if v <= iou_threshold]\n"
        "    return np.array(keep, dtype=int)\n",
        "    order = np.argsort(-scores, kind=\"stable\")\n    keep = []\n    while order.size:\n        keep.append(int(order[0]))\n"
        "        order = order[1:][iou_matrix(boxes[order[:1]], boxes[order[1:]])[0] <= iou_threshold]\n    return np.array(keep, dtype=int)\n"),
       ("    idx = iou.argmax(axis=1)\n    idx[iou.max(axis=1) < threshold] = -1\n    for g in range(len(gt_boxes)):\n        idx[iou[:, g].argmax()] = g\n",
        "    idx = np.where(iou.max(axis=1) >= threshold, iou.argmax(axis=1), -1)\n    idx[iou.argmax(axis=0)] = np.arange(len(gt_boxes))\n")),
]
