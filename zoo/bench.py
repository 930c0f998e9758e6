"""`zoo bench`: training throughput of a zoo model against its keras.applications counterpart
(and torchvision's, where torch is installed), measured in one run on the same machine.

Method: random images and labels already in memory; every model gets the same optimizer (SGD,
momentum 0.9), loss and batch size; one warm-up `fit` per model (compilation), then `repeats`
rounds in which the models take turns (zoo, reference, zoo, reference, ...), so a machine that
slows down or speeds up during the run affects both alike. Each round is one `fit` epoch of
`steps` batches; the figure is the median images/s over the rounds, and the ratio is
zoo / reference (> 1: the zoo model trains faster). Writes bench.json and bench.png into `out`.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time

PRECISIONS = ("float32", "mixed_bfloat16")

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


def check_bench_args(*, model, batch_size, steps, input_size, precision, repeats):
    """Validates the arguments up front, naming the bad value and what is accepted."""
    from zoo import registry

    spec = registry.get_spec(model)
    for arg, value in (("batch_size", batch_size), ("steps", steps), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be an integer >= 1. Received: {arg}={value!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"`precision` must be one of {', '.join(PRECISIONS)}. Received: precision={precision!r}")
    if input_size is not None:
        low = max(spec.min_input_shape)
        if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < low:
            raise ValueError(
                f"`input_size` must be an integer >= {low} for {spec.name} (its minimum side). "
                f"Received: input_size={input_size!r}"
            )
    return spec


def _fit_args(spec, shape, n, classes, seed=0):
    """Random in-memory data for the model's task: (x, y, loss)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.random((n,) + tuple(shape), dtype=np.float32)
    if spec.task == "classification":
        return x, rng.integers(0, classes, size=n), "sparse_categorical_crossentropy"
    if spec.task == "segmentation":
        return x, rng.integers(0, classes, size=(n,) + tuple(shape[:2])), "sparse_categorical_crossentropy"
    raise ValueError(f"zoo bench measures classification and segmentation models; {spec.name!r} is {spec.task}")


def _compile(model, loss, jit_compile="auto"):
    import keras

    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss=loss,
        jit_compile=jit_compile,
    )


def _epoch(model, x, y, batch_size):
    """One fit epoch; returns seconds."""
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - t


def _torchvision_available():
    import importlib.util

    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("torchvision") is not None


