"""`zoo grade-class DIR --out gradebook.csv`: every sub-folder of DIR is one student's
submission. Students are graded in parallel (each in its own trusted run and children), with
a progress line per student; each result is kept under `<out>.parts/` the moment it exists,
so an interrupted run resumes where it stopped (a student is re-graded only when their files
changed). The CSV (one row per student) is rewritten atomically after every student.

Each student's files are found by name as Gradescope's run finds them (zoo.grading.intake: one
folder down, a zip, a notebook, a ` (1)` download copy); a student with an expected file
missing gets the status "missing files: ..." naming what was found instead, a student whose
exercise could not be imported "syntax error in ex01_conv_pool.py line 3".

`<gradebook>-feedback/<student>/` is the folder to send back: results.json (Gradescope's schema)
and feedback.txt (the table) of what the student may see (`Results.for_student`: the visible
tests in full, each hidden test as a score line). The staff's copy, every test's output and the
grader's own details included, is `<gradebook>-staff/<student>/`."""

from __future__ import annotations

import concurrent.futures
import csv
import hashlib
import io
import json
import os
import stat
import sys
import tempfile
import time

from zoo.grading.build import ROOT, exercise_names, resolve_exercise
from zoo.grading.grade import grade_submission
from zoo.grading.intake import collect
from zoo.grading.results import Results, counted, missing_summary
from zoo.io import write_json, write_text

MAX_HASHED = 64 * 1024**2  # a larger file counts by its size and time, not read


def fingerprint(folder, max_depth=8):
    """sha256 over the relative paths and bytes of a submission's regular files, at most
    `max_depth` folders down (deeper ones, links and special files are no part of a submission
    the intake reads). An iterative walk: no nesting of folders can exhaust the stack."""
    h = hashlib.sha256()
    todo = [("", 0)]
    while todo:
        rel, depth = todo.pop(0)
        try:
            names = sorted(os.listdir(os.path.join(folder, rel)))
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, rel, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode) and depth < max_depth:
                todo.append((os.path.join(rel, name), depth + 1))
            elif stat.S_ISREG(st.st_mode):
                h.update(os.path.join(rel, name).encode(errors="surrogateescape") + b"\0" + str(st.st_size).encode() + b"\0")
                if st.st_size <= MAX_HASHED:
                    try:
                        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                        with os.fdopen(fd, "rb") as f:
                            h.update(hashlib.sha256(f.read(MAX_HASHED)).digest())
                    except OSError:
                        pass
                else:
                    h.update(str(st.st_mtime_ns).encode())
    return h.hexdigest()


def feedback_dir(out):
    """Where the per-student feedback to send goes: gradebook.csv -> gradebook-feedback/."""
    return os.fspath(out)[: -len(".csv")] + "-feedback"


def staff_dir(out):
    """Where the staff's whole results of each student go: gradebook.csv -> gradebook-staff/."""
    return os.fspath(out)[: -len(".csv")] + "-staff"


def write_feedback(res, out, student):
    """The student's folder to send (what they may see) and the staff's (everything)."""
    for folder, what in ((staff_dir(out), res), (feedback_dir(out), res.for_student())):
        os.makedirs(os.path.join(folder, student), exist_ok=True)
        what.write(os.path.join(folder, student, "results.json"))
        write_text(os.path.join(folder, student, "feedback.txt"), what.table(width=100) + "\n")


def students(folder):
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"DIR={folder!r} is not a folder: pass a folder with one sub-folder per student")
    names = sorted(n for n in os.listdir(folder) if os.path.isdir(os.path.join(folder, n)) and not n.startswith("."))
    if not names:
        raise ValueError(f"DIR={folder!r} has no sub-folders: expected one folder per student holding exNN_*.py files")
    return names


