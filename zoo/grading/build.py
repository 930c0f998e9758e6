"""`zoo exercises build|check|pack`: stubs generated from solutions/, notebooks, a student
release and the Gradescope autograder bundle.

solutions/exNN_topic.py is the single source: `build` writes exercises/exNN_topic.py with every
solution region replaced by `raise NotImplementedError` (zoo.grading.markers), and each file is
also a notebook (jupytext's percent format -> .ipynb). exercises/ is never edited by hand in the
course repository; `stale_exercises` reports files out of date (a test calls it). A student's
edits are never overwritten: `build` keeps the hash of what it wrote in exercises/.zoo-build.json
and refuses a file that differs from it unless `force`.

The course folder is the one holding the current directory (`course_root`), not the installed
package: an instructor's clone, a student release, or the Gradescope bundle's source/.
"""

from __future__ import annotations

import ast
import configparser
import glob
import hashlib
import json
import os
import zipfile

from zoo.grading.markers import strip_solutions
from zoo.io import atomic_path, ensure_out_dir, write_json, write_text

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXERCISE_GLOB = "ex[0-9][0-9]_*.py"


def is_course(folder, need="tests"):
    """Whether `folder` holds the course: tests/exercises/ (need="tests") or solutions/."""
    sub = os.path.join("tests", "exercises") if need == "tests" else "solutions"
    return os.path.isdir(os.path.join(folder, sub))


def course_root(start=None, need="tests"):
    """The course folder holding `start` (default: the current directory): the nearest folder
    at or above it with tests/exercises/ (need="tests": checking, grading) or solutions/
    (need="solutions": building the stubs); else the checkout the zoo runs from when it is
    one. FileNotFoundError names what was looked for."""
    here = os.path.abspath(start or os.getcwd())
    d = here
    while True:
        if is_course(d, need):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    if is_course(ROOT, need) and need == "tests":
        return ROOT
    if need == "solutions":  # the student release has stubs and tests but no solutions to build from
        raise FileNotFoundError(f"`zoo exercises build` makes the stubs from solutions/exNN_*.py, and neither {here!r} nor a "
                                "folder above it has solutions/ (the student release leaves them out, its exercises/ "
                                "are built already): edit exercises/exNN_*.py and run `zoo exercises check`")
    raise FileNotFoundError(f"no course folder here: {here!r} and the folders above it have no tests/exercises/ "
                            f"(run zoo from the course repository or the unpacked student release)")


def solution_files(root=ROOT):
    """Sorted paths of solutions/exNN_*.py."""
    return sorted(glob.glob(os.path.join(root, "solutions", EXERCISE_GLOB)))


def exercise_names(root=ROOT):
    """Module names of the exercises: ['ex01_conv_pool', ...], from solutions/ or, in a copy
    without it (the student release, the Gradescope bundle), from the graded tests and stubs."""
    names = [os.path.basename(p)[:-3] for p in solution_files(root)]
    if names:
        return names
    tests = glob.glob(os.path.join(root, "tests", "exercises", "test_" + EXERCISE_GLOB))
    stubs = glob.glob(os.path.join(root, "exercises", EXERCISE_GLOB))
    return sorted({os.path.basename(p)[len("test_"):-3] for p in tests} | {os.path.basename(p)[:-3] for p in stubs})


def resolve_exercise(name, root=ROOT):
    """'ex03', '3', 'ex03_lenet' or 'lenet' -> 'ex03_lenet'; ValueError listing the choices."""
    names = exercise_names(root)
    key = str(name).strip().lower().removesuffix(".py")
    if key.isdigit():
        key = f"ex{int(key):02d}"
    hits = [n for n in names if n == key or n.startswith(key + "_") or n.split("_", 1)[1] == key]
    if len(hits) != 1:
        raise ValueError(f"unknown exercise {name!r}: expected one of {', '.join(names)} (or its number, e.g. 3 or ex03)")
    return hits[0]


def expected_stubs(root=ROOT):
    """{relative path under exercises/: generated text} for every solution."""
    out = {}
    for path in solution_files(root):
        with open(path, encoding="utf-8") as f:
            src = f.read()
        out[os.path.basename(path)] = strip_solutions(src, os.path.relpath(path, root))
    return out


