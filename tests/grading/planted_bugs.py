"""Planted bugs: realistic wrong variants of each solution, as exact text edits of
solutions/exNN_*.py (so they follow the solutions as they change; an edit whose text is not
found exactly once fails the test). `catches` names the graded test meant to catch the bug:
it must lose its points."""

import ast
import dataclasses
import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclasses.dataclass(frozen=True)
class Bug:
    exercise: str
    name: str
    edits: tuple  # ((old, new), ...)
    catches: str

    def apply(self, src):
        for old, new in self.edits:
            if src.count(old) != 1:
                raise AssertionError(f"planted bug {self.exercise}/{self.name}: {old!r} occurs {src.count(old)} times in the solution (expected once)")
            src = src.replace(old, new)
        return src


def _b(exercise, name, catches, *edits):
    return Bug(exercise, name, tuple(edits), catches)


BUGS = [
    # ex01 convolution and pooling
    _b("ex01_conv_pool", "kernel flipped (true convolution)", "test_conv_slide_example",
       ("np.sum(window * kernel)", "np.sum(window * kernel[::-1, ::-1])")),
    _b("ex01_conv_pool", "pooling ignores the stride", "test_max_pool_slide_example",
       ("out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].max()", "out[i, j] = x[i : i + size, j : j + size].max()")),
    _b("ex01_conv_pool", "output size forgets the padding", "test_output_size",
       ("return (n + 2 * padding - k) // stride + 1", "return (n - k) // stride + 1")),
    # ex02 linear classifier
    _b("ex02_linear_classifier", "softmax without subtracting the max", "test_softmax_stable",
       ("z = scores - scores.max(axis=1, keepdims=True)", "z = scores")),
    _b("ex02_linear_classifier", "hinge loss counts the correct class", "test_hinge_loss_and_gradient",
       ("margins[np.arange(n), y] = 0.0", "pass")),
    _b("ex02_linear_classifier", "forward instead of central difference", "test_numeric_gradient",
       ("w[idx] = old - h\n", "w[idx] = old\n"), ("grad[idx] = (fp - fm) / (2 * h)", "grad[idx] = (fp - fm) / h")),
    # ex03 LeNet-5
    _b("ex03_lenet", "C1 without activation", "test_nonlinearities",
       ('layers.Conv2D(6, 5, activation=activation, name="c1")', 'layers.Conv2D(6, 5, name="c1")')),
    _b("ex03_lenet", "same padding in C1", "test_parameter_count",
       ('layers.Conv2D(6, 5, activation=activation, name="c1")', 'layers.Conv2D(6, 5, padding="same", activation=activation, name="c1")')),
    _b("ex03_lenet", "no softmax on the output", "test_softmax_output",
       ('layers.Dense(classes, activation="softmax", name="predictions")', 'layers.Dense(classes, name="predictions")')),
    # ex04 training recipe
    _b("ex04_training_recipe", "baseline chosen from the test labels (leak)", "test_majority_baseline_uses_training_labels",
       ("np.bincount(np.asarray(y_train)).argmax()", "np.bincount(np.asarray(y_test)).argmax()")),
    _b("ex04_training_recipe", "log base 10", "test_expected_initial_loss",
       ("return float(-np.log(1.0 / classes))", "return float(-np.log10(1.0 / classes))")),
    _b("ex04_training_recipe", "learning rate far too small to overfit", "test_overfit_one_batch",
       ("keras.optimizers.Adam(1e-2)", "keras.optimizers.Adam(1e-5)")),
    # ex05 optimizers
    _b("ex05_optimizers", "Adam without bias correction", "test_adam_bias_correction",
       ("m_hat = m / (1 - b1**t)", "m_hat = m"), ("v_hat = v / (1 - b2**t)", "v_hat = v")),
    _b("ex05_optimizers", "momentum adds the gradient", "test_sgd_and_momentum",
       ("    v = mu * v - lr * g\n    return w + v, v", "    v = mu * v + lr * g\n    return w + v, v")),
    _b("ex05_optimizers", "step decay off by one", "test_schedules",
       ("lr0 * drop ** (step // every)", "lr0 * drop ** ((step + 1) // every)")),
    # ex06 regularization
    _b("ex06_regularization", "early stopping waits one epoch too long", "test_early_stopping",
       ("if waited >= patience:", "if waited > patience:")),
    _b("ex06_regularization", "dropout layers missing", "test_regularized_mlp",
       ("        model.add(layers.Dropout(dropout))\n", "")),
    _b("ex06_regularization", "L1 instead of L2", "test_l2_penalty",
       ("np.sum(np.square(k))", "np.sum(np.abs(k))")),
    # ex07 BatchNorm and Dropout
    _b("ex07_batchnorm_dropout", "BatchNorm left in training mode at inference", "test_batchnorm_inference",
       ("mean, var = running_mean, running_var", "mean, var = x.mean(axis=0), x.var(axis=0)")),
    _b("ex07_batchnorm_dropout", "dropout not inverted (no 1/(1-p))", "test_dropout_training",
       ("return x * keep / (1.0 - rate)", "return x * keep")),
    _b("ex07_batchnorm_dropout", "dropout active at inference", "test_dropout_inference",
       ("if not training or rate == 0:", "if rate == 0:")),
    # ex08 VGG / ResNet blocks
    _b("ex08_vgg_resnet_blocks", "stride in the second conv", "test_residual_block_downsampling",
       ('strides=stride, padding="same", use_bias=False, name=f"{name}_conv1"', 'padding="same", use_bias=False, name=f"{name}_conv1"'),
       ('layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")', 'layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv2")')),
    _b("ex08_vgg_resnet_blocks", "no ReLU after the addition", "test_residual_block_identity",
       ('return layers.ReLU(name=f"{name}_out")(y)', "return y")),
    _b("ex08_vgg_resnet_blocks", "valid padding in the VGG block", "test_vgg_block",
       ('x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=', 'x = layers.Conv2D(filters, 3, padding="valid", activation="relu", name=')),
    # ex09 transfer learning
    _b("ex09_transfer", "BatchNorm unfrozen for fine-tuning", "test_fine_tune_unfreezes_top_only",
       ("layer.trainable = id(layer) in top and not isinstance(layer, layers.BatchNormalization)", "layer.trainable = id(layer) in top")),
    _b("ex09_transfer", "n=0 unfreezes everything (l[-0:])", "test_fine_tune_zero_layers",
       ("top = set(id(l) for l in weighted[-n:]) if n > 0 else set()", "top = set(id(l) for l in weighted[-n:])")),
    _b("ex09_transfer", "head outputs logits", "test_head_is_softmax",
       ('layers.Dense(classes, activation="softmax", name="head")', 'layers.Dense(classes, name="head")')),
    # ex10 autoencoders
    _b("ex10_autoencoder", "KL with the wrong sign", "test_kl_divergence",
       ("return -0.5 * np.sum(", "return 0.5 * np.sum(")),
    _b("ex10_autoencoder", "denoising pairs swapped (clean in, noisy out)", "test_denoising_pairs",
       ("return noisy, x", "return x, noisy")),
    _b("ex10_autoencoder", "linear decoder output", "test_autoencoder_architecture",
       ('outputs = layers.Dense(input_dim, activation="sigmoid")(h)', "outputs = layers.Dense(input_dim)(h)")),
    _b("ex10_autoencoder", "encoder not frozen for transfer", "test_encoder_classifier",
       ("    encoder.trainable = False\n", "")),
    # ex11 U-Net and Dice
    _b("ex11_unet_dice", "Dice without the factor 2", "test_dice",
       ("float(2 * np.logical_and(a, b).sum() / total)", "float(np.logical_and(a, b).sum() / total)")),
    _b("ex11_unet_dice", "IoU with |A| + |B| as the union", "test_iou",
       ("union = np.logical_or(a, b).sum()", "union = a.sum() + b.sum()")),
    _b("ex11_unet_dice", "U-Net without skip connections", "test_tiny_unet",
       ("d2 = conv_block(layers.Concatenate()([d2, e2]), 2 * base)", "d2 = conv_block(d2, 2 * base)"),
       ("d1 = conv_block(layers.Concatenate()([d1, e1]), base)", "d1 = conv_block(d1, base)")),
    # ex12 SSD
    _b("ex12_ssd_boxes", "anchor centres off by half a cell", "test_default_boxes",
       ("cx, cy = (j + 0.5) / feature_size, (i + 0.5) / feature_size", "cx, cy = j / feature_size, i / feature_size")),
    _b("ex12_ssd_boxes", "IoU without clamping the overlap at 0", "test_iou_matrix",
       ("wh = np.clip(rb - lt, 0, None)", "wh = rb - lt")),
    _b("ex12_ssd_boxes", "NMS without sorting by score", "test_nms",
       ('order = list(np.argsort(-scores, kind="stable"))', "order = list(range(len(scores)))")),
    _b("ex12_ssd_boxes", "matching forgets each ground truth's best anchor", "test_match",
       ("        idx[iou[:, g].argmax()] = g\n", "        pass\n")),
    # ex13 KerasTuner
    _b("ex13_tuning", "learning rate sampled linearly", "test_search_space",
       ('lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")', 'lr = hp.Float("learning_rate", 1e-4, 1e-2)')),
    _b("ex13_tuning", "build_model does not compile", "test_build_model_compiled",
       ('    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])\n    return model',
        "    return model")),
]


