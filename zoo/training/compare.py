"""`zoo compare optimizers`: the same model, the same initial weights and the same batches, trained
with each optimizer; the training loss per iteration of all of them in one figure (the seeds'
classic comparison plot)."""

from __future__ import annotations

import math
import os
import time

import keras
import numpy as np

from zoo import get_model, plots, registry
from zoo.io import ensure_out_dir, write_json
from zoo.tasks import check_dataset, get_task
from zoo.training.optimizers import DEFAULT_LR, OPTIMIZERS, make_optimizer
from zoo.training.train import load_splits


def compare_optimizers(model, dataset, *, out="runs/compare-optimizers", optimizers=None, epochs=3, batch_size=32,
                       seed=0, lrs=None, datasets=None, verbose=True):
    """Trains `model` once per optimizer (DEFAULT_LR each unless `lrs` says otherwise).

    Writes optimizers.png and optimizers.json (losses per iteration, final val accuracy, seconds)
    into `out`; returns {optimizer: {"losses": [...], "val_accuracy": float, "lr": float, "seconds": float}}.
    """
    optimizers = list(optimizers or OPTIMIZERS)
    bad = [o for o in optimizers if o not in OPTIMIZERS]
    if bad or not optimizers:
        raise ValueError(f"--optimizers must name some of {', '.join(OPTIMIZERS)}. Received: {bad or optimizers!r}")
    spec = registry.get_spec(model)
    tasks = get_task(spec.task)
    check_dataset(tasks, dataset if datasets is None else datasets[0], model=spec.name)
    if datasets is None:
        ds, ds_val = load_splits(dataset, spec, seed=seed, splits=("train", "val"))
        check_dataset(tasks, ds, model=spec.name)
    else:
        ds, ds_val = datasets
    out = ensure_out_dir(out)  # only once the data loaded: a refused command writes nothing
    keras.utils.set_random_seed(seed)
    net = get_model(spec.name, input_shape=tuple(ds.x.shape[1:]), classes=ds.classes)
    initial = net.get_weights()
    x, y = tasks.fit_data(net, ds)
    rng = np.random.default_rng(seed)
    steps = int(math.ceil(len(x) / batch_size))
    orders = [rng.permutation(len(x)) for _ in range(epochs)]
    results = {}
    for name in optimizers:
        lr = (lrs or {}).get(name, DEFAULT_LR[name])
        keras.utils.set_random_seed(seed)
        m = get_model(spec.name, input_shape=tuple(ds.x.shape[1:]), classes=ds.classes)
        m.set_weights(initial)
        m.compile(optimizer=make_optimizer(name, lr), **tasks.compile_args(m, ds))
        t0 = time.time()
        losses = []
        for e in range(epochs):
            for b in range(steps):
                idx = orders[e][b * batch_size : (b + 1) * batch_size]
                logs = m.train_on_batch(x[idx], _take(y, idx), return_dict=True)
                losses.append(float(logs["loss"]))
        val = tasks.evaluate(m, ds_val)
        results[name] = {"lr": lr, "losses": losses, "val": val, "seconds": round(time.time() - t0, 1)}
        if verbose:
            head = next(iter(val))
            print(f"zoo compare: {name:<9} lr {lr:<6g} final loss {np.mean(losses[-10:]):.4f}  val {head} {val[head]:.4f}  "
                  f"({results[name]['seconds']:.0f} s)", flush=True)
    path = plots.plot_optimizer_comparison(
        {f"{n} (lr {r['lr']:g})": r["losses"] for n, r in results.items()},
        os.path.join(out, "optimizers.png"),
        title=f"{spec.name} on {dataset}: {epochs} epochs, batch {batch_size}, same initial weights and batches",
    )
    write_json(os.path.join(out, "optimizers.json"), {"model": spec.name, "dataset": dataset, "epochs": epochs, "batch_size": batch_size, "results": results})
    if verbose:
        print(f"zoo compare: figure {path}", flush=True)
    return results


def _take(y, idx):
    if isinstance(y, dict):
        return {k: v[idx] for k, v in y.items()}
    return y[idx]
