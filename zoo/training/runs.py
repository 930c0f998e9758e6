"""One run folder for every kind of run: `zoo train`, `zoo demo`, `zoo transfer` and `zoo tune`.

    config.json    the settings: "kind" (train | demo | transfer | tune), "model", "dataset", "task", then the
                   kind's own; a rerun with the same settings resumes, other settings are refused
    labels.json    class names (index = label)
    history.csv    one row per finished epoch, the source of every curve
    backup/        BackupAndRestore state while training (train, demo; transfer: one folder per phase);
                   kept by Ctrl-C and kill -9, so the same command resumes after the last finished epoch;
                   weights, optimizer and the random layers' state (seeds.npz): it goes on as if uncut
    best.keras     the network at its best val_loss (train, demo)
    model.keras    the network after the last epoch (tune: the best trial's network)
    optimizer.npz  the optimizer's state after the last epoch (train, demo): `--epochs 6` on a finished
                   4-epoch run goes on with its moments and learning-rate schedule
    seeds.npz      the random layers' state after the last epoch (train, demo): the extension's
                   augmentation and dropout draw what an uninterrupted run draws there
    metrics.json   METRIC_KEYS first, the same for every kind, then the kind's own keys

`RunFiles` reads every kind's folder: each file through one method (`read_config`, `read_labels`,
`read_metrics`, `read_history`, `model_file`); `zoo evaluate`, `predict`, `report` and train's end
of run read through it. `RunFolder` is the writing side of one command's folder.

The folder is created only once every check passed and the data loaded (`RunFolder.writing`); a
command that fails before its first epoch removes what it created, so a refused command leaves
nothing behind.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import shlex
import shutil
import time
from contextlib import contextmanager

import numpy as np

from zoo.io import read_json_or_none, write_json, write_text

KINDS = ("train", "demo", "transfer", "tune")
# Every metrics.json starts with these keys, in this order (None where a kind has no value).
METRIC_KEYS = ("status", "kind", "model", "dataset", "task", "headline", "test", "epochs", "epochs_run",
               "parameters", "images", "timings", "figures")
FILES = {"config": "config.json", "labels": "labels.json", "history": "history.csv", "backup": "backup",
         "best": "best.keras", "model": "model.keras", "optimizer": "optimizer.npz", "seeds": "seeds.npz",
         "metrics": "metrics.json",
         "results": "results.json", "evaluation": "evaluation.json"}
# Where an older tune run folder keeps its model; read when the folder has no model.keras.
OLD_MODEL_FILES = ("best_model.keras",)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; the message is one line with the command that resumes it."""


def read_csv_rows(path):
    """Complete rows of a CSVLogger file (a row cut by a kill is dropped)."""
    if not os.path.isfile(path):
        return [], []
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    if not lines:
        return [], []
    if not text.endswith("\n"):
        lines = lines[:-1]  # the last line was cut mid-write
    reader = csv.reader(lines)
    header = next(reader, [])
    rows = [r for r in reader if len(r) == len(header)]
    return header, rows


def trim_history(path, finished_epochs):
    """Keeps the rows of epochs < finished_epochs (the epochs the backup holds), atomically."""
    header, rows = read_csv_rows(path)
    if not header:
        return []
    seen, unique = set(), []
    for r in rows:
        e = int(float(r[header.index("epoch")]))
        if e < finished_epochs and e not in seen:
            seen.add(e)
            unique.append(r)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(unique)
    write_text(path, buf.getvalue())
    return [dict(zip(header, r)) for r in unique]


def backup_epoch(backup_dir):
    """The number of finished epochs recorded in a BackupAndRestore folder, or in the per-phase
    folders inside it (transfer: backup/phase1, backup/phase2, epochs counted from the run's
    start); 0 if none."""
    meta = read_json_or_none(os.path.join(backup_dir, "training_metadata.json"))
    if meta:
        return int(meta.get("epoch", 0))
    phases = sorted(glob.glob(os.path.join(glob.escape(os.fspath(backup_dir)), "phase*")))
    return max((backup_epoch(p) for p in phases if os.path.isdir(p)), default=0)


def check_out(out, *, arg="out"):
    """Checks that `out` is, or can become, a writable folder, without creating anything."""
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"`{arg}`={out!r} is a file, not a folder: pass a folder to write into")
    parent = os.path.abspath(out)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"`{arg}`={out!r} cannot be created: {parent!r} is not a writable folder")
    return out


