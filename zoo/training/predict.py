"""`zoo predict RUN_DIR|MODEL.keras INPUT...`: predictions for image files and folders, through the
task module of the model (classifiers here; segmenters / detectors write PNGs into --out)."""

from __future__ import annotations

import os
import sys

from PIL import Image

from zoo.data.fit import announce, describe
from zoo.data.imagefolder import IMAGE_EXTENSIONS, _check_image, list_images, stored_shape
from zoo.io import ensure_out_dir
from zoo.tasks import get_task
from zoo.training.evaluate import class_names_for, load_run_model, model_task


def expand_inputs(inputs):
    """Image files named or found (recursively) in the folders named; a bad path raises."""
    files = []
    for p in inputs:
        if os.path.isdir(p):
            found = list_images(p)
            if not found:
                raise FileNotFoundError(f"INPUT {p!r} is a folder without images ({', '.join(IMAGE_EXTENSIONS)})")
            files += found
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise FileNotFoundError(f"INPUT {p!r}: no such file or folder")
    return files


def _readable(files):
    """`files` without the ones Pillow cannot decode; those are named in one warning line on stderr
    (all unreadable: a ValueError naming them)."""
    bad = [(f, reason) for f, reason in ((f, _check_image(f, 1)[0]) for f in files) if reason]
    if bad:
        listed = "; ".join(f"{f} ({reason})" for f, reason in bad)
        if len(bad) == len(files):
            raise ValueError(f"no readable input image: {listed}")
        print(f"zoo: warning: skipped {len(bad)} unreadable input image(s): {listed}", file=sys.stderr, flush=True)
    skip = {f for f, _ in bad}
    return [f for f in files if f not in skip]


def _say_fit(files, model):
    """The `zoo.data.fit` line for the input images read at the model's input size and colour
    (on stderr: stdout may be --json)."""
    sizes, modes = [], []
    for f in files:
        with Image.open(f) as im:
            sizes.append(im.size)
            modes.append(im.mode)
    before = stored_shape(sizes, modes)
    h, w, c = model.input_shape[1:]
    after = (h if h is not None else before[0], w if w is not None else before[1], c)
    what = f"{len(files)} input image{'' if len(files) == 1 else 's'}"
    announce(what, describe(before, after), model.name, file=sys.stderr)


def predict_paths(path, inputs, *, out=None):
    """Records {"path", "label", "probability", ...} for every input image."""
    files = _readable(expand_inputs(inputs))
    model, run_dir, config = load_run_model(path)
    task = get_task(model_task(model, config, run_dir))
    _say_fit(files, model)
    names = class_names_for(run_dir, model.output_shape[-1] if task.name == "classification" else 0, model)
    if out:
        out = ensure_out_dir(out)
    try:
        return task.predict_files(model, files, out, names)
    except OSError as e:
        raise ValueError(f"cannot read an input image: {e}") from None
