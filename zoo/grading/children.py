"""How the grader starts the processes that run a submission: the scrubbed environment and
interpreter (`python -I -S`, site-packages only), the memory limit, the box one submission's
children live in (its folder, its uid, bubblewrap), and the fork server that imports Keras once
and forks the exercises' children and the describer from it."""

from __future__ import annotations

import atexit
import json
import os
import resource
import shutil
import signal
import site
import socket
import subprocess
import sys
import sysconfig
import tempfile

from zoo.grading import sandbox

WORKER_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
SPAWN_TIMEOUT = 300.0  # the fork server's reply (its first one waits for its Keras import)
# XLA on the CPU: LLVM's optimisation of each compiled kernel costs ~1 s of a busy core per new
# shape (every weight initializer of a Keras layer is one), i.e. minutes per U-Net on JAX CPU;
# at level 0 compiling is ~10x faster and the graded models are far too small for the slower
# code to matter. Not used where a GPU is present (its kernels stay optimised).
CPU_XLA_FLAGS = "--xla_backend_optimization_level=0"
BOX_SPACE = 1024**3  # a submission's box: a tmpfs of this size where root may mount one
MAX_WRITE = 256 * 1024**2  # the largest file any process of a submission may write (RLIMIT_FSIZE)


def site_dirs(exclude=()):
    """Where the child finds numpy/keras/...: the interpreter's site-packages folders, minus any
    that is one of the `exclude` folders. A site-packages folder inside the repository (a `.venv/`
    there, as `make test` makes) is kept: it holds installed packages only, and with `-S` no `.pth`
    file (such as the editable install's path to the repository) is processed.

    Folders on $PYTHONPATH outside the `exclude` folders (neither one of them, inside one, nor
    above one) come after them: packages installed with `pip install --target` (`make gpu-test`
    puts keras & co. in /tmp/site that way)."""
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
    return resource.RLIMIT_DATA if backend == "jax" and has_gpu() else resource.RLIMIT_AS


def _limit_memory(limit, backend="tensorflow", cgroup=None, groups=None):
    which = memory_rlimit(backend)
    procs = [os.path.join(cgroup.path, "cgroup.procs")] if cgroup is not None else []
    procs += groups.procs_files() if groups is not None else []

    def apply():
        os.setsid()
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)  # the child dies with the trusted run: no orphan keeps running
        for name in procs:  # before exec: the sandbox's first process, and all it starts, are in the cgroups
            with open(name, "w") as f:
                f.write(str(os.getpid()))
        if limit:
            resource.setrlimit(which, (limit, limit))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_WRITE, MAX_WRITE))  # one file; the box's tmpfs bounds them all
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ValueError, OSError):
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
        self.tmp = tempfile.mkdtemp(prefix="server-", dir=box.path)
        os.chmod(self.tmp, 0o711)
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        preload = ["numpy", "keras", "keras_tuner"]
        dirs = site_dirs(exclude=[repo_root])
        try:
            self.proc = start_python(f"zygote({theirs.fileno()}, {dirs!r}, {preload!r})", dirs, box=box, backend=backend,
                                     memory_limit=memory_limit, cwd=self.tmp, env=child_env(backend, home, self.tmp),
                                     log_path=os.path.join(self.tmp, "server.log"), pass_fds=(theirs.fileno(),))
        finally:
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
            pid = int(json.loads(reply.decode())["pid"])
        except (ValueError, KeyError, TypeError):
            self.close()
            raise OSError("the grader's fork server sent a bad reply") from None
        host = sandbox.host_pid(pid, self.proc.pid)
        if host is None:
            self.close()
            raise OSError(f"the grader's fork server's child {pid} is not under the server")
        return host

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


def start_python(call, dirs, *, box, backend, memory_limit, cwd, env, log_path, pass_fds, cgroup=None, groups=None):
    """Starts `python -I -S -c <worker.py><call>` in the box (bubblewrap where it is used), in a
    session of its own, under the memory limit, its output in `log_path`: a subprocess.Popen."""
    with open(WORKER_SOURCE, encoding="utf-8") as f:
        code = f.read() + f"\n{call}\n"
    seccomp = sandbox.seccomp_fd() if box.mode == "bwrap" else None
    try:
        with open(log_path, "wb") as log:
            return subprocess.Popen(box.command(dirs, backend, seccomp) + [sandbox.interpreter(), "-I", "-S", "-c", code],
                                    cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    pass_fds=tuple(pass_fds) + ((seccomp,) if seccomp is not None else ()),
                                    preexec_fn=_limit_memory(memory_limit, backend, cgroup, groups), close_fds=True)
    finally:
        if seccomp is not None:
            os.close(seccomp)


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
    sandbox.prctl(sandbox.PR_SET_DUMPABLE, 0)
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
        self.path, self.mounted = sandbox.scratch_folder("zoo-grade-box-", size=BOX_SPACE, base=sandbox.BOX_BASE,
                                                         mode=0o711 if self.identity else 0o700)
        LIVE_BOXES.add(self.path)
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

    def command(self, dirs, backend, seccomp=None):
        """The sandbox's command prefix ([] outside bubblewrap); `seccomp`: the fd of its filter."""
        if self.mode != "bwrap":
            return []
        return sandbox.bwrap_command(self.path, dirs, gpu=backend == "jax" and has_gpu(), seccomp=seccomp)

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
            sandbox.remove_folder(self.path)
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

