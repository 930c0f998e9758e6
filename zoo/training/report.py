"""`zoo report RUN_DIR`: one self-contained HTML page (figures embedded as base64 PNG) with a
run's settings, metrics and figures. No Keras needed."""

from __future__ import annotations

import base64
import glob
import html
import json
import os

CAPTIONS = {
    "learning_curves.png": "Learning curves (from history.csv): loss and metrics per epoch, train and validation.",
    "confusion_matrix.png": "Confusion matrix on the held-out test split.",
    "misclassified.png": "The most confident mistakes on the test split.",
    "filters.png": "First-layer filters.",
    "feature_maps.png": "Feature maps of one test image, layer by layer.",
    "saliency.png": "Gradient saliency: where a pixel change moves the predicted score most.",
    "predictions.png": "Predictions on the test split.",
    "lr_range_test.png": "Learning-rate range test.",
    "optimizers.png": "Optimizer comparison.",
    "eval_confusion_matrix.png": "Confusion matrix of the last `zoo evaluate`.",
    "eval_misclassified.png": "Most confident mistakes of the last `zoo evaluate`.",
}
ORDER = list(CAPTIONS)


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


def _table(d):
    rows = []
    for k, v in d.items():
        if isinstance(v, float):
            v = f"{v:.4g}"
        elif isinstance(v, (dict, list)):
            v = json.dumps(v)
            v = v if len(v) < 300 else v[:300] + " ..."
        rows.append(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def build_html(run_dir):
    """The report page of `run_dir` as a string."""
    if not os.path.isdir(run_dir):
        raise FileNotFoundError(f"RUN_DIR={run_dir!r} is not a folder (pass the --out folder of `zoo train`)")
    config = _read_json(os.path.join(run_dir, "config.json")) or {}
    metrics = _read_json(os.path.join(run_dir, "metrics.json"))
    evaluation = _read_json(os.path.join(run_dir, "evaluation.json"))
    if metrics is None and not config:
        raise FileNotFoundError(f"{run_dir!r} has neither metrics.json nor config.json: not a `zoo train` run folder")
    title = f"{config.get('model', '?')} on {config.get('dataset', '?')}"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>zoo report: {html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:14px}"
        "th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee}figure{margin:1.5em 0}figcaption{color:#555;font-size:14px}"
        ".headline{font-size:1.4em;margin:.3em 0 1em}</style></head><body>",
        f"<h1>zoo report: {html.escape(title)}</h1>",
    ]
    if metrics:
        status = metrics.get("status", "?")
        if status == "finished":
            (name, value), = metrics.get("headline", {"?": float("nan")}).items()
            parts.append(f"<p class='headline'>test {html.escape(name)}: <b>{value:.4f}</b> after {metrics.get('epochs_run')} epochs "
                         f"({metrics.get('parameters', 0):,} parameters)</p>")
        else:
            parts.append(f"<p class='headline'>status: <b>{html.escape(status)}</b> {html.escape(metrics.get('message', ''))}</p>")
        parts.append("<h2>Metrics</h2>" + _table({k: v for k, v in metrics.items() if k not in ("figures", "headline")}))
    else:
        parts.append("<p class='headline'>no metrics.json yet: the run has not finished</p>")
    if evaluation:
        m = evaluation.get("metrics", {})
        parts.append(f"<h2>Evaluation ({html.escape(str(evaluation.get('dataset')))}, {html.escape(str(evaluation.get('split')))})</h2>")
        per = m.get("per_class") if isinstance(m, dict) else None
        if per:
            parts.append(f"<p>accuracy {m.get('accuracy', float('nan')):.4f}</p><table><tr><th>class</th><th>precision</th><th>recall</th><th>support</th></tr>"
                         + "".join(f"<tr><td>{html.escape(c)}</td><td>{r['precision']:.3f}</td><td>{r['recall']:.3f}</td><td>{r['support']}</td></tr>" for c, r in per.items())
                         + "</table>")
        else:
            parts.append(_table(m))
    if config:
        parts.append("<h2>Settings</h2>" + _table(config))
    pngs = sorted(glob.glob(os.path.join(run_dir, "*.png")), key=lambda p: (ORDER.index(os.path.basename(p)) if os.path.basename(p) in ORDER else 99, p))
    if pngs:
        parts.append("<h2>Figures</h2>")
    for p in pngs:
        with open(p, "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        name = os.path.basename(p)
        parts.append(f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{html.escape(CAPTIONS.get(name, name))}</figcaption></figure>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(run_dir, out=None):
    """Writes the report (default RUN_DIR/report.html) atomically; returns its path."""
    from zoo.io import write_text

    page = build_html(run_dir)
    out = out or os.path.join(run_dir, "report.html")
    write_text(out, page)
    return out
