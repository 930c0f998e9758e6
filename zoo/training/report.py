"""`zoo report RUN_DIR`: one self-contained HTML page (figures embedded as base64 PNG) for every
kind of run folder (`zoo.training.runs`: train, demo, transfer, tune). No Keras needed.

The page: "MODEL on DATASET (kind)", the status and headline, readable tables (numbers to 4
significant digits, accuracies as percentages, nested metrics as sub-tables, a confusion matrix
with its classes named, per-epoch timings in one line), the figures once each under Training /
Evaluation / Interpretation, and for a search the best trials (one column each) and the `zoo
train` command that trains the best settings.
"""

from __future__ import annotations

import base64
import glob
import html
import os

from zoo.io import write_text
from zoo.training.runs import RunFiles, command_line, epochs_in

CAPTIONS = {
    "learning_curves.png": "Learning curves (from history.csv): loss and metrics per epoch, train and validation.",
    "lr_range_test.png": "Learning-rate range test.",
    "optimizers.png": "Optimizer comparison.",
    "objective_per_trial.png": "The objective of each trial, and the best so far.",
    "objective_vs_hyperparameters.png": "The objective against each hyperparameter.",
    "parallel_coordinates.png": "Parallel coordinates of the completed trials.",
    "confusion_matrix.png": "Confusion matrix on the held-out test split.",
    "misclassified.png": "The most confident mistakes on the test split.",
    "predictions.png": "Predictions on the test split.",
    "samples.png": "Images decoded from draws of the prior.",
    "eval_confusion_matrix.png": "Confusion matrix of the last `zoo evaluate`.",
    "eval_misclassified.png": "Most confident mistakes of the last `zoo evaluate`.",
    "eval_predictions.png": "Predictions of the last `zoo evaluate`.",
    "eval_filters.png": "First-layer filters, drawn by the last `zoo evaluate`.",
    "eval_feature_maps.png": "Feature maps of one image of the last `zoo evaluate`'s data, layer by layer.",
    "eval_saliency.png": "Gradient saliency on the last `zoo evaluate`'s data.",
    "eval_latent_map.png": "The last `zoo evaluate`'s images in the latent space.",
    "filters.png": "First-layer filters.",
    "feature_maps.png": "Feature maps of one test image, layer by layer.",
    "saliency.png": "Gradient saliency: where a pixel change moves the predicted score most.",
    "latent_map.png": "The test images in the latent space.",
}
TRAINING = ("learning_curves", "lr_range_test", "optimizers", "objective_per_trial", "objective_vs_hyperparameters",
            "parallel_coordinates")
INTERPRETATION = ("filters", "feature_maps", "saliency", "latent_map")
GROUPS = ("Training", "Evaluation", "Interpretation")
# zoo train flags of the shared training hyperparameters of a search (zoo.tuning.hypermodels.TRAINING_SPACE).
TRAIN_FLAGS = {"optimizer": "optimizer", "learning_rate": "lr", "schedule": "schedule", "batch_size": "batch_size",
               "weight_decay": "weight_decay"}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.4em 0 1.2em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;"
    "font-size:14px;vertical-align:top}th{background:#f4f4f4}td table{margin:0}td.n{text-align:right}"
    # a key/value table's value column is as wide as its widest sub-table: numbers there start at the left
    "table.kv>tbody>tr>td.n{text-align:left}"
    # a table wider than a phone's screen scrolls inside its own box; the page never scrolls sideways
    "body>table{display:block;overflow-x:auto;max-width:100%}"
    "h1,h2,h3,p{overflow-wrap:anywhere}"  # a folder path in a title breaks instead of running off a phone
    "img{max-width:100%;border:1px solid #eee}figure{margin:1.2em 0}figcaption{color:#555;font-size:14px}"
    ".headline{font-size:1.4em;margin:.3em 0 1em}code{background:#f4f4f4;padding:2px 4px}"
)
NONE = "–"
# The last row of a matrix over some of a model's classes: zoo.tasks.classification.OTHER, spelled
# here because the report loads no Keras.
OTHER = "(another class)"


def fmt(v):
    """A scalar as the page shows it: 4 significant digits, thousands separators, – for none."""
    if v is None:
        return NONE
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4g}" if v == v else "NaN"
    return str(v)


def is_accuracy(name):
    """True for a metric that is a share of images right (accuracy, val_accuracy, top-5 accuracy)."""
    return "accuracy" in str(name)


