"""`zoo bench`: training throughput of a zoo model against its keras.applications twin (and
torchvision's, where torch is installed), measured in one run on the same machine, as images/s,
achieved GFLOP/s and a fraction of this machine's matmul peak measured in the same run.

Method:
- Random images and labels in memory, cut into `steps` batches and converted to the backend's
  tensors before any clock starts. Every model gets the same optimizer (SGD, momentum 0.9), loss
  and batch size.
- A round is a plain loop of `steps` `train_on_batch` calls (the model's own step: no tf.data
  pipeline, no callbacks, no per-epoch set-up), timed as a whole; images/s = batch x steps / time.
- The first step of each model and compile mode traces and compiles it: it is timed and reported
  apart ("first step"), never counted in throughput.
- The peak is a float32 matrix product (NumPy, `PEAK_N` x `PEAK_N`, as a BLAS sgemm does it at its
  best) run for `peak_seconds` in each round, so it sees the same machine load as the models.
- `repeats` rounds in which the peak and the models take turns (peak, zoo, reference, peak, zoo,
  reference, ...), so a machine that slows down or speeds up during the run affects all alike;
  every figure is the median over the rounds.
- Achieved GFLOP/s = images/s x the model's training FLOPs per image (`zoo.flops`: 2 FLOPs per
  multiply-add of its convolution and dense layers, x3 for forward + backward); the peak fraction
  is that over the median peak GFLOP/s. Ratios are zoo / reference (> 1: the zoo model is faster).
- Compile modes: Keras' default ("auto", which resolves to jit_compile=False on a CPU-only
  TensorFlow machine and to XLA on JAX and GPUs) comes first; others asked for follow.
- `zoo_train=True` (`--zoo-train`) then trains the zoo model through `zoo train` itself on the same
  data: epochs of the same steps, its training steps and its whole epochs (validation and
  checkpoints included) timed apart, so what `zoo train` spends beyond the model's step shows as
  a ratio to the plain loop.
Writes bench.json and bench.png into `out`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

import keras
import numpy as np

from zoo import registry
from zoo.data.arrays import ArrayDataset
from zoo.data.fit import model_input_shape
from zoo.flops import training_flops
from zoo.io import ensure_out_dir, write_json
from zoo.models.batchnorm import BatchNormalization
from zoo.plots import plot_bench
from zoo.training.train import train

PRECISIONS = ("float32", "mixed_bfloat16")
# --compile-modes name -> `jit_compile` of `model.compile`; the first is the default, always measured first
COMPILE_MODES = {"auto": "auto", "xla": True, "no-xla": False}
DEFAULT_COMPILE_MODE = "auto"
PEAK_N = 2048  # side of the peak's matrices: 17 GFLOP per product, large enough for sgemm's best

# zoo name -> (keras.applications class, what differs from the zoo model)
KERAS_COUNTERPARTS = {
    "resnet50": (
        "ResNet50",
        "keras.applications.ResNet50 is ResNet v1: stride 2 in the first 1x1 convolution of a "
        "downsampling bottleneck and a bias in every convolution; zoo resnet50 is v1.5 (stride in "
        "the 3x3, as torchvision) without conv biases before BatchNorm: 4.1 vs 3.9 GFLOPs at 224",
    ),
    "resnet101": ("ResNet101", "keras.applications.ResNet101 is v1 with conv biases; zoo resnet101 is v1.5 without"),
    "resnet152": ("ResNet152", "keras.applications.ResNet152 is v1 with conv biases; zoo resnet152 is v1.5 without"),
    "vgg16": (
        "VGG16",
        "same convolutions and dense layers; the zoo model adds dropout 0.5 after fc1/fc2 (torchvision) and, at "
        "input sizes other than 224, adaptive pooling to 7x7 where keras.applications flattens a smaller map",
    ),
    "vgg19": ("VGG19", "as vgg16: zoo adds dropout (torchvision), identical graphs otherwise at 224"),
}
# zoo name -> torchvision builder
TORCHVISION = {n: n for n in ("alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn",
                              "vgg16_bn", "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152")}


def _log(msg):
    print(f"[bench] {msg}", flush=True)


def resolve_compile_modes(modes=None):
    """The compile modes to measure, the default first, each once; `modes` is a sequence of
    `COMPILE_MODES` names (None: the default only)."""
    modes = [] if modes is None else ([modes] if isinstance(modes, str) else list(modes))
    for m in modes:
        if m not in COMPILE_MODES:
            raise ValueError(f"`compile_modes` must hold names out of {', '.join(COMPILE_MODES)}. Received: compile_modes={modes!r}")
    return list(dict.fromkeys([DEFAULT_COMPILE_MODE, *modes]))


def check_bench_args(*, model, batch_size, steps, image_size, precision, repeats, compile_modes=None, peak_seconds=3.0):
    """Validates the arguments up front, naming the bad value and what is accepted."""
    spec = registry.get_spec(model)
    for arg, value in (("batch_size", batch_size), ("steps", steps), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be an integer >= 1. Received: {arg}={value!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"`precision` must be one of {', '.join(PRECISIONS)}. Received: precision={precision!r}")
    if isinstance(peak_seconds, bool) or not isinstance(peak_seconds, (int, float)) or not peak_seconds > 0:
        raise ValueError(f"`peak_seconds` must be a number > 0. Received: peak_seconds={peak_seconds!r}")
    resolve_compile_modes(compile_modes)
    model_input_shape(spec.default_input_shape, image_size, min_shape=spec.min_input_shape, model=spec.name)
    return spec


def _fit_args(spec, shape, n, classes, seed=0):
    """Random in-memory data for the model's task: (x, y, loss)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n,) + tuple(shape), dtype=np.float32)
    if spec.task == "classification":
        return x, rng.integers(0, classes, size=n), "sparse_categorical_crossentropy"
    if spec.task == "segmentation":
        return x, rng.integers(0, classes, size=(n,) + tuple(shape[:2])), "sparse_categorical_crossentropy"
    raise ValueError(f"zoo bench measures classification and segmentation models; {spec.name!r} is {spec.task}")