def stale_exercises(root=ROOT):
    """Names of exercises/ files that differ from what `build` would write (missing, changed,
    or left over from a deleted solution)."""
    want = expected_stubs(root)
    folder = os.path.join(root, "exercises")
    stale = []
    for name, text in want.items():
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(name)
        except FileNotFoundError:
            stale.append(name)
    for path in glob.glob(os.path.join(folder, EXERCISE_GLOB)):
        if os.path.basename(path) not in want:
            stale.append(os.path.basename(path))
    return sorted(stale)


MANIFEST = ".zoo-build.json"


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class EditedFileError(ValueError):
    """`build` would overwrite or remove a file that someone edited since it was generated."""


def build(root=ROOT, out_dir=None, force=False):
    """Writes the stubs (atomically) into `out_dir` (default: root/exercises/) and removes
    leftovers of deleted solutions; returns the list of files written.

    A file that differs both from the new stub and from what `build` last wrote there (a
    student's work, or a hand edit) is neither overwritten nor removed: EditedFileError names
    it, unless `force`."""
    if not solution_files(root):
        raise FileNotFoundError(f"no solutions/exNN_*.py under {root!r}: `zoo exercises build` makes the stubs from them "
                                f"(run it in the instructor's course repository)")
    folder = ensure_out_dir(out_dir or os.path.join(root, "exercises"), arg="--out")
    want = expected_stubs(root)
    names = [k[:-3] for k in want]
    want["README.md"] = STUDENT_README.format(exercises="\n".join(f"* `{n}.py`" for n in names))
    manifest_path = os.path.join(folder, MANIFEST)
    try:
        manifest = json.loads(_read(manifest_path))
    except (OSError, ValueError):
        manifest = {}
    leftovers = [os.path.basename(p) for p in glob.glob(os.path.join(folder, EXERCISE_GLOB)) if os.path.basename(p) not in want]
    edited = []
    for name in [*want, *leftovers]:
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            continue
        current = _read(path)
        if current != want.get(name) and _sha(current) != manifest.get(name):
            edited.append(path)
    if edited and not force:
        raise EditedFileError(f"{', '.join(edited)} {'was' if len(edited) == 1 else 'were'} edited since `zoo exercises build` "
                              f"wrote {'it' if len(edited) == 1 else 'them'}: not overwritten (pass --force to replace "
                              f"{'it' if len(edited) == 1 else 'them'} with fresh stubs, or --out DIR to build elsewhere)")
    written = []
    for name, text in want.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path) or _read(path) != text:
            write_text(path, text)
            written.append(path)
    for name in leftovers:
        os.remove(os.path.join(folder, name))
    new_manifest = {name: _sha(text) for name, text in want.items()}
    if new_manifest != manifest:
        write_json(manifest_path, new_manifest)
    return written


STUDENT_README = """# Exercises (generated from solutions/ by `zoo exercises build`: do not edit by hand in the repo)

Fill in every `raise NotImplementedError` (the `# HINT:` above it helps), then check one
exercise with `zoo exercises check ex03` (visible tests only) or grade all with
`zoo grade exercises/`.

{exercises}
"""


# ----------------------------------------------------------------------------- notebooks
# The first line of a notebook's plumbing cells (the cell that connects it to its exercise, the
# check cells): never the student's code, so never recorded by zoo.grading.notebook nor graded.
MARKER = "# zoo: check"


def stub_tasks(py_text):
    """Names of the top-level functions and classes a student writes (their body raises
    NotImplementedError once the solution regions are stubbed), in the file's order."""
    tree = ast.parse(strip_solutions(py_text))
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n) for n in ast.walk(node)):
                names.append(node.name)
    return names