def fmt_metric(name, v):
    """`fmt`, with an accuracy as a percentage: "100%", not "1", reads as a share at a glance."""
    if is_accuracy(name) and isinstance(v, float) and v == v and 0 <= v <= 1:
        return f"{100 * v:.4g}%"
    return fmt(v)


def seconds_summary(times, unit="epoch"):
    """A list of per-epoch seconds in one line: "60 epochs: first 2.1 s, then mean 0.41 s, total 25 s"
    (the first epoch holds the compilation, so it is not averaged with the rest)."""
    times = [float(t) for t in times]
    if len(times) == 1:
        return f"1 {unit}: {fmt(times[0])} s"
    rest = times[1:]
    return (f"{len(times):,} {unit}s: first {fmt(times[0])} s, then mean {fmt(sum(rest) / len(rest))} s, "
            f"total {fmt(sum(times))} s")


def timings_table(timings):
    """The timings table, each list of per-epoch seconds summarized in one line."""
    return table({k: seconds_summary(v) if isinstance(v, list) and v and k.endswith("_seconds") else v
                  for k, v in timings.items()})


def confusion_grid(matrix, names):
    """A confusion matrix as a table: true classes down, predicted classes across, each named."""
    n = len(matrix)
    names = [str(c) for c in names] if names is not None and len(names) == n else [str(i) for i in range(n)]
    head = "<tr><th>true \\ predicted</th>" + "".join(f"<th>{html.escape(c)}</th>" for c in names) + "</tr>"
    body = "".join(f"<tr><th>{html.escape(names[i])}</th>" + "".join(_cell(v) for v in row) + "</tr>"
                   for i, row in enumerate(matrix))
    return f"<table class='cm'>{head}{body}</table>"


def _confusion_names(d, labels, n):
    """The class names of d["confusion_matrix"]'s rows: the keys of d["per_class"] beside it (a
    subset's matrix has one more row, predictions of any other class), else the run's labels."""
    per_class = list(d.get("per_class") or {})
    if len(per_class) == n:
        return per_class
    if per_class and len(per_class) == n - 1:
        return [*per_class, OTHER]
    return labels if labels is not None and len(labels) == n else None


def table(d, header=None, *, labels=None):
    """A dict as a two-column table; nested dicts and lists of dicts become sub-tables, a
    confusion matrix a grid with its classes named (`labels`: the run's class names)."""
    if not d:
        return f"<p>{NONE}</p>"
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th>{_cell(v, k, d, labels)}</tr>" for k, v in d.items())
    head = f"<tr><th>{html.escape(header[0])}</th><th>{html.escape(header[1])}</th></tr>" if header else ""
    return f"<table class='kv'>{head}{rows}</table>"


def grid(rows, columns, *, row_names=False):
    """A list of dicts (or of lists, with `columns` naming them) as a table with one column per key;
    `row_names`: each row's first value is its name, a header cell."""
    if rows and isinstance(rows[0], dict):
        body = [[r.get(c) for c in columns] for r in rows]
    else:
        body = rows
    # a long column name breaks after its underscores: "trainable_params" does not widen a column of 4-digit numbers
    head = "".join(f"<th>{html.escape(str(c)).replace('_', '_<wbr>')}</th>" for c in columns)

    def row(r):
        if row_names:
            return f"<th>{html.escape(fmt(r[0]))}</th>" + "".join(_cell(v, c) for v, c in zip(r[1:], columns[1:]))
        return "".join(_cell(v, c) for v, c in zip(r, columns))

    return f"<table><tr>{head}</tr>" + "".join(f"<tr>{row(r)}</tr>" for r in body) + "</table>"


def _cell(v, key=None, parent=None, labels=None):
    """One table cell of value `v`, the value of `key` in dict `parent` (or of column `key`)."""
    if isinstance(v, (dict, list)) and not v:
        return f"<td>{NONE}</td>"
    if isinstance(v, dict):
        inner = list(v.values())
        if inner and all(isinstance(x, dict) for x in inner):  # e.g. per_class: {name: {precision, recall...}}
            columns = list(dict.fromkeys(k for x in inner for k in x))
            return "<td>" + grid([[k, *(x.get(c) for c in columns)] for k, x in v.items()], ["", *columns], row_names=True) + "</td>"
        return f"<td>{table(v)}</td>"
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return "<td>" + grid(v, list(dict.fromkeys(k for x in v for k in x))) + "</td>"
    if isinstance(v, list) and v and all(isinstance(x, list) for x in v):  # a matrix, e.g. a confusion matrix
        if key == "confusion_matrix":
            return "<td>" + confusion_grid(v, _confusion_names(parent or {}, labels, len(v))) + "</td>"
        return "<td>" + grid(v, [str(i) for i in range(len(v[0]))]) + "</td>"
    if isinstance(v, list):
        return f"<td>{html.escape(', '.join(fmt(x) for x in v))}</td>"
    cls = " class='n'" if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
    return f"<td{cls}>{html.escape(fmt_metric(key, v))}</td>"


