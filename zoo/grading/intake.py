"""What a student handed in -> the folder of exNN_topic.py files the grader runs, and what to
tell the student about it.

Students upload in many shapes: the files themselves, one zip of them, a zip of their whole
folder (files one folder down), notebooks instead of scripts, names a browser changed on
download (`ex02_linear_classifier (1).py`). `collect` finds each expected exercise by its name
in any of these shapes, converts a notebook to its code, and names what it could not find
and what it found instead; it never guesses from a file of another name.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import zipfile

from zoo.grading.build import notebook_to_py

SUFFIX = re.compile(r"^(?P<stem>.+?)(?P<copy>\s*\(\d+\))?(?P<ext>\.py|\.ipynb)$", re.IGNORECASE)
MAX_DEPTH = 3
MAX_UNZIPPED = 64 * 1024 * 1024
MAX_MEMBERS = 2000
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


def _files(top, depth=0):
    """Relative paths of the files under `top` (no hidden files, caches or macOS metadata)."""
    out = []
    for name in sorted(os.listdir(top)):
        path = os.path.join(top, name)
        if name.startswith(".") or name in IGNORED_DIRS or os.path.islink(path):
            continue
        if os.path.isdir(path):
            if depth < MAX_DEPTH:
                out += [os.path.join(name, p) for p in _files(path, depth + 1)]
        elif os.path.isfile(path):
            out.append(name)
    return out


def _unzip(path, dest):
    """Extracts a submitted zip safely (no absolute or `..` paths, no links, bounded size)."""
    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNZIPPED:
            raise ValueError(f"{os.path.basename(path)} is too large to be a submission")
        for info in infos:
            parts = [p for p in info.filename.replace("\\", "/").split("/") if p not in ("", ".")]
            if not parts or ".." in parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
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
    for rel in _files(submission):
        if rel.lower().endswith(".zip"):
            inner = os.path.join(unzipped, rel)
            try:
                _unzip(os.path.join(submission, rel), inner)
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
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if m.group("ext").lower() == ".ipynb":
                text = notebook_to_py(text)
        except (UnicodeDecodeError, ValueError, OSError) as e:
            notes.append(f"Could not read {shown}: {type(e).__name__}: {e}.")
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