def exercises():
    return sorted({b.exercise for b in BUGS})


def _rounds_of(bugs):
    by_ex = {}
    for b in bugs:
        by_ex.setdefault(b.exercise, []).append(b)
    n = max((len(v) for v in by_ex.values()), default=0)
    return [[v[k] for v in by_ex.values() if k < len(v)] for k in range(n)]


def rounds():
    """Rounds of at most one bug per exercise: round k holds each exercise's k-th bug, so one
    grading run checks up to 13 bugs at once (they live in different files)."""
    return _rounds_of(BUGS)


def numpy_only(exercise):
    """Whether the exercise's solution uses no deep-learning library: its grading child starts
    without Keras, in a fraction of a second."""
    from zoo.grading.runner import needs_keras

    return not needs_keras(os.path.join(ROOT, "solutions", exercise + ".py"))


def fast_rounds():
    """The bugs after round 0 in NumPy-only exercises, in rounds: cheap enough for `make test`."""
    return _rounds_of([b for r in rounds()[1:] for b in r if numpy_only(b.exercise)])


def slow_rounds():
    """The bugs after round 0 in the Keras exercises, in rounds: `make test` grades the first
    (model builds and NumPy parts), `make test-slow` the others."""
    return _rounds_of([b for r in rounds()[1:] for b in r if not numpy_only(b.exercise)])


