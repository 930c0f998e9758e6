"""What a student handed in -> the folder of exNN_topic.py files the grader runs, and what to
tell the student about it.

Students upload in many shapes: the files themselves, one zip of them, a zip of their whole
folder (files one folder down), notebooks instead of scripts, names a browser changed on
download (`ex02_linear_classifier (1).py`). `collect` finds each expected exercise by its name
in any of these shapes, converts a notebook to its code, and names what it could not find
and what it found instead; it never guesses from a file of another name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import stat
import tempfile
import zipfile

from zoo.grading.build import notebook_to_py
from zoo.grading.results import missing_summary

SUFFIX = re.compile(r"^(?P<stem>.+?)(?P<copy>\s*\(\d+\))?(?P<ext>\.py|\.ipynb)$", re.IGNORECASE)
MAX_DEPTH = 3
MAX_UNZIPPED = 64 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_SOURCE = 2 * 1024 * 1024  # an exercise file (script or notebook) larger than this is not read
IGNORED_DIRS = ("__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git")


@dataclasses.dataclass
class Intake:
    folder: str
    found: dict  # module -> the file it came from, as the student named it
    missing: list  # modules with no file
    others: list  # files that are no exercise of this assignment
    notes: list  # one line each, for the student

    @property
    def status(self):
        return "missing files" if self.missing else "ok"

    def missing_message(self):
        """'ex03_lenet.py (found instead: lenet.py, notes.txt)'; '' when nothing is missing."""
        if not self.missing:
            return ""
        found = ", ".join(self.others[:8]) + (f" and {len(self.others) - 8} more" if len(self.others) > 8 else "")
        return f"{', '.join(m + '.py' for m in self.missing)} (found instead: {found or 'nothing else'})"

    def message(self):
        """The top of results.json: what was graded from where, and what is missing."""
        lines = list(self.notes)
        if self.missing:
            lines.append(f"Not found: {', '.join(m + '.py' for m in self.missing)} (or .ipynb): those exercises score 0. "
                         f"Found instead: {', '.join(self.others) or 'no other file'}. Upload the files with exactly these "
                         f"names, or one zip of them.")
        return "\n".join(lines)

    def above(self, output):
        """message() above a grading run's `output`, less the run's own line for a file this
        intake already names as not found: each missing file is said once."""
        told = tuple(f"{missing_summary(m)} (" for m in self.missing)
        kept = [line for line in output.splitlines() if not (told and line.startswith(told))]
        return "\n".join(p for p in (self.message(), "\n".join(kept)) if p)


def _files(top):
    """Relative paths of the regular files under `top`, at most MAX_DEPTH folders down (no hidden
    files, caches or macOS metadata; symbolic links and special files are never followed or
    read). An iterative walk: no nesting of folders can exhaust the stack."""
    out, todo = [], [("", 0)]
    while todo:
        rel, depth = todo.pop()
        try:
            names = sorted(os.listdir(os.path.join(top, rel) if rel else top))
        except OSError:
            continue
        for name in names:
            path = os.path.join(top, rel, name)
            if name.startswith(".") or name in IGNORED_DIRS:
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode) and depth < MAX_DEPTH:
                todo.append((os.path.join(rel, name), depth + 1))
            elif stat.S_ISREG(mode):
                out.append(os.path.join(rel, name))
    return sorted(out)


def read_source(path):
    """The text of a submitted file: opened without following a link, a regular file of at most
    MAX_SOURCE bytes (checked before any read). ValueError otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > MAX_SOURCE:
            raise ValueError(f"{st.st_size} bytes, more than the {MAX_SOURCE} an exercise file may have")
        data = f.read(MAX_SOURCE + 1)
    if len(data) > MAX_SOURCE:
        raise ValueError(f"more than the {MAX_SOURCE} bytes an exercise file may have")
    return data.decode("utf-8")


