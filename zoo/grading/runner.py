"""The trusted side of the grader: one child process per exercise, isolated and time-limited.

`Submission(folder).call(module, function, *args, probe=None, **kwargs)` runs `function` of
the submission's `module.py` in a persistent child that serves every call of that exercise
(TensorFlow is imported once per exercise, not once per test). The child:

* runs from a temporary copy holding the submission's files alone (no tests, no solutions),
  with that copy as its working directory, `python -I -S` (no PYTHONPATH, no user site, no
  `.pth` files, so no editable install pointing at the repository) and a scrubbed environment;
* gets a memory limit for the exercise as a whole (a memory cgroup where one is writable, else
  the summed resident memory of its processes, polled; plus RLIMIT_AS per process, 6 GiB by
  default: TensorFlow maps about 3 GB at import), a per-call timeout and a per-exercise time
  budget (the import included: a loop at import costs the budget once);
* runs, when the grader is root, as a uid/gid of its own inside a bubblewrap sandbox (or as
  that uid alone where namespaces are refused): zoo.grading.sandbox;
* is reaped whole: every process it started (its uid's, its cgroup's, its tree's) is killed
  before the next exercise starts and before results are written; a stopped child is noticed;
* returns plain data only, framed JSON on a private pipe, decoded strictly (no pickle).

Assertions and scores stay in the trusted process: a child can print, write files or patch
pytest in its own interpreter, and none of that reaches the results.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time

from zoo.grading import probes, sandbox
from zoo.grading.probes import CPU_XLA_FLAGS

WORKER_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
DEFAULT_CALL_TIMEOUT = 300.0  # generous: building Keras models on a busy 2-core machine is slow (slowest graded call: ~15 s on JAX at load 7)
DEFAULT_EXERCISE_TIMEOUT = 600.0  # zoo grade --help and the README say the same
IMPORT_TIMEOUT = 300.0  # importing the submission (and Keras with it) on a busy machine
SPAWN_TIMEOUT = 300.0  # the fork server's reply (its first one waits for its Keras import)
POLL = 0.25  # seconds between checks of a running call (stopped? over its memory?)
DEFAULT_MEMORY_LIMIT = 6 * 1024**3
MAX_REPLY = 256 * 1024 * 1024
MAX_FILE = 2 * 1024 * 1024
LOG_TAIL = 2000


class SubmissionError(Exception):
    """The submission's code failed: `message` is for the student, `details` (traceback) for staff."""

    def __init__(self, message, details=""):
        super().__init__(message)
        self.message, self.details = message, details


# ----------------------------------------------------------------------------- strict decoding
def decode(obj, depth=0):
    """Child reply -> Python values. Accepts only JSON scalars, lists, tuples, dicts and
    numeric arrays; anything else raises ValueError (a child cannot make us run code)."""
    import numpy as np

    if depth > 60:
        raise ValueError("reply nested too deeply")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(o, depth + 1) for o in obj]
    if isinstance(obj, dict):
        if set(obj) == {"__tuple__"}:
            return tuple(decode(o, depth + 1) for o in obj["__tuple__"])
        if set(obj) == {"__dict__"}:
            out = {}
            for pair in obj["__dict__"]:
                k, v = pair
                k = decode(k, depth + 1)
                if not isinstance(k, (str, int, float, bool, type(None), tuple)):
                    raise ValueError("bad dict key in reply")
                out[k] = decode(v, depth + 1)
            return out
        if set(obj) == {"__nd__"}:
            dt, shape, data = obj["__nd__"]
            dtype = np.dtype(str(dt))
            if dtype.kind not in "biuf":
                raise ValueError(f"reply holds an array of dtype {dtype}")
            shape = [int(s) for s in shape]
            raw = base64.b64decode(data, validate=True)
            if int(np.prod(shape)) * dtype.itemsize != len(raw):
                raise ValueError("array size does not match its shape")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        return {str(k): decode(v, depth + 1) for k, v in obj.items()}
    raise ValueError(f"unexpected {type(obj).__name__} in reply")


