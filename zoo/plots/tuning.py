"""Figures of a hyperparameter search: objective per trial, objective vs each hyperparameter,
parallel coordinates."""

from __future__ import annotations

import os
import textwrap

import numpy as np
from matplotlib.ticker import MaxNLocator

from zoo.plots import style
from zoo.plots.style import _integer_ticks, _plt


def _tuning_numeric(values):
    """Values as floats when every one is a number (bools excluded), else None (categories).
    Numbers spanning decades with a 0 among them (weight decay) are shown as categories too."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        num = np.array(values, dtype=float)
        pos = num[num > 0]
        if len(pos) and (num == 0).any() and pos.max() / pos.min() > 20:
            return None
        return num
    return None


def _tuning_value(v):
    """A hyperparameter value in a figure's text: 3 significant digits for a float."""
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _tuning_sort_key(text):
    """Numbers in numeric order before words in alphabetical order."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def plot_tuning_results(records, objective, out_dir, *, names=None, direction="max"):
    """The three figures of a search: objective per trial (with the best so far), objective vs
    each hyperparameter, and parallel coordinates of the completed trials. Returns their paths.

    `records` are `zoo.tuning.search.trial_records` dicts (trial, status, score, hyperparameters).
    """
    os.makedirs(out_dir, exist_ok=True)
    done = [r for r in records if r["status"] == "COMPLETED" and r["score"] is not None]
    names = list(names or sorted({k for r in records for k in r["hyperparameters"]}))
    paths = {}
    paths["objective_per_trial"] = plot_objective_per_trial(done, objective, os.path.join(out_dir, "objective_per_trial.png"), direction=direction)
    paths["objective_vs_hyperparameters"] = plot_objective_vs_hyperparameters(
        done, objective, os.path.join(out_dir, "objective_vs_hyperparameters.png"), names=names
    )
    paths["parallel_coordinates"] = plot_parallel_coordinates(
        done, objective, os.path.join(out_dir, "parallel_coordinates.png"), names=names, direction=direction
    )
    return paths


def plot_objective_per_trial(records, objective, path, *, direction="max"):
    """Objective of each completed trial in trial order, and the best value so far."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    ids = [int(r["trial"]) for r in records]  # numbered from 1, as the table and KerasTuner's log
    scores = np.array([r["score"] for r in records], dtype=float)
    order = np.argsort(ids)
    ids, scores = np.array(ids)[order], scores[order]
    ax.plot(ids, scores, "o", label="trial")
    if len(scores):
        best = np.maximum.accumulate(scores) if direction == "max" else np.minimum.accumulate(scores)
        ax.step(ids, best, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    _integer_ticks(ax.xaxis)
    ax.set_ylabel(objective)
    ax.set_title(f"{objective} per trial ({len(scores)} completed)")
    ax.grid(alpha=0.3)
    ax.legend()
    return style.save_figure(fig, path)


def plot_objective_vs_hyperparameters(records, objective, path, *, names):
    """One panel per hyperparameter: the objective against its values (log axis for ranges
    that span more than a factor 20, categories spread along the axis, one tick at its value
    for a hyperparameter every trial took the same)."""
    plt = _plt()
    n = max(1, len(names))
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.7 * rows + 0.4), squeeze=False, layout="constrained")
    scores = np.array([r["score"] for r in records], dtype=float)
    for ax, name in zip(axes.flat, names):
        vals = [r["hyperparameters"].get(name) for r in records]
        num = _tuning_numeric(vals) if vals else None
        if num is not None:
            ax.plot(num, scores, "o", alpha=0.8)
            if len(num) and num.min() == num.max():  # tried at one value: that value, not 2.84 2.88 ... around it
                v = num[0]
                ax.set_xticks([v], [_tuning_value(vals[0])])
                ax.set_xlim(v - (abs(v) or 1.0) * 0.5, v + (abs(v) or 1.0) * 0.5)
            elif len(num) and num.min() > 0 and num.max() / num.min() > 20:
                ax.set_xscale("log")
            elif all(float(v).is_integer() for v in num):
                _integer_ticks(ax.xaxis)  # filters, batch sizes, depths
            else:  # 0, 1e-5, 1e-4: "0 1 2 ... x1e-4", not 0.00000 0.00002 ... side by side
                ax.xaxis.set_major_locator(MaxNLocator(5))
                ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 4))
        else:
            cats = sorted({str(v) for v in vals}, key=_tuning_sort_key)
            pos = {c: i for i, c in enumerate(cats)}
            ax.plot([pos[str(v)] for v in vals], scores, "o", alpha=0.8)
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats, rotation=30, fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(objective)
    fig.suptitle(f"{objective} vs each hyperparameter")
    return style.save_figure(fig, path)