def build_html(run_dir):
    """The report page of `run_dir` as a string."""
    if not os.path.isdir(run_dir):
        raise FileNotFoundError(f"RUN_DIR={run_dir!r} is not a folder (pass the --out folder of a zoo train, demo, "
                                "transfer or tune run)")
    run = RunFiles(run_dir)
    config, metrics = run.read_config(), run.read_metrics()
    results, evaluation = run.read_json("results"), run.read_json("evaluation")
    if not metrics and not config:
        raise FileNotFoundError(f"{run_dir!r} has neither metrics.json nor config.json: not a run folder")
    info = run.info()
    info["kind"] = info["kind"] or ("tune" if results else "train")
    title = f"{info['model'] or 'unnamed model'} on {info['dataset'] or 'unnamed data'} ({info['kind']})"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width,initial-scale=1'><title>zoo report: {html.escape(title)}</title>"
             f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    parts.append(_headline(metrics, info, run))
    if info["kind"] == "tune" and results:
        parts.append(_search(results, config))
    labels = run.read_labels()
    if metrics.get("test"):
        parts.append("<h2>Test metrics</h2>" + table(metrics["test"], labels=labels))
    skip = {"status", "kind", "model", "dataset", "task", "headline", "test", "timings", "figures", "message", "best_trial"}
    rest = {k: v for k, v in metrics.items() if k not in skip}
    if rest:
        parts.append("<h2>Run</h2>" + table(rest))
    if metrics.get("timings"):
        parts.append("<h2>Timings</h2>" + timings_table(metrics["timings"]))
    if evaluation:
        parts.append(f"<h2>Last evaluation: {html.escape(fmt(evaluation.get('dataset')))}, "
                     f"{html.escape(fmt(evaluation.get('split')))} split</h2>" + table(evaluation.get("metrics") or {}, labels=labels))
    if config:
        parts.append("<h2>Settings</h2>" + table({k: v for k, v in config.items() if k not in ("kind",)}))
    parts.append(_figures(run_dir, metrics, results))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _headline(metrics, info, run):
    status = metrics.get("status")
    if not status:
        done = epochs_in(run.read_history())
        status = f"unfinished ({done} epoch{'s' if done != 1 else ''} in history.csv): running, or interrupted — rerun its command to resume"
    line = f"<p>status: <b>{html.escape(status)}</b>{' — ' + html.escape(metrics['message']) if metrics.get('message') else ''}</p>"
    if metrics.get("headline"):
        (name, value), = metrics["headline"].items()
        where = "test"
        if info["kind"] == "tune":
            where = "untuned default (beat every trial)" if metrics.get("model_source") == "baseline" else "best trial"
        n = metrics.get("epochs_run")
        after = f" after {fmt(n)} epoch{'s' if n != 1 else ''}" if n else ""
        params = f" ({fmt(metrics['parameters'])} parameters)" if metrics.get("parameters") else ""
        images, errors = (metrics.get("images") or {}).get("test"), (metrics.get("test") or {}).get("errors")
        right = (f" ({fmt(images - errors)} of {fmt(images)} images)" if where == "test" and is_accuracy(name)
                 and isinstance(images, int) and isinstance(errors, int) else "")
        line += (f"<p class='headline'>{where} {html.escape(name)}: <b>{html.escape(fmt_metric(name, value))}</b>"
                 f"{right}{after}{params}</p>")
    return line