_TORCH_SCRIPT = r"""
import json, statistics, sys, time
import torch, torchvision
cfg = json.loads(sys.argv[1])
dev = "cuda" if torch.cuda.is_available() else "cpu"
m = getattr(torchvision.models, cfg["model"])(num_classes=cfg["classes"]).to(dev).to(memory_format=torch.channels_last)
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
loss_fn = torch.nn.CrossEntropyLoss()
n, s = cfg["batch_size"] * cfg["steps"], cfg["input_size"]
x = torch.rand(n, 3, s, s, device=dev).contiguous(memory_format=torch.channels_last)
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


def _bench_torchvision(model, *, batch_size, steps, input_size, repeats, classes):
    """torchvision's model in a subprocess of its own (AMP bf16 + torch.compile on GPU, plain on CPU)."""
    cfg = dict(model=TORCHVISION[model], batch_size=batch_size, steps=steps, input_size=input_size,
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
    input_size=None,
    precision="float32",
    repeats=3,
    out=os.path.join("runs", "bench"),
    classes=1000,
    jit_compile="auto",
):
    """Measures the training throughput of `model` and its keras.applications twin, nothing else.

    Prints a table, writes `out`/bench.json and `out`/bench.png. A model without a twin in
    `KERAS_COUNTERPARTS` is measured alone, and a note says so.

    Args:
        model: zoo model name (resnet50, vgg16, ...).
        batch_size, steps: each round is one epoch of `steps` batches of `batch_size` images.
        input_size: square input side; default the model's default (224 for ImageNet nets).
        precision: "float32" or "mixed_bfloat16" (Keras' global dtype policy, for every model).
        repeats: measured rounds per model after one warm-up.
        out: output folder.
        classes: classes of the top.
        jit_compile: passed to `model.compile` for every model ("auto": Keras' default, XLA).
    Returns:
        The dict written to bench.json.
    """
    from zoo import registry
    from zoo.io import ensure_out_dir, write_json

    spec = check_bench_args(model=model, batch_size=batch_size, steps=steps, input_size=input_size,
                            precision=precision, repeats=repeats)
    out = ensure_out_dir(out)
    import keras

    side = input_size or spec.default_input_shape[0]
    shape = (side, side, spec.default_input_shape[-1])
    n = batch_size * steps
    notes = []
    old_policy = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(precision)
    try:
        candidates = {}  # label -> model; the zoo model first, then its twin
        _log(f"building zoo {spec.name} at {shape}, {classes} classes, precision {precision}")
        x, y, loss = _fit_args(spec, shape, n, classes)
        candidates[f"zoo {spec.name}"] = registry.get_model(spec.name, input_shape=shape, classes=classes)
        ref_label = None
        if spec.name in KERAS_COUNTERPARTS:
            cls_name, diff = KERAS_COUNTERPARTS[spec.name]
            ref_label = f"keras.applications.{cls_name}"
            _log(f"building {ref_label} ({diff})")
            candidates[ref_label] = getattr(keras.applications, cls_name)(weights=None, input_shape=shape,
                                                                          classes=classes)
            notes.append(diff)
        else:
            notes.append(f"keras.applications has no counterpart of {spec.name}: measured alone")
        for m in candidates.values():
            _compile(m, loss, jit_compile)
        for label, m in candidates.items():
            _log(f"warm-up {label} ({steps} steps of {batch_size}; includes compilation)")
            _log(f"  warm-up took {_epoch(m, x, y, batch_size):.1f}s")
        times = {label: [] for label in candidates}
        for r in range(1, repeats + 1):
            for label, m in candidates.items():
                t = _epoch(m, x, y, batch_size)
                times[label].append(n / t)
                _log(f"round {r}/{repeats} {label}: {n / t:.3g} images/s ({t:.1f}s)")
    finally:
        keras.mixed_precision.set_global_policy(old_policy)

    rows = []
    for label, rates in times.items():
        rows.append({"label": label, "images_per_s": rates, "median_images_per_s": statistics.median(rates)})
    zoo_median = rows[0]["median_images_per_s"]
    ratios = {}
    if ref_label:
        ratios[f"zoo/{ref_label}"] = zoo_median / statistics.median(times[ref_label])

    if spec.name in TORCHVISION and _torchvision_available():
        _log(f"torchvision.models.{TORCHVISION[spec.name]} in a subprocess")
        try:
            tv = _bench_torchvision(spec.name, batch_size=batch_size, steps=steps, input_size=side,
                                    repeats=repeats, classes=classes)
            label = f"torchvision {spec.name} ({'AMP bf16 + torch.compile' if tv['compiled'] else 'plain'}, {tv['device']})"
            rates = tv["images_per_s"]
            rows.append({"label": label, "images_per_s": rates, "median_images_per_s": statistics.median(rates)})
            ratios[f"zoo/torchvision {spec.name}"] = zoo_median / statistics.median(rates)
        except Exception as e:  # report, do not lose the Keras figures
            notes.append(f"torchvision run failed: {e}")
    elif spec.name in TORCHVISION:
        notes.append("torchvision: skipped (`import torch, torchvision` fails in this environment)")

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
        "jit_compile": jit_compile,
        "results": rows,
        "ratios": ratios,
        "notes": notes,
        "python": platform.python_version(),
    }
    print(format_table(result))
    json_path = os.path.join(out, "bench.json")
    write_json(json_path, result)
    from zoo.plots import plot_bench

    png = plot_bench(result, os.path.join(out, "bench.png"))
    _log(f"wrote {json_path} and {png}")
    result["files"] = {"json": json_path, "png": png}
    return result


def _device_name():
    import keras

    try:
        if keras.backend.backend() == "jax":
            import jax

            d = jax.devices()[0]
            return f"{d.platform}: {getattr(d, 'device_kind', d)}"
    except Exception:  # pragma: no cover
        pass
    return f"cpu ({os.cpu_count()} cores, {platform.machine()})"


def format_table(result):
    """The table `zoo bench` prints: median images/s per model, then the ratios."""
    width = max(len(r["label"]) for r in result["results"])
    lines = [
        f"training throughput, {result['backend']} backend on {result['device']}, precision {result['precision']}, "
        f"batch {result['batch_size']} x {result['steps']} steps, input {tuple(result['input_shape'])}, "
        f"median of {result['repeats']}",
        f"{'model':<{width}}  {'images/s':>10}  {'rounds':<}",
    ]
    for r in result["results"]:
        rounds = " ".join(f"{v:.3g}" for v in r["images_per_s"])
        lines.append(f"{r['label']:<{width}}  {r['median_images_per_s']:>10.3g}  {rounds}")
    for k, v in result["ratios"].items():
        lines.append(f"ratio {k}: {v:.3f}")
    for note in result["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)
