"""A run cut by Ctrl-C and rerun is the uninterrupted run: the same loss every epoch and the same
final weights (atol 1e-6, as 4 + 2 extended epochs equal 6 in test_run_extension). That needs
more than the weights and the optimizer's state: each epoch's data order and the random layers'
state (augmentation, dropout) are restored too."""

import csv

import numpy as np
import pytest

import zoo
from tests.test_train import _small
from tests.test_transfer_cli import write_digit_folder
from tests.test_transfer_resume import Session, sessions  # noqa: F401  (the fixture that cuts a fit)
from zoo.data import ArrayDataset
from zoo.training.runs import RunInterrupted


def _losses(out):
    with open(out / "history.csv", newline="") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


def _same_run(resumed, straight):
    assert _losses(resumed) == pytest.approx(_losses(straight), rel=1e-5)
    for a, b in zip(zoo.load_model(str(resumed)).get_weights(), zoo.load_model(str(straight)).get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def _cut_then_rerun(sessions, cut, run):  # noqa: F811
    sessions.cut, sessions.ran = cut, []
    with pytest.raises(RunInterrupted):
        run()
    sessions.cut, sessions.ran = None, []
    return run()


def test_zoo_train_augmented_cut_after_4_of_6_epochs_resumes_as_the_uninterrupted_run(tmp_path, sessions):  # noqa: F811
    from zoo.training.train import train

    tr, va, te = _small(80, 16)
    data = (tr, ArrayDataset(va.x[:16], va.y[:16], va.task, va.class_names, va.name), te)
    kw = {"epochs": 6, "batch_size": 16, "lr": 1e-3, "augment": True, "datasets": data, "verbose": 0}
    train("lenet5", "digits", str(tmp_path / "straight"), **kw)
    m = _cut_then_rerun(sessions, 4, lambda: train("lenet5", "digits", str(tmp_path / "resumed"), **kw))
    assert m["resumed_after_epoch"] == 4 and sessions.ran == [4, 5]
    _same_run(tmp_path / "resumed", tmp_path / "straight")


@pytest.fixture(scope="module")
def transfer_setup(tmp_path_factory):
    """A digit folder, a "pretrained" LeNet-5 (the two-phase recipe, dropout 0.2 in the head) and
    the uninterrupted run of 2 + 2 epochs on them."""
    from zoo.transfer import run_transfer

    root = tmp_path_factory.mktemp("transfer")
    data = write_digit_folder(str(root / "images"), per_class=8)
    weights = str(root / "lenet5.keras")
    zoo.get_model("lenet5", classes=10).save(weights)
    args = {"weights": weights, "epochs": 2, "fine_tune_epochs": 2, "batch_size": 8, "verbose": 0}
    run_transfer(data, "lenet5", str(root / "straight"), **args)
    return data, args, root / "straight"


@pytest.mark.parametrize("cut", [1, 3], ids=["in-phase-1", "in-phase-2"])
def test_zoo_transfer_cut_in_either_phase_resumes_as_the_uninterrupted_run(tmp_path, sessions, transfer_setup, cut):  # noqa: F811
    from zoo.transfer import run_transfer

    data, args, straight = transfer_setup
    out = tmp_path / "resumed"
    m = _cut_then_rerun(sessions, cut, lambda: run_transfer(data, "lenet5", str(out), **args))
    assert m["epochs_run"] == 4 and sessions.ran == list(range(cut, 4))
    _same_run(out, straight)


def test_each_epochs_batches_depend_on_the_seed_and_the_epoch_alone():
    from zoo.data.order import EpochBatches

    x, y = np.arange(10), {"boxes": np.arange(10) * 2}

    def epoch(batches, e):
        batches.epoch = e
        return [batches[i] for i in range(len(batches))]

    first = EpochBatches(x, y, batch_size=4, seed=3)
    seen = [epoch(first, e) for e in range(3)]
    assert [len(b[0]) for b in seen[0]] == [4, 4, 2]
    for batches in seen:  # every sample once per epoch, the targets with their images
        assert sorted(np.concatenate([b[0] for b in batches])) == list(range(10))
        assert all((b[1]["boxes"] == 2 * b[0]).all() for b in batches)
    order = [np.concatenate([b[0] for b in batches]).tolist() for batches in seen]
    assert order[0] != order[1] != order[2]
    fresh = EpochBatches(x, y, batch_size=4, seed=3)  # a resumed process, starting at epoch 2
    assert np.concatenate([b[0] for b in epoch(fresh, 2)]).tolist() == order[2]
    assert np.concatenate([b[0] for b in epoch(EpochBatches(x, y, batch_size=4, seed=4), 2)]).tolist() != order[2]
