"""`zoo.training.runtime`: `zoo train` seeds everything and runs deterministic ops, without leaving
the process-wide switch on for whatever trains next."""

import contextlib
import json

import keras
import pytest

from tests.test_train import _small


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's op determinism switch")
def test_seeded_turns_deterministic_ops_on_and_restores_them():
    from tensorflow.python.framework.config import is_op_determinism_enabled

    from zoo.training.runtime import seeded

    assert not is_op_determinism_enabled()
    with seeded(3):
        assert is_op_determinism_enabled()
    assert not is_op_determinism_enabled()
    with seeded(3, deterministic=False):
        assert not is_op_determinism_enabled()


def _train(out, seed, **kw):
    from zoo.training.train import train

    train("lenet5", "digits", str(out), epochs=1, batch_size=32, lr=3e-3, augment=True, seed=seed,
          datasets=_small(64, 16), verbose=0, **kw)
    return (out / "history.csv").read_text()


@pytest.mark.parametrize("deterministic", [False, True])
def test_train_runs_seeded_with_deterministic_ops_when_asked(tmp_path, monkeypatch, deterministic):
    """`zoo train --seed 5` seeds with 5; `--deterministic` (and the demo) also turns TensorFlow's
    deterministic ops on, which cost ResNet-50 7-11 % of its step and are off otherwise."""
    import zoo.training.train as train_module
    from zoo.training.runtime import seeded

    seen = []

    @contextlib.contextmanager
    def spy(seed, **kw):
        with seeded(seed, **kw):
            if keras.backend.backend() == "tensorflow":
                from tensorflow.python.framework.config import is_op_determinism_enabled

                seen.append((seed, is_op_determinism_enabled()))
            else:
                seen.append((seed, None))
            yield

    monkeypatch.setattr(train_module, "seeded", spy)
    _train(tmp_path / "run", 5, deterministic=deterministic)
    assert seen == [(5, deterministic if keras.backend.backend() == "tensorflow" else None)]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["deterministic"] is deterministic


@pytest.mark.slow
def test_same_seed_same_run(tmp_path):
    """Two `zoo train` runs with one seed write the same history, to the last digit."""
    assert _train(tmp_path / "a", 0) == _train(tmp_path / "b", 0)