def command_line(*words, **flags):
    """`zoo WORDS --flag value ...` (flags None / False left out, True as a bare flag), shell-quoted."""
    parts = ["zoo", *map(str, words)]
    for key, value in flags.items():
        if value is None or value is False:
            continue
        parts.append("--" + key.replace("_", "-"))
        if value is not True:
            parts.append("x".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))
    return " ".join(shlex.quote(p) for p in parts)


class RunFiles:
    """The files of run folder `out`, read: one method per file, the same for every kind.

    A missing or unreadable (cut by a kill) JSON file reads as {} (labels: None), a missing
    history.csv as {}.
    """

    def __init__(self, out):
        self.out = os.fspath(out)

    def path(self, name):
        return os.path.join(self.out, FILES.get(name, name))

    def read_json(self, name):
        """A JSON file of the folder ("config", "metrics", "results", "evaluation"), or None."""
        return read_json_or_none(self.path(name))

    def read_config(self):
        return self.read_json("config") or {}

    def read_metrics(self):
        return self.read_json("metrics") or {}

    def read_labels(self):
        """The class names (index = label), or None when the run has none."""
        names = self.read_json("labels")
        return [str(c) for c in names] if isinstance(names, list) else None

    def read_history(self):
        """history.csv as {column: float array per finished epoch} ("" and "nan" read as NaN);
        {} when no epoch finished."""
        header, rows = read_csv_rows(self.path("history"))
        if not rows:
            return {}
        return {k: np.array([_number(r[i]) for r in rows]) for i, k in enumerate(header)}

    def info(self):
        """{"kind", "model", "dataset", "task"} as config.json (else metrics.json) records them."""
        config, metrics = self.read_config(), self.read_metrics()
        return {k: config.get(k) or metrics.get(k) for k in ("kind", "model", "dataset", "task")}

    def model_file(self):
        """The path of the run's model.

        Raises:
            FileNotFoundError: the folder holds no model.
        """
        for candidate in (self.path("model"), *(os.path.join(self.out, n) for n in OLD_MODEL_FILES)):
            if os.path.isfile(candidate):
                return candidate
        raise FileNotFoundError(f"{self.out!r} is a folder without {FILES['model']} (a finished run folder has one)")


def epochs_in(history):
    """The number of epochs in `history` ({column: values per epoch}, as `RunFiles.read_history`)."""
    return len(next(iter(history.values()), ()))


def _number(text):
    try:
        return float(text)
    except ValueError:
        return float("nan")


