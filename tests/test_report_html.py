"""What `zoo report` writes, read from the HTML of hand-made run folders (no training): confusion
matrices with their classes named and their axes said, timings in one line instead of lists of
floats, accuracies as percentages."""

import json
import re

import pytest

from zoo.training.report import build_html

NAMES = ["cat", "dog", "fox"]
MATRIX = [[5, 1, 0], [2, 3, 1], [0, 0, 6]]


def _run(tmp_path, *, metrics=None, labels=NAMES, evaluation=None):
    """A finished train run folder of a 3-class classifier, as `zoo train` leaves it."""
    out = tmp_path / "run"
    out.mkdir()
    config = {"kind": "train", "model": "lenet5", "dataset": "folder:pets", "task": "classification", "epochs": 60}
    test = {"accuracy": 14 / 18, "loss": 0.61, "errors": 4,
            "per_class": {n: {"precision": 0.8, "recall": 0.7, "support": 6} for n in NAMES}, "confusion_matrix": MATRIX}
    full = {"status": "finished", "kind": "train", "model": "lenet5", "dataset": "folder:pets", "task": "classification",
            "headline": {"accuracy": test["accuracy"]}, "test": test, "epochs": 60, "epochs_run": 60, "parameters": 61706,
            "images": {"train": 90, "val": 10, "test": 18}, "timings": {}, "figures": []}
    full.update(metrics or {})
    (out / "config.json").write_text(json.dumps(config))
    (out / "metrics.json").write_text(json.dumps(full))
    if labels is not None:
        (out / "labels.json").write_text(json.dumps(labels))
    if evaluation is not None:
        (out / "evaluation.json").write_text(json.dumps(evaluation))
    return build_html(str(out))


def _matrices(page):
    return re.findall(r"<table class='cm'>(.*?)</table>", page)


def _rows(matrix_html):
    """[[header cells...], [row cells...], ...] of one confusion-matrix table."""
    return [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", matrix_html)]


def test_confusion_matrix_names_its_classes_and_says_which_axis_is_true(tmp_path):
    (matrix,) = _matrices(_run(tmp_path))
    rows = _rows(matrix)
    assert rows[0] == ["true \\ predicted", *NAMES]  # predicted across
    assert [r[0] for r in rows[1:]] == NAMES  # true down, every row labelled
    assert [r[1:] for r in rows[1:]] == [[str(v) for v in row] for row in MATRIX]


def test_confusion_matrix_takes_its_names_from_labels_json_and_names_the_other_column(tmp_path):
    """No per-class table beside the matrix: the run's labels.json names it; a matrix over some of
    the model's classes (evaluated on a subset) has its last row and column for any other class."""
    test = {"accuracy": 0.5, "errors": 9, "confusion_matrix": MATRIX}
    subset = {"accuracy": 0.5, "per_class": {n: {"precision": 1.0, "recall": 0.5, "support": 4} for n in NAMES[:2]},
              "confusion_matrix": [[2, 0, 2], [0, 2, 2], [0, 0, 0]]}
    page = _run(tmp_path, metrics={"test": test}, evaluation={"dataset": "folder:two", "split": "test", "metrics": subset})
    first, second = (_rows(m) for m in _matrices(page))
    assert first[0] == ["true \\ predicted", *NAMES] and [r[0] for r in first[1:]] == NAMES
    assert second[0] == ["true \\ predicted", "cat", "dog", "(another class)"]


def test_confusion_matrix_without_names_numbers_its_classes(tmp_path):
    (matrix,) = _matrices(_run(tmp_path, metrics={"test": {"accuracy": 0.5, "confusion_matrix": MATRIX}}, labels=None))
    rows = _rows(matrix)
    assert rows[0] == ["true \\ predicted", "0", "1", "2"] and [r[0] for r in rows[1:]] == ["0", "1", "2"]


def test_timings_are_summarized_not_printed_as_lists(tmp_path):
    epochs = [2.1] + [0.41] * 59
    page = _run(tmp_path, metrics={"timings": {"wall_seconds": 31.0, "epoch_seconds": epochs, "step_seconds": [1.6] + [0.3] * 59}})
    timings = re.search(r"<h2>Timings</h2>(.*?)</table>", page).group(1)
    assert "<th>epoch_seconds</th><td>60 epochs: first 2.1 s, then mean 0.41 s, total 26.29 s</td>" in timings
    assert "<th>step_seconds</th><td>60 epochs: first 1.6 s, then mean 0.3 s, total 19.3 s</td>" in timings
    assert "0.41, 0.41" not in page and len(re.findall(r"\d", timings)) < 80, timings


@pytest.mark.parametrize("value, shown", [(1.0, "100%"), (14 / 18, "77.78%"), (0.0, "0%")])
def test_accuracy_headline_is_a_percentage_of_the_test_images(tmp_path, value, shown):
    """'test accuracy: 1' read as one image right; 100% of 18 images says what it is."""
    errors = round(18 * (1 - value))
    page = _run(tmp_path, metrics={"headline": {"accuracy": value},
                                         "test": {"accuracy": value, "loss": 0.61, "errors": errors}})
    assert f"test accuracy: <b>{shown}</b> ({18 - errors} of 18 images) after 60 epochs" in page
    assert f"<th>accuracy</th><td class='n'>{shown}</td>" in page  # the same number the same way in the table
    assert "<th>loss</th><td class='n'>0.61</td>" in page  # other metrics stay numbers


def test_best_trials_table_has_one_column_per_trial_not_per_hyperparameter(tmp_path):
    """13 hyperparameters as columns made the table scroll sideways on a 1280 px laptop; 10
    trials as columns fit, each hyperparameter a named row."""
    space = {"c1_filters": 12, "c3_filters": 24, "kernel_size": 3, "activation": "relu", "pool": "max", "dropout": 0.1,
             "optimizer": "adadelta", "learning_rate": 0.1, "schedule": "constant", "weight_decay": 1e-4,
             "batch_size": 32, "augment": 0, "label_smoothing": 0.1}
    trials = [{"trial": i + 1, "score": 0.5 + i / 100, "hyperparameters": dict(space, dropout=i / 20)} for i in range(12)]
    out = tmp_path / "tune"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"kind": "tune", "model": "lenet5", "dataset": "digits", "epochs": 2}))
    (out / "metrics.json").write_text(json.dumps({"status": "finished", "kind": "tune", "headline": {"val_accuracy": 0.61}}))
    (out / "results.json").write_text(json.dumps({"objective": "val_accuracy", "direction": "max", "trials": trials,
                                                  "trials_completed": 12, "trials_total": 12,
                                                  "best": {"hyperparameters": trials[-1]["hyperparameters"]}}))
    page = build_html(str(out))
    assert "best trial val_accuracy: <b>61%</b>" in page
    best = re.search(r"<h3>Best trials</h3><div[^>]*><table>(.*?)</table>", page).group(1)
    rows = [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", r) for r in re.findall(r"<tr>(.*?)</tr>", best)]
    assert rows[0] == ["trial", *(str(i + 1) for i in range(11, 1, -1))]  # the 10 best, best first (numbered from 1)
    assert [r[0] for r in rows[1:]] == ["val_accuracy", *space]
    assert rows[1][1:3] == ["61%", "60%"] and rows[7][1] == "0.55"  # dropout of trial 12
