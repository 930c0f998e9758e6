"""`zoo check`: the training recipe of the seeds (Karpathy, "A recipe for training neural networks")
as automatic checks, each pass / warn / fail with a one-line explanation.

(a) same seed -> same loss twice; (b) loss at initialisation ~ -ln(1/C), and the output activation
agrees with the loss; (c) an input-independent baseline (zeroed inputs) does worse than real inputs;
(d) one batch overfits to ~100 % accuracy with a loss near 0; (e) a learning-rate range test with a
plot and a suggested learning rate; (f) a numeric gradient check in float64 (a subprocess, so JAX
gets x64 enabled before it starts) of the model, custom layers included, against finite differences.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile

import keras
import numpy as np

from zoo import get_model, plots, registry
from zoo.data import load
from zoo.io import ensure_out_dir
from zoo.plots import _smooth
from zoo.tasks import check_dataset
from zoo.tasks.classification import compile_args, output_is_probability
from zoo.training.train import load_splits

STATUSES = ("pass", "warn", "fail")


@dataclasses.dataclass
class CheckResult:
    key: str
    name: str
    status: str
    detail: str
    data: dict = dataclasses.field(default_factory=dict)


def format_table(results):
    """The pass/warn/fail table `zoo check` prints."""
    width = max(len(r.name) for r in results)
    lines = [f"    {'check':<{width}}  status  explanation", f"    {'-' * width}  ------  {'-' * 40}"]
    for r in results:
        lines.append(f"({r.key}) {r.name:<{width}}  {r.status.upper():<6}  {r.detail}")
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    lines.append(f"{counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail")
    return "\n".join(lines)


def _loss_fn(loss):
    return keras.losses.get(loss) if isinstance(loss, str) else loss


def _from_logits(loss):
    return bool(getattr(loss, "from_logits", False) or getattr(loss, "get_config", lambda: {})().get("from_logits", False))


class _Setup:
    """What every check needs: a seeded model factory, the loss, a few batches."""

    def __init__(self, build, ds, loss, batch_size, seed):
        self.build, self.ds, self.batch_size, self.seed = build, ds, batch_size, seed
        self.classes = ds.classes
        probe = self.fresh()
        if loss is None:
            loss = compile_args(probe, ds)["loss"]
        self.loss = _loss_fn(loss)
        rng = np.random.default_rng(seed)
        self.order = rng.permutation(len(ds))

    def fresh(self, seed=None):
        keras.utils.set_random_seed(self.seed if seed is None else seed)
        return self.build()

    def batch(self, i, size=None):
        size = size or self.batch_size
        idx = np.take(self.order, np.arange(i * size, (i + 1) * size), mode="wrap")
        return self.ds.x[idx], np.asarray(self.ds.y)[idx]

    def compiled(self, optimizer=None, lr=1e-3, seed=None):
        m = self.fresh(seed)
        m.compile(optimizer=optimizer or keras.optimizers.Adam(lr), loss=self.loss, metrics=["accuracy"])
        return m

    def loss_on(self, model, x, y):
        return float(keras.ops.convert_to_numpy(self.loss(y, model(x, training=False))))


def check_determinism(s, steps=3):
    runs = []
    for _ in range(2):
        m = s.compiled()
        losses = [float(m.train_on_batch(*s.batch(i), return_dict=True)["loss"]) for i in range(steps)]
        runs.append(losses)
    diff = max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(*runs))
    data = {"run1": runs[0], "run2": runs[1], "max_relative_difference": diff}
    if diff <= 1e-5:
        return CheckResult("a", "same seed, same loss", "pass", f"two seeded runs agree over {steps} steps (loss {runs[0][-1]:.4f}, max rel. diff {diff:.1e})", data)
    status = "warn" if diff <= 1e-2 else "fail"
    return CheckResult("a", "same seed, same loss", status,
                       f"two runs with seed {s.seed} differ by {diff:.1e} (relative): unseeded randomness (dropout, data order, "
                       "non-deterministic ops); results will not reproduce", data)


def check_initial_loss(s):
    m = s.fresh()
    x, y = s.batch(0, size=min(len(s.ds), 256))
    loss = s.loss_on(m, x, y)
    expected = -math.log(1.0 / s.classes)
    data = {"initial_loss": loss, "expected": expected}
    probs = output_is_probability(m)
    if probs and _from_logits(s.loss):
        return CheckResult("b", "loss at init ~ ln C", "warn",
                           f"the model ends in softmax but the loss has from_logits=True: softmax applied twice, the loss cannot "
                           f"approach 0 (init loss {loss:.3f}, ln {s.classes} = {expected:.3f}); drop the softmax or use from_logits=False", data)
    if not probs and not _from_logits(s.loss) and "crossentropy" in type(s.loss).__name__.lower():
        return CheckResult("b", "loss at init ~ ln C", "warn",
                           "the model outputs logits but the loss expects probabilities (from_logits=False): use from_logits=True", data)
    if not math.isfinite(loss):
        return CheckResult("b", "loss at init ~ ln C", "fail", f"the loss at initialisation is {loss}: check inputs and initialisation", data)
    ratio = loss / expected
    if 0.8 <= ratio <= 1.25:
        return CheckResult("b", "loss at init ~ ln C", "pass", f"init loss {loss:.3f} vs -ln(1/{s.classes}) = {expected:.3f}: outputs start near uniform", data)
    why = ("the initial weights (or last-layer bias) are too large: the network starts confidently wrong; use a smaller init "
           "(He / Glorot) or zero the last bias") if ratio > 1.25 else "the loss starts below chance: a label leak or an initialised last-layer bias"
    return CheckResult("b", "loss at init ~ ln C", "warn", f"init loss {loss:.3f} vs -ln(1/{s.classes}) = {expected:.3f} (x{ratio:.1f}): {why}", data)


def check_input_baseline(s, steps=30):
    real, zero = s.compiled(), s.compiled()
    for i in range(steps):
        x, y = s.batch(i)
        real.train_on_batch(x, y)
        zero.train_on_batch(np.zeros_like(x), y)
    x, y = s.batch(steps, size=min(len(s.ds), 256))
    l_real, l_zero = s.loss_on(real, x, y), s.loss_on(zero, np.zeros_like(x), y)
    data = {"loss_real_inputs": l_real, "loss_zero_inputs": l_zero, "steps": steps}
    if l_real < 0.9 * l_zero:
        return CheckResult("c", "beats zero-input baseline", "pass", f"after {steps} steps: loss {l_real:.3f} with real inputs vs {l_zero:.3f} with zeroed inputs", data)
    return CheckResult("c", "beats zero-input baseline", "warn",
                       f"after {steps} steps the model does no better on real inputs ({l_real:.3f}) than on zeros ({l_zero:.3f}): "
                       "it is not using its input (learning rate, preprocessing, a broken layer?)", data)


def check_overfit_batch(s, steps=200, size=16, lr=3e-3):
    m = s.compiled(lr=lr)
    x, y = s.batch(0, size=size)
    logs = {}
    for step in range(1, steps + 1):
        logs = m.train_on_batch(x, y, return_dict=True)
        if step % 10 == 0:
            acc = float(np.mean(np.argmax(keras_numpy(m(x, training=False)), -1) == y))
            loss = s.loss_on(m, x, y)
            if acc == 1.0 and loss < 0.05:
                break
    acc = float(np.mean(np.argmax(keras_numpy(m(x, training=False)), -1) == y))
    loss = s.loss_on(m, x, y)
    data = {"accuracy": acc, "loss": loss, "steps": step, "batch": size}
    if acc >= 0.999 and loss < 0.1:
        return CheckResult("d", "overfits one batch", "pass", f"{size} images memorised in {step} steps: accuracy {acc:.0%}, loss {loss:.4f}", data)
    out = keras_numpy(m(x, training=False))
    looks_like_probs = out.ndim == 2 and out.min() >= 0 and np.allclose(out.sum(-1), 1.0, atol=1e-3)
    if acc >= 0.999 or (_from_logits(s.loss) and looks_like_probs):
        return CheckResult("d", "overfits one batch", "warn",
                           f"accuracy {acc:.0%}, loss still {loss:.3f} after {step} steps: the loss cannot reach 0 "
                           "(probabilities fed to a from_logits loss, i.e. softmax twice?)", data)
    status = "warn" if acc >= 0.9 else "fail"
    return CheckResult("d", "overfits one batch", status,
                       f"only {acc:.0%} of {size} images fitted after {steps} steps (loss {loss:.3f}): too little capacity, "
                       "a too small/large learning rate, or a bug between data and labels", data)


def keras_numpy(t):
    return keras.ops.convert_to_numpy(t)


def lr_range_test(s, *, start=1e-6, stop=1.0, steps=80):
    """Leslie Smith's LR range test: the LR grows exponentially per step; returns (lrs, losses)."""
    m = s.compiled(optimizer=keras.optimizers.Adam(start))
    lrs, losses = [], []
    factor = (stop / start) ** (1.0 / max(steps - 1, 1))
    best, lr, avg = math.inf, start, None
    for i in range(steps):
        m.optimizer.learning_rate = lr
        loss = float(m.train_on_batch(*s.batch(i), return_dict=True)["loss"])
        lrs.append(lr)
        losses.append(loss)
        avg = loss if avg is None else 0.8 * avg + 0.2 * loss
        best = min(best, avg)
        if not math.isfinite(loss) or (i > 10 and avg > 4 * best):
            break
        lr *= factor
    return np.array(lrs), np.array(losses)