def encode(obj):
    """Trusted arguments -> the child's wire format (same as worker.encode)."""
    import numpy as np

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(o) for o in obj]}
    if isinstance(obj, list):
        return [encode(o) for o in obj]
    if isinstance(obj, dict):
        if len(obj) == 1 and next(iter(obj)).startswith("__") and next(iter(obj)) not in ("__tuple__", "__dict__", "__nd__"):
            (k, v), = obj.items()  # special argument (__callable__, __backbone__, __hp__, __tmpdir__)
            return {k: encode(v)}
        return {"__dict__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        return {"__nd__": [arr.dtype.str, list(arr.shape), base64.b64encode(arr.tobytes()).decode()]}
    raise TypeError(f"cannot send a {type(obj).__name__} to the child")


def site_dirs(exclude=()):
    """Where the child finds numpy/keras/...: the interpreter's site-packages folders, minus any
    that is one of the `exclude` folders. A site-packages folder inside the repository (a `.venv/`
    there, as `make test` makes) is kept: it holds installed packages only, and with `-S` no `.pth`
    file (such as the editable install's path to the repository) is processed.

    Folders on $PYTHONPATH outside the `exclude` folders (neither one of them, inside one, nor
    above one) come after them: packages installed with `pip install --target` (`make gpu-test`
    puts keras & co. in /tmp/site that way)."""
    import site

    excluded = [os.path.realpath(e) for e in exclude]
    dirs = []
    for d in list(site.getsitepackages()) + [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]:
        d = os.path.realpath(d)
        if d in dirs or not os.path.isdir(d):
            continue
        if d in excluded:
            continue
        dirs.append(d)
    for d in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if not d or not os.path.isabs(d):
            continue
        d = os.path.realpath(d)
        if d in dirs or not os.path.isdir(d):
            continue
        if any(d == e or d.startswith(e + os.sep) or e.startswith(d.rstrip(os.sep) + os.sep) for e in excluded):
            continue
        dirs.append(d)
    return dirs


def memory_rlimit(backend):
    """Which limit holds a child's memory: RLIMIT_AS (address space), except for JAX on a
    machine with a GPU, where it is RLIMIT_DATA: CUDA reserves far more address space than
    any sensible limit when it starts (an address-space limit makes it fail, and JAX would
    fall back to the CPU), while RLIMIT_DATA counts what a process allocates and writes (heap,
    arrays), so a 20 GB allocation still fails."""
    import resource

    return resource.RLIMIT_DATA if backend == "jax" and has_gpu() else resource.RLIMIT_AS


def _limit_memory(limit, backend="tensorflow", cgroup=None):
    which = memory_rlimit(backend)
    procs = os.path.join(cgroup.path, "cgroup.procs") if cgroup is not None else None

    def apply():
        os.setsid()
        try:  # the child dies with the trusted run (Ctrl-C, kill): no orphan keeps running
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if procs:  # before exec: the sandbox's first process, and all it starts, are in the cgroup
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        if limit:
            import resource

            resource.setrlimit(which, (limit, limit))
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ImportError, ValueError, OSError):
            pass

    return apply


