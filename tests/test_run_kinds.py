"""A `zoo train` run and a `zoo transfer` run (random init and pretrained) of the same image folder,
a `zoo tune` search and a `zoo evaluate` of a run are one kind of run folder: the one reader
(`zoo.training.runs.RunFiles`) reads them, their history.csv has the same columns apart from
transfer's `phase`, and `zoo report` renders each, naming the data one way."""

import contextlib
import html
import io
import os
import re
import shutil

import pytest

from tests.test_transfer_cli import NAMES, write_digit_folder
from zoo.training.report import build_html
from zoo.training.runs import RunFiles


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from zoo.training.train import train
    from zoo.transfer import run_transfer

    root = tmp_path_factory.mktemp("kinds")
    data = write_digit_folder(str(root / "digits"), per_class=8)
    train("lenet5", f"folder:{data}", str(root / "train"), epochs=2, batch_size=16, verbose=0)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        run_transfer(data, "lenet5", str(root / "transfer"), epochs=1, fine_tune_epochs=1, batch_size=16, verbose=0)
    transferred = RunFiles(str(root / "transfer"))
    transferred.printed = printed.getvalue()
    return data, RunFiles(str(root / "train")), transferred


@pytest.fixture(scope="module")
def more_runs(runs, tmp_path_factory):
    """A transfer from the train run's weights, a search, and an evaluation of the train run."""
    from zoo import cli
    from zoo.training.evaluate import evaluate_path
    from zoo.transfer import run_transfer

    data, trained, _ = runs
    root = tmp_path_factory.mktemp("more")
    with contextlib.redirect_stdout(io.StringIO()):
        run_transfer(data, "lenet5", str(root / "pretrained"), weights=trained.model_file(), epochs=1,
                     fine_tune_epochs=1, batch_size=16, verbose=0)
        assert cli.main(["tune", "lenet5", "--dataset", "digits", "--image-size", "16", "--train-size", "96", "--epochs", "1",
                         "--tuner", "random", "--max-trials", "1", "--out", str(root / "tune")]) == 0
        shutil.copytree(trained.out, root / "evaluated")
        evaluate_path(str(root / "evaluated"), f"folder:{data}")  # into the run folder, as `zoo evaluate RUN` does
    return RunFiles(str(root / "pretrained")), RunFiles(str(root / "tune")), RunFiles(str(root / "evaluated"))


def test_a_pretrained_transfer_a_search_and_an_evaluation_are_read_by_the_same_reader(runs, more_runs):
    data, trained, _ = runs
    pretrained, tuned, evaluated = more_runs
    assert pretrained.read_config()["kind"] == "transfer" and pretrained.read_labels() == sorted(NAMES)
    assert list(pretrained.read_history()["phase"]) == [1, 2]  # head first, then the top block
    assert set(pretrained.read_history()) == set(trained.read_history()) | {"phase"}
    assert pretrained.read_metrics()["pretrained"] and pretrained.read_metrics()["status"] == "finished"
    tune = tuned.read_metrics()
    assert tuned.read_config()["kind"] == "tune" and tune["status"] == "finished" and tune["dataset"] == "digits"
    assert os.path.basename(tuned.model_file()) == "model.keras" and os.path.isfile(tuned.model_file())
    assert tuned.read_json("results")["trials_completed"] == 1 and tuned.read_labels() is not None
    evaluation = evaluated.read_json("evaluation")
    assert evaluation["dataset"] == f"folder:{data}" and 0 <= evaluation["metrics"]["accuracy"] <= 1
    for run, title in ((pretrained, f"lenet5 on folder:{data} ("), (tuned, "lenet5 on digits")):
        page = html.unescape(build_html(run.out))
        assert title in page.split("</h1>")[0] and "<h2>Test metrics</h2>" in page
    assert evaluated.read_metrics() == trained.read_metrics()  # the evaluation is beside the run's own metrics
    assert f"<h2>Last evaluation: folder:{data}, test split</h2>" in html.unescape(build_html(evaluated.out))


def test_one_reader_reads_a_train_and_a_transfer_run(runs):
    data, trained, transferred = runs
    for run, kind in ((trained, "train"), (transferred, "transfer")):
        assert run.read_config()["kind"] == kind
        assert run.read_labels() == sorted(NAMES)
        metrics = run.read_metrics()
        assert metrics["status"] == "finished" and metrics["dataset"] == f"folder:{data}"
        assert metrics["headline"] == {"accuracy": metrics["test"]["accuracy"]}
        assert {"accuracy", "loss", "errors", "per_class", "confusion_matrix"} <= set(metrics["test"])
        assert metrics["epochs_run"] == 2 and os.path.basename(run.model_file()) == "model.keras"
        assert "confusion_matrix.png" in metrics["figures"] and "learning_curves.png" in metrics["figures"]
    train_history, transfer_history = trained.read_history(), transferred.read_history()
    assert set(transfer_history) - set(train_history) == {"phase"}
    assert set(train_history) - set(transfer_history) == set()
    assert list(transfer_history["epoch"]) == [0, 1] and list(transfer_history["phase"]) == [1, 1]  # random init: one phase


def test_zoo_report_renders_both_and_names_the_data_one_way(runs):
    data, trained, transferred = runs
    name = f"folder:{data}"
    for run in (trained, transferred):
        page = build_html(run.out)
        text = html.unescape(re.sub(r"data:image/png;base64,[^'\"]*", "", page))
        assert f"on {name} (" in text.split("</h1>")[0]  # the title
        assert "<h2>Test metrics</h2>" in page and "<h2>Settings</h2>" in page
        # every mention of the folder is the one name: no bare path, basename or other spelling
        mentions = [m.start() for m in re.finditer(re.escape(os.path.basename(data)), text)]
        assert mentions and all(text[i - len(name) + len(os.path.basename(data)):i + len(os.path.basename(data))] == name
                                for i in mentions), [text[max(i - 60, 0):i + 20] for i in mentions]


def test_the_transfer_cli_lines_name_the_data_as_the_report_does(runs):
    data, _, transferred = runs
    name = f"folder:{data}"
    printed = [l for l in transferred.printed.splitlines() if data in l]
    assert printed and all(name in l for l in printed), printed
    assert any(l.startswith(f"zoo transfer: lenet5 on {name}: accuracy") for l in printed), printed
