"""Files: atomic writes (a temporary name renamed into place), output folders, saved models."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile


def ensure_out_dir(path, *, arg="--out"):
    """Creates `path` if needed and checks it is a writable folder; returns it as str."""
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"{arg}={path!r} is a file, not a folder: pass a folder to write into")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise PermissionError(f"{arg}={path!r} cannot be created: {e.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(f"{arg}={path!r} is not writable: pass a folder you can write to")
    return path


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path` (same suffix); renamed onto `path` on success only."""
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    suffix = ".keras" if base.endswith(".keras") else os.path.splitext(base)[1]
    if base.endswith(".weights.h5"):
        suffix = ".weights.h5"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp" + suffix, dir=folder)
    except OSError as e:  # the temporary file is ours: the message names the file the caller asked for
        raise _unwritable(path, os.path.dirname(path) or ".", e) from None
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _unwritable(path, folder, e):
    """One line for a file that cannot be written into `folder`, naming it and what to do."""
    if e.errno == errno.ENOENT:
        return FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist; "
                                 f"create it first (mkdir -p {folder}) or choose a path in an existing folder")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PermissionError(f"cannot write {path!r}: the folder {folder!r} is not writable ({e.strerror}); "
                               "choose a path in a folder you can write to")
    return OSError(e.errno, f"cannot write {path!r}: {e.strerror}")


def write_text(path, text):
    """Writes `text` to `path` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def read_json_or_none(path):
    """The JSON content of `path`, or None when it is missing or unreadable (e.g. cut by a kill)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def write_json(path, obj):
    """Writes `obj` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(o):
    if hasattr(o, "tolist"):  # numpy scalars and arrays, without importing numpy here
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def save_model(model, path):
    """`model.save(path)` through a temporary file, so a crash never leaves half a model."""
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ValueError(f"a model file must end in .keras. Received: path={path!r}")
    with atomic_path(path) as tmp:
        model.save(tmp)
