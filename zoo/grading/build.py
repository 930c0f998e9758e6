"""`zoo exercises build|check|pack`: stubs generated from solutions/, a student's check of one
exercise, and the Gradescope autograder bundle.

solutions/exNN_topic.py is the single source: `build` writes exercises/exNN_topic.py with every
solution region replaced by `raise NotImplementedError` (zoo.grading.markers). exercises/ is
never edited by hand; `stale_exercises` reports files out of date (a test calls it).
"""

from __future__ import annotations

import glob
import os
import zipfile

from zoo.grading.markers import strip_solutions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXERCISE_GLOB = "ex[0-9][0-9]_*.py"


def solution_files(root=ROOT):
    """Sorted paths of solutions/exNN_*.py."""
    return sorted(glob.glob(os.path.join(root, "solutions", EXERCISE_GLOB)))


def exercise_names(root=ROOT):
    """Module names of the exercises: ['ex01_conv_pool', ...], from solutions/ or, in a copy
    without it (the student release, the Gradescope bundle), from the graded tests."""
    names = [os.path.basename(p)[:-3] for p in solution_files(root)]
    return names or [os.path.basename(p)[len("test_"):-3] for p in
                     sorted(glob.glob(os.path.join(root, "tests", "exercises", "test_" + EXERCISE_GLOB)))]


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


def build(root=ROOT, out_dir=None):
    """Writes the stubs (atomically) into exercises/ and removes leftovers; returns the
    list of files written."""
    from zoo.io import ensure_out_dir, write_text

    folder = ensure_out_dir(out_dir or os.path.join(root, "exercises"), arg="exercises")
    want = expected_stubs(root)
    written = []
    for name, text in want.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
            write_text(path, text)
            written.append(path)
    for path in glob.glob(os.path.join(folder, EXERCISE_GLOB)):
        if os.path.basename(path) not in want:
            os.remove(path)
    readme = os.path.join(folder, "README.md")
    text = STUDENT_README.format(exercises="\n".join(f"* `{n}.py`" for n in want and [k[:-3] for k in want]))
    if not os.path.exists(readme) or open(readme, encoding="utf-8").read() != text:
        write_text(readme, text)
    return written


STUDENT_README = """# Exercises (generated from solutions/ by `zoo exercises build`: do not edit by hand in the repo)

Fill in every `raise NotImplementedError` (the `# HINT:` above it helps), then check one
exercise with `zoo exercises check ex03` (visible tests only) or grade all with
`zoo grade exercises/`.

{exercises}
"""


# ----------------------------------------------------------------------------- Gradescope bundle
SETUP_SH = """#!/usr/bin/env bash
# Gradescope autograder set-up: installs the zoo (with its grader) and the test tools.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv > /dev/null
cd /autograder/source
python3 -m pip install -q --upgrade pip
python3 -m pip install -q -e ".[test]"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope entry point: grades /autograder/submission into /autograder/results/results.json.
# The submission's code runs only in the grader's isolated children; the solutions are not
# in this bundle at all.
set -uo pipefail
cd /autograder/source
mkdir -p /autograder/results
python3 -m zoo grade /autograder/submission --out /autograder/results/results.json
exit 0
"""

BUNDLE_FILES = ("setup.cfg", "pyproject.toml", "pytest.ini", "README.md")


def pack(out, root=ROOT):
    """Writes a Gradescope autograder zip: setup.sh, run_autograder, and source/ with the zoo
    package and the graded tests (never solutions/). Returns the list of archive members."""
    from zoo.io import atomic_path

    out = os.fspath(out)
    if not out.endswith(".zip"):
        raise ValueError(f"--out must name a .zip file. Received: --out={out!r}")
    members = []
    with atomic_path(out) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16
                z.writestr(info, text)
                members.append(name)
            for rel in BUNDLE_FILES:
                if os.path.exists(os.path.join(root, rel)):
                    z.write(os.path.join(root, rel), f"source/{rel}")
                    members.append(f"source/{rel}")
            for top in ("zoo", os.path.join("tests", "exercises")):
                for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
                    dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                    for fn in sorted(filenames):
                        if fn.endswith((".pyc", ".pyo")):
                            continue
                        path = os.path.join(dirpath, fn)
                        rel = os.path.relpath(path, root)
                        z.write(path, f"source/{rel}")
                        members.append(f"source/{rel}")
            for init in ("tests/__init__.py",):
                if os.path.exists(os.path.join(root, init)):
                    z.write(os.path.join(root, init), f"source/{init}")
                    members.append(f"source/{init}")
    return members
