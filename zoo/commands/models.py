"""`zoo list`, `zoo info`, `zoo convert`, `zoo bench`: what the registry holds, checkpoints into
zoo models, and how fast a model trains."""

from __future__ import annotations

import argparse
import fnmatch
import math
import os
import sys

from zoo import registry
from zoo.commands import preflight
from zoo.commands.argtypes import add_image_size, model_name, positive_float, positive_int


def register(sub):
    p = sub.add_parser("list", help="registered models (fnmatch PATTERN, e.g. 'resnet*')")
    p.add_argument("pattern", nargs="?", default=None, help="fnmatch pattern, e.g. 'resnet*'")
    p.add_argument("--task", default=None, help="only models of this task (classification, segmentation, ...)")
    p.set_defaults(func=run_list, needs_keras=False)

    p = sub.add_parser("info", help="parameter count, input shape, task, reference and the checkpoints of MODEL; "
                       "or what a saved FILE.keras is: its checkpoint, preprocessing and class names")
    p.add_argument("model", type=model_or_keras_file, metavar="MODEL|FILE.keras")
    p.set_defaults(func=run_info)

    p = sub.add_parser(
        "convert",
        help="a torchvision .pth, timm .safetensors or keras.applications .h5 checkpoint into a zoo .keras "
        "model that takes raw images and knows its class names",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help=".pth/.pt/.bin, .safetensors or Keras .h5 file")
    p.add_argument("--model", required=True, type=model_name, help="zoo model of the checkpoint's architecture, e.g. resnet18")
    p.add_argument("--out", required=True, metavar="FILE.keras", help="the .keras file to write")
    add_image_size(p, "N or HxW input of the model (default: the model's, 224x224)")
    p.set_defaults(func=run_convert, preflight=preflight.convert)

    p = sub.add_parser(
        "bench",
        help="training throughput of a zoo model vs keras.applications (and torchvision): images/s, GFLOP/s, "
        "fraction of this machine's matmul peak, first-step (compile) time apart, ratios",
        description="Trains MODEL and its keras.applications twin on random in-memory data, taking turns "
        "(zoo, keras, zoo, keras, ...) with a float32 matmul that measures this machine's peak. Throughput is "
        "a plain train_on_batch loop after a first step that compiles (reported apart). GFLOP/s counts the "
        "multiply-adds of the conv and dense layers from their shapes, 2 FLOPs each, x3 for a training step "
        "(forward + two backward products). Writes bench.json and bench.png into --out.",
    )
    p.add_argument("--model", required=True, type=model_name, help="zoo model name, e.g. resnet50 or vgg16")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--steps", type=positive_int, default=10, help="training steps per measured round (default 10)")
    add_image_size(p, "N or HxW input of the model (default: the model's, 224x224)")
    p.add_argument("--precision", choices=("float32", "mixed_bfloat16"), default="float32")
    p.add_argument("--repeats", type=positive_int, default=3, help="measured rounds per model (default 3)")
    p.add_argument("--compile-modes", type=compile_mode_list, default=None, metavar="MODE[,MODE]",
                   help="compile modes besides Keras' default 'auto' (always measured first): "
                   "xla (jit_compile=True), no-xla (jit_compile=False)")
    p.add_argument("--peak-seconds", type=positive_float, default=3.0,
                   help="seconds of float32 matmul per round that measure the machine's peak (default 3)")
    p.add_argument("--zoo-train", action="store_true",
                   help="also train the zoo model through zoo train's own path (fit, callbacks, validation, "
                   "checkpoints) for repeats + 1 epochs of --steps steps: its training steps' and whole epochs' "
                   "images/s beside the plain loop's (the first epoch compiles and is left out)")
    p.add_argument("--out", default=os.path.join("runs", "bench"), help="output folder (default runs/bench)")
    p.set_defaults(func=run_bench)


def run_list(args):
    if args.task is not None and args.task not in registry.TASKS:
        raise ValueError(f"--task must be one of {', '.join(registry.TASKS)}. Received: --task {args.task}")
    entries = registry.catalog()  # the registry's metadata without importing Keras
    names = [n for n, e in entries.items()
             if (args.pattern is None or fnmatch.fnmatchcase(n, args.pattern.lower()))
             and (args.task is None or e["task"] == args.task)]
    if not names:
        print(f"no model matches {args.pattern!r}; `zoo list` shows all", file=sys.stderr)
        return 1
    width = max(len(n) for n in names)
    for n in names:
        e = entries[n]
        shape = "x".join(str(d) for d in e["default_input_shape"])
        print(f"{n:<{width}}  {e['task']:<14}  {shape:<11}  {e['family']}")
    return 0


def model_or_keras_file(text):
    """A registered model name, or the path of a .keras file (kept as given)."""
    return text if text.lower().endswith(".keras") else model_name(text)


