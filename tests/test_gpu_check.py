"""`make gpu-check` (tools/gpu_check.py) kept working while no GPU is lent: the whole script dry-run
on the CPU with JAX at tiny sizes, its budgets, its timeout path and its reading of zoo bench's
figures."""

import importlib.util
import json
import os
import subprocess
import sys
import time
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tools", "gpu_check.py")
_spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
gpu_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_check)


def _wheel(folder, name="zoo_gpu_probe", version="0.1"):
    """A minimal pure-Python wheel (one module), installable offline."""
    path = os.path.join(folder, f"{name}-{version}-py3-none-any.whl")
    info = f"{name}-{version}.dist-info"
    files = {f"{name}.py": "VALUE = 42\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{info}/RECORD"] = "".join(f"{n},,\n" for n in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for n, text in files.items():
            z.writestr(n, text)
    return path


def test_the_default_budgets_fit_one_nine_minute_visit():
    assert list(gpu_check.BUDGETS) == list(gpu_check.STEPS)
    total = sum(gpu_check.BUDGETS.values()) + gpu_check.GRACE_S * len(gpu_check.STEPS)
    assert total <= gpu_check.TOTAL_LIMIT_S == 540


def test_dry_run_on_the_cpu_with_jax_runs_every_step_and_writes_one_json(tmp_path):
    pytest.importorskip("jax", reason="the dry run needs JAX in this environment (the GPU machine's backend)")
    wheels, site, out, work = (tmp_path / d for d in ("wheels", "site", "out", "work"))
    wheels.mkdir()
    _wheel(str(wheels))
    budgets = [f"--budget={s}=600" for s in gpu_check.STEPS]  # generous: this checks the plumbing, not speed
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, SCRIPT, "--dry-run", "--out", str(out), "--work", str(work),
                           "--wheels", str(wheels), "--site", str(site), *budgets],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert sorted(os.listdir(out)) == ["bench.png", "gpu_check.json", "gpu_check.log"], proc.stdout + proc.stderr
    result = json.loads((out / "gpu_check.json").read_text())
    steps = result["steps"]
    assert list(steps) == list(gpu_check.STEPS)
    assert {n: r["status"] for n, r in steps.items()} == {n: "ok" for n in gpu_check.STEPS}, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site / "zoo_gpu_probe.py").exists()
    assert steps["install"]["wheels"] == ["zoo_gpu_probe-0.1-py3-none-any.whl"]
    assert steps["environment"]["figures"]["keras_backend"] == "jax"
    assert steps["environment"]["figures"]["devices"][0].startswith("cpu")
    assert result["device"].startswith("cpu")
    t = steps["gpu_test"]["figures"]
    assert t["passed"] >= 1 and t["failures"] == t["errors"] == 0 and t["failing"] == []
    assert t["skipped"] >= 1  # the gpu-marked tests skip without a GPU
    sol, stubs = steps["grade_solutions"]["figures"], steps["grade_stubs"]["figures"]
    assert sol["max_score"] > 0 and sol["score"] == sol["max_score"] and not sol["incomplete"]
    assert stubs["score"] == 0 and stubs["max_score"] == sol["max_score"]
    b = steps["bench"]["figures"]
    assert b["finished"] and b["backend"] == "jax" and b["images_per_s"]["zoo lenet5 (auto)"] > 0
    for name, metric in (("train_lenet5", "accuracy"), ("train_unet", "mean_iou")):
        f = steps[name]["figures"]
        assert f["status"] == "finished" and f["backend"] == "jax" and f["epochs"] == 1, f
        assert 0 <= f["headline"][metric] <= 1 and f["wall_seconds"] > 0
    table = proc.stdout[proc.stdout.index("gpu-check on "):]
    assert result["summary"] == table.split("\n\nwrote ")[0].splitlines()
    for name in gpu_check.STEPS:
        assert any(line.startswith(f"{name} ") and " ok " in line for line in result["summary"]), result["summary"]
    assert "accuracy 0." in table and "mean_iou 0." in table and "/ " in table
    log = (out / "gpu_check.log").read_text()
    assert all(f"===== {name}:" in log for name in gpu_check.STEPS)


