"""`zoo grade-class DIR --out gradebook.csv`: every sub-folder of DIR is one student's
submission. Students are graded in parallel (each in its own trusted run and children), with
a progress line per student; each result is kept under `<out>.parts/` the moment it exists,
so an interrupted run resumes where it stopped (a student is re-graded only when their files
changed). The CSV (one row per student) is rewritten atomically after every student."""

from __future__ import annotations

import concurrent.futures
import csv
import hashlib
import io
import json
import os
import sys
import time

from zoo.grading.build import exercise_names, resolve_exercise
from zoo.grading.grade import grade_submission
from zoo.grading.results import Results


def fingerprint(folder):
    """sha256 over the names and bytes of a submission's top-level files."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            h.update(name.encode() + b"\0")
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def students(folder):
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"DIR={folder!r} is not a folder: pass a folder with one sub-folder per student")
    names = sorted(n for n in os.listdir(folder) if os.path.isdir(os.path.join(folder, n)) and not n.startswith("."))
    if not names:
        raise ValueError(f"DIR={folder!r} has no sub-folders: expected one folder per student holding exNN_*.py files")
    return names


def _row(student, res, exercises):
    per = res.by_exercise()
    row = {"student": student, "score": round(res.score, 2), "max_score": round(res.max_score, 2),
           "percent": round(100 * res.score / res.max_score, 1) if res.max_score else 0.0}
    for ex in exercises:
        row[ex] = round(per.get(ex, (0.0, 0.0))[0], 2)
    row["seconds"] = round(res.execution_time, 1)
    row["status"] = "failed" if any(t.name.startswith("Autograder failed") for t in res.tests) else "graded"
    return row


def write_csv(path, rows, exercises):
    from zoo.io import write_text

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["student", "score", "max_score", "percent", *exercises, "seconds", "status"])
    w.writeheader()
    for r in rows:
        w.writerow(r)
    write_text(path, buf.getvalue())


def grade_class(folder, out, *, jobs=1, backend=None, exercises=None, call_timeout=None, exercise_timeout=None, stream=None):
    """Grades every student folder of `folder` into the CSV `out`; returns the rows."""
    stream = stream or sys.stderr
    out = os.fspath(out)
    if not out.endswith(".csv"):
        raise ValueError(f"--out must name a .csv file. Received: --out={out!r}")
    names = students(folder)
    parts = out + ".parts"
    os.makedirs(parts, exist_ok=True)
    ex_cols = exercise_names() if not exercises else [resolve_exercise(e) for e in exercises]
    done, todo = {}, []
    for name in names:
        fp = fingerprint(os.path.join(folder, name))
        part = os.path.join(parts, name + ".json")
        try:
            with open(part, encoding="utf-8") as f:
                saved = json.load(f)
            if saved.get("fingerprint") == fp:
                done[name] = saved["row"]
                continue
        except (OSError, ValueError, KeyError):
            pass
        todo.append((name, fp))
    total, started = len(names), time.monotonic()
    if done:
        print(f"resuming: {len(done)} of {total} students already graded", file=stream)

    def work(item):
        name, fp = item
        res = grade_submission(os.path.join(folder, name), backend=backend, exercises=exercises,
                               call_timeout=call_timeout, exercise_timeout=exercise_timeout)
        return name, fp, res

    rows_by = dict(done)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(work, item) for item in todo]
        for fut in concurrent.futures.as_completed(futures):
            try:
                name, fp, res = fut.result()
            except Exception as e:  # a broken folder must not stop the class
                name = todo[futures.index(fut)][0]
                fp, res = "", Results.failed(f"{type(e).__name__}: {e}")
            row = _row(name, res, ex_cols)
            rows_by[name] = row
            from zoo.io import write_json

            write_json(os.path.join(parts, name + ".json"), {"fingerprint": fp, "row": row})
            write_csv(out, [rows_by[n] for n in names if n in rows_by], ex_cols)
            n = len(rows_by)
            bar = "#" * int(30 * n / total)
            print(f"[{bar:<30}] {n}/{total}  {name}: {row['score']:.1f}/{row['max_score']:.1f}  ({time.monotonic() - started:.0f} s)", file=stream, flush=True)
    rows = [rows_by[n] for n in names]
    write_csv(out, rows, ex_cols)
    return rows