def _batches(x, y, batch_size):
    """The data as a list of (x, y) backend tensors, one per step, converted before any timing."""
    return [(keras.ops.convert_to_tensor(x[i:i + batch_size]), keras.ops.convert_to_tensor(y[i:i + batch_size]))
            for i in range(0, len(x), batch_size)]


def _compile(model, loss, jit_compile="auto"):
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss=loss,
        jit_compile=jit_compile,
    )


def _round(model, batches):
    """One round: a plain `train_on_batch` loop over `batches`; returns seconds."""
    t = time.perf_counter()
    for xb, yb in batches:
        model.train_on_batch(xb, yb)
    return time.perf_counter() - t


def measure_peak(seconds, n=PEAK_N):
    """GFLOP/s of float32 `n` x `n` matrix products (NumPy's BLAS, every core) repeated for
    about `seconds`; returns the list of per-product rates (at least one)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b  # threads up, pages in
    rates, start = [], time.perf_counter()
    while not rates or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        a @ b
        rates.append(2 * n**3 / (time.perf_counter() - t) / 1e9)
    return rates


def _bench_zoo_train(spec, x, y, *, batch_size, repeats, classes, out):
    """The zoo model through `zoo train`'s own path (`zoo.training.train.train`: `fit` on the
    arrays, its callbacks, validation of one batch and its checkpoints each epoch) for `repeats` + 1
    epochs on the bench's data (one epoch = one round's steps); the first epoch compiles and is left
    out. The run folder is scratch in `out` (on the disk the user's runs write to, so checkpoints
    cost what they cost there), removed afterwards: a ResNet-50's is 500 MB of checkpoints.
    Returns two rows: the epochs' training steps alone, and the whole epochs."""
    run_dir = os.path.join(out, "zoo-train-run")
    shutil.rmtree(run_dir, ignore_errors=True)  # a finished run left by a killed bench would not train
    names = [str(c) for c in range(classes)]
    split = lambda a, b: ArrayDataset(x[a:b], y[a:b], spec.task, names, "random")  # noqa: E731
    try:
        metrics = train(spec.name, "random", run_dir, datasets=(split(0, len(x)), split(0, batch_size), split(0, batch_size)),
                        epochs=repeats + 1, batch_size=batch_size, optimizer="momentum", lr=0.01, schedule="constant",
                        verbose=2)  # one line per epoch: progress, and the event a Ctrl-C test waits for
    finally:  # also on Ctrl-C or an error: a scratch run is never left behind
        shutil.rmtree(run_dir, ignore_errors=True)
    t = metrics["timings"]
    rows = []
    for what, times in (("training steps", t["step_seconds"]), ("whole epochs", t["epoch_seconds"])):
        label = f"zoo {spec.name} in zoo train: {what}"
        rows.append({"label": label, "model": label, "compile_mode": DEFAULT_COMPILE_MODE, "first_epoch_s": times[0],
                     "seconds": times, "images_per_s": [len(x) / max(s, 1e-4) for s in times[1:]]})
    return rows


