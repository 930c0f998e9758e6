"""Ctrl-C during a fit is raised at the end of a batch (zoo.interrupts + StopOnInterrupt), never in
the middle of the framework's step or a checkpoint write; a second Ctrl-C raises at once."""

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

SCRIPT = textwrap.dedent("""
    import os, signal
    import numpy as np
    import keras
    from zoo import interrupts
    from zoo.training.callbacks import StopOnInterrupt

    interrupts.install()
    # outside a fit: raised at once
    try:
        os.kill(os.getpid(), signal.SIGINT)
        print("outside: not raised")
    except KeyboardInterrupt:
        print("outside: raised")
    # inside deferred(): noted, raised by check(); a second one raises at once
    with interrupts.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        print("deferred: noted")
        try:
            os.kill(os.getpid(), signal.SIGINT)
            print("second: not raised")
        except KeyboardInterrupt:
            print("second: raised")
    print("after the block: clean")

    class Sends(keras.callbacks.Callback):
        ended = []
        def on_train_batch_begin(self, batch, logs=None):
            if self.params and batch == 2:
                os.kill(os.getpid(), signal.SIGINT)  # arrives while batch 2 runs
        def on_train_batch_end(self, batch, logs=None):
            Sends.ended.append(batch)

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.random.rand(64, 4).astype("float32"), np.zeros(64, int)
    try:
        with interrupts.deferred():
            model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Sends(), StopOnInterrupt()])
        print("fit: not interrupted")
    except KeyboardInterrupt:
        print(f"fit: interrupted after batches {Sends.ended}")
""")


def test_a_ctrl_c_during_a_fit_is_raised_at_the_end_of_its_batch():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [l for l in proc.stdout.splitlines() if l.split(":")[0] in ("outside", "deferred", "second", "after the block", "fit")]
    assert lines == ["outside: raised", "deferred: noted", "second: raised", "after the block: clean",
                     "fit: interrupted after batches [0, 1, 2]"], proc.stdout + proc.stderr[-2000:]