# ----------------------------------------------------------------------------- fork server
class ForkServer:
    """A clean child (`python -I -S`, scrubbed environment, memory limit) that imports Keras
    once and forks one child per exercise: TensorFlow's import (5-30 s on 2 busy cores) is
    paid once per grading process instead of once per exercise. It never runs submission
    code itself; its forked children do, each in a session of its own."""

    _servers = {}

    def __init__(self, backend, memory_limit, repo_root, box):
        import socket

        self.tmp = tempfile.mkdtemp(prefix="server-", dir=box.path)
        os.chmod(self.tmp, 0o711)
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with open(WORKER_SOURCE, encoding="utf-8") as f:
            code = f.read()
        preload = ["numpy", "keras", "keras_tuner"]
        dirs = site_dirs(exclude=[repo_root])
        code += f"\nzygote({theirs.fileno()}, {dirs!r}, {preload!r})\n"
        log = open(os.path.join(self.tmp, "server.log"), "wb")
        try:
            self.proc = subprocess.Popen(
                box.command(dirs, backend) + [sandbox.interpreter(), "-I", "-S", "-c", code], cwd=self.tmp,
                env=child_env(backend, home, self.tmp), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=(theirs.fileno(),), preexec_fn=_limit_memory(memory_limit, backend), close_fds=True)
        finally:
            log.close()
            theirs.close()

    @classmethod
    def get(cls, backend, memory_limit, repo_root, box):
        key = (backend, memory_limit, repo_root, box.path)
        server = cls._servers.get(key)
        if server is None or server.proc.poll() is not None:
            if server is not None:
                server.close()
            server = cls._servers[key] = cls(backend, memory_limit, repo_root, box)
        return server

    def spawn(self, request, fds, timeout=SPAWN_TIMEOUT):
        """Forks a child serving on fds (req_r, rep_w, log); returns its pid. A server that does
        not answer within `timeout` (stopped, hung) is killed: OSError."""
        import socket

        try:
            self.sock.settimeout(timeout)
            socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds))
            reply = self.sock.recv(4096)
        except (socket.timeout, OSError) as e:
            self.close()
            raise OSError(f"the grader's fork server did not answer: {e}") from None
        if not reply:
            self.close()
            raise OSError("the grader's fork server died")
        try:
            return int(json.loads(reply.decode())["pid"])
        except (ValueError, KeyError, TypeError):
            self.close()
            raise OSError("the grader's fork server sent a bad reply") from None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            sandbox.kill_all(roots=[self.proc.pid])
        except TimeoutError:  # pragma: no cover
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        for key, server in list(self._servers.items()):
            if server is self:
                del self._servers[key]

    @classmethod
    def close_all(cls, box_path=None):
        """Ends the fork servers (of one box, or all)."""
        for key, server in list(cls._servers.items()):
            if box_path is None or key[-1] == box_path:
                server.close()


atexit.register(ForkServer.close_all)


def use_fork_server(backend):
    """Forking after importing TensorFlow is fine. JAX is fork-safe until its runtime starts
    (its first array or `jax.devices()`): the fork server only imports keras and keras_tuner,
    which leave JAX's backends uninitialised, and each forked child starts its own."""
    return backend in ("tensorflow", "jax") and os.environ.get("ZOO_GRADER_FORK", "1") != "0" and hasattr(os, "fork")


def has_gpu():
    """Whether this machine has an NVIDIA GPU (its device nodes exist); a cheap check that
    imports nothing."""
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/nvidia0")




def needs_keras(path):
    """Whether a submission file mentions a deep-learning library (then the child comes from
    the fork server that has Keras imported; NumPy-only exercises start a bare child in 0.3 s)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return True
    return any(lib in text for lib in ("keras", "tensorflow", "jax", "torch"))


def harden_current_process():
    """Makes this (trusted) process's /proc entries (cwd, environ, fds, memory) unreadable to
    the submission's children, which run as the same user (Linux PR_SET_DUMPABLE = 0)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass
    sandbox.make_subreaper()  # an orphan of a child comes back here, where the reaper finds it


