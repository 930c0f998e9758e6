"""Planted bugs: realistic wrong variants of each solution, as exact text edits of
solutions/exNN_*.py (so they follow the solutions as they change; an edit whose text is not
found exactly once fails the test). `catches` names the graded test meant to catch the bug:
it must lose its points."""

import dataclasses
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