def suggest_lr(lrs, losses):
    """A tenth of the learning rate at the smoothed loss minimum (None if the loss never fell)."""
    finite = np.isfinite(losses)
    lrs, losses = lrs[finite], losses[finite]
    if len(losses) < 5:
        return None
    sm = _smooth(losses)
    k = int(np.argmin(sm))
    if sm[k] > 0.9 * sm[min(3, len(sm) - 1)]:
        return None
    return float(lrs[k] / 10)


def check_lr_range(s, out):
    lrs, losses = lr_range_test(s)
    lr = suggest_lr(lrs, losses)
    path = os.path.join(out, "lr_range_test.png") if out else None
    if path:
        plots.plot_lr_range_test(lrs, losses, path, suggested=lr, title="Learning-rate range test (Adam)")
    data = {"lrs": lrs.tolist(), "losses": losses.tolist(), "suggested_lr": lr, "plot": path}
    where = f"; plot {path}" if path else ""
    if lr is None:
        return CheckResult("e", "learning-rate range test", "warn", f"the loss did not fall for any lr in [{lrs[0]:.0e}, {lrs[-1]:.0e}]{where}", data)
    return CheckResult("e", "learning-rate range test", "pass", f"loss falls fastest up to lr {lr * 10:.1e}: suggested Adam lr {lr:.1e}{where}", data)


