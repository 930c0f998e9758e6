"""Data parallelism on 2 fake CPU devices (JAX): a zoo model trains one epoch under
keras.distribution.DataParallel although the last batch would not divide, and predict works
on any number of samples."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.conftest import ROOT, run_zoo

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


# ----------------------------------------------------------------------------- zoo train --distribute data
# These run in the JAX pass of `make test` (marked portable); their subprocesses are JAX on the
# CPU whatever the parent's backend, so the TensorFlow pass leaves them out instead of running them twice.
jax_pass = pytest.mark.skipif(os.environ.get("KERAS_BACKEND") != "jax",
                              reason="runs in the JAX pass (KERAS_BACKEND=jax); its subprocess is JAX anyway")

TRAIN_SCRIPT = textwrap.dedent(
    """
    import contextlib, io, json, os, sys
    import numpy as np, keras, zoo
    from zoo.cli import main
    from zoo.data import ArrayDataset, load
    from zoo.models import load_model
    from zoo.training import callbacks as cb
    from zoo.training.runs import RunInterrupted
    from zoo.training.train import train

    assert len(keras.distribution.list_devices()) == 2, keras.distribution.list_devices()
    out = sys.argv[1]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(["train", "lenet5", "--dataset", "digits", "--batch-size", "15", "--distribute", "data",
                   "--out", out + "/odd"])
    print("ODD", json.dumps([rc, err.getvalue(), os.path.exists(out + "/odd")]))

    def part(split, n):
        d = load("digits", split, image_size=32, channels=1)
        return ArrayDataset(d.x[:n], np.asarray(d.y)[:n], d.task, d.class_names, "digits")

    splits = (part("train", 96), part("val", 32), part("test", 32))
    save, interrupt = cb.AtomicBackupAndRestore._save_model, [False]

    def save_then_interrupt(self):  # Ctrl-C right after the first epoch's backup is written
        save(self)
        if interrupt[0]:
            interrupt[0] = False
            raise KeyboardInterrupt

    cb.AtomicBackupAndRestore._save_model = save_then_interrupt
    kw = dict(epochs=2, batch_size=16, seed=3, verbose=0, datasets=splits)
    for name, distribute in (("one", None), ("two", "data")):
        interrupt[0] = True
        try:
            train("lenet5", "digits", f"{out}/{name}", distribute=distribute, **kw)
        except RunInterrupted as e:
            print("INTERRUPTED", name, json.dumps(str(e)))
        m = train("lenet5", "digits", f"{out}/{name}", distribute=distribute, **kw)
        print("RESUMED", name, json.dumps([m["resumed_after_epoch"], m["distribute"], m["epochs_run"]]))
    w1, w2 = (load_model(f"{out}/{name}/model.keras").get_weights() for name in ("one", "two"))
    keras.utils.set_random_seed(3)
    w0 = zoo.get_model("lenet5", input_shape=(32, 32, 1), classes=10).get_weights()
    print("WEIGHTS", json.dumps([max(float(np.abs(a - b).max()) for a, b in zip(w1, w2)),
                                 max(float(np.abs(a - b).max()) for a, b in zip(w1, w0))]))
    """
)


def _jax_env(**extra):
    return dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
                PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), **extra)


def _records(stdout, tag):
    import json

    return {l.split(" ")[1]: json.loads(l.split(" ", 2)[2]) for l in stdout.splitlines() if l.startswith(tag + " ")}


@pytest.mark.portable
@jax_pass
def test_train_distribute_data_on_two_fake_devices_matches_one_device_and_resumes(tmp_path):
    """Same seed, same global batch 16: 2 devices x 8 give one device's weights, through a Ctrl-C
    after epoch 1 and the rerun that resumes from the backup."""
    import json

    env = _jax_env(XLA_FLAGS="--xla_force_host_platform_device_count=2")
    proc = subprocess.run([sys.executable, "-c", TRAIN_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    odd = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("ODD "))[4:])
    assert odd[0] == 2 and odd[2] is False, odd  # refused before anything was written
    assert odd[1] == ("zoo: error: --batch-size (the global batch) 15 does not split evenly over the 2 devices: "
                      "pass a multiple of 2, e.g. 14 or 16. Received: --batch-size 15\n")
    interrupted = _records(proc.stdout, "INTERRUPTED")
    assert "--distribute data" in interrupted["two"] and "--distribute" not in interrupted["one"]
    resumed = _records(proc.stdout, "RESUMED")
    assert resumed["one"] == [1, None, 2]
    assert resumed["two"] == [1, {"strategy": "data", "devices": 2, "processes": 1}, 2]
    assert "zoo train: data-parallel over 2 device(s) (1 process): batch 16 = 2 x 8 per device" in proc.stdout
    diff, moved = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("WEIGHTS "))[8:])
    assert moved > 1e-3  # training changed the weights ...
    assert diff < 1e-5, diff  # ... the same way on 2 devices as on one (float round-off apart)
    config = json.load(open(tmp_path / "two" / "config.json"))
    assert config["distribute"] == {"strategy": "data", "devices": 2, "processes": 1}


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_processes(outs, epochs):
    """`zoo train lenet5 --distribute data` as process 0 and 1 on 127.0.0.1, writing `outs[i]`."""
    port, procs = _free_port(), []
    for pid in (0, 1):
        env = _jax_env(KERAS_DISTRIBUTION_JOB_ADDRESSES=f"127.0.0.1:{port}", KERAS_DISTRIBUTION_NUM_PROCESSES="2",
                       KERAS_DISTRIBUTION_PROCESS_ID=str(pid))
        cmd = [sys.executable, "-m", "zoo", "train", "lenet5", "--dataset", "digits", "--epochs", str(epochs),
               "--batch-size", "32", "--distribute", "data", "--out", str(outs[pid])]
        procs.append(subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return procs


def _finish(procs):
    texts = []
    try:
        for p in procs:
            texts.append(p.communicate(timeout=600)[0])
    finally:
        for p in procs:
            p.kill()
    return texts


@pytest.mark.portable
@jax_pass
def test_train_distribute_data_with_two_processes_on_localhost(tmp_path):
    """Two processes (one CPU device each) join through KERAS_DISTRIBUTION_*: JAX's CPU
    collectives (gloo, jax's default) carry the gradients; process 0 alone writes. Process 1 is
    given a folder of its own here to show that it writes nothing (a real cluster shares one)."""
    import json

    outs = [tmp_path / "run", tmp_path / "process1"]
    procs = _start_processes(outs, epochs=2)
    texts = _finish(procs)
    assert [p.returncode for p in procs] == [0, 0], "\n---\n".join(t[-3000:] for t in texts)
    assert "zoo train: data-parallel over 2 device(s) (2 processes x 1; this is process 0): batch 32 = 2 x 16" in texts[0]
    assert "(2 processes x 1; this is process 1): 646 train images in this shard" in texts[1]
    assert "zoo train: process 1 finished its 2 epochs" in texts[1]
    assert not outs[1].exists()  # process 1 wrote nothing
    config = json.load(open(outs[0] / "config.json"))
    metrics = json.load(open(outs[0] / "metrics.json"))
    assert config["distribute"] == metrics["distribute"] == {"strategy": "data", "devices": 2, "processes": 2}
    assert metrics["status"] == "finished" and metrics["epochs_run"] == 2
    assert metrics["test"]["accuracy"] > 0.6  # it learned (one process reaches about 0.9 in 2 epochs)
    assert (outs[0] / "model.keras").exists() and (outs[0] / "learning_curves.png").exists()


def test_train_distribute_refuses_the_tensorflow_backend(tmp_path):
    r = run_zoo("train", "lenet5", "--dataset", "digits", "--distribute", "data", "--out", str(tmp_path / "r"),
                env={"KERAS_BACKEND": "tensorflow"})
    assert r.returncode == 2
    assert r.stderr == ("zoo: error: --distribute 'data' needs the JAX backend: run with KERAS_BACKEND=jax "
                        "(Keras runs on tensorflow here). Received: --distribute 'data'\n")
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
@pytest.mark.portable
@jax_pass
def test_two_processes_resume_after_kill_9_from_the_shared_folder(tmp_path):
    """Both processes killed -9 after process 0 wrote epoch 1's backup; the same two commands
    resume (process 1 reads the backup too). A process 1 pointed at another folder is refused:
    it would start from scratch while process 0 resumes."""
    import json
    import signal
    import time

    out = tmp_path / "run"
    procs = _start_processes([out, out], epochs=3)
    meta = out / "backup" / "training_metadata.json"
    t0 = time.time()
    while not (meta.exists() and json.load(open(meta))["epoch"] >= 1):
        assert time.time() - t0 < 600 and all(p.poll() is None for p in procs), "no backup written"
        time.sleep(0.1)
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
    _finish(procs)
    finished = json.load(open(meta))["epoch"]

    procs = _start_processes([out, tmp_path / "elsewhere"], epochs=3)
    texts = _finish(procs)
    assert [p.returncode for p in procs] == [2, 2], texts
    assert "zoo: error: the run folder" in texts[0] and "reads differently on process 1" in texts[0]
    assert not (tmp_path / "elsewhere").exists()

    procs = _start_processes([out, out], epochs=3)
    texts = _finish(procs)
    assert [p.returncode for p in procs] == [0, 0], "\n---\n".join(t[-3000:] for t in texts)
    assert f"zoo train: resuming {out} after epoch {finished} of 3" in texts[0]
    metrics = json.load(open(out / "metrics.json"))
    assert metrics["status"] == "finished" and metrics["epochs_run"] == 3 and metrics["resumed_after_epoch"] == finished
    history = (out / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1", "2"]
