"""A `zoo train` run and a `zoo transfer` run of the same image folder are one kind of run folder:
the one reader (`zoo.training.runs.RunFiles`) reads both, their history.csv has the same columns
apart from transfer's `phase`, and `zoo report` renders both, naming the data one way."""

import contextlib
import html
import io
import os
import re

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