class RunFolder(RunFiles):
    """The run folder `out` of one command: the resume check, its creation, metrics, cleanup.

    Args:
        out: the folder.
        config: the settings; must hold "kind", "model", "dataset" and "task".
        resume_keys: the settings that must match for a rerun to resume (or return) the run in `out`.
        command: the shell command that reruns (resumes) this run, for the Ctrl-C line.
        started: callable(run) -> bool, whether `out` holds a run that counts (default: a backup
            with a finished epoch, or a finished metrics.json).
        progress: callable(run) -> bool, whether something worth keeping was written (default: a
            finished epoch in backup/ or history.csv, or a model.keras).
        refusal: (what the folder holds, what else to do) for the message that refuses other
            settings; default ("a run", "") reads "holds a run with other settings ...".
    """

    def __init__(self, out, config, *, resume_keys, command, started=None, progress=None, refusal=None):
        missing = [k for k in ("kind", "model", "dataset", "task") if k not in config]
        if missing or config["kind"] not in KINDS:
            raise ValueError(f"a run config needs kind (one of {', '.join(KINDS)}), model, dataset and task. "
                             f"Received: config={config!r}")
        super().__init__(check_out(out))
        self.config = dict(config)
        self.refusal = refusal or ("a run", "")
        self.resume_keys = ("kind", *resume_keys)
        self.command = command
        self._started = started
        self._progress = progress
        self.mode, self.finished, self.old_metrics, self.old_config = "new", 0, None, None
        self.t0 = time.time()

    # ------------------------------------------------------------------ the resume check
    def check(self, *, extend_key="epochs"):
        """Compares `out` with the settings; sets and returns `mode`:

        "new" (nothing to resume), "resume" (a backup holds `finished` epochs), "finished" (a
        finished run with the same settings: nothing to do), "extend" (a finished run whose
        `extend_key` grows: train the difference).

        Raises:
            ValueError: `out` holds a run with other settings.
        """
        old = self.read_json("config")
        if old is not None:
            old.setdefault("kind", "train")  # run folders written before kinds existed
        self.finished = backup_epoch(self.path("backup"))
        metrics = self.read_json("metrics")
        done = bool(metrics and metrics.get("status") == "finished")
        started = self._started(self) if self._started else bool(self.finished or done)
        self.old_config, self.old_metrics = old, metrics
        if old is not None and old["kind"] != self.config["kind"]:  # never write one kind over another
            raise ValueError(f"`out` {self.out!r} holds a {old['kind']} run, not a {self.config['kind']} run: "
                             "pass a new `out`")
        if old is None or not started:
            self.mode = "new"
            return self.mode
        extend = (done and not self.finished and extend_key is not None
                  and isinstance(old.get(extend_key), int) and isinstance(self.config.get(extend_key), int)
                  and self.config[extend_key] > old[extend_key])
        diff = [f"{k}: {old.get(k)!r} in the run, {self.config.get(k)!r} now" for k in self.resume_keys
                if _same(old.get(k)) != _same(self.config.get(k)) and not (extend and k == extend_key)]
        if diff:
            what, extra = self.refusal
            raise ValueError(
                f"`out` {self.out!r} holds {what} with other settings ({'; '.join(diff)}). Rerun with the same "
                f"settings to resume it{extra}, or pass a new `out`"
            )
        self.mode = "extend" if extend else "resume" if self.finished or not done else "finished"
        return self.mode

    # ------------------------------------------------------------------ writing
    @contextmanager
    def writing(self):
        """Creates the folder and writes config.json; inside, the command trains and writes.

        On an error or Ctrl-C before anything worth keeping was written, what this command
        created is removed again. Ctrl-C raises `RunInterrupted`, whose message is one line
        with the command that resumes the run.
        """
        created = not os.path.exists(self.out)
        before = set() if created else set(os.listdir(self.out))
        os.makedirs(self.out, exist_ok=True)
        if self.mode == "new" and os.path.exists(self.path("history")):  # an attempt that never finished an epoch
            os.replace(self.path("history"), os.path.join(self.out, f"history-{int(time.time())}.csv"))
        if self.mode == "extend":  # the run is unfinished again until the extension ends
            os.remove(self.path("metrics"))
        write_json(self.path("config"), self.config)
        try:
            yield self
        except BaseException as e:
            kept = self.mode != "new" or self.progress()
            if not kept:
                if created:
                    shutil.rmtree(self.out, ignore_errors=True)
                else:
                    for name in set(os.listdir(self.out)) - before:
                        p = os.path.join(self.out, name)
                        shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
            if isinstance(e, KeyboardInterrupt) and not isinstance(e, RunInterrupted):
                kind = self.config["kind"]
                if kept:
                    raise RunInterrupted(f"zoo {kind}: interrupted; {self.out}/ keeps what finished; resume with: "
                                         f"{self.command}") from None
                raise RunInterrupted(f"zoo {kind}: interrupted before anything finished (nothing kept); "
                                     f"start again with: {self.command}") from None
            raise

    def progress(self):
        if self._progress is not None:
            return bool(self._progress(self))
        return bool(backup_epoch(self.path("backup")) or read_csv_rows(self.path("history"))[1]
                    or os.path.exists(self.path("model")))

    def write_labels(self, class_names):
        write_json(self.path("labels"), [str(c) for c in class_names])

    def write_metrics(self, **fields):
        """metrics.json: METRIC_KEYS first (kind, model, dataset, task from the config; None where
        not given), then the kind's own fields. Returns the dict."""
        metrics = {k: None for k in METRIC_KEYS}
        metrics.update({k: self.config[k] for k in ("kind", "model", "dataset", "task")})
        metrics["epochs"] = self.config.get("epochs")
        metrics.update(fields)
        timings = dict(metrics.get("timings") or {})
        timings.setdefault("wall_seconds", round(time.time() - self.t0, 1))
        metrics["timings"] = timings
        write_json(self.path("metrics"), metrics)
        return metrics


def _same(value):
    """A value as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))
