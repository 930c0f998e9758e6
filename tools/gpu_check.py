"""`make gpu-check`: every check of a GPU visit in one run, each step within its own time budget.

On the GPU machine (JAX with CUDA, PyTorch, no TensorFlow) one command does, in order:
  install          the wheels carried in .whl/ (keras, keras-tuner, ...) into --site (pip --target)
  environment      versions and the devices JAX sees
  gpu_test         `make gpu-test`'s pytest run (the gpu-marked tests and the portable ones, on JAX)
  grade_solutions  `zoo grade solutions --backend jax`: full marks expected, its wall time
  grade_stubs      `zoo grade exercises --backend jax`: 0 expected
  bench            `zoo bench --model resnet50 --batch-size 128 --precision mixed_bfloat16`: the zoo
                   model, keras.applications.ResNet50 and torchvision's (bf16 autocast + torch.compile,
                   in a subprocess), images/s and ratios
  train_lenet5     `zoo train lenet5 --dataset digits`: wall time and test accuracy
  train_unet       `zoo train unet --dataset shapes`: wall time and mean IoU
Each step is a subprocess in a session of its own; at its budget it gets SIGINT (zoo commands and
pytest then clean up and say so), GRACE_S later SIGKILL, and the run goes on with the next step.
The default budgets and graces add up to 9 minutes, so one visit of the 15 minutes of device time
fits with a rerun. After every step the results so far are written to --out/gpu_check.json (a
killed run keeps them), the steps' whole output to --out/gpu_check.log, the bench's figure to
--out/bench.png: three files, within what comes back from the device machine. Run folders go to
--work. The end is a summary table, one line per step.

On the device machine: `make gpu-wheels` here first (.whl/ is git-ignored), then one call of
`make gpu-check` carrying `.whl`; a rerun of some steps: `make gpu-check GPU_CHECK_ARGS="--steps
bench --budget bench=240 --bench-arg=--compile-modes=xla"`.

--dry-run runs the same steps at tiny sizes (one exercise, LeNet-5 benched at batch 4, one epoch
each), which a CPU test uses with JAX_PLATFORMS=cpu to keep this script working while no GPU is
lent. Only the standard library here: the steps import Keras and JAX, this process never does.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRACE_S = 10  # from SIGINT to SIGKILL: a zoo command's Ctrl-C clean-up, pytest's last report
TOTAL_LIMIT_S = 540  # one visit: the 9 minutes of issue 30's plan
STEPS = ("install", "environment", "gpu_test", "grade_solutions", "grade_stubs", "bench", "train_lenet5", "train_unet")
# seconds per step on the GPU machine; with a GRACE_S each they fit TOTAL_LIMIT_S
BUDGETS = {"install": 15, "environment": 20, "gpu_test": 110, "grade_solutions": 90, "grade_stubs": 30,
           "bench": 130, "train_lenet5": 25, "train_unet": 40}
# what issue 30 compares with (H100, batch 128, 224x224) and the README's CPU figures
REFERENCE = {
    "bench": {"torchvision AMP bf16 + torch.compile": 5098, "torchvision AMP bf16 eager": 3706,
              "keras.applications.ResNet50 on JAX, mixed_bfloat16": 3600,
              "device": "H100", "goal": "zoo / keras.applications >= 1.0"},
    "train_lenet5": "README (2 CPU cores): the demo's recipe with --augment, seeds 0-4: 99.67 % mean test accuracy",
    "train_unet": "README (2 CPU cores): zoo train unet --dataset shapes, mean IoU 0.931 in 6 min",
}
ENV_PROBE = r"""
import importlib.metadata as md, json, os, platform, subprocess
def version(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None
out = {"python": platform.python_version(), "keras_backend": os.environ.get("KERAS_BACKEND"),
       "versions": {n: version(n) for n in ("keras", "keras-tuner", "jax", "jaxlib", "numpy", "torch", "torchvision", "tensorflow")}}
import jax
out["devices"] = [f"{d.platform}: {getattr(d, 'device_kind', d)}" for d in jax.devices()]
try:
    out["nvidia_smi"] = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                                       capture_output=True, text=True, timeout=20).stdout.strip()
except (OSError, subprocess.SubprocessError):
    out["nvidia_smi"] = None