@contextlib.contextmanager
def intake_copy(submission, exercises):
    """The one way into grading: yields the Intake of `submission` (its exercise files copied,
    links and special files refused) in a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="zoo-intake-") as tmp:
        yield collect(submission, exercises, os.path.join(tmp, "submission"))


def _unzip(path, dest, budget):
    """Extracts a submitted zip safely (no absolute or `..` paths, no links); `budget` =
    [bytes, members] left for the whole submission (every zip of it together), spent here."""
    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        size = sum(i.file_size for i in infos)
        if len(infos) > budget[1] or size > budget[0]:
            raise ValueError(f"{os.path.basename(path)} is too large: a submission's zips may hold {MAX_UNZIPPED // 1024**2} MB "
                             f"and {MAX_MEMBERS} files in all")
        budget[0] -= size
        budget[1] -= len(infos)
        for info in infos:
            parts = [p for p in info.filename.replace("\\", "/").split("/") if p not in ("", ".")]
            if not parts or ".." in parts or len(parts) > MAX_DEPTH + 1 or (info.external_attr >> 16) & 0o170000 == 0o120000:
                continue
            target = os.path.join(dest, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)


def collect(submission, exercises, dest):
    """Finds each module of `exercises` in the folder `submission` and writes it to
    dest/<module>.py; returns an Intake. `dest` must not exist yet."""
    submission = os.fspath(submission)
    if not os.path.isdir(submission):
        raise NotADirectoryError(f"SUBMISSION_DIR={submission!r} is not a folder: pass the folder holding exNN_*.py files")
    os.makedirs(dest)
    unzipped = dest + ".unzipped"
    notes, candidates, listed = [], {}, []
    roots = [("", submission)]
    budget = [MAX_UNZIPPED, MAX_MEMBERS]
    for rel in _files(submission):
        if rel.lower().endswith(".zip"):
            inner = os.path.join(unzipped, rel)
            try:
                _unzip(os.path.join(submission, rel), inner, budget)
                roots.append((rel + "/", inner))
                notes.append(f"Unpacked {rel}.")
            except (zipfile.BadZipFile, ValueError, OSError) as e:
                notes.append(f"Could not unpack {rel}: {e}.")
    for prefix, top in roots:
        for rel in _files(top):
            shown = prefix + rel.replace(os.sep, "/")
            if rel.lower().endswith(".zip"):
                continue
            m = SUFFIX.match(os.path.basename(rel))
            module = m.group("stem").strip() if m else None
            if module in exercises:
                # rank: nearer the top, a script before a notebook, the plain name before a ` (1)` copy
                rank = (shown.count("/"), m.group("ext").lower() != ".py", bool(m.group("copy")))
                candidates.setdefault(module, []).append((rank, shown, os.path.join(top, rel), m))
            else:
                listed.append(shown)
    found, missing = {}, []
    for module in exercises:
        options = sorted(candidates.get(module, []), key=lambda c: (c[0], c[1]))
        if not options:
            missing.append(module)
            continue
        _, shown, path, m = options[0]
        try:
            text = read_source(path)
            if m.group("ext").lower() == ".ipynb":
                text = notebook_to_py(text)
        except (UnicodeDecodeError, ValueError, OSError, RecursionError, MemoryError) as e:  # nested too deep: that file alone
            notes.append(f"Could not read {shown}: {type(e).__name__}: {str(e)[:200]}.")
            missing.append(module)
            listed.append(shown)
            continue
        with open(os.path.join(dest, module + ".py"), "w", encoding="utf-8") as f:
            f.write(text)
        found[module] = shown
        how = []
        if "/" in shown:
            how.append(f"found in {os.path.dirname(shown)}/")
        if m.group("copy"):
            how.append(f"the name's {m.group('copy').strip()!r} (a download copy) was ignored")
        if m.group("ext").lower() == ".ipynb":
            how.append("the notebook's code cells were graded")
        if how:
            notes.append(f"Graded {shown} as {module}.py: {'; '.join(how)}.")
        for _, other, _, _ in options[1:]:
            notes.append(f"Ignored {other}: {shown} was graded for {module}.")
    shutil.rmtree(unzipped, ignore_errors=True)
    return Intake(dest, found, missing, listed, notes)