def write_submission(bugs, folder):
    """A submission folder: every solution, with the given bugs planted (one per exercise)."""
    os.makedirs(folder, exist_ok=True)
    planted = {b.exercise: b for b in bugs}
    for fn in sorted(os.listdir(os.path.join(ROOT, "solutions"))):
        if not fn.endswith(".py"):
            continue
        with open(os.path.join(ROOT, "solutions", fn), encoding="utf-8") as f:
            src = f.read()
        bug = planted.get(fn[:-3])
        if bug is not None:
            src = bug.apply(src)
        with open(os.path.join(folder, fn), "w", encoding="utf-8") as f:
            f.write(src)
    return folder


# ----------------------------------------------------------------------------- four or more per exercise
# Each must lose points of its exercise but not all of them (0 < score < full): a plausible single
# mistake, caught by a graded test (tests/exercises/hidden/test_exNN_edges.py holds the edge cases).
MORE_BUGS = [
    # ex01
    _b("ex01_conv_pool", "padding only the rows", None, ("x = np.pad(x, padding)", "x = np.pad(x, ((padding, padding), (0, 0)))")),
    _b("ex01_conv_pool", "pooling output assumes size == stride", None,
       ("    oh = (x.shape[0] - size) // stride + 1\n    ow = (x.shape[1] - size) // stride + 1\n    out = np.zeros((oh, ow))\n    for i in range(oh):\n        for j in range(ow):\n            out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].max()",
        "    oh = x.shape[0] // stride\n    ow = x.shape[1] // stride\n    out = np.zeros((oh, ow))\n    for i in range(oh):\n        for j in range(ow):\n            out[i, j] = x[i * stride : i * stride + size, j * stride : j * stride + size].max()")),
    _b("ex01_conv_pool", "average pool divides by 4", None, ("j * stride : j * stride + size].mean()", "j * stride : j * stride + size].sum() / 4")),
    _b("ex01_conv_pool", "output width taken from the height", None, ("ow = (x.shape[1] - kw) // stride + 1", "ow = oh")),
    # ex02
    _b("ex02_linear_classifier", "softmax normalised over the batch", None, ("return e / e.sum(axis=1, keepdims=True)", "return e / e.sum(axis=0, keepdims=True)")),
    _b("ex02_linear_classifier", "softmax gradient not averaged", None, ("dW = X.T @ dscores / n", "dW = X.T @ dscores")),
    _b("ex02_linear_classifier", "hinge margin fixed at 1", None, ("margins = np.maximum(0.0, s - correct + delta)", "margins = np.maximum(0.0, s - correct + 1.0)")),
    _b("ex02_linear_classifier", "numeric gradient leaves the weight moved", None, ("        w[idx] = old\n        grad", "        grad")),
    # ex03
    _b("ex03_lenet", "F6 with 64 units", None, ('layers.Dense(84, activation=activation, name="f6")', 'layers.Dense(64, activation=activation, name="f6")')),
    _b("ex03_lenet", "classes ignored", None, ('layers.Dense(classes, activation="softmax", name="predictions")', 'layers.Dense(10, activation="softmax", name="predictions")')),
    _b("ex03_lenet", "count forgets the output bias", None, ("out = (84 + 1) * classes", "out = 84 * classes")),
    _b("ex03_lenet", "activation ignored in C3", None, ('layers.Conv2D(16, 5, activation=activation, name="c3")', 'layers.Conv2D(16, 5, activation="relu", name="c3")')),
    # ex04
    _b("ex04_training_recipe", "baseline counts instead of a fraction", None, ("float(np.mean(np.asarray(y_test) == majority))", "float(np.sum(np.asarray(y_test) == majority))")),
    _b("ex04_training_recipe", "overfit with one step", None, ("model.fit(xs, ys, batch_size=len(x), epochs=1, shuffle=False, verbose=0)", "model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)")),
    _b("ex04_training_recipe", "expected loss of a uniform guess over classes + 1", None, ("return float(-np.log(1.0 / classes))", "return float(np.log(classes + 1))")),
    _b("ex04_training_recipe", "accuracy before training", None,
       ("    first = float(model.evaluate(x, y, verbose=0))\n", "    first = float(model.evaluate(x, y, verbose=0))\n    acc0 = float(np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y))\n"),
       ("    return first, last, acc", "    return first, last, acc0")),
    # ex05
    _b("ex05_optimizers", "Adam's second moment of |g|", None, ("v = b2 * v + (1 - b2) * g * g", "v = b2 * v + (1 - b2) * np.abs(g)")),
    _b("ex05_optimizers", "cosine not held after the end", None, ("math.cos(math.pi * min(step, total) / total)", "math.cos(math.pi * step / total)")),
    _b("ex05_optimizers", "warm-up starts at 0", None, ("lr0 * (step + 1) / warmup_steps if step < warmup_steps", "lr0 * step / warmup_steps if step < warmup_steps")),
    _b("ex05_optimizers", "Adam's epsilon inside the root", None, ("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")),
    # ex06
    _b("ex06_regularization", "penalty without lambda", None, ("float(lam * sum(", "float(sum(")),
    _b("ex06_regularization", "hidden sizes fixed", None, ("    for units in hidden:", "    for units in (64, 32):")),
    _b("ex06_regularization", "a tie counts as an improvement", None, ("        if loss < best:", "        if loss <= best:")),
    _b("ex06_regularization", "L2 factor fixed", None, ("kernel_regularizer=keras.regularizers.L2(l2)", "kernel_regularizer=keras.regularizers.L2(1e-4)")),
    # ex07
    _b("ex07_batchnorm_dropout", "running averages weighted the wrong way", None,
       ("running_mean = momentum * running_mean + (1 - momentum) * mean", "running_mean = (1 - momentum) * running_mean + momentum * mean"),
       ("running_var = momentum * running_var + (1 - momentum) * var", "running_var = (1 - momentum) * running_var + momentum * var")),
    _b("ex07_batchnorm_dropout", "dropout keeps with probability rate", None, ("    keep = rng.random(x.shape) >= rate\n", "    keep = rng.random(x.shape) < rate\n")),
    _b("ex07_batchnorm_dropout", "beta forgotten", None, ("y = gamma * (x - mean) / np.sqrt(var + eps) + beta", "y = gamma * (x - mean) / np.sqrt(var + eps)")),
    _b("ex07_batchnorm_dropout", "running variance of the std", None, ("running_var = momentum * running_var + (1 - momentum) * var", "running_var = momentum * running_var + (1 - momentum) * np.sqrt(var)")),
    # ex08
    _b("ex08_vgg_resnet_blocks", "no projection when only the channels change", None, ("if stride != 1 or x.shape[-1] != filters:", "if stride != 1:")),
    _b("ex08_vgg_resnet_blocks", "VGG count without biases", None, ("total += (9 * c + 1) * filters", "total += 9 * c * filters")),
    _b("ex08_vgg_resnet_blocks", "projection count without its BatchNorm", None, ("total += c_in * filters + 4 * filters", "total += c_in * filters")),
    _b("ex08_vgg_resnet_blocks", "VGG pooling with stride 1", None, ('layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")', 'layers.MaxPooling2D(2, strides=1, name=f"{name}_pool")')),
    # ex09
    _b("ex09_transfer", "fine-tune never recompiles", None,
       ('    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])\n    return model', "    return model")),
    _b("ex09_transfer", "fine-tune at the first learning rate", None, ("keras.optimizers.Adam(1e-5)", "keras.optimizers.Adam(1e-3)")),
    _b("ex09_transfer", "freeze() does nothing", None, ("    backbone.trainable = False\n    return backbone", "    return backbone")),
    _b("ex09_transfer", "flatten instead of global pooling", None, ('layers.GlobalAveragePooling2D(name="head_pool")(x)', 'layers.Flatten(name="head_pool")(x)')),
    # ex10
    _b("ex10_autoencoder", "linear code", None, ('layers.Dense(code_dim, activation="relu")', "layers.Dense(code_dim)")),
    _b("ex10_autoencoder", "noisy inputs not clipped", None, ("np.clip(x + rng.normal(0.0, std, x.shape), 0.0, 1.0)", "(x + rng.normal(0.0, std, x.shape))")),
    _b("ex10_autoencoder", "KL averaged over the code", None, ("return -0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=1)", "return -0.5 * np.mean(1 + log_var - mu**2 - np.exp(log_var), axis=1)")),
    _b("ex10_autoencoder", "classifier ignores code_dim", None, ("_, encoder = build_autoencoder(input_dim, code_dim)", "_, encoder = build_autoencoder(input_dim)")),
    _b("ex10_autoencoder", "denoiser trained on clean inputs", None,
       ("    auto.fit(noisy, clean, epochs=epochs, batch_size=32, verbose=0)", "    auto.fit(clean, clean, epochs=epochs, batch_size=32, verbose=0)")),
    _b("ex10_autoencoder", "noise ignores the seed", None, ("    rng = np.random.default_rng(seed)\n", "    rng = np.random.default_rng(0)\n")),
    _b("ex10_autoencoder", "the denoiser's std ignored", None, ("noisy, clean = denoising_pairs(x, std, seed=1)", "noisy, clean = denoising_pairs(x, 0.2, seed=1)")),
    _b("ex10_autoencoder", "encoder classifier without softmax", None,
       ('outputs = layers.Dense(classes, activation="softmax")(encoder(inputs, training=False))', "outputs = layers.Dense(classes)(encoder(inputs, training=False))")),
    # ex11
    _b("ex11_unet_dice", "IoU NaN for two empty masks", None, ("return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)", "return float(np.logical_and(a, b).sum() / union)")),
    _b("ex11_unet_dice", "Dice 0 for two empty masks", None, ("return 1.0 if total == 0 else", "return 0.0 if total == 0 else")),
    _b("ex11_unet_dice", "soft Dice smoothed in the numerator only", None, ("(np.sum(p) + np.sum(t) + smooth)", "(np.sum(p) + np.sum(t))")),
    _b("ex11_unet_dice", "classes ignored in the head", None, ('layers.Conv2D(classes, 1, activation="softmax")', 'layers.Conv2D(2, 1, activation="softmax")')),
    # ex12
    _b("ex12_ssd_boxes", "aspect ratio inverted", None, ("scale * np.sqrt(ar), scale / np.sqrt(ar)", "scale / np.sqrt(ar), scale * np.sqrt(ar)")),
    _b("ex12_ssd_boxes", "rows and columns swapped", None, ("cx, cy = (j + 0.5) / feature_size, (i + 0.5) / feature_size", "cx, cy = (i + 0.5) / feature_size, (j + 0.5) / feature_size")),
    _b("ex12_ssd_boxes", "NMS keeps an overlap equal to the threshold out", None, ("if v <= iou_threshold]", "if v < iou_threshold]")),
    _b("ex12_ssd_boxes", "NMS ties broken by the last index", None, ('order = list(np.argsort(-scores, kind="stable"))', "order = list(np.argsort(scores)[::-1])")),
    # ex13
    _b("ex13_tuning", "dropout not from the space", None, ("layers.Dropout(dropout)", "layers.Dropout(0.2)")),
    _b("ex13_tuning", "units not from the space", None, ('layers.Dense(units, activation="relu")', 'layers.Dense(32, activation="relu")')),
    _b("ex13_tuning", "learning rate not from the space", None, ("optimizer=keras.optimizers.Adam(lr)", "optimizer=keras.optimizers.Adam(1e-3)")),
    _b("ex13_tuning", "dropout without its step", None, ('    dropout = hp.Float("dropout", 0.0, 0.5, step=0.1)', '    dropout = hp.Float("dropout", 0.0, 0.5)')),
    _b("ex13_tuning", "max_trials hard-coded at 2", None, ("max_trials=max_trials, seed=seed,", "max_trials=2, seed=seed,")),
    _b("ex13_tuning", "ranked by training accuracy", None, ('objective="val_accuracy", max_trials', 'objective="accuracy", max_trials')),
    _b("ex13_tuning", "the last trial returned, not the best", None,
       ("    best = tuner.get_best_hyperparameters(1)[0]\n", "    best = list(tuner.oracle.trials.values())[-1].hyperparameters\n")),
    _b("ex13_tuning", "validated on the training rows", None,
       ("validation_data=(x_val, y_val), epochs=epochs", "validation_data=(x_train, y_train), epochs=epochs")),
    _b("ex13_tuning", "invented result, no search", None,
       ("    tuner.search(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, verbose=0)\n",
        '    return {"units": 32, "dropout": 0.2, "learning_rate": 1e-3}, max_trials\n')),
]


