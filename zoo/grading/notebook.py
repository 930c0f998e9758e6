"""Checks inside a student notebook: its first code cell connects it to its exercise, and after
each task a `check("task")` cell runs that task's visible tests and prints a short table.

The tests run on the code the kernel ran: every cell that ran without an error since the
notebook was connected, in the order it ran, written out as the exercise's file and graded by the
same grader as `zoo grade` (visible tests only, in a process of their own). A notebook run top to
bottom therefore gets, test by test, the score `zoo grade` gives the saved notebook.

Cells whose first line is `zoo.grading.build.MARKER` are the notebook's plumbing, not the student's code: they are
never recorded here and never graded (`zoo.grading.build.notebook_to_py` drops them).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile

from zoo.grading.build import MARKER, ROOT, resolve_exercise, stub_tasks, tests_for
from zoo.grading.results import Results, printable

def connect(exercise, *, root=None, shell=None):
    """Connects the running notebook to `exercise` (ex03, 3, lenet or ex03_lenet); returns the
    `check` function its check cells call. Records, from now on, each cell that runs cleanly."""
    root = root or ROOT
    module = resolve_exercise(exercise, root)
    shell = shell or _shell()
    checker = Checker(module, root=root)
    # the cells that ran before this one (the imports): the kernel's input history, this cell last
    for cell in list(getattr(shell, "user_ns", {}).get("In", []))[1:-1]:
        checker.add(cell)
    shell.events.register("post_run_cell", checker.record)
    return checker


def _shell():
    try:
        from IPython import get_ipython  # a notebook kernel has IPython; a terminal session need not
    except ImportError:
        get_ipython = lambda: None  # noqa: E731
    shell = get_ipython()
    if shell is None:
        raise RuntimeError("check() runs inside a notebook (Jupyter, Colab); in a terminal run "
                           "`zoo exercises check EXERCISE` on the .py file instead")
    return shell


def tasks_of(module, root=None):
    """{task: [visible test names]}: the functions the exercise asks for (those the stub leaves as
    `raise NotImplementedError`) and the visible tests that call each by name."""
    root = root or ROOT
    tests = {}
    (path,) = tests_for([module], root=root, visible_only=True)
    tree = ast.parse(open(os.path.join(root, path), encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            strings = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            tests[node.name] = strings
    tasks = {}
    for name in stub_tasks(_stub_text(module, root)):
        tasks[name] = [t for t, strings in tests.items() if name in strings]
    return tasks


def _stub_text(module, root):
    for folder in ("exercises", "solutions"):
        path = os.path.join(root, folder, module + ".py")
        if os.path.exists(path):
            return open(path, encoding="utf-8").read()
    raise FileNotFoundError(f"no exercises/{module}.py under {root!r}: the notebook's exercise is not in this course folder")


class Checker:
    """`check(task)`: runs the visible tests of one task on the cells the kernel ran."""

    def __init__(self, module, *, root):
        self.module, self.root, self.cells = module, root, []
        self.tasks = tasks_of(module, root)

    def record(self, result):
        if result.success and result.info is not None:
            self.add(result.info.raw_cell)

    def add(self, cell):
        if cell.strip() and not cell.lstrip().startswith(MARKER):
            self.cells.append(cell)

    def source(self):
        """The code the kernel ran, as the exercise's file (shell escapes and magics left out)."""
        lines = []
        for cell in self.cells:
            lines += [line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
            lines.append("")
        return "\n".join(lines)

    def __call__(self, task):
        if task not in self.tasks:
            raise ValueError(f"check({task!r}): {self.module} has no task {task!r}; its tasks are "
                             f"{', '.join(repr(t) for t in self.tasks)}")
        tests = self.tasks[task]
        if not tests:
            print(f"{task}: no visible test checks it; the hidden tests grade it")
            return []
        with tempfile.TemporaryDirectory(prefix="zoo-check-") as tmp:
            sub = os.path.join(tmp, "submission")
            os.mkdir(sub)
            with open(os.path.join(sub, self.module + ".py"), "w", encoding="utf-8") as f:
                f.write(self.source())
            out = os.path.join(tmp, "results.json")
            code = ("import sys, zoo.grading.grade as g; "
                    "g.grade_submission(sys.argv[1], out=sys.argv[2], exercises=[sys.argv[3]], visible_only=True, "
                    "root=sys.argv[4], only_tests=sys.argv[5].split(','))")
            proc = subprocess.run([sys.executable, "-c", code, sub, out, self.module, self.root, ",".join(tests)],
                                  capture_output=True, text=True)
            if not os.path.exists(out):
                raise RuntimeError(f"check({task!r}): the grader did not answer (exit {proc.returncode}): "
                                   f"{proc.stderr.strip().splitlines()[-1:] or ''}")
            results = Results.read(out)
        rows = [(t.status == "passed", t.name.split(": ", 1)[-1], t.score, t.max_score, _first_line(t.output))
                for t in results.tests]
        if results.output:  # what is said once, above the tests (the module could not be imported)
            print(printable(results.output))
        print(_table(task, rows))
        return rows


def _first_line(output):
    lines = [line.strip() for line in (output or "").splitlines() if line.strip()]
    return printable(lines[0]) if lines else ""


def _table(task, rows):
    got, full = sum(r[2] for r in rows), sum(r[3] for r in rows)
    out = [f"check({task!r}): {got:g} / {full:g} points of the visible tests"]
    for ok, name, score, max_score, line in rows:
        test, _, doc = name.partition(" (")  # "test_x (what it checks)"
        out.append(f"  {'PASS' if ok else 'FAIL'}  {test}  {score:g}/{max_score:g}  " + (doc.rstrip(")") if ok or not line else line))
    return "\n".join(out)

