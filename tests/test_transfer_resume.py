"""`zoo transfer` cut by Ctrl-C or kill -9 in either phase resumes where it stopped, with the same
command: a finished phase is restored from backup/, not trained again."""

import csv

import keras
import pytest

from tests.test_transfer_cli import write_digit_folder
from zoo.training.runs import RunInterrupted
from zoo.transfer import run_transfer


class Session(keras.callbacks.Callback):
    """Records the epochs one session fits (and their loss); raises KeyboardInterrupt at `cut`."""

    cut, ran, loss = None, [], {}

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == Session.cut:
            raise KeyboardInterrupt
        Session.ran.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        Session.loss[epoch] = logs["loss"]


@pytest.fixture
def sessions(monkeypatch):
    real_fit = keras.Model.fit

    def fit(self, *a, **k):
        return real_fit(self, *a, **{**k, "callbacks": [*k["callbacks"], Session()]})

    monkeypatch.setattr(keras.Model, "fit", fit)
    return Session


def test_a_transfer_cut_in_phase_2_resumes_there_without_training_the_head_again(tmp_path, sessions, capsys):
    import zoo

    data = write_digit_folder(str(tmp_path / "images"), per_class=6)
    weights = str(tmp_path / "lenet5.keras")  # a "pretrained" file: the two-phase recipe
    zoo.get_model("lenet5", classes=10).save(weights)
    out = tmp_path / "run"
    args = {"weights": weights, "epochs": 2, "fine_tune_epochs": 2, "batch_size": 16, "verbose": 0}

    sessions.cut, sessions.ran = 3, []  # Ctrl-C after the first epoch of phase 2 (epochs 0, 1: phase 1)
    with pytest.raises(RunInterrupted) as e:
        run_transfer(data, "lenet5", str(out), **args)
    assert sessions.ran == [0, 1, 2]
    assert str(e.value).endswith(f"resume with: zoo transfer --data {data} --backbone lenet5 --weights {weights} "
                                 f"--epochs 2 --fine-tune-epochs 2 --unfreeze 1 --lr 0.001 --batch-size 16 --seed 0 --out {out}")
    first = dict(sessions.loss)

    sessions.cut, sessions.ran = None, []
    metrics = run_transfer(data, "lenet5", str(out), **args)
    assert sessions.ran == [3]  # phase 1 restored, not fitted again; phase 2 goes on after its epoch
    printed = capsys.readouterr().out
    assert f"resuming {out} after epoch 3" in printed and "phase 1/2: finished before the interruption" in printed
    with open(out / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # what an uninterrupted run writes: 2 + 2 epochs, phases 1, 1, 2, 2, the first three as logged before the cut
    assert [(int(r["epoch"]), int(r["phase"])) for r in rows] == [(0, 1), (1, 1), (2, 2), (3, 2)]
    assert [float(r["loss"]) for r in rows[:3]] == pytest.approx([first[0], first[1], first[2]], rel=1e-5)
    assert metrics["status"] == "finished" and metrics["epochs_run"] == 4
    assert [p["phase"] for p in metrics["phases"]] == [1, 2] and metrics["phases"][1]["epochs"] == 2
    assert not (out / "backup").exists()

    sessions.ran = []  # a finished run is not trained again
    assert run_transfer(data, "lenet5", str(out), **args) == metrics and sessions.ran == []
    assert "holds this finished run" in capsys.readouterr().out


def test_a_transfer_cut_in_phase_1_resumes_in_phase_1(tmp_path, sessions):
    data = write_digit_folder(str(tmp_path / "images"), per_class=6)
    out = tmp_path / "run"
    args = {"epochs": 3, "fine_tune_epochs": 0, "batch_size": 16, "verbose": 0}  # no weights: one phase, from scratch

    sessions.cut, sessions.ran = 1, []
    with pytest.raises(RunInterrupted):
        run_transfer(data, "lenet5", str(out), **args)
    sessions.cut, sessions.ran = None, []
    metrics = run_transfer(data, "lenet5", str(out), **args)
    assert sessions.ran == [1, 2] and metrics["epochs_run"] == 3
    assert len((out / "history.csv").read_text().splitlines()) == 1 + 3