def child_env(backend, home, tmp):
    """The scrubbed environment of every child: no PYTHONPATH, a private HOME and TMPDIR."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "KERAS_BACKEND": backend,
        "KERAS_HOME": os.path.join(home, ".keras"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "CUDA_VISIBLE_DEVICES": "",
    }
    if os.environ.get("ZOO_GRADE_RUN"):
        env["ZOO_GRADE_RUN"] = os.environ["ZOO_GRADE_RUN"]  # the reaper of `zoo grade` finds orphans by it
    if backend == "jax":
        # float32 matmuls in full precision everywhere (an H100 defaults to TF32), so a GPU
        # grades with the tolerances, and gives the scores, of the CPU
        env["JAX_DEFAULT_MATMUL_PRECISION"] = "highest"
        if not has_gpu():
            env["XLA_FLAGS"] = CPU_XLA_FLAGS
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        if "CUDA_VISIBLE_DEVICES" in os.environ:
            env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
        else:
            env.pop("CUDA_VISIBLE_DEVICES")
    return env


# ----------------------------------------------------------------------------- one submission's box
LIVE_UIDS = set()  # the uids of this process's boxes (the plugin's heartbeat reports them)
LIVE_BOXES = set()  # and their folders (removed by zoo grade if this process dies)


class Box:
    """Where one submission's children live: a root-owned folder (0711) holding one folder per
    exercise, the sandbox mode, and the submission's own uid/gid when the grader is root."""

    def __init__(self, repo_root):
        self.mode = sandbox.mode()
        self.identity = sandbox.Identity() if self.mode != "none" else None
        if self.identity:
            LIVE_UIDS.add(self.identity.uid)
        self.path = None
        self.path = tempfile.mkdtemp(prefix="zoo-grade-box-")
        LIVE_BOXES.add(self.path)
        os.chmod(self.path, 0o711 if self.identity else 0o700)
        if self.mode == "user":
            unreachable = [d for d in [sandbox.interpreter(), sys.base_prefix] + site_dirs(exclude=[repo_root])
                           if not sandbox.readable_by_others(d)]
            if unreachable:
                self.close()
                raise RuntimeError(f"cannot run the submission as an unprivileged user: {unreachable[0]} is not readable "
                                   "by other users (install Python and its packages where they can read them, or "
                                   "install bubblewrap)")
            # no mount sandbox: the hidden tests, the solutions and the package are hidden by their modes
            sandbox.protect(protected_paths(repo_root))

    @property
    def uid(self):
        return self.identity.uid if self.identity else None

    def ident(self):
        """What the child needs to drop its privileges: [uid, gid, process limit], or None."""
        return [self.identity.uid, self.identity.gid, sandbox.NPROC_LIMIT] if self.identity else None

    def command(self, dirs, backend):
        """The sandbox's command prefix ([] outside bubblewrap)."""
        if self.mode != "bwrap":
            return []
        return sandbox.bwrap_command(self.path, dirs, gpu=backend == "jax" and has_gpu())

    def own(self, path):
        """Gives a folder (and what it holds) to the submission's uid, 0700."""
        if not self.identity:
            return
        for dirpath, dirnames, filenames in os.walk(path):
            for name in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
                os.chown(name, self.identity.uid, self.identity.gid)
            os.chmod(dirpath, 0o700)

    def close(self):
        if self.identity:
            sandbox.kill_all(uid=self.identity.uid)
        if self.path:
            shutil.rmtree(self.path, ignore_errors=True)
            LIVE_BOXES.discard(self.path)
            self.path = None
        if self.identity:
            self.identity.release()
            LIVE_UIDS.discard(self.identity.uid)
            self.identity = None


def protected_paths(repo_root):
    """The hidden tests, the solutions and the package, here and where the installed zoo lives."""
    roots = {os.path.realpath(repo_root), os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}
    return sorted(os.path.join(r, d) for r in roots for d in ("tests", "solutions", "zoo", ".git"))


