"""Planted mistakes the structural and behavioural tests catch, and correct alternatives they
must keep at full marks (exercises 3, 7, 8, 9 and 11; alternatives of 10 and 13 too). Both are exact text edits of
solutions/exNN_*.py, like planted_bugs.BUGS: a mistake is one realistic change that loses the
points of its `catches` test; an alternative computes the same thing written another way (own
layer names, separate Activation/ReLU/Softmax layers, functional instead of Sequential)."""

from planted_bugs import _b

LENET_SEQ = '''    return keras.Sequential(
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
'''

BUGS = [
    # ex03: the other tests build the model on the default input only, and read activation= settings
    _b("ex03_lenet", "input_shape ignored", "test_input_shape_reaches_the_model",
       ("            keras.Input(input_shape),", "            keras.Input((32, 32, 1)),")),
    _b("ex03_lenet", "softmax applied twice", "test_softmax_output",
       ('layers.Dense(classes, activation="softmax", name="predictions"),',
        'layers.Dense(classes, activation="softmax", name="predictions"),\n            layers.Softmax(),')),
    _b("ex03_lenet", "ReLU before the softmax", "test_softmax_output",
       ('layers.Dense(classes, activation="softmax", name="predictions"),',
        'layers.Dense(classes, activation=activation, name="predictions"),\n            layers.Softmax(),')),
]

ALTERNATIVES = [
    _b("ex03_lenet", "functional, separate Activation layers, output named probs", None,
       (LENET_SEQ,
        '''    inputs = keras.Input(input_shape)
    x = inputs
    for filters in (6, 16):
        x = layers.Conv2D(filters, 5)(x)
        x = layers.Activation(activation)(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    for units in (120, 84):
        x = layers.Activation(activation)(layers.Dense(units)(x))
    outputs = layers.Dense(classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs)
''')),
    _b("ex03_lenet", "Sequential with default names, ReLU layers where activation is relu, Softmax() last", None,
       (LENET_SEQ,
        '''    def act():
        return layers.ReLU() if activation == "relu" else layers.Activation(activation)

    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(6, 5), act(), layers.AveragePooling2D(2),
        layers.Conv2D(16, 5), act(), layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dense(120), act(),
        layers.Dense(84), act(),
        layers.Dense(classes), layers.Softmax(),
    ])
''')),
]

BUGS += [
    # ex07: the other tests always pass eps=1e-3 and momentum, and check dropout by its share of zeros only
    _b("ex07_batchnorm_dropout", "eps fixed at 1e-3", "test_batchnorm_any_batch_momentum_and_eps",
       ("y = gamma * (x - mean) / np.sqrt(var + eps) + beta", "y = gamma * (x - mean) / np.sqrt(var + 1e-3) + beta")),
    _b("ex07_batchnorm_dropout", "default momentum 0.9", "test_batchnorm_any_batch_momentum_and_eps",
       ("training, momentum=0.99, eps=1e-3)", "training, momentum=0.9, eps=1e-3)")),
    _b("ex07_batchnorm_dropout", "dropout ignores the seed", "test_dropout_mask_per_unit_from_the_seed",
       ("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()")),
    _b("ex07_batchnorm_dropout", "one dropout mask shared by all rows", "test_dropout_mask_per_unit_from_the_seed",
       ("    keep = rng.random(x.shape) >= rate\n", "    keep = rng.random(x.shape[-1]) >= rate\n")),
]

ALTERNATIVES += [
    _b("ex07_batchnorm_dropout", "BatchNorm through x_hat and mean of squares, dropout by rng.binomial", None,
       ("    y = gamma * (x - mean) / np.sqrt(var + eps) + beta\n",
        "    x_hat = (x - mean) * (var + eps) ** -0.5\n    y = x_hat * gamma + beta\n"),
       ("        mean, var = x.mean(axis=0), x.var(axis=0)\n",
        "        mean = np.sum(x, axis=0) / len(x)\n        var = np.mean((x - mean) ** 2, axis=0)\n"),
       ("    keep = rng.random(x.shape) >= rate\n    return x * keep / (1.0 - rate)",
        "    keep = rng.binomial(1, 1.0 - rate, size=x.shape)\n    return np.where(keep == 1, x / (1.0 - rate), 0.0)")),
]

