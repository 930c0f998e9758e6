"""Transfer learning: backbones, freezing, a new head, two-phase fine-tuning, encoder transfer.

The recipe (Yosinski et al. 2014, "How transferable are features in deep neural networks?";
the Keras transfer-learning guide):

1. take a backbone trained on task A (a zoo classifier with `include_top=False`, a
   keras.applications model, or an autoencoder's encoder), weights from a local file;
2. put a new head on it (`new_head`): pooling, dropout, Dense(classes);
3. phase 1: backbone frozen, train the head at a higher learning rate;
4. phase 2: unfreeze the top N blocks, train on at a lower learning rate.

The autoencoder route (TUM I2DL ex. 8): `pretrain_autoencoder` trains a conv autoencoder on
unlabelled images (reconstruct each image from a rotated/shifted/zoomed noisy copy),
`encoder_classifier` puts a normalising head on its encoder, and `fine_tune` trains the head on a
few labels with the encoder frozen, then the whole network at a low learning rate.

BatchNormalization layers of the backbone stay in inference mode throughout: the backbone is
called with `training=False` and every BatchNormalization layer is kept non-trainable, so their
moving statistics (learned on task A's data) are not overwritten by a few small batches of task B.

Preprocessing of the backbone lives inside the model (`zoo.models.preprocessing.ImagePreprocessing`),
so a saved `model.keras` takes raw [0, 1] images, as the zoo's datasets and image folders give them.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time

import numpy as np

import keras
from keras import layers

from zoo.models import common
from zoo.models.preprocessing import PREPROCESSING_MODES, ImagePreprocessing

# keras.applications module -> ImagePreprocessing mode (imagenet_utils.preprocess_input modes)
APPLICATION_PREPROCESSING = {
    "resnet": "caffe",
    "vgg16": "caffe",
    "vgg19": "caffe",
    "resnet_v2": "tf",
    "mobilenet": "tf",
    "mobilenet_v2": "tf",
    "inception_v3": "tf",
    "inception_resnet_v2": "tf",
    "xception": "tf",
    "nasnet": "tf",
    "densenet": "torch",
    "mobilenet_v3": "raw255",
    "efficientnet": "raw255",
    "efficientnet_v2": "raw255",
    "convnext": "raw255",
}


# ----------------------------------------------------------------------------- backbones
def _application(name):
    """The keras.applications builder called `name` ("ResNet50", "keras:MobileNetV2"), or None."""
    key = name[len("keras:") :] if name.startswith("keras:") else name
    fn = getattr(keras.applications, key, None)
    if fn is None or not callable(fn) or not key[:1].isupper():
        return None
    return fn


def _application_names():
    return sorted(n for n in dir(keras.applications) if n[:1].isupper() and callable(getattr(keras.applications, n)))


def preprocessing_mode(name):
    """The ImagePreprocessing mode backbone `name` expects ("none" for zoo models)."""
    fn = _application(name)
    if fn is None:
        return "none"
    module = fn.__module__.rsplit(".", 1)[-1]
    return APPLICATION_PREPROCESSING.get(module, "caffe")


def _leaf_layers(model):
    """{name: layer} of every layer with weights, descending into nested models."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(_leaf_layers(layer))
        elif layer.weights:
            found[layer.name] = layer
    return found