def _torchvision_available():
    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("torchvision") is not None


_TORCH_SCRIPT = r"""
import json, statistics, sys, time
import torch, torchvision
cfg = json.loads(sys.argv[1])
dev = "cuda" if torch.cuda.is_available() else "cpu"
m = getattr(torchvision.models, cfg["model"])(num_classes=cfg["classes"]).to(dev).to(memory_format=torch.channels_last)
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
loss_fn = torch.nn.CrossEntropyLoss()
n, (h, w) = cfg["batch_size"] * cfg["steps"], cfg["image_size"]
x = torch.rand(n, 3, h, w, device=dev).contiguous(memory_format=torch.channels_last)
y = torch.randint(0, cfg["classes"], (n,), device=dev)
amp = dev == "cuda"
step_model = torch.compile(m) if dev == "cuda" else m
def epoch():
    t = time.perf_counter()
    for i in range(cfg["steps"]):
        xb, yb = x[i * cfg["batch_size"]:(i + 1) * cfg["batch_size"]], y[i * cfg["batch_size"]:(i + 1) * cfg["batch_size"]]
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=amp):
            loss = loss_fn(step_model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if dev == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t
epoch()
rates = [n / epoch() for _ in range(cfg["repeats"])]
print(json.dumps({"device": dev, "amp_bf16": amp, "compiled": dev == "cuda", "images_per_s": rates}))
"""