def _row(student, res, exercises, missing=""):
    per = res.by_exercise()
    row = {"student": student, "score": round(res.score, 2), "max_score": round(res.max_score, 2),
           "percent": round(100 * res.score / res.max_score, 1) if res.max_score else 0.0}
    for ex in exercises:
        row[ex] = round(per.get(ex, (0.0, 0.0))[0], 2)
    row["seconds"] = round(res.execution_time, 1)
    if res.incomplete:
        row["status"] = f"incomplete: {res.incomplete}"
    elif any(t.name.startswith("Autograder failed") for t in res.tests):
        row["status"] = "failed"
    else:
        said = ([f"missing files: {missing}"] if missing else []) + [  # a missing file: said by the intake's line alone
            res.import_errors[ex] for ex in exercises if ex in res.import_errors and not (missing and res.import_errors[ex] == missing_summary(ex))]
        row["status"] = "; ".join(said) or "graded"
    return row


def write_csv(path, rows, exercises):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["student", "score", "max_score", "percent", *exercises, "seconds", "status"])
    w.writeheader()
    for r in rows:
        w.writerow(r)
    write_text(path, buf.getvalue())


def grade_class(folder, out, *, jobs=1, backend=None, exercises=None, call_timeout=None, exercise_timeout=None, stream=None, root=ROOT):
    """Grades every student folder of `folder` into the CSV `out`; returns the rows."""
    stream = stream or sys.stderr
    out = os.fspath(out)
    if not out.endswith(".csv"):
        raise ValueError(f"--out must name a .csv file. Received: --out={out!r}")
    names = students(folder)
    parts = out + ".parts"
    os.makedirs(parts, exist_ok=True)
    ex_cols = exercise_names(root) if not exercises else [resolve_exercise(e, root) for e in exercises]
    feedback = feedback_dir(out)
    done, todo = {}, []
    for name in names:
        try:
            fp = fingerprint(os.path.join(folder, name))
        except (OSError, RecursionError, MemoryError):  # that student alone is graded (and fails) again
            fp = ""
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
        print(f"resuming: {len(done)} of {counted(total, 'student')} already graded", file=stream)

    def attempt(name):
        with tempfile.TemporaryDirectory(prefix="zoo-intake-") as tmp:
            intake = collect(os.path.join(folder, name), ex_cols, os.path.join(tmp, "submission"))
            res = grade_submission(intake.folder, backend=backend, exercises=ex_cols, root=root,
                                   call_timeout=call_timeout, exercise_timeout=exercise_timeout)
        res.output = intake.above(res.output)
        return res, intake.missing_message()

    def work(item):
        """One student, graded again once when the grade is incomplete (a full disk, the
        grader's own error): what is left incomplete says so, and is graded again on resume."""
        name, fp = item
        for _ in range(2):
            try:
                res, missing = attempt(name)
            except OSError as e:  # the grader's own files (the intake's copy on a full disk)
                res, missing = Results.failed(f"{type(e).__name__}: {e}").mark_incomplete(f"{type(e).__name__}: {e}"), ""
            if not res.incomplete:
                break
        return name, fp, res, missing

    rows_by = dict(done)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(work, item) for item in todo]
        for fut in concurrent.futures.as_completed(futures):
            try:
                name, fp, res, missing = fut.result()
            except Exception as e:  # a broken folder must not stop the class
                name = todo[futures.index(fut)][0]
                fp, res, missing = "", Results.failed(f"{type(e).__name__}: {e}"), ""
            row = _row(name, res, ex_cols, missing)
            rows_by[name] = row
            write_feedback(res, out, name)
            write_json(os.path.join(parts, name + ".json"), {"fingerprint": "" if res.incomplete else fp, "row": row})
            write_csv(out, [rows_by[n] for n in names if n in rows_by], ex_cols)
            n = len(rows_by)
            bar = "#" * int(30 * n / total)
            print(f"[{bar:<30}] {n}/{total}  {name}: {row['score']:.1f}/{row['max_score']:.1f}  ({time.monotonic() - started:.0f} s)", file=stream, flush=True)
    rows = [rows_by[n] for n in names]
    write_csv(out, rows, ex_cols)
    print(f"feedback to send back: {feedback}/<student>/results.json and feedback.txt "
          f"(the staff's copy, hidden tests' output included: {staff_dir(out)}/)", file=stream)
    return rows