print("ENV " + json.dumps(out))
"""


def step_commands(args, work, site):
    """{step: (argv, cwd)} at the GPU machine's sizes, or tiny ones with args.dry_run."""
    py, dry = sys.executable, args.dry_run
    zoo = [py, "-m", "zoo"]
    wheels = sorted(glob.glob(os.path.join(args.wheels, "*.whl")))
    install = ([py, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile", "--no-cache-dir",
                "--upgrade", "--target", site, *wheels] if wheels else None)
    pytest_where = ["tests/test_gpu.py", "tests/test_detection_boxes.py"] if dry else ["tests"]
    one = ["--exercise", "ex02"] if dry else []
    bench = (["--model", "lenet5", "--batch-size", "4", "--steps", "2", "--repeats", "1", "--peak-seconds", "0.05"] if dry
             else ["--model", "resnet50", "--batch-size", "128", "--precision", "mixed_bfloat16"])
    small = ["--epochs", "1"] if dry else []
    return {
        "install": (install, ROOT),
        "environment": ([py, "-c", ENV_PROBE], ROOT),
        "gpu_test": ([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0" if dry else str(args.workers),
                      "-m", "gpu or (portable and not slow)", "--junitxml", os.path.join(work, "gpu_test.xml"),
                      "--basetemp", os.path.join(work, "pytest-tmp"), *pytest_where], ROOT),
        "grade_solutions": ([*zoo, "grade", "solutions", "--backend", "jax", "--out", os.path.join(work, "grade_solutions.json"), *one], ROOT),
        "grade_stubs": ([*zoo, "grade", "exercises", "--backend", "jax", "--out", os.path.join(work, "grade_stubs.json"), *one], ROOT),
        "bench": ([*zoo, "bench", *bench, *args.bench_arg, "--out", os.path.join(work, "bench")], ROOT),
        "train_lenet5": ([*zoo, "train", "lenet5", "--dataset", "digits", *small, "--out", os.path.join(work, "lenet5")], ROOT),
        "train_unet": ([*zoo, "train", "unet", "--dataset", "shapes", *small, *(["--image-size", "32"] if dry else []),
                        "--out", os.path.join(work, "unet")], ROOT),
    }


def run_step(argv, cwd, env, budget, log):
    """Runs argv in a session of its own with its output appended to `log`; SIGINT at `budget`
    seconds, SIGKILL GRACE_S later. Returns (returncode, wall seconds, timed out)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    timed_out = False
    try:
        rc = proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        timed_out = True
        _signal_group(proc, signal.SIGINT)
        try:
            rc = proc.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            rc = proc.wait()
    _signal_group(proc, signal.SIGKILL)  # what the step left behind in its session
    return rc, time.monotonic() - t0, timed_out


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------ figures of each step

def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def figures_environment(text, work):
    found = [line[4:] for line in text.splitlines() if line.startswith("ENV ")]
    return json.loads(found[-1]) if found else {}


def figures_gpu_test(text, work):
    """Counts and the failing tests from pytest's JUnit XML (its summary line where no XML came)."""
    out = {}
    try:
        root = ET.parse(os.path.join(work, "gpu_test.xml")).getroot()
    except (OSError, ET.ParseError):
        root = None
    if root is not None:
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        n = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
        out.update(n, passed=n["tests"] - n["failures"] - n["errors"] - n["skipped"])
        failing = []
        for case in suite.iter("testcase"):
            bad = case.find("failure") if case.find("failure") is not None else case.find("error")
            if bad is not None:
                msg = (bad.get("message") or "").strip().splitlines()
                failing.append(f"{case.get('classname')}::{case.get('name')}: {msg[0][:200] if msg else ''}")
        out["failing"] = failing
    else:
        for count, what in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", text):
            out[what.rstrip("s") if what.startswith("error") else what] = int(count)
    return out


def figures_grade(text, work, name):
    res = _read_json(os.path.join(work, f"{name}.json"))
    if res is None:
        return {}
    tests = res.get("tests", [])
    return {"score": res.get("score"), "max_score": sum(float(t.get("max_score", 0)) for t in tests),
            "tests": len(tests), "not_passed": sum(t.get("status") != "passed" for t in tests),
            "incomplete": res.get("incomplete", ""), "execution_time_s": res.get("execution_time")}


def figures_bench(text, work):
    """Images/s of the zoo model, keras.applications' and torchvision's, and the ratios; from
    bench.json, or from the rounds the log shows where the bench did not finish."""
    res = _read_json(os.path.join(work, "bench", "bench.json"))
    if res is None:
        rounds = {}
        for label, rate in re.findall(r"^\[bench\] round \d+/\d+ (.+?): ([\d.e+]+) images/s", text, re.M):
            rounds.setdefault(label, []).append(float(rate))
        return {"finished": False, "rounds_images_per_s": rounds}
    rows = {r["label"]: r for r in res["results"]}
    out = {"finished": True, "device": res.get("device"), "backend": res.get("backend"), "precision": res.get("precision"),
           "batch_size": res.get("batch_size"), "input_shape": res.get("input_shape"),
           "images_per_s": {label: r["median_images_per_s"] for label, r in rows.items()},
           "first_step_s": {label: r["first_step_s"] for label, r in rows.items() if "first_step_s" in r},
           "ratios": res.get("ratios", {}), "notes": res.get("notes", [])}
    tv = [r["median_images_per_s"] for label, r in rows.items() if label.startswith("torchvision")]
    zoo = [r["median_images_per_s"] for r in res["results"] if r["model"] == f"zoo {res['model']}"]
    if tv and zoo:
        out["zoo_over_torchvision"] = zoo[0] / tv[0]
    return out