BUGS += [
    # ex08: the other tests count parameters, shapes, one Add and non-negative outputs
    _b("ex08_vgg_resnet_blocks", "ReLU before BatchNorm in the main path", "test_residual_block_paths_any_arguments",
       ('    y = layers.BatchNormalization(name=f"{name}_bn1")(y)\n    y = layers.ReLU(name=f"{name}_relu1")(y)\n',
        '    y = layers.ReLU(name=f"{name}_relu1")(y)\n    y = layers.BatchNormalization(name=f"{name}_bn1")(y)\n')),
    _b("ex08_vgg_resnet_blocks", "ReLU on the main path before the addition", "test_residual_block_paths_any_arguments",
       ('    y = layers.Add(name=f"{name}_add")([y, shortcut])\n',
        '    y = layers.ReLU(name=f"{name}_relu2")(y)\n    y = layers.Add(name=f"{name}_add")([y, shortcut])\n')),
    _b("ex08_vgg_resnet_blocks", "VGG block with average pooling", "test_vgg_block_any_arguments",
       ('layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")', 'layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")')),
    _b("ex08_vgg_resnet_blocks", "shortcut taken after the first BatchNorm", "test_residual_block_paths_any_arguments",
       ('    y = layers.ReLU(name=f"{name}_relu1")(y)\n', '    if stride == 1 and x.shape[-1] == filters:\n        shortcut = y\n    y = layers.ReLU(name=f"{name}_relu1")(y)\n')),
]

ALTERNATIVES += [
    _b("ex08_vgg_resnet_blocks", "Conv2D + ReLU() layers, default names, Add([shortcut, y]), Activation('relu') last", None,
       ('        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{i + 1}")(x)\n    return layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")(x)',
        '        x = layers.ReLU()(layers.Conv2D(filters, (3, 3), padding="same")(x))\n    return layers.MaxPooling2D((2, 2))(x)'),
       ('''    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)
''', '''    if stride == 1 and x.shape[-1] == filters:
        shortcut = x
    else:
        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, padding="same", use_bias=False)(x))
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.Activation("relu")(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=1, padding="same", use_bias=False)(y))
    return layers.Activation("relu")(layers.Add()([shortcut, y]))
''')),
]

BUGS += [
    # ex09: the other tests fine-tune with n = 0 and 2 only and read the head's output rows
    _b("ex09_transfer", "top n fixed at 2", "test_fine_tune_any_n",
       ("top = set(id(l) for l in weighted[-n:]) if n > 0 else set()", "top = set(id(l) for l in weighted[-2:]) if n > 0 else set()")),
    _b("ex09_transfer", "one layer too many (weighted[-(n + 1):])", "test_fine_tune_any_n",
       ("top = set(id(l) for l in weighted[-n:]) if n > 0 else set()", "top = set(id(l) for l in weighted[-(n + 1):]) if n > 0 else set()")),
    _b("ex09_transfer", "head without its Dropout", "test_head_and_loss",
       ('    x = layers.Dropout(0.2, name="head_dropout")(x)\n', "")),
    _b("ex09_transfer", "categorical cross-entropy on integer labels", "test_head_and_loss",
       ('model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy"',
        'model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy"')),
]

ALTERNATIVES += [
    _b("ex09_transfer", "unfreeze by index from the end, loss object, Activation('softmax') head, default names", None,
       ("    weighted = [l for l in backbone.layers if l.weights]\n    top = set(id(l) for l in weighted[-n:]) if n > 0 else set()\n"
        "    for layer in backbone.layers:\n        layer.trainable = id(layer) in top and not isinstance(layer, layers.BatchNormalization)\n",
        "    weighted = [l for l in backbone.layers if l.weights]\n    for layer in backbone.layers:\n        layer.trainable = False\n"
        "    for k, layer in enumerate(reversed(weighted)):\n        if k < n and not isinstance(layer, layers.BatchNormalization):\n            layer.trainable = True\n"),
       ('    x = layers.GlobalAveragePooling2D(name="head_pool")(x)\n    x = layers.Dropout(0.2, name="head_dropout")(x)\n'
        '    outputs = layers.Dense(classes, activation="softmax", name="head")(x)\n',
        "    x = layers.Dropout(0.2)(layers.GlobalAveragePooling2D()(x))\n    outputs = layers.Activation(\"softmax\")(layers.Dense(classes)(x))\n"),
       ('model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy"',
        "model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss=keras.losses.SparseCategoricalCrossentropy()")),
]