def notebook_json(py_text, module=None):
    """The .ipynb text of an exercise file (jupytext percent format: one cell per `# %%`; the
    module docstring becomes a markdown cell), with a Python 3 kernel so that Jupyter and
    Colab open it ready to run. With `module` (ex03_lenet), a cell after the imports connects
    the notebook to its exercise and a `check("task")` cell follows each task's cell."""
    import jupytext  # notebooks only: grading never pays its import (0.25 s)
    from nbformat.v4 import new_code_cell, new_markdown_cell

    nb = jupytext.reads(py_text, fmt="py:percent")
    first = nb.cells[0].source if nb.cells else ""
    doc = ast.get_docstring(ast.parse(first)) if first else None
    if doc:  # the exercise's text reads as a markdown cell (title as a heading), the imports stay code
        rest = "\n".join(first.splitlines()[ast.parse(first).body[0].end_lineno:]).strip("\n")
        title, _, body = doc.partition("\n")
        nb.cells[:1] = [new_markdown_cell(f"# {title.strip()}\n{body}")] + ([new_code_cell(rest)] if rest else [])
    if module:
        tasks = stub_tasks(py_text)
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            if cell.cell_type != "code":
                continue
            if not any(c.cell_type == "code" and c.source.startswith(MARKER) for c in cells):
                cells.append(new_code_cell(
                    f"{MARKER}: connects this notebook to its exercise; each check(\"task\") cell below runs\n"
                    f"# that task's visible tests on the cells you ran (the final grade adds hidden tests).\n"
                    f"from zoo.grading.notebook import connect\n\ncheck = connect({json.dumps(module)})"))
                continue
            try:
                defined = [n.name for n in ast.parse(cell.source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            except SyntaxError:
                defined = []
            cells += [new_code_cell(f"{MARKER}\ncheck({json.dumps(t)})") for t in defined if t in tasks]
        nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.pop("jupytext", None)
    return jupytext.writes(nb, fmt="ipynb")


def notebook_to_py(ipynb_text):
    """An .ipynb submission back to the exercise's Python source (code cells in order; the
    markdown and outputs dropped), so that a notebook grades exactly as its .py."""
    import jupytext  # notebook submissions only: a .py submission never pays its import

    nb = jupytext.reads(ipynb_text, fmt="ipynb")
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and not c.source.lstrip().startswith(MARKER)]
    nb.metadata = {}
    return jupytext.writes(nb, fmt="py:percent")


# ----------------------------------------------------------------------------- packing
def _walk(root, top, skip=()):
    """Relative paths of the files under root/top (no caches, no compiled files, none of `skip`)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith(".")
                             and os.path.relpath(os.path.join(dirpath, d), root) not in skip)
        for fn in sorted(filenames):
            if not fn.endswith((".pyc", ".pyo")) and not fn.startswith("."):
                out.append(os.path.relpath(os.path.join(dirpath, fn), root))
    return out


def _zip(out, members):
    """Writes `members` [(archive name, text or bytes or ("file", path), executable)] to the
    zip `out` atomically; returns the archive names."""
    out = os.fspath(out)
    if not out.endswith(".zip"):
        raise ValueError(f"--out must name a .zip file. Received: --out={out!r}")
    with atomic_path(out) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data, executable in members:
                if isinstance(data, tuple):
                    with open(data[1], "rb") as f:
                        data = f.read()
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o755 if executable else 0o644) << 16
                z.writestr(info, data)
    return [m[0] for m in members]


def _files(root, rels, prefix=""):
    return [(prefix + rel.replace(os.sep, "/"), ("file", os.path.join(root, rel)), False) for rel in rels]


def grader_requirements(root=ROOT):
    """What grading needs, no more: the deep-learning libraries the exercises use, pytest,
    hypothesis (the hidden tests draw their inputs with it), jupytext (notebook submissions) and
    pyseccomp (the sandbox's seccomp filter), with setup.cfg's lower bounds (not the test extra's
    JAX and pycocotools, nor the zoo's datasets and plotting)."""
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(root, "setup.cfg"))
    wanted = ("keras", "tensorflow", "keras-tuner", "tensorboard", "numpy", "pytest", "pytest-timeout", "hypothesis",
              "jupytext", "pyseccomp")
    specs = {}
    for section, key in (("options", "install_requires"), ("options.extras_require", "test"), ("options.extras_require", "notebooks")):
        for line in cfg.get(section, key, fallback="").splitlines():
            line = line.strip()
            name = line.split(";")[0].strip()
            base = name.split("[")[0]
            for op in ("==", ">=", "<=", "~=", "<", ">"):
                base = base.split(op)[0]
            if base.strip().lower() in wanted:
                specs[base.strip().lower()] = name
    return [specs.get(w, w) for w in wanted]


SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image; the zip is unpacked in
# /autograder/source. It installs only what grading needs into /autograder/venv (a virtual
# environment: works where the system Python is "externally managed", PEP 668).
set -euo pipefail
AUTOGRADER="${AUTOGRADER:-/autograder}"
PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" > /dev/null || ! "$PYTHON" -c "import ensurepip, venv" 2> /dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv > /dev/null
fi
# bubblewrap: the submission's processes run in a mount sandbox (zoo/grading/sandbox.py); where it
# cannot be installed or the container refuses namespaces, grading falls back to a separate uid.
if ! command -v bwrap > /dev/null && command -v apt-get > /dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap libseccomp2 > /dev/null; } \
        || echo "setup.sh: bubblewrap could not be installed; submissions will run as a separate user only"
fi
"$PYTHON" -m venv "$AUTOGRADER/venv"
"$AUTOGRADER/venv/bin/python" -m pip install -q --upgrade pip
"$AUTOGRADER/venv/bin/python" -m pip install -q -r "$AUTOGRADER/source/grader-requirements.txt"
cd "$AUTOGRADER/source"
"$AUTOGRADER/venv/bin/python" -m zoo.grading.gradescope --self-check
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (/autograder/submission) and reads
# /autograder/results/results.json. The submission's code runs only in the grader's isolated
# children; the solutions are not in this bundle. A results.json is always left: if grading
# cannot even start, a visible failure saying so.
set -uo pipefail
AUTOGRADER="${AUTOGRADER:-/autograder}"
RESULTS="$AUTOGRADER/results/results.json"
mkdir -p "$AUTOGRADER/results"
cd "$AUTOGRADER/source"
"$AUTOGRADER/venv/bin/python" -m zoo.grading.gradescope --submission "$AUTOGRADER/submission" --results "$RESULTS"
status=$?
if [ ! -s "$RESULTS" ]; then
    printf '{"score": 0, "output": "The autograder could not start (exit status %s): tell your instructor.", "tests": [{"name": "Autograder failed", "score": 0, "max_score": 0, "status": "failed", "output": "The grader did not run (exit status %s); its environment may be broken (did setup.sh succeed?).", "visibility": "visible"}]}\n' "$status" "$status" > "$RESULTS"
fi
exit 0
"""

BUNDLE_FILES = ("pytest.ini",)


def tests_for(exercises=None, root=ROOT, visible_only=False):
    """Paths (relative to root) of the graded test files, all or those of the given exercises:
    tests/exercises/test_exNN_*.py (visible) and, unless `visible_only`,
    tests/exercises/hidden/test_exNN_*.py (the folder the student release leaves out).

    Raises FileNotFoundError naming what is missing when an exercise has no test file: an
    empty list would make pytest collect the whole repository."""
    folder = os.path.join(root, "tests", "exercises")
    names = exercise_names(root) if not exercises else [resolve_exercise(e, root) for e in exercises]
    if not names:
        raise FileNotFoundError(f"no exercises found under {root!r}: expected solutions/exNN_*.py or "
                                f"tests/exercises/test_exNN_*.py there (run zoo from the course folder)")
    paths, missing = [], []
    for n in names:
        visible = os.path.join(folder, f"test_{n}.py")
        if os.path.exists(visible):
            paths.append(visible)
        else:
            missing.append(os.path.relpath(visible, root))
        if not visible_only:
            paths += sorted(glob.glob(os.path.join(folder, "hidden", f"test_{n[:4]}_*.py")))
    if missing:
        raise FileNotFoundError(f"no graded tests for {', '.join(missing)} under {root!r}")
    # relative: the command line of the trusted run is readable by any process of the user
    return [os.path.relpath(p, root) for p in paths]


def pack(out, root=ROOT, exercises=None):
    """Writes a Gradescope autograder zip in Gradescope's layout: setup.sh and run_autograder
    at the root (the zip is unpacked into /autograder/source), the zoo package, the graded
    tests (visible and hidden), grader-requirements.txt and assignment.json (the exercises of
    this assignment). Never solutions/. Returns the list of archive members."""
    names = [resolve_exercise(e, root) for e in exercises] if exercises else exercise_names(root)
    tests_for(names, root)  # every exercise has its graded tests (error names the missing ones)
    members = [("setup.sh", SETUP_SH, True), ("run_autograder", RUN_AUTOGRADER, True),
               ("grader-requirements.txt", "\n".join(grader_requirements(root)) + "\n", False),
               ("assignment.json", json.dumps({"exercises": names}, indent=1) + "\n", False)]
    members += _files(root, [f for f in BUNDLE_FILES if os.path.exists(os.path.join(root, f))])
    members += _files(root, _walk(root, "zoo"))
    members += _files(root, _walk(root, os.path.join("tests", "exercises")))
    return _zip(out, members)


STUDENT_RELEASE_README = """# {title}: the exercises

Each exercise is a Python file in `exercises/` and the same exercise as a notebook in
`notebooks/`. Fill in every `raise NotImplementedError`; the `# HINT:` above it helps.

## Set up (once)

    python3 -m venv .venv
    .venv/bin/pip install -e ".[notebook]"      # without [notebook] if you work in the .py files only

## Work in the notebooks

    .venv/bin/jupyter notebook notebooks/

(or upload a notebook to Colab and `pip install` this folder there). Run the notebook's cells
from the top: its first code cell connects it to its exercise, and the `check("...")` cell after
each task runs that task's visible tests on the code you ran and prints a table.

## Check your work

    .venv/bin/zoo exercises check ex03              # the visible tests of exercise 3
    .venv/bin/zoo exercises check ex03 -k softmax   # one test
    .venv/bin/zoo exercises check                   # every exercise

`check` grades `exercises/` (pass `--submission DIR` for another folder). It runs the
visible tests only: the final grade also counts tests you do not see, so test your code
beyond them.

## Submit

Upload the files of the exercises you did, named as given (`ex03_lenet.py`, or the notebook
`ex03_lenet.ipynb`): the files themselves, or one zip of them. Keep the names: a file called
`ex03_lenet (1).py` is accepted, a file of another name is not graded.

Exercises:

{exercises}
"""


def pack_student(out, root=ROOT):
    """Writes the student release: one folder (the zip's name) with the zoo package, the
    stubs in exercises/, the same as notebooks in notebooks/, the visible tests
    (tests/exercises/ without hidden/) and a README for students. No solutions, no hidden
    tests, no instructor material. Returns the list of archive members."""
    names = exercise_names(root)
    stale = stale_exercises(root) if solution_files(root) else []
    if stale:
        raise ValueError(f"exercises/ is out of date for {', '.join(stale)}: run `zoo exercises build` first")
    top = os.path.basename(os.fspath(out))[:-4] + "/" if os.fspath(out).endswith(".zip") else ""
    members = []
    for n in names:
        path = os.path.join(root, "exercises", n + ".py")
        if not os.path.exists(path):
            raise FileNotFoundError(f"no stub exercises/{n}.py under {root!r}: run `zoo exercises build` first")
        text = _read(path)
        members.append((f"{top}exercises/{n}.py", text, False))
        members.append((f"{top}notebooks/{n}.ipynb", notebook_json(text, n), False))
    tests = [t for t in _walk(root, os.path.join("tests", "exercises"), skip={os.path.join("tests", "exercises", "hidden")})]
    members += _files(root, tests, top)
    members += _files(root, _walk(root, "zoo"), top)
    members += _files(root, [f for f in ("setup.cfg", "pyproject.toml", "pytest.ini") if os.path.exists(os.path.join(root, f))], top)
    readme = STUDENT_RELEASE_README.format(title="Computer vision with Keras",
                                           exercises="\n".join(f"* `{n}`" for n in names))
    members.append((f"{top}README.md", readme, False))
    return _zip(out, members)
