"""`zoo bench`: the table, bench.json and bench.png come out, with positive figures and ratios.
No timing assertions: speed is what the benchmark reports, not what a test checks."""

import json
import os
import signal

import pytest

from tests.conftest import ZooProcess, run_zoo


def test_run_bench_writes_table_json_and_png(tmp_path, capsys, monkeypatch):
    from zoo import bench

    # A light stand-in reference keeps the test cheap; the real pairs are in KERAS_COUNTERPARTS.
    monkeypatch.setitem(bench.KERAS_COUNTERPARTS, "resnet20", ("MobileNetV3Small", "test stand-in reference"))
    result = bench.run_bench(
        "resnet20", batch_size=2, steps=1, image_size=32, repeats=2, out=str(tmp_path), classes=3, peak_seconds=0.05,
    )
    printed = capsys.readouterr().out
    assert "[bench] first step of zoo resnet20 (auto: jit_compile=" in printed and "round 2/2" in printed
    assert "round 1/2 peak: float32 matmul" in printed
    assert "zoo resnet20 (auto)" in printed and "keras.applications.MobileNetV3Small (auto)" in printed
    assert "ratio zoo/keras.applications.MobileNetV3Small (auto): images/s " in printed and ", GFLOP/s " in printed
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert [r["label"] for r in saved["results"]] == ["zoo resnet20 (auto)", "keras.applications.MobileNetV3Small (auto)"]
    assert saved["peak"]["gflop_per_s"] > 0 and saved["peak"]["samples"] >= 2  # one peak run per round
    for r in saved["results"]:
        assert len(r["images_per_s"]) == 2 and all(v > 0 for v in r["images_per_s"])
        assert r["first_step_s"] > 0 and r["training_gflop_per_image"] > 0
        # the figures are consistent: GFLOP/s = images/s x GFLOP per image, fraction = that / peak
        assert r["gflop_per_s"] == pytest.approx(r["median_images_per_s"] * r["training_gflop_per_image"])
        assert r["peak_fraction"] == pytest.approx(r["gflop_per_s"] / saved["peak"]["gflop_per_s"])
    (ratio,) = saved["ratios"].values()
    (gflop_ratio,) = saved["gflop_ratios"].values()
    zoo_row, ref_row = saved["results"]
    assert ratio == pytest.approx(zoo_row["median_images_per_s"] / ref_row["median_images_per_s"])
    assert gflop_ratio == pytest.approx(zoo_row["gflop_per_s"] / ref_row["gflop_per_s"])
    assert saved["ratios"] == result["ratios"]
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_bench_measures_only_the_model_asked_for(tmp_path):
    """`zoo bench --model lenet5` trains LeNet-5 and nothing else (no U-Net, no SSD), and says it has no twin;
    the table shows the peak, GFLOP/s, the fraction of the peak and the first step apart."""
    proc = run_zoo("bench", "--model", "lenet5", "--batch-size", "2", "--steps", "1", "--input-size", "32",
                   "--repeats", "1", "--peak-seconds", "0.05", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "keras.applications has no counterpart of lenet5: measured alone" in proc.stdout
    assert "unet" not in proc.stdout.lower() and "ssd" not in proc.stdout.lower()
    auto = os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow"  # "auto" is XLA on JAX, not on TF's CPU
    assert [line for line in proc.stdout.splitlines() if line.startswith("[bench] first step of")] == [
        f"[bench] first step of zoo lenet5 (auto: jit_compile={auto}; traces and compiles, not counted)"]
    header = next(line for line in proc.stdout.splitlines() if line.startswith("model (compile mode)"))
    assert all(col in header for col in ("images/s", "GFLOP/s", "of peak", "first step"))
    assert "peak: " in proc.stdout and "GFLOP/s (float32 2048x2048 matmul" in proc.stdout
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert [r["label"] for r in saved["results"]] == ["zoo lenet5 (auto)"] and saved["ratios"] == {}
    assert saved["input_shape"] == [32, 32, 1] and saved["compile_modes"] == ["auto"]


def test_default_compile_mode_is_measured_first():
    from zoo.bench import resolve_compile_modes

    assert resolve_compile_modes(None) == ["auto"]
    assert resolve_compile_modes(["xla"]) == ["auto", "xla"]
    assert resolve_compile_modes(["no-xla", "auto", "xla", "xla"]) == ["auto", "no-xla", "xla"]
    with pytest.raises(ValueError, match=r"compile_modes.*auto, xla, no-xla.*Received: compile_modes=\['jit'\]"):
        resolve_compile_modes(["jit"])


def test_run_bench_lists_the_default_mode_first(tmp_path, capsys):
    """Asked for XLA only, the bench still measures Keras' default first, then XLA, each with its first step."""
    from zoo import bench

    result = bench.run_bench("lenet5", batch_size=2, steps=1, image_size=32, repeats=1, out=str(tmp_path), classes=3,
                             compile_modes=["xla"], peak_seconds=0.05)
    assert [r["compile_mode"] for r in result["results"]] == ["auto", "xla"]
    assert result["results"][1]["jit_compile"] is True
    printed = capsys.readouterr().out
    assert printed.index("compile mode auto") < printed.index("compile mode xla")


def test_measure_peak_reports_matmul_rates():
    from zoo.bench import measure_peak

    rates = measure_peak(0.01, n=64)
    assert rates and all(r > 0 for r in rates)


def test_counterparts_name_the_difference():
    from zoo.bench import KERAS_COUNTERPARTS

    assert KERAS_COUNTERPARTS["resnet50"][0] == "ResNet50" and "v1" in KERAS_COUNTERPARTS["resnet50"][1]
    assert "conv bias" in KERAS_COUNTERPARTS["resnet50"][1] or "bias" in KERAS_COUNTERPARTS["resnet50"][1]
    assert KERAS_COUNTERPARTS["vgg16"][0] == "VGG16"


def test_bench_argument_errors():
    from zoo.bench import check_bench_args

    with pytest.raises(ValueError, match=r"image_size.*at least 32x32 for resnet50.*Received: image_size=16"):
        check_bench_args(model="resnet50", batch_size=2, steps=1, image_size=16, precision="float32", repeats=1)
    with pytest.raises(ValueError, match=r"precision.*Received: precision='float16'"):
        check_bench_args(model="resnet50", batch_size=2, steps=1, image_size=None, precision="float16", repeats=1)
    with pytest.raises(ValueError, match=r"peak_seconds.*Received: peak_seconds=0"):
        check_bench_args(model="lenet5", batch_size=2, steps=1, image_size=None, precision="float32", repeats=1,
                         peak_seconds=0)
    with pytest.raises(ValueError, match=r"Unknown model 'resnet5'"):
        check_bench_args(model="resnet5", batch_size=2, steps=1, image_size=None, precision="float32", repeats=1)


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
    assert "ratio zoo/keras.applications.ResNet50 (auto):" in proc.stdout and "v1.5" in proc.stdout
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["ratios"]["zoo/keras.applications.ResNet50 (auto)"] > 0
    assert os.path.getsize(tmp_path / "bench.png") > 0


def test_cli_bench_bad_compile_mode_exits_2(tmp_path):
    proc = run_zoo("bench", "--model", "lenet5", "--compile-modes", "xla,jit", "--out", str(tmp_path))
    assert proc.returncode == 2 and "zoo: error:" in proc.stderr and "'xla,jit'" in proc.stderr
    assert "auto, xla, no-xla" in proc.stderr and not os.listdir(tmp_path)


def test_zoo_train_rows_put_zoo_trains_own_path_beside_the_plain_loop(tmp_path, capsys):
    """--zoo-train trains the model through `zoo train` itself: one row for its training steps, one for
    its whole epochs (never faster than their steps), each epoch after the first a round, ratios to the
    plain loop; a second bench into the same folder trains again (the scratch run is replaced)."""
    from zoo import bench

    kw = dict(batch_size=4, steps=2, image_size=32, repeats=2, out=str(tmp_path), classes=3, peak_seconds=0.05,
              zoo_train=True)
    first = bench.run_bench("lenet5", **kw)
    printed = capsys.readouterr().out
    assert "[bench] zoo lenet5 through zoo train" in printed and "3 epochs of 2 steps, the first compiles" in printed
    steps_row, epochs_row = (r for r in first["results"] if "in zoo train" in r["label"])
    assert steps_row["label"] == "zoo lenet5 in zoo train: training steps"
    assert epochs_row["label"] == "zoo lenet5 in zoo train: whole epochs"
    for row in (steps_row, epochs_row):
        assert len(row["images_per_s"]) == 2 and all(v > 0 for v in row["images_per_s"]) and row["first_epoch_s"] > 0
        assert row["gflop_per_s"] == pytest.approx(row["median_images_per_s"] * row["training_gflop_per_image"])
    assert all(e <= s for s, e in zip(steps_row["images_per_s"], epochs_row["images_per_s"]))
    loop = first["results"][0]["median_images_per_s"]
    assert first["ratios"]["zoo lenet5 in zoo train: training steps/plain loop (auto)"] == pytest.approx(
        steps_row["median_images_per_s"] / loop)
    assert "zoo lenet5 in zoo train: whole epochs/plain loop (auto)" in first["ratios"]
    assert "ratio zoo lenet5 in zoo train: training steps/plain loop (auto)" in printed
    assert "zoo train: lenet5" in printed and "images/s in the training steps" in printed  # zoo train's own lines
    assert len(steps_row["seconds"]) == 3 and [8 / s for s in steps_row["seconds"][1:]] == pytest.approx(steps_row["images_per_s"])
    assert not (tmp_path / "zoo-train-run").exists()  # scratch: its checkpoints are removed
    second = bench.run_bench("lenet5", **kw)
    assert "holds a finished run" not in capsys.readouterr().out
    assert [r for r in second["results"] if "in zoo train" in r["label"]][0]["images_per_s"] != steps_row["images_per_s"]


def test_cli_bench_zoo_train_prints_both_paths_and_leaves_no_scratch_run(tmp_path):
    proc = run_zoo("bench", "--model", "lenet5", "--batch-size", "4", "--steps", "2", "--input-size", "32",
                   "--repeats", "1", "--peak-seconds", "0.05", "--zoo-train", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(l.startswith("zoo lenet5 in zoo train: training steps ") for l in lines)
    assert any(l.startswith("ratio zoo lenet5 in zoo train: whole epochs/plain loop (auto): images/s ") for l in lines)
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["zoo_train"] is True and len(saved["results"]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.json", "bench.png"]


def test_ctrl_c_during_the_zoo_train_epochs_leaves_nothing_and_says_so(tmp_path):
    """Ctrl-C after zoo train's first epoch finished (its scratch run then holds a backup and a
    history): exit 130, one line saying nothing was written, and the scratch run is gone. The bench
    starts with SIGINT ignored, as a `cmd &` job of a non-interactive shell does (CI's case): the
    interrupt still reaches it."""
    out = tmp_path / "bench"
    bench = ZooProcess("bench", "--model", "lenet5", "--batch-size", "8", "--steps", "100", "--input-size", "32",
                       "--repeats", "30", "--peak-seconds", "0.01", "--zoo-train", "--out", str(out), sigint_ignored=True)
    try:
        bench.wait_for(r"^Epoch 2/31")  # Keras prints it once epoch 1's history and backup are written
        assert (out / "zoo-train-run" / "backup").is_dir()
        bench.proc.send_signal(signal.SIGINT)
        rc, text = bench.finish(timeout=120)
    finally:
        bench.kill()
    assert rc == 130, text[-3000:]
    assert f"zoo bench: interrupted; nothing written to {out}" in text
    assert "Traceback" not in text
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []
