"""Optimizer and schedule names: the one list the library, the tuner and the CLI's choices share.

Light on purpose (no Keras): `zoo --help` and argument checks read it before Keras loads."""

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "step", "exponential", "cosine", "warmup_cosine", "plateau")