# ----------------------------------------------------------------------------- one exercise's child
class ExerciseWorker:
    """A persistent child serving every call of one exercise of one submission."""

    def __init__(self, submission_dir, module, *, backend, call_timeout, exercise_timeout, memory_limit, repo_root, box):
        self.box = box
        self.cgroup = None
        self.peak_memory = 0
        self.submission_dir = submission_dir
        self.module = module
        self.backend = backend
        self.call_timeout = call_timeout
        self.memory_limit = memory_limit
        self.repo_root = repo_root
        self.budget = exercise_timeout
        self.proc = self.pid = None
        self.imported = False
        self.broken = None  # a message: the exercise cannot run any more (import failed, budget spent)
        self.tmp = None

    # -- lifecycle
    def _start(self):
        src = os.path.join(self.submission_dir, self.module + ".py")
        if not os.path.isfile(src):
            self.broken = f"the submission has no {self.module}.py"
            raise SubmissionError(self.broken)
        self.tmp = tempfile.mkdtemp(prefix=f"{self.module}-", dir=self.box.path)
        os.chmod(self.tmp, 0o711 if self.box.identity else 0o700)
        work = os.path.join(self.tmp, "submission")
        os.makedirs(work)
        for name in sorted(os.listdir(self.submission_dir)):  # the submission alone: its top-level files
            path = os.path.join(self.submission_dir, name)
            if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) <= MAX_FILE:
                shutil.copyfile(path, os.path.join(work, name))
        home = os.path.join(self.tmp, "home")
        scratch = os.path.join(self.tmp, "tmp")
        for d in (home, scratch):
            os.makedirs(d)
        for d in (work, home, scratch):  # a copy only the submission's uid can write
            self.box.own(d)
        self.log_path = os.path.join(self.tmp, "child.log")
        self.cgroup = (sandbox.MemoryCgroup.create(f"zoo-grade-{self.box.uid}-{os.getpid()}-{self.module}", self.memory_limit)
                       if self.box.identity and self.memory_limit else None)
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        self.pid = None
        if use_fork_server(self.backend) and needs_keras(src):
            log = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            request = {"work_dir": work, "tmpdir": scratch, "ident": self.box.ident()}
            started = time.monotonic()
            try:
                for attempt in (0, 1):
                    try:
                        server = ForkServer.get(self.backend, self.memory_limit, self.repo_root, self.box)
                        self.pid = server.spawn(request, (req_r, rep_w, log), timeout=max(1.0, min(SPAWN_TIMEOUT, self.budget)))
                        break
                    except OSError:
                        if attempt or time.monotonic() - started >= self.budget:
                            raise
            finally:
                for fd in (req_r, rep_w, log):
                    os.close(fd)
                self.budget -= time.monotonic() - started
            self._enter_cgroup()
            return
        with open(WORKER_SOURCE, encoding="utf-8") as f:
            code = f.read()
        dirs = site_dirs(exclude=[self.repo_root])
        code += f"\nbootstrap({req_r}, {rep_w}, {dirs!r}, {work!r}, {self.box.ident()!r}, {scratch!r})\n"
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                self.box.command(dirs, self.backend) + [sandbox.interpreter(), "-I", "-S", "-c", code],
                cwd=work,
                env=child_env(self.backend, home, self.tmp),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(req_r, rep_w),
                preexec_fn=_limit_memory(self.memory_limit, self.backend, self.cgroup),
                close_fds=True,
            )
        finally:
            log.close()
            os.close(req_r)
            os.close(rep_w)
        self.pid = self.proc.pid

    def _enter_cgroup(self):
        """The child waits for its first request: it has started nothing yet when it moves."""
        if self.cgroup is None:
            return
        try:
            self.cgroup.add(self.pid)
        except OSError:
            self.cgroup.remove()
            self.cgroup = None

    def _members(self, procs=None):
        return sandbox.members(uid=self.box.uid, roots=[self.pid] if self.pid else [], cgroup=self.cgroup, procs=procs)

    def close(self):
        """Kills every process of the exercise (uid, cgroup, tree) and removes its folder."""
        if self.pid is not None:
            try:
                sandbox.kill_all(uid=self.box.uid, roots=[self.pid], cgroup=self.cgroup)
            except TimeoutError:  # pragma: no cover
                pass
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:  # pragma: no cover
                    pass
            for fd in (self.req_w, self.rep_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = self.pid = None
        if self.cgroup is not None:
            self.peak_memory = max(self.peak_memory, self.cgroup.peak() or 0)
            self.cgroup.remove()
            self.cgroup = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - LOG_TAIL))
                return f.read().decode(errors="replace")
        except (OSError, AttributeError):
            return ""

    # -- one call
    def call(self, request, timeout=None):
        if self.broken:
            raise SubmissionError(self.broken)
        if self.budget <= 0:
            self.broken = f"{self.module}: the exercise's time budget is spent"
            raise SubmissionError(self.broken)
        if self.pid is None:
            self._start()
            self.imported = False
        if not self.imported:  # the import has its own, longer limit: calls are timed alone
            try:
                self._timed({"op": "import", "module": self.module}, max(IMPORT_TIMEOUT, self.call_timeout))
            except SubmissionError as e:
                self.broken = self.broken or e.message  # an import that hangs would hang again: once only
                raise
            self.imported = True
        return self._timed(request, timeout or self.call_timeout)

    def _timed(self, request, timeout):
        timeout = min(timeout, self.budget)
        started = time.monotonic()
        try:
            reply = self._exchange(request, timeout)
        finally:
            self.budget -= time.monotonic() - started
        if not reply.get("ok") and reply.get("phase") == "import":
            self.broken = str(reply.get("error"))
            tail = self.log_tail()
            self.close()
            raise SubmissionError(self.broken, str(reply.get("traceback", "")) + tail)
        if not reply.get("ok"):
            raise SubmissionError(str(reply.get("error")), str(reply.get("traceback", "")))
        try:
            return decode(reply.get("value"))
        except (ValueError, TypeError, KeyError) as e:
            raise SubmissionError(f"the result could not be read: {e}") from None

    def _exchange(self, request, timeout):
        body = json.dumps(request).encode()
        try:
            os.write(self.req_w, struct.pack("<Q", len(body)))
            view = memoryview(body)
            while view:
                view = view[os.write(self.req_w, view):]
        except (BrokenPipeError, OSError):
            return self._died("before the call")
        deadline = time.monotonic() + timeout
        head = self._read(8, deadline)
        if head is None:
            return self._timeout_or_death(deadline, timeout, request.get("op"))
        (n,) = struct.unpack("<Q", head)
        if n > MAX_REPLY:
            self.close()
            raise SubmissionError(f"the result is too large ({n} bytes)")
        body = self._read(n, deadline)
        if body is None:
            return self._timeout_or_death(deadline, timeout, request.get("op"))
        try:
            return json.loads(body.decode())
        except (ValueError, UnicodeDecodeError):
            self.close()
            raise SubmissionError("the child sent an unreadable reply") from None

    def _read(self, n, deadline):
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.rep_r], [], [], min(left, POLL))
            if not r:
                self._watch()
                continue
            b = os.read(self.rep_r, min(n - got, 1 << 20))
            if not b:
                return None
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    def _watch(self):
        """Between polls of a running call: a stopped child would stall the grader forever, and
        without a cgroup the memory of all the exercise's processes together is summed here."""
        procs = sandbox.processes()
        mine = self._members(procs)
        if any(procs[p].state in ("T", "t") for p in mine):  # its interpreter, or the sandbox around it
            self._end(f"{self.module}: the submission's process was stopped (SIGSTOP) during the call")
        if self.cgroup is not None and self.cgroup.oom_killed():  # one of its processes: the exercise is over
            self._end(self._over_memory("during the call"))
        if self.cgroup is None and self.memory_limit:
            used = sum(procs[p].rss for p in mine)
            self.peak_memory = max(self.peak_memory, used)
            if used > self.memory_limit:
                self._end(f"{self.module}: the submission's processes used {used / 1024**3:.1f} GiB together "
                          f"(the limit is {self.memory_limit / 1024**3:.0f} GiB)")

    def _over_memory(self, when):
        return (f"{self.module}: the submission's processes went over the memory limit "
                f"({self.memory_limit / 1024**3:.0f} GiB for the exercise) {when}")

    def _end(self, message):
        """Kills the exercise's processes; it cannot run any more: SubmissionError(message)."""
        tail = self.log_tail()
        self.close()
        self.broken = message
        raise SubmissionError(message, tail)

    def _timeout_or_death(self, deadline, timeout, request_op=None):
        if time.monotonic() >= deadline:
            tail = self.log_tail()
            self.close()  # kill the whole group; the next call starts a fresh child
            if self.budget - timeout <= 0:
                self.broken = f"{self.module}: the exercise's time budget is spent"
            what = "importing the file" if request_op == "import" else "the call"
            raise SubmissionError(f"timed out after {timeout:.0f} s ({what}): an infinite loop, or far too much work", tail)
        return self._died("during the call")

    def _died(self, when):
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.cgroup is not None and self.cgroup.oom_killed():
            self._end(self._over_memory(when))
        tail = self.log_tail()
        self.close()
        if code is not None and code < 0:
            why = f"killed by signal {signal.Signals(-code).name}"
            if -code in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT):
                why += " (out of memory? the limit is %.0f GiB)" % (self.memory_limit / 1024**3)
        elif code is not None:
            why = f"exited with code {code}"
        else:
            why = "ended"
        # a child that dies (os._exit, sys.exit in a thread, a crash) counts against the exercise
        self.broken = f"{self.module}: the submission's process {why} {when}"
        raise SubmissionError(self.broken, tail)