def load_backbone_weights(backbone, weights):
    """Loads `weights` (a local .keras or .weights.h5 file) into `backbone`.

    A `.weights.h5` file must come from the same architecture (`include_top=False`). A `.keras`
    file may be any saved model containing the backbone's layers, e.g. a zoo classifier with its
    top or a transfer run's `model.keras`: weights are copied layer by layer, by name.

    Raises:
        ValueError naming the file and the backbone when the weights do not fit.
    """
    path = common.check_weights_path(weights)
    if path is None:
        return backbone
    described = f"backbone {backbone.name!r} ({backbone.count_params():,} parameters)"
    if path.endswith(".weights.h5"):
        try:
            backbone.load_weights(path)
        except Exception as e:  # Keras raises ValueError / KeyError / ... depending on the mismatch
            first = " ".join(str(e).split())[:300]
            raise ValueError(
                f"weights file {path!r} does not fit {described}: {first}. A .weights.h5 file must "
                "come from the same architecture with include_top=False; a full model saved as .keras also works"
            ) from None
        return backbone
    from zoo.io import load_model

    try:
        source = load_model(path, compile=False)
    except Exception as e:
        raise ValueError(f"weights file {path!r} cannot be read as a Keras model: {' '.join(str(e).split())[:300]}") from None
    theirs = _leaf_layers(source)
    mine = _leaf_layers(backbone)
    missing = [n for n in mine if n not in theirs]
    wrong = [
        f"{n} {[tuple(w.shape) for w in layer.weights]} vs {[tuple(w.shape) for w in theirs[n].weights]}"
        for n, layer in mine.items()
        if n in theirs and [tuple(w.shape) for w in layer.weights] != [tuple(w.shape) for w in theirs[n].weights]
    ]
    if missing or wrong:
        detail = []
        if missing:
            detail.append(f"layers missing from the file: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if wrong:
            detail.append(f"shapes differ: {'; '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''}")
        raise ValueError(
            f"weights file {path!r} (model {source.name!r}, {source.count_params():,} parameters) does not fit "
            f"{described}: {'; '.join(detail)}"
        )
    for n, layer in mine.items():
        layer.set_weights(theirs[n].get_weights())
    return backbone


def _saved_input_shape(weights):
    """The input shape of a saved .keras model (None for .weights.h5 or None)."""
    if weights is None or not os.fspath(weights).endswith(".keras"):
        return None
    from zoo.io import load_model

    common.check_weights_path(weights)
    try:
        return tuple(load_model(weights, compile=False).input_shape[1:])
    except Exception:
        return None


def _channels(name, weights=None):
    """The channels backbone `name` takes: the saved model's, 3 for keras.applications, else the zoo default."""
    saved = _saved_input_shape(weights)
    if saved is not None:
        return saved[-1]
    if _application(name) is not None:
        return 3
    from zoo import registry

    return registry.get_spec(name).default_input_shape[-1]


def build_backbone(name, *, input_shape=None, weights=None):
    """A backbone without its top: a zoo classifier (`"resnet18"`, `"lenet5"`) or a
    keras.applications model (`"MobileNetV2"` or `"keras:MobileNetV2"`), weights from a local file.

    Args:
        name: zoo model name (classification task) or keras.applications class name.
        input_shape: (H, W, C); default: the saved model's shape when `weights` is a .keras file,
            else the model's default.
        weights: None or a local .keras / .weights.h5 file (`load_backbone_weights`).

    Returns:
        (backbone, preprocessing_mode): the model outputs the last feature map (no pooling).
    """
    from zoo import registry

    if not isinstance(name, str) or not name:
        raise ValueError(f"`backbone` must be a model name. Received: backbone={name!r}")
    if input_shape is None:
        input_shape = _saved_input_shape(weights)
    fn = _application(name)
    if fn is not None:
        kwargs = {"include_top": False, "weights": None}
        if input_shape is not None:
            kwargs["input_shape"] = tuple(input_shape)
        try:
            backbone = fn(**kwargs)
        except ValueError as e:
            raise ValueError(f"backbone={name!r}, input_shape={input_shape!r}: {' '.join(str(e).split())}") from None
    else:
        try:
            spec = registry.get_spec(name)
        except ValueError as e:
            apps = ", ".join(_application_names()[:8])
            raise ValueError(f"{e} keras.applications backbones are also accepted by class name ({apps}, ...).") from None
        if spec.task != "classification":
            raise ValueError(
                f"backbone={name!r} is a {spec.task} model; a backbone must be a classifier "
                f"(`zoo list --task classification`) or a keras.applications model"
            )
        shape = tuple(input_shape) if input_shape is not None else spec.default_input_shape
        backbone = spec.builder(include_top=False, input_shape=shape)
    load_backbone_weights(backbone, weights)
    return backbone, preprocessing_mode(name)


# ----------------------------------------------------------------------------- blocks and freezing
_BLOCK_NAME = re.compile(r"^(.*?block_?\d+[a-z]?)(?:_|$)")
_STAGE_NAME = re.compile(r"^(stem|stage\d+)$")


def blocks(model):
    """The model's layers grouped into blocks, bottom to top: [(block name, [layer names])].

    zoo backbones split after each `stem` / `stageK` layer (the stage convention); keras.applications
    models by their layer names (`conv5_block3_...`, `block_16_...`, `block6a_...`); anything else
    after each layer with weights. Input layers are left out; trailing layers join the last block.
    """
    names = [l.name for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    weighted = {l.name for l in model.layers if l.weights}
    groups = []
    if any(_STAGE_NAME.match(n) for n in names):
        current = []
        for n in names:
            current.append(n)
            if _STAGE_NAME.match(n):
                groups.append((n, current))
                current = []
        if current:
            if any(c in weighted for c in current):
                groups.append(("top", current))
            else:
                groups[-1][1].extend(current)
        return groups
    if sum(bool(_BLOCK_NAME.match(n)) for n in names) >= 2:
        for n in names:  # layers outside any block join the one before (the first: "stem")
            m = _BLOCK_NAME.match(n)
            if m and (not groups or groups[-1][0] != m.group(1)):
                groups.append((m.group(1), [n]))
            elif groups:
                groups[-1][1].append(n)
            else:
                groups.append(("stem", [n]))
        return groups
    current = []
    for n in names:
        current.append(n)
        if n in weighted:
            groups.append((n, current))
            current = []
    if current:
        if groups:
            groups[-1][1].extend(current)
        else:
            groups.append(("all", current))
    return groups


def _batchnorms(model):
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _batchnorms(layer)
        elif isinstance(layer, layers.BatchNormalization):
            out.append(layer)
    return out


def freeze(model, until=None, *, freeze_batchnorm=True):
    """Freezes `model`'s layers from the input up to `until`; returns the frozen layer names.

    Args:
        model: a backbone (its top-level layers are frozen or not).
        until: None (all layers), a layer name (that layer and all below it), or a fraction in
            (0, 1] of the layers with weights, counted from the input.
        freeze_batchnorm: keep every BatchNormalization layer non-trainable, i.e. in inference mode
            (Keras 3 runs a non-trainable BatchNormalization with its moving statistics), even above `until`.
    """
    order = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    if until is None:
        cut = len(order)
    elif isinstance(until, str):
        names = [l.name for l in order]
        if until not in names:
            import difflib

            close = difflib.get_close_matches(until, names, n=3, cutoff=0.4)
            hint = f" Close names: {', '.join(close)}." if close else ""
            raise ValueError(f"`until`={until!r} is not a layer of {model.name!r}.{hint} Blocks: {', '.join(b for b, _ in blocks(model))}")
        cut = names.index(until) + 1
    elif isinstance(until, float) and 0.0 < until <= 1.0:
        weighted = [i for i, l in enumerate(order) if l.weights]
        k = math.ceil(until * len(weighted))
        cut = weighted[k - 1] + 1 if k else 0
    else:
        raise ValueError(
            "`until` must be None, a layer name or a fraction in (0, 1] (a float). "
            f"Received: until={until!r}"
        )
    model.trainable = True
    for i, layer in enumerate(order):
        layer.trainable = i >= cut
    if freeze_batchnorm:
        for bn in _batchnorms(model):
            bn.trainable = False
    return [l.name for l in order[:cut]]


def unfreeze_top(model, n_blocks, *, freeze_batchnorm=True):
    """Makes the top `n_blocks` blocks of `model` trainable (BatchNormalization stays frozen),
    everything below frozen; returns the names of the blocks made trainable."""
    groups = blocks(model)
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 0:
        raise ValueError(f"`unfreeze` must be an integer >= 0 (blocks from the top; {len(groups)} in {model.name!r}). Received: unfreeze={n_blocks!r}")
    n_blocks = min(n_blocks, len(groups))
    if n_blocks == 0:
        freeze(model, None, freeze_batchnorm=freeze_batchnorm)
        return []
    first = groups[len(groups) - n_blocks][1][0]
    order = [l.name for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    idx = order.index(first)
    if idx == 0:
        model.trainable = True
        for layer in model.layers:
            layer.trainable = True
        if freeze_batchnorm:
            for bn in _batchnorms(model):
                bn.trainable = False
    else:
        freeze(model, order[idx - 1], freeze_batchnorm=freeze_batchnorm)
    return [b for b, _ in groups[len(groups) - n_blocks :]]


def trainable_count(model):
    """Number of trainable parameters."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


# ----------------------------------------------------------------------------- the new head
def new_head(
    backbone,
    classes,
    dropout=0.2,
    *,
    preprocessing="none",
    pooling="auto",
    classifier_activation="softmax",
    normalize=False,
    name=None,
):
    """A classifier on `backbone`: raw [0, 1] images -> preprocessing -> backbone (inference mode)
    -> pooling -> [BatchNormalization] -> dropout -> Dense(classes).

    Args:
        backbone: a Keras model without its top (feature map or feature vector output).
        classes: int >= 2, number of classes.
        dropout: float in [0, 1), dropout before the new Dense layer (default 0.2).
        preprocessing: an `ImagePreprocessing` mode ("none", "tf", "caffe", "torch", "raw255").
        pooling: "avg", "max" or "flatten" for a 4-D feature map; "auto" (default) flattens a
            small map (<= 4,096 values, e.g. LeNet-5's 5x5x16, where position matters) and
            averages a large one (ResNet's 7x7x512).
        classifier_activation: "softmax" (default) or None (logits).
        normalize: put a BatchNormalization layer ("head_norm", momentum 0.9) in the head, before
            the Dense layer: it standardises each feature, as one would before a linear classifier.
            Features whose scale is arbitrary (an autoencoder's dense code) need it; default False.
        name: model name; default "<backbone>_transfer".

    Returns:
        A Functional model (B, H, W, C) -> (B, classes); the backbone is its nested layer
        (`backbone_of(model)`), the new Dense layer is named "predictions".
    """
    if not isinstance(backbone, keras.Model):
        raise TypeError(f"`backbone` must be a Keras model. Received: backbone of type {type(backbone).__name__}")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"`classes` must be an integer >= 2. Received: classes={classes!r}")
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
    common.check_one_of("preprocessing", preprocessing, tuple(PREPROCESSING_MODES))
    common.check_one_of("pooling", pooling, ("auto", "avg", "max", "flatten"))
    inputs = keras.Input(shape=backbone.input_shape[1:], name="image")
    x = inputs if preprocessing == "none" else ImagePreprocessing(preprocessing, name="preprocessing")(inputs)
    x = backbone(x, training=False)  # BatchNormalization of the backbone: always inference mode
    if len(x.shape) == 4:
        if pooling == "auto":
            size = None if None in x.shape[1:] else int(np.prod(x.shape[1:]))
            pooling = "flatten" if size is not None and size <= 4096 else "avg"
        pool = {"avg": layers.GlobalAveragePooling2D, "max": layers.GlobalMaxPooling2D, "flatten": layers.Flatten}[pooling]
        x = pool(name="head_pool")(x)
    elif len(x.shape) != 2:
        x = layers.Flatten(name="head_pool")(x)
    if normalize:
        x = layers.BatchNormalization(momentum=0.9, name="head_norm")(x)
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, outputs, name=name or f"{backbone.name}_transfer")


def backbone_of(model):
    """The nested backbone of a `new_head` model."""
    nested = [l for l in model.layers if isinstance(l, keras.Model)]
    if len(nested) != 1:
        raise ValueError(f"model {model.name!r} has {len(nested)} nested models; expected one backbone (a `new_head` model)")
    return nested[0]


# ----------------------------------------------------------------------------- encoder transfer
def encoder_of(autoencoder):
    """The encoder sub-model of an autoencoder (`.encoder`, or its layer named "encoder")."""
    enc = getattr(autoencoder, "encoder", None)
    if enc is None:
        try:
            enc = autoencoder.get_layer("encoder")
        except (ValueError, AttributeError):
            enc = None
    if not isinstance(enc, keras.Model):
        raise ValueError(
            f"model {getattr(autoencoder, 'name', autoencoder)!r} has no encoder sub-model "
            "(an `.encoder` attribute or a nested model named 'encoder', as zoo autoencoders have)"
        )
    return enc


def encoder_classifier(autoencoder, classes, dropout=0.2, *, normalize=True, name=None):
    """A classifier on a (pre-trained) autoencoder's encoder: the autoencoder route of transfer.

    image -> encoder (inference mode) -> code -> BatchNormalization ("head_norm", when
    `normalize`, the default) -> dropout -> Dense(classes). The code of an autoencoder has no
    particular scale (one unit may span 0..40, another 0..0.1); a linear layer on it learns
    slowly and badly from a few labels, so the head standardises it first.

    The recipe that beats the same network trained from scratch on a few labels (measured in
    tests/test_transfer_fewshot.py; numbers in the README):

        ae = zoo.get_model("autoencoder_conv", input_shape=(32, 32, 1), latent_dim=32)
        pretrain_autoencoder(ae, x_unlabelled, epochs=20)          # no labels
        model = encoder_classifier(ae, classes, dropout=0.0)
        fine_tune(model, x_few, y_few, epochs=(100, 50), learning_rates=(1e-2, 3e-4),
                  unfreeze=100, batch_size=len(y_few))               # probe, then gentle fine-tuning
    """
    return new_head(encoder_of(autoencoder), classes, dropout, normalize=normalize, name=name or "encoder_classifier")


def pretrain_autoencoder(
    autoencoder,
    x,
    *,
    epochs=20,
    augment=1.5,
    noise=0.2,
    learning_rate=2e-3,
    batch_size=32,
    validation_data=None,
    verbose=0,
    log=None,
):
    """Unsupervised pretraining of `autoencoder` for transfer: no labels, only images.

    Each step shows the autoencoder a randomly rotated, shifted and zoomed copy of every image
    (`zoo.demo.augmentation_layers(augment)`) with Gaussian noise (`noise`) added, and asks it to
    reconstruct the ORIGINAL image (MSE). To do that its code has to describe the digit, not where it
    sits or the noise on it; a plain MSE autoencoder (input = target) instead keeps whatever
    reconstructs pixels best, and its code transfers little (measured on the digits, 2 labels per
    class, linear classifier on the code: 73 % plain, 79 % with this pretraining, 67 % on pixels).
    This is the denoising autoencoder of Vincent et al. 2008 with geometric corruption added.

    Args:
        autoencoder: a zoo autoencoder (image -> image), e.g. `autoencoder_conv`; trained in place.
        x: images (N, H, W, C) in [0, 1]; labels are never used.
        epochs: int >= 1 (default 20).
        augment: strength of the geometric augmentation (1.0 = 0.05 turn, 8 % shift, 10 % zoom;
            default 1.5); 0 turns it off.
        noise: standard deviation of the Gaussian input noise (default 0.2); 0 turns it off.
        learning_rate: Adam learning rate (default 2e-3).
        batch_size, verbose: as in `model.fit`.
        validation_data: optional clean images (N, H, W, C): reconstruction MSE reported per epoch.
        log: a function taking one line of progress (default: print to stdout, flushed).

    Returns:
        {"loss": [per epoch], "val_loss": [...] (with validation_data), "seconds": float}
    """
    from zoo.demo import augmentation_layers

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"`epochs` must be an integer >= 1. Received: epochs={epochs!r}")
    for arg, value in (("augment", augment), ("noise", noise)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"`{arg}` must be a number >= 0 (0 turns it off). Received: {arg}={value!r}")
    if not isinstance(autoencoder, keras.Model):
        raise TypeError(f"`autoencoder` must be a Keras model. Received: autoencoder of type {type(autoencoder).__name__}")
    x = np.asarray(x, dtype="float32")
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(autoencoder.input_shape[1:]):
        raise ValueError(
            f"`x` must be images of shape (N, {', '.join(str(d) for d in autoencoder.input_shape[1:])}) "
            f"for {autoencoder.name!r}. Received: x of shape {x.shape}"
        )
    log = log or (lambda line: print(line, flush=True))
    inputs = keras.Input(shape=x.shape[1:], name="image")
    corrupted = augmentation_layers(augment)(inputs) if augment else inputs
    if noise:
        corrupted = layers.GaussianNoise(noise, name="pretrain_noise")(corrupted)
    trainer = keras.Model(inputs, autoencoder(corrupted), name=f"{autoencoder.name}_pretrain")
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    log(
        f"pretraining {autoencoder.name} without labels on {len(x):,} images: {epochs} epoch(s), "
        f"reconstruct each image from a rotated/shifted/zoomed (strength {augment:g}) copy with noise {noise:g}"
    )
    t0 = time.time()
    val = None if validation_data is None else (np.asarray(validation_data, "float32"),) * 2
    h = trainer.fit(x, x, epochs=epochs, batch_size=batch_size, validation_data=val, verbose=verbose, callbacks=[_LogLine(log)] if not verbose else [])
    seconds = time.time() - t0
    out = {k: [float(v) for v in vals] for k, vals in h.history.items()}
    out["seconds"] = round(seconds, 1)
    shown = ", ".join(f"{k} {v[-1]:.5f}" for k, v in out.items() if k != "seconds")
    log(f"pretraining done in {seconds:.1f} s: {shown}")
    return out


# ----------------------------------------------------------------------------- fine-tuning
def few_shot(x, y, shots, *, seed=0):
    """`shots` examples of every class of (x, y), seeded: (x_few, y_few)."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    idx = []
    for k in np.unique(y):
        members = np.flatnonzero(y == k)
        if len(members) < shots:
            raise ValueError(f"class {k} has {len(members)} examples, fewer than shots={shots}")
        idx += list(rng.choice(members, shots, replace=False))
    idx = rng.permutation(np.asarray(idx))
    return x[idx], y[idx]


def _check_pair(arg, value, kind, minimum):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, kind) and not isinstance(v, bool) and v >= minimum for v in value)
    ):
        raise ValueError(f"`{arg}` must be a pair (phase 1, phase 2) of {kind.__name__ if isinstance(kind, type) else 'numbers'} >= {minimum}. Received: {arg}={value!r}")
    return tuple(value)


def fine_tune(
    model,
    x,
    y,
    *,
    validation_data=None,
    epochs=(5, 5),
    learning_rates=(1e-3, 1e-4),
    unfreeze=1,
    batch_size=32,
    callbacks=None,
    verbose=0,
    log=None,
):
    """Two-phase fine-tuning of a `new_head` model.

    Phase 1 trains the head with the backbone frozen at `learning_rates[0]`; phase 2 unfreezes the
    top `unfreeze` blocks of the backbone (`blocks`) and trains on at `learning_rates[1]`.
    BatchNormalization layers stay in inference mode in both phases.

    Args:
        model: a model made by `new_head` / `encoder_classifier`.
        x, y: training images (N, H, W, C) in [0, 1] and integer labels (N,).
        validation_data: optional (x_val, y_val).
        epochs: (phase 1, phase 2) epochs, ints >= 0 (an int means both); a 0 skips the phase.
        learning_rates: (phase 1, phase 2) Adam learning rates.
        unfreeze: blocks of the backbone to unfreeze in phase 2 (0 = keep frozen; a large number = all).
        batch_size, callbacks, verbose: as in `model.fit`.
        log: a function taking one line of progress (default: print to stdout, flushed).

    Returns:
        {"history": {metric: [per epoch over both phases]}, "phase": [1, 1, ..., 2, 2],
         "phases": [{"phase", "epochs", "learning_rate", "trainable_params", "unfrozen_blocks", "seconds", metrics...}]}
    """
    epochs = _check_pair("epochs", epochs, int, 0)
    learning_rates = _check_pair("learning_rates", learning_rates, (int, float), 0)
    if sum(epochs) < 1:
        raise ValueError(f"`epochs` must give at least one epoch in total. Received: epochs={epochs!r}")
    if not all(lr > 0 for lr in learning_rates):
        raise ValueError(f"`learning_rates` must be > 0. Received: learning_rates={learning_rates!r}")
    log = log or (lambda line: print(line, flush=True))
    backbone = backbone_of(model)
    history, phase_of, phases = {}, [], []
    done = 0
    for phase, (n_epochs, lr) in enumerate(zip(epochs, learning_rates), start=1):
        if n_epochs == 0 or (phase == 2 and unfreeze == 0):
            continue
        if phase == 1:
            freeze(backbone, None)
            unfrozen = []
            what = "head only, backbone frozen"
        else:
            unfrozen = unfreeze_top(backbone, unfreeze)
            what = f"top {len(unfrozen)} block(s) of the backbone unfrozen ({', '.join(unfrozen[-4:])}{', ...' if len(unfrozen) > 4 else ''})"
        model.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        n_train = trainable_count(model)
        log(
            f"phase {phase}/2: {what}; {n_train:,} of {model.count_params():,} parameters trainable; "
            f"{n_epochs} epoch(s) at learning rate {lr:g}"
        )
        t0 = time.time()
        h = model.fit(
            x,
            y,
            validation_data=validation_data,
            epochs=done + n_epochs,
            initial_epoch=done,
            batch_size=batch_size,
            callbacks=list(callbacks or []),
            verbose=verbose,
        )
        seconds = time.time() - t0
        done += n_epochs
        for k, v in h.history.items():
            history.setdefault(k, []).extend(float(a) for a in v)
        phase_of += [phase] * n_epochs
        last = {k: float(v[-1]) for k, v in h.history.items() if k != "learning_rate"}
        phases.append(
            {
                "phase": phase,
                "epochs": n_epochs,
                "learning_rate": lr,
                "trainable_params": n_train,
                "unfrozen_blocks": unfrozen,
                "seconds": round(seconds, 1),
                **last,
            }
        )
        shown = ", ".join(f"{k} {v:.4f}" for k, v in last.items())
        log(f"phase {phase}/2 done in {seconds:.1f} s: {shown}")
    return {"history": history, "phase": phase_of, "phases": phases}


# ----------------------------------------------------------------------------- prediction
def predict_images(model, paths, class_names, *, batch_size=64):
    """Label and probability for image files, read the zoo's way (Pillow, [0, 1], resized to the
    model's input, RGB or grayscale by its channels): [{"path", "label", "index", "probability"}]."""
    from zoo.data.imagefolder import read_image

    h, w, c = model.input_shape[1:]
    if not paths:
        return []
    x = np.stack([read_image(p, (h, w), "grayscale" if c == 1 else "rgb") for p in paths])
    probs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    out = []
    for p, row in zip(paths, probs):
        k = int(np.argmax(row))
        out.append({"path": os.fspath(p), "label": str(class_names[k]), "index": k, "probability": float(row[k])})
    return out


# ----------------------------------------------------------------------------- `zoo transfer`
def _table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def run_transfer(
    data,
    backbone,
    out,
    *,
    weights=None,
    epochs=5,
    fine_tune_epochs=None,
    batch_size=32,
    seed=0,
    image_size=None,
    unfreeze=1,
    learning_rates=(1e-3, 1e-4),
    dropout=0.2,
    verbose=None,
):
    """`zoo transfer`: fine-tune `backbone` on a class-per-folder directory; writes the run folder.

    Writes into `out`: model.keras (takes raw [0, 1] images), labels.json (class names, index =
    label), metrics.json, history.csv, learning_curves.png, confusion_matrix.png.
    Returns the metrics dict.
    """
    import warnings

    from zoo import plots
    from zoo.data import imagefolder
    from zoo.io import ensure_out_dir, save_model, write_json, write_text

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"--epochs must be an integer >= 0. Received: epochs={epochs!r}")
    fine_tune_epochs = epochs if fine_tune_epochs is None else fine_tune_epochs
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"--batch-size must be an integer >= 1. Received: batch_size={batch_size!r}")
    t0 = time.time()
    out = ensure_out_dir(out)
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 0
    keras.utils.set_random_seed(seed)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", imagefolder.ImageFolderWarning)
        scan = imagefolder.scan_image_folder(data)
    for w in caught:
        if issubclass(w.category, imagefolder.ImageFolderWarning):
            print(f"zoo: warning: {w.message}", file=sys.stderr, flush=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print(f"data: {scan.summary()}", flush=True)

    if image_size is None:
        net, mode = build_backbone(backbone, weights=weights)
    else:
        net, mode = build_backbone(backbone, input_shape=(*imagefolder._size_hw(image_size, None), _channels(backbone, weights)), weights=weights)
    shape = tuple(net.input_shape[1:])
    if None in shape[:2]:
        raise ValueError(f"backbone {backbone!r} has no fixed input size; pass --image-size")
    color = "grayscale" if shape[-1] == 1 else "rgb"
    if shape[-1] not in (1, 3):
        raise ValueError(f"backbone {backbone!r} takes {shape[-1]} channels; image folders give 1 (grayscale) or 3 (RGB)")
    parts = imagefolder.split_indices(scan.labels, seed=seed, val_fraction=0.1, test_fraction=0.2)
    arrays = {}
    for split, idx in parts.items():
        arrays[split] = (imagefolder.load_images([scan.files[i] for i in idx], shape[:2], color), scan.labels[idx])
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = arrays["train"], arrays["val"], arrays["test"]
    print(
        f"backbone: {backbone} ({net.count_params():,} parameters, input {shape}, preprocessing {mode!r}"
        f"{', weights ' + os.fspath(weights) if weights else ', random init'}); "
        f"split {len(y_train)} train / {len(y_val)} val / {len(y_test)} test",
        flush=True,
    )
    model = new_head(net, len(scan.class_names), dropout, preprocessing=mode)
    csv_path = os.path.join(out, "history.csv")
    result = fine_tune(
        model,
        x_train,
        y_train,
        validation_data=(x_val, y_val) if len(y_val) else None,
        epochs=(epochs, fine_tune_epochs),
        learning_rates=learning_rates,
        unfreeze=unfreeze,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=[_EpochLine()],
    )
    hist = dict(result["history"])
    hist["phase"] = result["phase"]
    keys = list(hist)
    rows = [",".join(["epoch", *keys])] + [
        ",".join([str(i), *(f"{hist[k][i]:.6g}" for k in keys)]) for i in range(len(result["phase"]))
    ]
    write_text(csv_path, "\n".join(rows) + "\n")

    def accuracy(x, y):
        if not len(y):
            return None, np.zeros(0, int), np.zeros(0)
        p = np.asarray(model.predict(x, batch_size=256, verbose=0))
        return float((p.argmax(1) == y).mean()), p.argmax(1), p.max(1)

    train_acc, _, _ = accuracy(x_train, y_train)
    val_acc, _, _ = accuracy(x_val, y_val)
    test_acc, y_pred, _ = accuracy(x_test, y_test)
    save_model(model, os.path.join(out, "model.keras"))
    write_json(os.path.join(out, "labels.json"), list(scan.class_names))
    metrics = {
        "task": "classification",
        "model": model.name,
        "backbone": backbone,
        "weights": os.fspath(weights) if weights else None,
        "preprocessing": mode,
        "input_shape": list(shape),
        "data": scan.root,
        "classes": list(scan.class_names),
        "images": {"train": int(len(y_train)), "val": int(len(y_val)), "test": int(len(y_test))},
        "skipped_files": [p for p, _ in scan.skipped],
        "seed": seed,
        "parameters": int(model.count_params()),
        "phases": result["phases"],
        "train_accuracy": train_acc,
        "val_accuracy": val_acc,
        "test_accuracy": test_acc,
        "wall_seconds": None,
    }
    plots.plot_learning_curves(
        {k: v for k, v in result["history"].items()},
        os.path.join(out, "learning_curves.png"),
        title=f"Transfer: {backbone} on {os.path.basename(os.path.normpath(scan.root))} (phase 2 from epoch {result['phase'].count(1) + 1})",
        marks={result["phase"].count(1) + 1: "phase 2"} if 2 in result["phase"] and 1 in result["phase"] else None,
    )
    if len(y_test):
        plots.plot_confusion_matrix(
            y_test, y_pred, os.path.join(out, "confusion_matrix.png"), labels=scan.class_names, title=f"{backbone}, held-out images"
        )
    metrics["wall_seconds"] = round(time.time() - t0, 1)
    write_json(os.path.join(out, "metrics.json"), metrics)
    rows = [
        [f"phase {p['phase']}", p["epochs"], f"{p['learning_rate']:g}", f"{p['trainable_params']:,}", f"{p.get('accuracy', float('nan')):.3f}", "-" if "val_accuracy" not in p else f"{p['val_accuracy']:.3f}", f"{p['seconds']:.1f}"]
        for p in result["phases"]
    ]
    print(_table(rows, ["phase", "epochs", "lr", "trainable", "train acc", "val acc", "seconds"]), flush=True)
    fmt = lambda a: "-" if a is None else f"{a:.2%}"  # noqa: E731
    print(
        f"accuracy: train {fmt(train_acc)}, val {fmt(val_acc)}, test {fmt(test_acc)} ({len(y_test)} held-out images); "
        f"{metrics['wall_seconds']:.0f} s; run folder {out}/ (model.keras, labels.json, metrics.json, "
        "history.csv, learning_curves.png, confusion_matrix.png)",
        flush=True,
    )
    return metrics


class _EpochLine(keras.callbacks.Callback):
    """One progress line per epoch (when Keras' own bar is off)."""

    def on_epoch_end(self, epoch, logs=None):
        if self.params.get("verbose"):
            return
        logs = logs or {}
        shown = ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k != "learning_rate")
        print(f"  epoch {epoch + 1}/{self.params.get('epochs')}: {shown}", flush=True)


class _LogLine(keras.callbacks.Callback):
    """One progress line per epoch through `log`."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def on_epoch_end(self, epoch, logs=None):
        shown = ", ".join(f"{k} {v:.5f}" for k, v in (logs or {}).items() if k != "learning_rate")
        self.log(f"  epoch {epoch + 1}/{self.params.get('epochs')}: {shown}")