def plot_parallel_coordinates(records, objective, path, *, names, direction="max"):
    """Parallel coordinates: one line per completed trial through every hyperparameter axis
    (scaled to [0, 1]; log scale for wide positive ranges) and the objective, coloured by it."""
    plt = _plt()
    varied = [n for n in names if len({str(r["hyperparameters"].get(n)) for r in records}) > 1]
    constant = [n for n in names if n not in varied] if varied and records else []
    names = varied or list(names)
    axes_names = names + [objective]
    fig, ax = plt.subplots(figsize=(max(6, 1.7 * len(axes_names)), 4.5), layout="constrained")
    columns, labels, ticks = [], [], []  # ticks: per axis, (height in [0, 1], value text) pairs
    for name in axes_names:
        vals = [r["score"] if name == objective else r["hyperparameters"].get(name) for r in records]
        num = _tuning_numeric(vals)
        if num is not None:
            log = name != objective and len(num) and num.min() > 0 and num.max() / num.min() > 20
            labels.append(f"{name}\n(log scale)" if log else name)
            scaled = np.log10(num) if log else num
            lo, hi = (scaled.min(), scaled.max()) if len(num) else (0, 1)
            columns.append((scaled - lo) / (hi - lo) if hi > lo else np.full(len(num), 0.5))
            ends = [] if not len(num) else [(0.5, num.min())] if hi <= lo else [(0.0, num.min()), (1.0, num.max())]
            ticks.append([(y, f"{v:.3g}") for y, v in ends])
        else:
            cats = sorted({str(v) for v in vals}, key=_tuning_sort_key)
            pos = {c: i for i, c in enumerate(cats)}
            height = {c: pos[c] / max(1, len(cats) - 1) if len(cats) > 1 else 0.5 for c in cats}
            columns.append(np.array([height[str(v)] for v in vals]))
            labels.append(name)
            ticks.append([(height[c], c) for c in cats])
    scores = np.array([r["score"] for r in records], dtype=float)
    cmap = plt.get_cmap("viridis" if direction == "max" else "viridis_r")
    lo, hi = (scores.min(), scores.max()) if len(scores) else (0, 1)
    for i in np.argsort(scores if direction == "max" else -scores):
        ys = [c[i] for c in columns]
        color = cmap((scores[i] - lo) / (hi - lo) if hi > lo else 0.5)
        ax.plot(range(len(columns)), ys, color=color, alpha=0.85, lw=1.5)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)  # level: rotated multi-line labels run into their neighbours
    ax.set_yticks([])
    for x in range(len(labels)):
        ax.axvline(x, color="0.7", lw=0.8)
        for y, text in ticks[x]:  # each axis's own values: its ends, or every category
            ax.annotate(text, (x, y), xytext=(3, 0), textcoords="offset points", ha="left", va="center", fontsize=7,
                        bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_ylim(-0.05, 1.05)
    if constant:  # not drawn as axes (a flat line says nothing), but named
        same = ", ".join(f"{n}={_tuning_value(records[0]['hyperparameters'].get(n))}" for n in constant)
        ax.set_xlabel(textwrap.fill(f"the same in every trial: {same}", 120), fontsize=8)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, label=objective)
    ax.set_title(f"Parallel coordinates of {len(scores)} completed trials")
    return style.save_figure(fig, path)