class Submission:
    """A submission folder graded exercise by exercise in isolated children."""

    def __init__(self, folder, *, backend=None, call_timeout=DEFAULT_CALL_TIMEOUT,
                 exercise_timeout=DEFAULT_EXERCISE_TIMEOUT, memory_limit=DEFAULT_MEMORY_LIMIT, repo_root=None):
        if not os.path.isdir(folder):
            raise NotADirectoryError(f"submission folder not found: {folder!r}")
        self.folder = os.path.realpath(folder)
        self.backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
        self.options = dict(call_timeout=float(call_timeout), exercise_timeout=float(exercise_timeout),
                            memory_limit=int(memory_limit),
                            repo_root=os.path.realpath(repo_root or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
        self.workers = {}
        self.max_live = 1  # every process of an exercise is gone before the next exercise starts
        self.box = Box(self.options["repo_root"])
        self.peak_memory = {}

    def call(self, module, function, *args, probe=None, probe_kwargs=None, timeout=None, **kwargs):
        """Runs `module.function(*args, **kwargs)` in the exercise's child; returns plain data
        (through `probe` when the function returns a model). Raises SubmissionError."""
        worker = self.workers.pop(module, None)
        if worker is None:
            worker = ExerciseWorker(self.folder, module, backend=self.backend, box=self.box, **self.options)
        self.workers[module] = worker  # most recently used last
        live = [w for w in self.workers.values() if w.pid is not None and w is not worker]
        for old in live[: max(0, len(live) - (self.max_live - 1))]:
            old.close()  # tests come file by file: the previous exercise's processes all end here
            self.peak_memory[old.module] = max(self.peak_memory.get(old.module, 0), old.peak_memory)
        probe_kwargs = dict(probe_kwargs or {})
        trusted = {k: probe_kwargs.pop(k) for k in probes.TRUSTED_KWARGS if k in probe_kwargs}
        request = {"op": "call", "module": module, "func": function, "args": encode(list(args)),
                   "kwargs": encode(kwargs), "probe": probe, "probe_kwargs": encode(probe_kwargs)}
        value = worker.call(request, timeout=timeout)
        if not probe:
            return value
        probes.prepare_backend()
        try:  # the model is rebuilt and described here, from its config and weights
            return probes.describe(probe, value, **trusted)
        except probes.ProbeError as e:
            raise SubmissionError(str(e)) from None

    def close(self):
        for w in self.workers.values():
            w.close()
            self.peak_memory[w.module] = max(self.peak_memory.get(w.module, 0), w.peak_memory)
        self.workers.clear()
        if self.box is not None:
            ForkServer.close_all(self.box.path)
            self.box.close()
            self.box = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