BUGS += [
    # ex11: the other tests check the output shape, two Concatenates and their resolutions
    _b("ex11_unet_dice", "UpSampling2D instead of Conv2DTranspose", "test_tiny_unet_any_arguments",
       ("d2 = layers.Conv2DTranspose(2 * base, 2, strides=2)(b)", "d2 = layers.UpSampling2D(2)(b)")),
    _b("ex11_unet_dice", "last skip from the input instead of the first block", "test_tiny_unet_any_arguments",
       ("layers.Concatenate()([d1, e1])", "layers.Concatenate()([d1, inputs])")),
    _b("ex11_unet_dice", "widths hard-coded for base 4", "test_tiny_unet_any_arguments",
       ("    inputs = keras.Input(input_shape)\n", "    inputs = keras.Input(input_shape)\n    base = 4\n")),
    _b("ex11_unet_dice", "bottleneck at 2 base", "test_tiny_unet_any_arguments",
       ("b = conv_block(layers.MaxPooling2D(2)(e2), 4 * base)", "b = conv_block(layers.MaxPooling2D(2)(e2), 2 * base)")),
]

ALTERNATIVES += [
    _b("ex11_unet_dice", "levels in loops, Activation layers, concatenate(skip first), Softmax() head", None,
       ('''    e1 = conv_block(inputs, base)
    e2 = conv_block(layers.MaxPooling2D(2)(e1), 2 * base)
    b = conv_block(layers.MaxPooling2D(2)(e2), 4 * base)
    d2 = layers.Conv2DTranspose(2 * base, 2, strides=2)(b)
    d2 = conv_block(layers.Concatenate()([d2, e2]), 2 * base)
    d1 = layers.Conv2DTranspose(base, 2, strides=2)(d2)
    d1 = conv_block(layers.Concatenate()([d1, e1]), base)
    outputs = layers.Conv2D(classes, 1, activation="softmax")(d1)
''', '''    def block(x, f):
        for _ in range(2):
            x = layers.Activation("relu")(layers.Conv2D(f, (3, 3), padding="same")(x))
        return x

    skips, x = [], inputs
    for f in (base, 2 * base):
        x = block(x, f)
        skips.append(x)
        x = layers.MaxPooling2D((2, 2), strides=2)(x)
    x = block(x, 4 * base)
    for f, skip in zip((2 * base, base), reversed(skips)):
        x = layers.Conv2DTranspose(f, (2, 2), strides=(2, 2))(x)
        x = block(layers.concatenate([skip, x]), f)
    outputs = layers.Softmax()(layers.Conv2D(classes, 1)(x))
''')),
]

ALTERNATIVES += [
    _b("ex10_autoencoder", "one epoch per fit, by keyword; a Softmax layer on the classifier", None,
       ("    auto.fit(noisy, clean, epochs=epochs, batch_size=32, verbose=0)",
        "    for _ in range(epochs):\n        auto.fit(x=noisy, y=clean, epochs=1, batch_size=32, verbose=0)"),
       ('outputs = layers.Dense(classes, activation="softmax")(encoder(inputs, training=False))',
        "outputs = layers.Softmax()(layers.Dense(classes)(encoder(inputs, training=False)))")),
    _b("ex13_tuning", "the best trial from the oracle, trials counted by a list", None,
       ("    best = tuner.get_best_hyperparameters(1)[0]\n", "    best = tuner.oracle.get_best_trials(1)[0].hyperparameters\n"),
       ('    done = sum(1 for t in tuner.oracle.trials.values() if t.status == "COMPLETED")',
        '    done = len([t for t in tuner.oracle.trials.values() if t.status == "COMPLETED"])')),
]
