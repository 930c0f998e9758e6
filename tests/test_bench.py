"""`zoo bench`: the table, bench.json and bench.png come out, with positive figures and ratios.
No timing assertions: speed is what the benchmark reports, not what a test checks."""

import json
import os

import pytest

from tests.conftest import run_zoo


def test_run_bench_writes_table_json_and_png(tmp_path, capsys, monkeypatch):
    from zoo import bench

    # A light stand-in reference keeps the test cheap; the real pairs are in KERAS_COUNTERPARTS.
    monkeypatch.setitem(bench.KERAS_COUNTERPARTS, "resnet20", ("MobileNetV3Small", "test stand-in reference"))
    result = bench.run_bench(
        "resnet20", batch_size=2, steps=2, input_size=32, repeats=2, out=str(tmp_path), classes=3,
        jit_compile=False,  # no XLA compile: keeps the test cheap
    )
    printed = capsys.readouterr().out
    assert "[bench] warm-up zoo resnet20" in printed and "round 2/2" in printed
    assert "zoo resnet20" in printed and "keras.applications.MobileNetV3Small" in printed
    assert "ratio zoo/keras.applications.MobileNetV3Small:" in printed
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert [r["label"] for r in saved["results"]] == ["zoo resnet20", "keras.applications.MobileNetV3Small"]
    for r in saved["results"]:
        assert len(r["images_per_s"]) == 2 and all(v > 0 for v in r["images_per_s"])
    (ratio,) = saved["ratios"].values()
    assert ratio > 0
    assert saved["ratios"] == result["ratios"]
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_bench_measures_only_the_model_asked_for(tmp_path):
    """`zoo bench --model lenet5` trains LeNet-5 and nothing else (no U-Net, no SSD), and says it has no twin."""
    proc = run_zoo("bench", "--model", "lenet5", "--batch-size", "2", "--steps", "1", "--input-size", "32",
                   "--repeats", "1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "keras.applications has no counterpart of lenet5: measured alone" in proc.stdout
    assert "unet" not in proc.stdout.lower() and "ssd" not in proc.stdout.lower()
    assert [line for line in proc.stdout.splitlines() if line.startswith("[bench] warm-up")] == [
        "[bench] warm-up zoo lenet5 (1 steps of 2; includes compilation)"]
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert [r["label"] for r in saved["results"]] == ["zoo lenet5"] and saved["ratios"] == {}
    assert saved["input_shape"] == [32, 32, 1]


def test_counterparts_name_the_difference():
    from zoo.bench import KERAS_COUNTERPARTS

    assert KERAS_COUNTERPARTS["resnet50"][0] == "ResNet50" and "v1" in KERAS_COUNTERPARTS["resnet50"][1]
    assert "conv bias" in KERAS_COUNTERPARTS["resnet50"][1] or "bias" in KERAS_COUNTERPARTS["resnet50"][1]
    assert KERAS_COUNTERPARTS["vgg16"][0] == "VGG16"


def test_bench_argument_errors():
    from zoo.bench import check_bench_args

    with pytest.raises(ValueError, match=r"input_size.*>= 32 for resnet50.*Received: input_size=16"):
        check_bench_args(model="resnet50", batch_size=2, steps=1, input_size=16, precision="float32", repeats=1)
    with pytest.raises(ValueError, match=r"precision.*Received: precision='float16'"):
        check_bench_args(model="resnet50", batch_size=2, steps=1, input_size=None, precision="float16", repeats=1)
    with pytest.raises(ValueError, match=r"Unknown model 'resnet5'"):
        check_bench_args(model="resnet5", batch_size=2, steps=1, input_size=None, precision="float32", repeats=1)


def test_cli_bench_bad_value_exits_2(tmp_path):
    proc = run_zoo("bench", "--model", "resnet50", "--batch-size", "0", "--out", str(tmp_path))
    assert proc.returncode == 2 and "zoo: error:" in proc.stderr and "'0'" in proc.stderr
    assert not os.listdir(tmp_path)


@pytest.mark.slow
def test_cli_bench_resnet50_against_keras_applications(tmp_path):
    proc = run_zoo(
        "bench", "--model", "resnet50", "--batch-size", "2", "--steps", "2", "--input-size", "64",
        "--repeats", "2", "--out", str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert "ratio zoo/keras.applications.ResNet50:" in proc.stdout and "v1.5" in proc.stdout
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["ratios"]["zoo/keras.applications.ResNet50"] > 0
    assert os.path.getsize(tmp_path / "bench.png") > 0