def figures_train(text, work, folder):
    m = _read_json(os.path.join(work, folder, "metrics.json"))
    if m is None:
        return {}
    t = m.get("timings") or {}
    return {"headline": m.get("headline"), "status": m.get("status"), "backend": m.get("backend"),
            "epochs": m.get("epochs"), "wall_seconds": t.get("wall_seconds"),
            "step_images_per_second": t.get("step_images_per_second"), "images": m.get("images")}


FIGURES = {
    "environment": figures_environment,
    "gpu_test": figures_gpu_test,
    "grade_solutions": lambda text, work: figures_grade(text, work, "grade_solutions"),
    "grade_stubs": lambda text, work: figures_grade(text, work, "grade_stubs"),
    "bench": figures_bench,
    "train_lenet5": lambda text, work: figures_train(text, work, "lenet5"),
    "train_unet": lambda text, work: figures_train(text, work, "unet"),
}


def verdict(name, rc, figures):
    """'' when the step did what it is for, else why not."""
    if rc != 0:
        return f"exit status {rc}"
    if name == "gpu_test" and (figures.get("failures") or figures.get("errors") or figures.get("failed")):
        return f"{figures.get('failures', figures.get('failed', 0))} failed, {figures.get('errors', 0)} errors"
    if name == "grade_solutions" and (figures.get("score") is None or figures["score"] != figures["max_score"]):
        return f"score {figures.get('score')} of {figures.get('max_score')}, not full marks"
    if name == "grade_stubs" and figures.get("score") != 0:
        return f"the stubs scored {figures.get('score')}, not 0"
    if name == "bench" and not figures.get("finished"):
        return "no bench.json"
    if name.startswith("train_") and figures.get("status") != "finished":
        return f"run status {figures.get('status')!r}"
    return ""


def headline(name, r):
    """One line of figures per step for the table."""
    f = r.get("figures") or {}
    if name == "install":
        return f"{len(r.get('wheels', []))} wheels" + (f" into {r['site']}" if r.get("wheels") else "")
    if name == "environment":
        v = f.get("versions", {})
        return f"{', '.join(f.get('devices', [])[:2])}; keras {v.get('keras')}, jax {v.get('jax')}, torch {v.get('torch')}"
    if name == "gpu_test":
        if "tests" in f:
            return f"{f['passed']} passed, {f['failures']} failed, {f['errors']} errors, {f['skipped']} skipped"
        return ", ".join(f"{v} {k}" for k, v in f.items()) or "no counts"
    if name.startswith("grade_"):
        if f.get("score") is None:
            return "no results.json"
        return (f"{f['score']:g} / {f['max_score']:g} points, {f['tests']} tests, {r['wall_s']:.0f} s wall"
                + (f"; INCOMPLETE: {f['incomplete']}" if f.get("incomplete") else ""))
    if name == "bench":
        if not f.get("finished"):
            rounds = f.get("rounds_images_per_s", {})
            return "unfinished; rounds: " + "; ".join(f"{k} {max(v):.4g}" for k, v in rounds.items()) if rounds else "no figures"
        parts = [f"{label} {v:.4g}" for label, v in f["images_per_s"].items()]
        ratios = [f"{k} {v:.3f}" for k, v in f["ratios"].items()]
        return "images/s: " + "; ".join(parts) + (" | ratios: " + "; ".join(ratios) if ratios else "")
    if name.startswith("train_"):
        if not f:
            return "no metrics.json"
        h = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in (f.get("headline") or {}).items())
        return f"{h}; {f.get('epochs')} epochs in {f.get('wall_seconds')} s ({f.get('step_images_per_second')} images/s in steps)"
    return ""


def summary_table(result):
    lines = [f"gpu-check on {result.get('device') or 'an unknown device'}"
             f"{' (dry run)' if result['dry_run'] else ''}: {result['wall_s']:.0f} s of {result['total_budget_s']} s budgeted",
             f"{'step':<16} {'status':<8} {'s':>5} {'of':>5}  figures"]
    for name, r in result["steps"].items():
        lines.append(f"{name:<16} {r['status']:<8} {r['wall_s']:>5.0f} {r['budget_s']:>5g}  {headline(name, r)}")
        if r.get("why"):
            lines.append(f"{'':<16} {'':<8} {'':>5} {'':>5}  why: {r['why']}")
    return "\n".join(lines)