GRADCHECK_SCRIPT = "zoo.training.gradcheck"


def check_gradients(model, x, seed=0, timeout=300):
    """Runs the float64 finite-difference check in a subprocess (JAX_ENABLE_X64 set before JAX starts)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "model.json"), "w") as f:
            f.write(model.to_json())
        np.savez(os.path.join(tmp, "weights.npz"), *[np.asarray(w) for w in model.get_weights()])
        np.save(os.path.join(tmp, "x.npy"), np.asarray(x[:2], dtype=np.float64))
        env = dict(os.environ, JAX_ENABLE_X64="1", KERAS_BACKEND=keras.backend.backend())
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.run([sys.executable, "-m", GRADCHECK_SCRIPT, tmp, str(seed)], capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return CheckResult("f", "gradient check (float64)", "warn", f"the float64 check could not run: {tail[:200]}", {"stderr": proc.stderr[-2000:]})
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    custom = ", ".join(r["custom_layers"]) or "none"
    data = r
    if r["dtype"] != "float64":
        return CheckResult("f", "gradient check (float64)", "fail", f"the check ran in {r['dtype']}, not float64", data)
    err = r["max_rel_error"]
    text = f"{r['entries']} entries (input + weights; custom layers: {custom}) in float64: max relative error {err:.1e}"
    if err <= 1e-5:
        return CheckResult("f", "gradient check (float64)", "pass", text, data)
    worst = r.get("worst", "")
    if err <= 1e-3:
        return CheckResult("f", "gradient check (float64)", "warn", text + f" (worst: {worst}; a kink of ReLU/max-pool crossed?)", data)
    return CheckResult("f", "gradient check (float64)", "fail", text + f": the backward pass disagrees with the forward (worst: {worst})", data)


def run_checks(model, dataset, *, out=None, batch_size=32, seed=0, data_dir=None, loss=None, checks="abcdef", verbose=True):
    """The recipe checks (a)-(f) for a classifier; returns a list of CheckResult.

    Args:
        model: a registry name, or a callable returning a fresh (uncompiled) Keras model (planted models).
        dataset: a dataset name (its train split is used) or an ArrayDataset.
        out: folder for the LR range-test plot (None: no plot).
        loss: the loss to check with (default: sparse categorical cross-entropy, from_logits when the
            model outputs logits).
        checks: which of "abcdef" to run.
    """
    if isinstance(model, str):
        spec = registry.get_spec(model)
        if spec.task != "classification":
            raise ValueError(f"zoo check covers classifiers; {spec.name} is a {spec.task} model")
        check_dataset(spec.task, dataset, model=spec.name)
        if isinstance(dataset, str):
            (ds,) = load_splits(dataset, spec, seed=seed, data_dir=data_dir, splits=("train",))
        else:
            ds = dataset

        def build():
            return get_model(spec.name, input_shape=tuple(ds.x.shape[1:]), classes=ds.classes)
    else:
        if isinstance(dataset, str):
            ds = load(dataset, "train", seed=seed, data_dir=data_dir)
        else:
            ds = dataset
        build = model
    if ds.task != "classification":
        raise ValueError(f"zoo check covers classification data; dataset {ds.name!r} is {ds.task}")
    if out:
        out = ensure_out_dir(out)
    s = _Setup(build, ds, loss, batch_size, seed)
    runners = {
        "a": lambda: check_determinism(s),
        "b": lambda: check_initial_loss(s),
        "c": lambda: check_input_baseline(s),
        "d": lambda: check_overfit_batch(s),
        "e": lambda: check_lr_range(s, out),
        "f": lambda: check_gradients(s.fresh(), ds.x, seed=seed),
    }
    results = []
    for key in checks:
        if verbose:
            print(f"zoo check: ({key}) ...", flush=True)
        results.append(runners[key]())
    return results
