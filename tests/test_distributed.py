"""Data parallelism on 2 fake CPU devices (JAX): a zoo model trains one epoch under
keras.distribution.DataParallel although the last batch would not divide, and predict works
on any number of samples."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.conftest import ROOT

SCRIPT = textwrap.dedent(
    """
    import numpy as np, keras, zoo
    from zoo import distribute
    assert len(keras.distribution.list_devices()) == 2, keras.distribution.list_devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    keras.utils.set_random_seed(0)
    model = zoo.get_model("lenet5", input_shape=(16, 16, 1), classes=3)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((13, 16, 16, 1), dtype=np.float32), rng.integers(0, 3, 13)
    try:  # 13 = 3 batches of 4 + 1: the last batch does not split over 2 devices
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
        print("RAW_FIT ok")
    except Exception as e:
        print("RAW_FIT", type(e).__name__)
    xd, yd = distribute.fit_arrays(x, y, batch_size=4)
    hist = model.fit(xd, yd, batch_size=4, epochs=1, verbose=0)
    print("FIT", len(xd), hist.history["loss"][0])
    for n in (1, 5, 13):
        print("PREDICT", n, distribute.predict(model, x[:n], batch_size=4).shape)
    """
)


def test_data_parallel_on_two_fake_devices():
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
        PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(l.split(" ", 1) for l in proc.stdout.splitlines() if l.split(" ")[0] in ("RAW_FIT", "FIT"))
    assert lines["RAW_FIT"] != "ok"  # the problem the helpers solve
    n, loss = lines["FIT"].split()
    assert int(n) == 12 and np.isfinite(float(loss))
    preds = [l.split(" ", 1)[1] for l in proc.stdout.splitlines() if l.startswith("PREDICT")]
    assert preds == ["1 (1, 3)", "5 (5, 3)", "13 (13, 3)"]


def test_helpers_pad_and_drop():
    from zoo import distribute

    x, y = np.arange(7), np.arange(7) * 10
    xp, yp, n = distribute.pad_to_multiple(x, y, 4)
    assert n == 7 and xp.tolist() == [0, 1, 2, 3, 4, 5, 6, 6] and yp.tolist()[-1] == 60
    xd, yd = distribute.drop_remainder(x, y, 4)
    assert xd.tolist() == [0, 1, 2, 3] and yd.tolist() == [0, 10, 20, 30]
    with pytest.raises(ValueError, match=r"batch_size.*multiple of the 2 devices.*Received: batch_size=3"):
        distribute.fit_arrays(x, y, batch_size=3, devices=2)
    with pytest.raises(ValueError, match=r"mode.*Received: mode='wrap'"):
        distribute.fit_arrays(x, y, batch_size=4, devices=2, mode="wrap")
    with pytest.raises(ValueError, match=r"3 samples are fewer than the 4 devices"):
        distribute.drop_remainder(x[:3], None, 4)