def more_rounds():
    return _rounds_of(MORE_BUGS)


def graded_test_names(exercise, *, hidden_only=False):
    """The function names of the exercise's graded test files (its hidden/ ones alone, or all)."""
    pattern = os.path.join(ROOT, "tests", "exercises", "hidden" if hidden_only else "**", f"test_{exercise[:4]}_*.py")
    names = set()
    for path in glob.glob(pattern, recursive=True):
        names |= {n.name for n in ast.walk(ast.parse(open(path, encoding="utf-8").read())) if isinstance(n, ast.FunctionDef)}
    return names


def check_cases(bugs, alternatives, *, hidden_only=False):
    """Each case changes its exercise's solution into code that compiles; each mistake names a
    graded test of its exercise (see graded_test_names), every exercise has at least 3 mistakes,
    and none repeats a mistake of this module's own lists."""
    counts = {}
    for case in bugs + alternatives:
        src = open(os.path.join(ROOT, "solutions", case.exercise + ".py"), encoding="utf-8").read()
        changed = case.apply(src)
        assert changed != src
        compile(changed, case.exercise, "exec")
        if case in bugs:
            counts[case.exercise] = counts.get(case.exercise, 0) + 1
            assert case.catches in graded_test_names(case.exercise, hidden_only=hidden_only), case
    assert min(counts.values()) >= 3, counts
    known = {(b.exercise, b.name) for b in BUGS + MORE_BUGS}
    assert not known & {(b.exercise, b.name) for b in bugs}