def write_json(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".gpu_check.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def parse_budgets(items, steps):
    budgets = dict(BUDGETS)
    for item in items:
        name, sep, value = item.partition("=")
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1
        if not sep or name not in STEPS or not seconds > 0:
            raise SystemExit(f"gpu_check: error: --budget {item!r}: expected STEP=SECONDS, SECONDS > 0, "
                             f"STEP one of {', '.join(STEPS)}")
        budgets[name] = seconds
    return {s: budgets[s] for s in steps}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tools/gpu_check.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="gpu_check.json, gpu_check.log and bench.png go here ($OUT on the device machine)")
    ap.add_argument("--work", default=None, help="run folders, grade results, the JUnit XML (default: a folder under /tmp)")
    ap.add_argument("--wheels", default=os.path.join(ROOT, ".whl"), help="the carried wheels (default: .whl/)")
    ap.add_argument("--site", default="/tmp/site", help="where the wheels are installed (pip --target), first on PYTHONPATH")
    ap.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, in this order: {','.join(STEPS)}")
    ap.add_argument("--budget", action="append", default=[], metavar="STEP=SECONDS", help="a step's time budget (repeatable)")
    ap.add_argument("--workers", type=int, default=8, help="pytest-xdist workers of gpu_test")
    ap.add_argument("--bench-arg", action="append", default=[], help="one more argument for zoo bench (repeatable), e.g. --bench-arg=--compile-modes=xla")
    ap.add_argument("--dry-run", action="store_true", help="the same steps at tiny sizes (a CPU test of this script)")
    args = ap.parse_args(argv)
    steps = [s for s in args.steps.split(",") if s]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise SystemExit(f"gpu_check: error: --steps: unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}")
    budgets = parse_budgets(args.budget, steps)
    os.makedirs(args.out, exist_ok=True)
    work = args.work or tempfile.mkdtemp(prefix="gpu-check-")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", XLA_PYTHON_CLIENT_PREALLOCATE="false", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(p for p in (args.site, ROOT, os.environ.get("PYTHONPATH", "")) if p))
    env.setdefault("KERAS_BACKEND", "jax")
    commands = step_commands(args, work, args.site)
    json_path, log_path = os.path.join(args.out, "gpu_check.json"), os.path.join(args.out, "gpu_check.log")
    result = {"started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "dry_run": args.dry_run,
              "device": None, "keras_backend": env["KERAS_BACKEND"], "work": work, "budgets_s": budgets, "grace_s": GRACE_S,
              "total_budget_s": round(sum(budgets.values()) + GRACE_S * len(budgets)), "reference": REFERENCE, "steps": {}}
    t0 = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        for name in steps:
            argv, cwd = commands[name]
            r = {"budget_s": budgets[name], "command": argv and " ".join(argv)}
            if name == "install":
                r.update(wheels=[os.path.basename(w) for w in (argv or []) if w.endswith(".whl")], site=args.site)
            print(f"gpu-check: {name} (budget {budgets[name]:g} s) ...", flush=True)
            if argv is None:
                r.update(status="skipped", rc=None, wall_s=0.0, why=f"no wheels in {args.wheels}")
            else:
                log.write(f"\n===== {name}: {r['command']}\n")
                log.flush()
                start = log.tell()
                rc, wall, timed_out = run_step(argv, cwd, env, budgets[name], log)
                log.flush()
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    f.seek(start)
                    text = f.read()
                figures = FIGURES.get(name, lambda t, w: {})(text, work)
                why = f"ran past its budget of {budgets[name]:g} s" if timed_out else verdict(name, rc, figures)
                r.update(status="timeout" if timed_out else ("failed" if why else "ok"), rc=rc, wall_s=round(wall, 1),
                         figures=figures, output_tail=text[-3000:])
                if why:
                    r["why"] = why
                if name == "environment" and figures.get("devices"):
                    result["device"] = figures["devices"][0] + (f" ({figures['nvidia_smi']})" if figures.get("nvidia_smi") else "")
                if name == "bench" and os.path.exists(os.path.join(work, "bench", "bench.png")):
                    shutil.copyfile(os.path.join(work, "bench", "bench.png"), os.path.join(args.out, "bench.png"))
            print(f"gpu-check: {name} {r['status']} in {r['wall_s']:.0f} s: {headline(name, r)}"
                  + (f" ({r['why']})" if r.get("why") else ""), flush=True)
            result["steps"][name] = r
            result["wall_s"] = round(time.monotonic() - t0, 1)
            write_json(json_path, result)
    result["wall_s"] = round(time.monotonic() - t0, 1)
    result["summary"] = summary_table(result).splitlines()
    write_json(json_path, result)
    print("\n" + summary_table(result))
    print(f"\nwrote {json_path}, {log_path}" + (", bench.png" if os.path.exists(os.path.join(args.out, "bench.png")) else ""))
    return 0 if all(r["status"] in ("ok", "skipped") for r in result["steps"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