def _search(results, config):
    """Best trials, the best settings and the `zoo train` command that trains them; with a
    baseline, whether the untuned default beat them (then model.keras is the default's)."""
    objective, direction = results.get("objective", "score"), results.get("direction", "max")
    done = [t for t in results.get("trials", []) if t.get("score") is not None]
    done.sort(key=lambda t: t["score"], reverse=direction == "max")
    names = list(dict.fromkeys(k for t in done for k in _space(t.get("hyperparameters", {}))))
    top = done[:10]  # one column per trial, one row per hyperparameter: 14 columns did not fit a laptop
    epochs = [" > ".join(str(r.get("epochs")) for r in t.get("rounds", [])) if all(
        r.get("epochs") is not None for r in t.get("rounds", [])) else "" for t in top]
    rows = [[objective, *(fmt_metric(objective, t["score"]) for t in top)],
            *([["epochs", *epochs]] if any(epochs) else []),
            *([n, *(t["hyperparameters"].get(n) for t in top)] for n in names)]
    best = results.get("best", {})
    parts = [f"<h2>Search</h2><p>{fmt(results.get('trials_completed'))} of {fmt(results.get('trials_total'))} trials "
             f"completed; objective {html.escape(objective)} ({'higher' if direction == 'max' else 'lower'} is better).</p>"]
    default = results.get("baseline")
    if default and default.get("won"):
        parts.append(f"<p><b>The untuned default configuration won</b>: {html.escape(objective)} = {fmt(default.get('score'))}, "
                     f"better than the best trial's {fmt(best.get('score'))}; model.keras holds the default's network. "
                     f"Train it: <code>{html.escape(default.get('train_command') or '')}</code></p>")
    parts.append(f"<h3>Best trials</h3><div style='overflow-x:auto'>"
                 f"{grid(rows, ['trial', *(_trial(t) for t in top)], row_names=True)}</div>")
    command, left = train_command(best.get("hyperparameters", {}), config)
    parts.append(f"<h3>Train the best trial's settings</h3><p><code>{html.escape(command)}</code></p>")
    if left:
        parts.append("<p>The best trial's architecture hyperparameters, which zoo train has no flags for: "
                     f"{html.escape(', '.join(f'{k}={fmt(v)}' for k, v in left.items()))}</p>")
    if default and not default.get("won"):
        parts.append(f"<p>Untuned default configuration: {html.escape(objective)} = {fmt(default.get('score'))} "
                     "(the best trial is better)</p>")
    return "\n".join(parts)


def _space(hyperparameters):
    """A trial's hyperparameters without the tuner's bookkeeping (Hyperband's tuner/epochs, ...)."""
    return {k: v for k, v in hyperparameters.items() if not str(k).startswith("tuner/")}


def _trial(record):
    """A trial's number from 1 (results.json of older zoo releases: KerasTuner's id from 0)."""
    if "trial" in record:
        return record["trial"]
    try:
        return int(record.get("trial_id")) + 1
    except (TypeError, ValueError):
        return record.get("trial_id")


def train_command(hyperparameters, config, out=None):
    """(`zoo train ...` with these training settings of a search (default: its best trial's),
    {architecture hyperparameters left}); `out` defaults to runs/MODEL-best."""
    flags, left = {}, {}
    for k, v in _space(hyperparameters).items():
        if k in TRAIN_FLAGS:
            if not (k == "weight_decay" and not v):
                flags[TRAIN_FLAGS[k]] = v
        elif k == "augment":
            flags["augment"] = bool(v)
        else:
            left[k] = v
    model = config.get("model", "MODEL")
    command = command_line("train", model, dataset=config.get("dataset", "digits"), epochs=config.get("epochs"), **flags,
                           seed=config.get("seed"), image_size=config.get("image_size"), out=out or f"runs/{model}-best")
    return command, left


def _figures(run_dir, metrics, results):
    """Every figure of the run once, grouped; metrics' figures first, then any other PNG."""
    listed = list(metrics.get("figures") or [])
    if results:
        listed += [os.path.relpath(p, run_dir) if os.path.isabs(p) else p for p in (results.get("plots") or {}).values()]
    listed += sorted(os.path.relpath(p, run_dir) for p in glob.glob(os.path.join(run_dir, "*.png")))
    seen, groups = set(), {g: [] for g in GROUPS}
    for rel in listed:
        path = os.path.normpath(os.path.join(run_dir, rel))
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        stem = os.path.splitext(os.path.basename(path))[0]
        bare = stem.removeprefix("eval_")
        group = "Training" if stem in TRAINING else "Interpretation" if bare in INTERPRETATION else "Evaluation"
        groups[group].append(path)
    parts = []
    for group, paths in groups.items():
        if not paths:
            continue
        parts.append(f"<h2>{group}</h2>")
        for p in paths:
            with open(p, "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            name = os.path.basename(p)
            parts.append(f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{html.escape(CAPTIONS.get(name, name))}</figcaption></figure>")
    return "\n".join(parts)


def write_report(run_dir, out=None):
    """Writes the report (default RUN_DIR/report.html) atomically; returns its path."""
    page = build_html(run_dir)
    out = out or os.path.join(run_dir, "report.html")
    write_text(out, page)
    return out