def run_info(args):
    if args.model.lower().endswith(".keras"):
        return _info_of_file(args.model)
    spec = registry.get_spec(args.model)
    model = spec.builder()
    trainable = int(sum(math.prod(w.shape) for w in model.trainable_weights))
    total = int(model.count_params())
    outs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    rows = [
        ("model", spec.name),
        ("family", spec.family),
        ("task", spec.task),
        ("parameters", f"{total:,} ({trainable:,} trainable)"),
        ("input shape", f"{spec.default_input_shape} (default); minimum {spec.min_input_shape}"),
        ("output shape", ", ".join(str(tuple(o.shape)) for o in outs)),
        ("reference", spec.paper),
    ]
    if spec.notes:
        rows.append(("notes", spec.notes))
    rows += [("checkpoint", f"{w.summary()}") for w in spec.weights]
    if not spec.weights:
        rows.append(("checkpoints", "the zoo's own .keras / .weights.h5 files only"))
    if spec.recipe:
        rows.append(("zoo train", " ".join(f"--{k.replace('_', '-')} {v}" for k, v in spec.recipe.items() if k != "measured")
                     + (f" (measured: {spec.recipe['measured']})" if spec.recipe.get("measured") else "")))
    for k, v in rows:
        print(f"{k:>13}: {v}")
    return 0


def _info_of_file(path):
    from zoo.models import load_model
    from zoo.models.labels import checkpoint_info, weights_metadata

    model = load_model(path, compile=False)
    meta, info = weights_metadata(model), checkpoint_info(model)
    names = meta["class_names"]
    outs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    rows = [
        ("file", path),
        ("model", model.name),
        ("parameters", f"{int(model.count_params()):,} ({int(sum(math.prod(w.shape) for w in model.trainable_weights)):,} trainable)"),
        ("input shape", str(tuple(model.input_shape[1:]))),
        ("output shape", ", ".join(str(tuple(o.shape)) for o in outs)),
        ("classes", f"{len(names)} names: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}" if names
         else "no class names"),
    ]
    if info is None:
        rows.append(("checkpoint", "none: weights trained by the zoo or random"))
    else:
        w = info["weights"]
        rows += [
            ("checkpoint", f"{w.source}: {info['loaded']} tensors of {info['file']} ({info['format']})"
             + (f", skipped {', '.join(info['skipped'])}" if info["skipped"] else "")),
            ("preprocessing", f"{w.preprocessing!r} (mean {_rounded(w.mean)}, std {_rounded(w.std)} of [0, 1] RGB)"
             + (", inside the model" if any(l.name == "preprocessing" for l in model.layers) else
                ": not inside the model, apply it to its input")),
            ("trained at", f"{w.input_size[0]}x{w.input_size[1]}"
             + (f", {w.num_classes} {w.categories} classes" if w.categories else "")),
            ("reported", ", ".join(f"{k} {v}" for k, v in w.metrics.items()) + " (as its source reports them)" if w.metrics else "nothing"),
            ("license", w.license),
        ]
    for k, v in rows:
        print(f"{k:>13}: {v}")
    return 0


def _rounded(values):
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def run_convert(args):
    from zoo.convert import convert
    from zoo.data.fit import model_input_shape

    spec = registry.catalog()[args.model]
    shape = None if args.image_size is None else model_input_shape(
        spec["default_input_shape"], args.image_size, min_shape=spec["min_input_shape"], model=args.model)
    info = convert(args.checkpoint, args.model, args.out, input_shape=shape)
    names = info["class_names"]
    what = (f"{len(names)} class names ({names[0]}, {names[1]}, ...)" if names
            else f"{info['classes']} classes without names" if info["classes"] else "features (no classifier)")
    print(f"wrote {info['out']}: {args.model} with {info['loaded']} tensors of {args.checkpoint} "
          f"({info['format']}); input: raw [0, 1] RGB images, preprocessing {info['preprocessing']!r} inside; {what}")
    if info["skipped"]:
        print(f"skipped (no layer of the model): {', '.join(info['skipped'])}")
    return 0


def compile_mode_list(text):
    """MODE[,MODE] out of zoo.bench.COMPILE_MODES."""
    from zoo.bench import COMPILE_MODES  # imports Keras: only when the flag is given, never for --help

    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in COMPILE_MODES]
    if not modes or bad:
        raise argparse.ArgumentTypeError(f"expected compile modes out of {', '.join(COMPILE_MODES)} (comma-separated), got {text!r}")
    return modes


def run_bench(args):
    from zoo.bench import run_bench as bench  # Keras-heavy: loaded only when the command runs

    try:
        result = bench(args.model, batch_size=args.batch_size, steps=args.steps, image_size=args.image_size,
                       precision=args.precision, repeats=args.repeats, out=args.out, compile_modes=args.compile_modes,
                       peak_seconds=args.peak_seconds, zoo_train=args.zoo_train)
    except KeyboardInterrupt:
        print(f"zoo bench: interrupted; nothing written to {args.out} (bench.json and bench.png come at the end)",
              file=sys.stderr)
        return 130
    return 0 if all(r["median_images_per_s"] > 0 for r in result["results"]) else 1
