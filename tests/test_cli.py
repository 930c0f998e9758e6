import json
import os
import stat

import pytest

from tests.conftest import run_zoo


def _one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("zoo: error: ")
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_list_and_info():
    proc = run_zoo("list", "lenet*")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "lenet5"
    proc = run_zoo("info", "lenet5")
    assert proc.returncode == 0, proc.stderr
    assert "61,706" in proc.stdout and "(32, 32, 1)" in proc.stdout and "LeCun" in proc.stdout
    assert proc.stderr.strip() == "", proc.stderr  # TensorFlow's start-up chatter is held back


def test_list_with_no_match_exits_1():
    proc = run_zoo("list", "nothing*")
    assert proc.returncode == 1 and "no model matches" in proc.stderr


@pytest.mark.parametrize(
    "args, needles",
    [
        (("info", "resnet-50x"), ["Unknown model 'resnet-50x'"]),
        (("info", "lenet"), ["Did you mean: lenet5"]),
        (("demo", "--epochs", "0"), ["--epochs", "'0'"]),
        (("demo", "--epochs", "many"), ["--epochs", "'many'"]),
        (("fly",), ["invalid choice: 'fly'"]),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(args, needles):
    _one_line_error(run_zoo(*args), *needles)


def test_unwritable_out_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _one_line_error(run_zoo("demo", "--epochs", "1", "--out", str(blocker)), str(blocker), "is a file")
    if os.geteuid() != 0:  # root can write anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        _one_line_error(run_zoo("demo", "--epochs", "1", "--out", str(locked / "sub")), "cannot be created")


def test_demo_short_run_writes_the_report(tmp_path):
    out = tmp_path / "demo"
    proc = run_zoo("demo", "--epochs", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "test accuracy:" in proc.stdout
    for f in ("model.keras", "metrics.json", "history.csv", "learning_curves.png", "confusion_matrix.png", "misclassified.png"):
        assert (out / f).stat().st_size > 0, f
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["images"]["test"] == 360 and metrics["parameters"] == 61_706
    assert metrics["kind"] == "demo" and metrics["model"] == "lenet5" and metrics["dataset"] == "digits"
    assert len((out / "history.csv").read_text().splitlines()) == 3  # header + 2 epochs
    assert not [p for p in os.listdir(out) if ".tmp" in p]  # no temporary file left behind
    assert metrics["test"]["accuracy"] > 0.5  # two epochs already learn


def test_library_errors_reach_the_terminal_in_flag_words(tmp_path):
    """The library names Python arguments (`image_size`); the CLI shows the flag typed (--image-size)."""
    from zoo.cli import build_parser, flag_wording

    args = build_parser().parse_args(["bench", "--model", "lenet5"])
    assert flag_wording("`image_size` must be an integer >= 32. Received: image_size=8", args.parser) == (
        "--image-size must be an integer >= 32. Received: --image-size 8")
    assert flag_wording("`weights` is not a file. Received: weights='w'", args.parser) == (
        "`weights` is not a file. Received: weights='w'")  # not a flag of bench: left alone
    _one_line_error(run_zoo("bench", "--model", "lenet5", "--image-size", "8", "--out", str(tmp_path / "b")),
                    "--image-size must be at least 16x16 for lenet5", "Received: --image-size 8")
    assert not (tmp_path / "b").exists()