def _gone_or_zombie(pid, timeout=30):
    """True once `pid` has exited (a zombie counts: it waits only for init to reap it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_step_past_its_budget_is_interrupted_and_leaves_nothing_behind(tmp_path):
    """SIGINT at the budget lets the step clean up; then SIGKILL ends what it left in its session
    (here a grandchild that ignores SIGINT)."""
    code = ("import signal, subprocess, sys, time\n"
            "seen = []\n"
            "signal.signal(signal.SIGINT, lambda *a: seen.append(1))\n"
            "child = subprocess.Popen(['sh', '-c', 'trap \"\" INT; exec sleep 600'])\n"
            "print('grandchild', child.pid, flush=True)\n"
            "while not seen:\n    time.sleep(0.05)\n"
            "print('cleaned up', flush=True)\n"
            "sys.exit(130)\n")
    log_path = tmp_path / "log"
    with open(log_path, "w") as log:
        rc, wall, timed_out = gpu_check.run_step([sys.executable, "-c", code], str(tmp_path), dict(os.environ), 3, log)
    text = log_path.read_text()
    assert timed_out and rc == 130 and "cleaned up" in text, text
    assert _gone_or_zombie(int(text.split("grandchild ")[1].split()[0])), "the step's grandchild outlived it"


def test_the_bench_figures_name_each_model_and_the_ratios(tmp_path):
    bench = {"model": "resnet50", "backend": "jax", "device": "gpu: NVIDIA H100 80GB HBM3", "precision": "mixed_bfloat16",
             "batch_size": 128, "input_shape": [224, 224, 3], "notes": [],
             "results": [
                 {"label": "zoo resnet50 (auto)", "model": "zoo resnet50", "median_images_per_s": 3700.0, "first_step_s": 40.0},
                 {"label": "keras.applications.ResNet50 (auto)", "model": "keras.applications.ResNet50",
                  "median_images_per_s": 3600.0, "first_step_s": 45.0},
                 {"label": "torchvision resnet50 (AMP bf16 + torch.compile, cuda)",
                  "model": "torchvision resnet50 (AMP bf16 + torch.compile, cuda)", "median_images_per_s": 5000.0}],
             "ratios": {"zoo/keras.applications.ResNet50 (auto)": 3700 / 3600, "zoo/torchvision resnet50": 0.74}}
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "bench.json").write_text(json.dumps(bench))
    f = gpu_check.figures_bench("", str(tmp_path))
    assert f["images_per_s"]["keras.applications.ResNet50 (auto)"] == 3600.0
    assert f["zoo_over_torchvision"] == pytest.approx(0.74)
    line = gpu_check.headline("bench", {"figures": f})
    assert "zoo resnet50 (auto) 3700" in line and "torchvision" in line and "zoo/keras.applications.ResNet50 (auto) 1.028" in line
    assert gpu_check.verdict("bench", 0, f) == ""


def test_an_unfinished_bench_keeps_the_rounds_its_log_shows(tmp_path):
    log = ("[bench] round 1/3 zoo resnet50 (auto): 3512 images/s, 4.1e+04 GFLOP/s (0.4s)\n"
           "[bench] round 1/3 keras.applications.ResNet50 (auto): 3401 images/s, 4e+04 GFLOP/s (0.4s)\n")
    f = gpu_check.figures_bench(log, str(tmp_path))
    assert f == {"finished": False, "rounds_images_per_s": {"zoo resnet50 (auto)": [3512.0],
                                                             "keras.applications.ResNet50 (auto)": [3401.0]}}
    assert gpu_check.verdict("bench", 0, f) == "no bench.json"
    assert "zoo resnet50 (auto) 3512" in gpu_check.headline("bench", {"figures": f})


@pytest.mark.parametrize("args, says", [
    (["--steps", "bench,gpu"], "unknown step(s) gpu"),
    (["--budget", "bench"], "expected STEP=SECONDS"),
    (["--budget", "bench=0"], "SECONDS > 0"),
])
def test_bad_arguments_name_the_value(tmp_path, args, says):
    proc = subprocess.run([sys.executable, SCRIPT, "--out", str(tmp_path / "o"), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and says in proc.stderr and not (tmp_path / "o").exists()