def _bench_torchvision(model, *, batch_size, steps, image_size, repeats, classes):
    """torchvision's model in a subprocess of its own (AMP bf16 + torch.compile on GPU, plain on CPU)."""
    cfg = dict(model=TORCHVISION[model], batch_size=batch_size, steps=steps, image_size=list(image_size),
               repeats=repeats, classes=classes)
    proc = subprocess.run([sys.executable, "-c", _TORCH_SCRIPT, json.dumps(cfg)], capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_bench(
    model,
    *,
    batch_size=32,
    steps=10,
    image_size=None,
    precision="float32",
    repeats=3,
    out=os.path.join("runs", "bench"),
    classes=1000,
    compile_modes=None,
    peak_seconds=3.0,
    zoo_train=False,
):
    """Measures the training throughput of `model` and its keras.applications twin, nothing else.

    Prints progress and a table, writes `out`/bench.json and `out`/bench.png (module docstring:
    the method). A model without a twin in `KERAS_COUNTERPARTS` is measured alone, and a note says so.

    Args:
        model: zoo model name (resnet50, vgg16, ...).
        batch_size, steps: each round is `steps` training steps of `batch_size` images.
        image_size: N or (height, width) of the input; default the model's (224x224 for ImageNet nets).
        precision: "float32" or "mixed_bfloat16" (Keras' global dtype policy, for every model).
        repeats: measured rounds per model and compile mode, after one first step (compilation).
        out: output folder.
        classes: classes of the top.
        compile_modes: names out of `COMPILE_MODES` to measure besides the default ("auto", always first).
        peak_seconds: seconds of matmul peak measurement per round.
        zoo_train: also train the zoo model through `zoo train` (`_bench_zoo_train`) after the
            rounds, for its training steps' and whole epochs' images/s beside the plain loop's.
    Returns:
        The dict written to bench.json.
    """
    spec = check_bench_args(model=model, batch_size=batch_size, steps=steps, image_size=image_size,
                            precision=precision, repeats=repeats, compile_modes=compile_modes, peak_seconds=peak_seconds)
    modes = resolve_compile_modes(compile_modes)
    out = ensure_out_dir(out)
    shape = model_input_shape(spec.default_input_shape, image_size, min_shape=spec.min_input_shape, model=spec.name)
    n = batch_size * steps
    notes = []
    if precision != "float32":
        notes.append(f"the peak is float32's; under {precision} a fraction above 1 is possible")
    old_policy = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(precision)
    try:
        x, y, loss = _fit_args(spec, shape, n, classes)
        ref_label, zoo_label = _counterpart(spec, notes)
        batches, rows, peaks = _batches(x, y, batch_size), [], []
        for mode in modes:
            rows.extend(_measure_mode(spec, mode, shape=shape, classes=classes, precision=precision, loss=loss,
                                      batches=batches, ref_label=ref_label, repeats=repeats, peak_seconds=peak_seconds,
                                      peaks=peaks, notes=notes, first_mode=mode == modes[0]))
        if zoo_train:
            rows.extend(_zoo_train_rows(spec, x, y, batch_size=batch_size, steps=steps, repeats=repeats,
                                        classes=classes, out=out, gflop=rows[0]["training_gflop_per_image"],
                                        notes=notes))
    finally:
        keras.mixed_precision.set_global_policy(old_policy)
    peak = statistics.median(peaks)
    ratios, gflop_ratios = _ratios(rows, peak, zoo_label=zoo_label, ref_label=ref_label)
    _torchvision_rows(spec, rows, ratios, notes, batch_size=batch_size, steps=steps, shape=shape,
                      repeats=repeats, classes=classes)

    result = {
        "model": spec.name,
        "backend": keras.backend.backend(),
        "device": _device_name(),
        "keras_version": keras.__version__,
        "precision": precision,
        "batch_size": batch_size,
        "steps": steps,
        "input_shape": list(shape),
        "classes": classes,
        "repeats": repeats,
        "optimizer": "SGD(learning_rate=0.01, momentum=0.9)",
        "compile_modes": modes,
        "zoo_train": bool(zoo_train),
        "peak": {"gflop_per_s": peak, "how": f"float32 {PEAK_N}x{PEAK_N} matmul (NumPy), {peak_seconds:g} s per round, median",
                 "samples": len(peaks)},
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "results": rows,
        "ratios": ratios,
        "gflop_ratios": gflop_ratios,
        "notes": notes,
        "python": platform.python_version(),
    }
    print(format_table(result))
    json_path = os.path.join(out, "bench.json")
    write_json(json_path, result)
    png = plot_bench(result, os.path.join(out, "bench.png"))
    _log(f"wrote {json_path} and {png}")
    result["files"] = {"json": json_path, "png": png}
    return result


def _counterpart(spec, notes):
    """(keras.applications label or None, zoo label) of `spec`; a note says what differs or that it is alone."""
    if spec.name in KERAS_COUNTERPARTS:
        cls_name, diff = KERAS_COUNTERPARTS[spec.name]
        notes.append(diff)
        return f"keras.applications.{cls_name}", f"zoo {spec.name}"
    notes.append(f"keras.applications has no counterpart of {spec.name}: measured alone")
    return None, f"zoo {spec.name}"


def _measure_mode(spec, mode, *, shape, classes, precision, loss, batches, ref_label, repeats, peak_seconds,
                  peaks, notes, first_mode):
    """The rows of one compile mode: the zoo model and its twin built, compiled, stepped once, then
    measured in alternating rounds, each round after a matmul peak measurement (appended to `peaks`)."""
    candidates = {}  # label -> model; the zoo model first, then its twin
    zoo_label = f"zoo {spec.name}"
    _log(f"building zoo {spec.name} at {shape}, {classes} classes, precision {precision}, compile mode {mode}")
    candidates[zoo_label] = registry.get_model(spec.name, input_shape=shape, classes=classes)
    if first_mode and ref_label and keras.backend.backend() == "tensorflow" and any(
            isinstance(l, BatchNormalization) for l in candidates[zoo_label].layers):
        notes.append(f"zoo's BatchNormalization runs TensorFlow's fused kernel (zoo.models.batchnorm); "
                     f"{ref_label}'s, Keras 3's own layer, runs separate moments and normalization ops")
    if ref_label:
        _log(f"building {ref_label}")
        cls_name = ref_label.rsplit(".", 1)[1]
        candidates[ref_label] = getattr(keras.applications, cls_name)(weights=None, input_shape=shape, classes=classes)
    n = sum(int(keras.ops.shape(yb)[0]) for _, yb in batches)
    mode_rows = {}
    for label, m in candidates.items():
        _compile(m, loss, COMPILE_MODES[mode])
        flops = training_flops(m)
        _log(f"first step of {label} ({mode}: jit_compile={m.jit_compile}; traces and compiles, not counted)")
        first = _round(m, batches[:1])
        _log(f"  first step took {first:.1f}s; {flops / 1e9:.4g} training GFLOP per image")
        mode_rows[label] = {"label": f"{label} ({mode})", "model": label, "compile_mode": mode,
                            "jit_compile": m.jit_compile, "first_step_s": first,
                            "training_gflop_per_image": flops / 1e9, "images_per_s": [], "peak_gflop_per_s": []}
    for r in range(1, repeats + 1):
        rates = measure_peak(peak_seconds)
        peaks.extend(rates)
        _log(f"round {r}/{repeats} peak: float32 matmul {PEAK_N}x{PEAK_N}, median {statistics.median(rates):.4g} GFLOP/s")
        for label, m in candidates.items():
            t = _round(m, batches)
            mode_rows[label]["images_per_s"].append(n / t)
            gflops = n / t * mode_rows[label]["training_gflop_per_image"]
            _log(f"round {r}/{repeats} {label} ({mode}): {n / t:.4g} images/s, {gflops:.4g} GFLOP/s ({t:.1f}s)")
    del candidates
    keras.backend.clear_session()
    return list(mode_rows.values())


def _zoo_train_rows(spec, x, y, *, batch_size, steps, repeats, classes, out, gflop, notes):
    """The rows of the zoo model trained through `zoo train` (`_bench_zoo_train`) on the bench's arrays."""
    _log(f"zoo {spec.name} through zoo train (fit on the arrays, its callbacks, validation of one batch and "
         f"checkpoints each epoch): {repeats + 1} epochs of {steps} steps, the first compiles and is left out")
    rows = []
    for row in _bench_zoo_train(spec, x, y, batch_size=batch_size, repeats=repeats, classes=classes, out=out):
        row["training_gflop_per_image"] = gflop
        rows.append(row)
        _log(f"{row['label']}: " + ", ".join(f"{v:.4g}" for v in row["images_per_s"])
             + f" images/s per epoch (first epoch {row['first_epoch_s']:.1f}s, left out)")
    notes.append("zoo train rows: one round = one epoch of the same steps, measured after the plain loop's "
                 "rounds (not taking turns); whole epochs add validation of one batch and the checkpoints")
    return rows


def _ratios(rows, peak, *, zoo_label, ref_label):
    """Medians, GFLOP/s and peak fractions filled into `rows`; returns the images/s and GFLOP/s ratios
    of the zoo model to its twin per compile mode (and of its zoo train rows to the plain loop)."""
    for row in rows:
        row["median_images_per_s"] = statistics.median(row["images_per_s"])
        row["gflop_per_s"] = row["median_images_per_s"] * row["training_gflop_per_image"]
        row["peak_fraction"] = row["gflop_per_s"] / peak
        row.pop("peak_gflop_per_s", None)
    ratios, gflop_ratios = {}, {}
    zoo_rows = {r["compile_mode"]: r for r in rows if r["model"] == zoo_label}
    for row in rows:
        if row["model"] == ref_label:
            zr = zoo_rows[row["compile_mode"]]
            key = f"zoo/{ref_label} ({row['compile_mode']})"
            ratios[key] = zr["median_images_per_s"] / row["median_images_per_s"]
            gflop_ratios[key] = zr["gflop_per_s"] / row["gflop_per_s"]
    zoo_median = rows[0]["median_images_per_s"]
    for row in rows:
        if row["model"].startswith(f"{zoo_label} in zoo train"):
            ratios[f"{row['model']}/plain loop ({DEFAULT_COMPILE_MODE})"] = row["median_images_per_s"] / zoo_median
    return ratios, gflop_ratios


def _torchvision_rows(spec, rows, ratios, notes, *, batch_size, steps, shape, repeats, classes):
    """torchvision's row and ratio appended when torch and torchvision import; a note otherwise."""
    if spec.name not in TORCHVISION:
        return
    if not _torchvision_available():
        notes.append("torchvision: skipped (`import torch, torchvision` fails in this environment)")
        return
    _log(f"torchvision.models.{TORCHVISION[spec.name]} in a subprocess")
    try:
        tv = _bench_torchvision(spec.name, batch_size=batch_size, steps=steps, image_size=shape[:2],
                                repeats=repeats, classes=classes)
    except Exception as e:  # report, do not lose the Keras figures
        notes.append(f"torchvision run failed: {e}")
        return
    label = f"torchvision {spec.name} ({'AMP bf16 + torch.compile' if tv['compiled'] else 'plain'}, {tv['device']})"
    rates = tv["images_per_s"]
    rows.append({"label": label, "model": label, "images_per_s": rates, "median_images_per_s": statistics.median(rates)})
    ratios[f"zoo/torchvision {spec.name}"] = rows[0]["median_images_per_s"] / statistics.median(rates)


def _device_name():
    try:
        if keras.backend.backend() == "jax":
            import jax  # the JAX backend only

            d = jax.devices()[0]
            return f"{d.platform}: {getattr(d, 'device_kind', d)}"
    except Exception:  # pragma: no cover
        pass
    return f"cpu ({os.cpu_count()} cores, {platform.machine()})"


def format_table(result):
    """The table `zoo bench` prints: per model and compile mode the median images/s, GFLOP/s, peak
    fraction and first-step time, then the ratios."""
    rows = result["results"]
    width = max(len("model (compile mode)"), *(len(r["label"]) for r in rows))
    peak = result["peak"]
    load = result.get("load_average")
    lines = [
        f"training throughput, {result['backend']} backend on {result['device']}, precision {result['precision']}, "
        f"batch {result['batch_size']} x {result['steps']} steps, input {tuple(result['input_shape'])}, "
        f"median of {result['repeats']}" + (f", load average {load[0]:.2f}" if load else ""),
        f"peak: {peak['gflop_per_s']:.4g} GFLOP/s ({peak['how']})",
        f"{'model (compile mode)':<{width}}  {'images/s':>9}  {'GFLOP/s':>8}  {'of peak':>7}  {'first step':>10}  rounds (images/s)",
    ]
    for r in rows:
        rounds = " ".join(f"{v:.4g}" for v in r["images_per_s"])
        if "gflop_per_s" in r:
            first = (f"{r['first_step_s']:>9.1f}s" if "first_step_s" in r
                     else f"{'epoch ' + format(r['first_epoch_s'], '.1f') + 's':>10}")  # zoo train rows: the first epoch
            lines.append(f"{r['label']:<{width}}  {r['median_images_per_s']:>9.4g}  {r['gflop_per_s']:>8.4g}  "
                         f"{r['peak_fraction']:>7.2g}  {first}  {rounds}")
        else:
            lines.append(f"{r['label']:<{width}}  {r['median_images_per_s']:>9.4g}  {'':>8}  {'':>7}  {'':>10}  {rounds}")
    for k, v in result["ratios"].items():
        g = result.get("gflop_ratios", {}).get(k)
        lines.append(f"ratio {k}: images/s {v:.3f}" + (f", GFLOP/s {g:.3f}" if g is not None else ""))
    for note in result["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)
