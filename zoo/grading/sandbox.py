"""Where a submission's processes run, and the reaper that ends them all.

Three modes, chosen once per grading process (`mode()`):

* ``bwrap`` (root, bubblewrap works): the fork server and the NumPy-only children run in a
  bubblewrap sandbox that shows the system (``/usr``, ``/etc``), the interpreter and its
  site-packages read-only, a private ``/tmp`` holding only this submission's box folder, no
  network, IPC and process namespaces of its own, under a seccomp filter (`seccomp_program`)
  that refuses the kernel keyring and System V / POSIX message IPC; the repository, the
  hidden tests, the solutions, the installed package and the grader's own temporary files
  are not there at all. Every submission process then drops to
  an unprivileged uid/gid of its own (`Identity`: a fixed uid without a passwd entry, claimed
  with a lock so parallel gradings never share one).
* ``user`` (root, bubblewrap missing or refused, as in containers that forbid new
  namespaces): the same separate uid/gid, without the mount sandbox; the grader's files are
  protected by their permissions (root-owned, 0700 temporary folders; `protect` takes the
  read and search bits of "others" off the hidden tests, the solutions and the package).
* ``none`` (not root: a student's own machine): the children run as the student; the
  isolation is there but it is not a security boundary, and `grade_submission` says so once.

The reaper (`kill_all`) kills every process an exercise started: the processes of the
exercise's uid, of its memory cgroup, and the process tree under its child (every child is a
subreaper, so a double-forked, `setsid` grandchild stays in that tree), stopping the tree
before killing it so nothing forks away in between; then it clears the uid's kernel keyrings
(`clear_keyrings`), which outlive every process. `ZOO_GRADER_SANDBOX` (auto, bwrap, user,
none) forces a mode, for tests.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time

try:
    import pyseccomp
except (ImportError, OSError):  # libseccomp missing: bubblewrap mode refuses to start without its filter
    pyseccomp = None

SANDBOX_ENV = "ZOO_GRADER_SANDBOX"
MODES = ("auto", "bwrap", "user", "none")
UID_BASE, UID_COUNT = 61000, 2000  # fixed ids without passwd entries
NPROC_LIMIT = 4096  # processes + threads of one exercise's uid (TensorFlow starts ~100 threads)
PIDS_MAX = 1024  # processes + threads of one exercise's cgroup together
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36

MS_NOSUID, MS_NODEV, MNT_DETACH = 2, 4, 2
RUN_BASE = "/run/zoo-grade-runs"  # the grader's own folders (root, 0700): results, heartbeat, log
BOX_BASE = "/run/zoo-grade-boxes"  # the submissions' boxes (root, 0711: their uids pass through)

# channels that outlive a process or cross the boxes' mount sandbox: a child refused them
# cannot hand a hidden test's input to a later exercise (or a later grading of the same uid)
REFUSED_SYSCALLS = ("add_key", "keyctl", "request_key",
                    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
                    "msgget", "msgsnd", "msgrcv", "msgctl",
                    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr")
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING, KEYCTL_CLEAR = -4, -5, 7

_cache = {}


# ----------------------------------------------------------------------------- scratch space
def _libc():
    if "libc" not in _cache:
        _cache["libc"] = ctypes.CDLL(None, use_errno=True)
    return _cache["libc"]


def scratch_folder(prefix, *, size, mode=0o700, base=None):
    """A new folder for one grading, on a tmpfs of `size` bytes of its own where root may mount
    one: what is written there cannot fill another filesystem, and a full disk elsewhere
    (TMPDIR) does not reach it. Elsewhere (mode "none", mounting refused): a folder under
    `base`, or TMPDIR in mode "none". Returns (path, mounted); `remove_folder` undoes both."""
    privileged = mode_of_grading() != "none"
    if privileged and base:
        try:
            os.makedirs(base, exist_ok=True)
            os.chmod(base, 0o711 if mode & 0o011 else 0o700)
        except OSError:
            base = None
    path = tempfile.mkdtemp(prefix=prefix, dir=base if privileged else None)
    mounted = False
    if privileged:
        opts = f"size={int(size)},nr_inodes=65536,mode={mode:o}".encode()
        mounted = _libc().mount(b"tmpfs", os.fsencode(path), b"tmpfs", MS_NOSUID | MS_NODEV, opts) == 0
    os.chmod(path, mode)
    return path, mounted


def mode_of_grading():
    """`mode()`, or "none" where the setting is not one of MODES (`mode` says so, later)."""
    try:
        return mode()
    except (ValueError, RuntimeError):
        return "none"


def remove_folder(path):
    """Removes a `scratch_folder` (its tmpfs unmounted first, when it has one)."""
    if os.geteuid() == 0 and os.path.ismount(path):
        _libc().umount2(os.fsencode(path), MNT_DETACH)
    shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------------------- the mode
def bwrap_works():
    """Whether bubblewrap is installed and may create the namespaces it needs here."""
    if "bwrap" not in _cache:
        ok = False
        exe = _which("bwrap")
        if exe:
            try:
                ok = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-ipc", "--unshare-net", "--unshare-uts",
                                     "--die-with-parent", "/bin/true"], capture_output=True, timeout=20).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
        _cache["bwrap"] = exe if ok else None
    return _cache["bwrap"]


def _which(name):
    for d in ("/usr/bin", "/bin", "/usr/local/bin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def mode():
    """'bwrap', 'user' or 'none' (see the module docstring)."""
    want = os.environ.get(SANDBOX_ENV, "auto") or "auto"
    if want not in MODES:
        raise ValueError(f"{SANDBOX_ENV} must be one of {', '.join(MODES)}. Received: {SANDBOX_ENV}={want!r}")
    if os.geteuid() != 0 or want == "none":
        return "none"
    if want == "user":
        return "user"
    if bwrap_works():
        return "bwrap"
    if want == "bwrap":
        raise RuntimeError(f"{SANDBOX_ENV}=bwrap, but bubblewrap is missing or may not create namespaces here")
    return "user"


NOT_A_BOUNDARY = ("zoo: note: checking as an ordinary user: the submission runs as you, isolated from the "
                  "grader's files but not a security boundary (graded runs as root separate it)")


# ----------------------------------------------------------------------------- a uid of its own
class Identity:
    """An unprivileged uid/gid (same number) held for one submission: a lock file in a root-only
    folder claims it, released when this process ends, so concurrent gradings never share one."""

    def __init__(self):
        folder = "/run/zoo-grade" if os.access("/run", os.W_OK) else os.path.join("/tmp", "zoo-grade-ids")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
        busy = uids_in_use()
        start = (os.getpid() * 7) % UID_COUNT
        for k in range(UID_COUNT):
            uid = UID_BASE + (start + k) % UID_COUNT
            if uid in busy:
                continue
            fd = os.open(os.path.join(folder, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid = self.gid = uid
            self._fd = fd
            return
        raise RuntimeError(f"no free grading uid in {UID_BASE}..{UID_BASE + UID_COUNT - 1}")

    def release(self):
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None


def uids_in_use():
    return {p.uid for p in processes().values()}


# ----------------------------------------------------------------------------- processes
class Proc:
    __slots__ = ("pid", "ppid", "state", "uid", "rss")

    def __init__(self, pid, ppid, state, uid, rss):
        self.pid, self.ppid, self.state, self.uid, self.rss = pid, ppid, state, uid, rss


def processes():
    """{pid: Proc} of every live process (zombies left out: they can do nothing)."""
    out = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read().decode(errors="replace")
            st = os.stat(f"/proc/{name}")
        except OSError:
            continue
        fields = data[data.rfind(")") + 2:].split()
        if not fields or fields[0] in ("Z", "X"):
            continue
        out[int(name)] = Proc(int(name), int(fields[1]), fields[0], st.st_uid, int(fields[21]) * page)
    return out


def descendants(roots, procs=None):
    """Pids under `roots` (the roots included when alive)."""
    procs = processes() if procs is None else procs
    children = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p.pid)
    out, todo = [], [r for r in roots if r in procs]
    seen = set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def host_pid(pid, root):
    """The pid, as this process sees it, of the process under `root` that its own (innermost)
    pid namespace calls `pid`: a fork server in bubblewrap's pid namespace reports its
    children's pids as that namespace numbers them. `pid` itself outside namespaces."""
    for p in descendants([root]):
        try:
            with open(f"/proc/{p}/status", "rb") as f:
                line = next((x for x in f.read().decode(errors="replace").splitlines() if x.startswith("NSpid:")), "")
        except OSError:
            continue
        ids = line.split()[1:]
        if ids and ids[-1] == str(pid) and p != root:
            return p
    return None


def members(*, uid=None, roots=(), cgroup=None, procs=None, groups=None):
    """Pids of one exercise: its uid's processes, its cgroups' and its tree's."""
    procs = processes() if procs is None else procs
    pids = set(descendants(roots, procs))
    if uid is not None:
        pids.update(p.pid for p in procs.values() if p.uid == uid)
    for g in (cgroup, groups):
        if g is not None:
            pids.update(p for p in g.pids() if p in procs)
    pids.discard(os.getpid())
    return pids


def kill_all(*, uid=None, roots=(), cgroup=None, groups=None, timeout=15.0):
    """Kills every process of the exercise until none is left: its kill cgroup at once (where
    there is one: a process that changes its pid by forking cannot outrun it), then whatever
    the uid, the tree and the cgroups still show, stopped before killed. Returns how many
    rounds it took (raises TimeoutError past `timeout`, which a fork bomb under the uid's
    process limit cannot reach)."""
    deadline = time.monotonic() + timeout
    rounds = 0
    while True:
        if groups is not None:
            groups.kill()
        procs = processes()
        pids = members(uid=uid, roots=roots, cgroup=cgroup, procs=procs, groups=groups)
        if not pids:
            if uid is not None:
                clear_keyrings(uid)
            return rounds
        rounds += 1
        # stop the tree first (a stopped process cannot fork), then re-read it: the tree under
        # a stopped parent is complete, and nothing was orphaned to an outside reaper meanwhile
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in sorted(pids):
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            if sig == signal.SIGSTOP:
                pids |= members(uid=uid, roots=roots, cgroup=cgroup, groups=groups)
        for pid in pids:  # our own children: collect their exit status
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes {sorted(pids)[:10]} survived SIGKILL for {timeout:.0f} s")
        time.sleep(0.01)


def clear_keyrings(uid):
    """Empties the kernel keyrings of `uid` (its user and user-session keyrings), which outlive
    its processes and would reach whoever gets the uid next: a forked child takes the uid (the
    keyrings belong to it) and clears them. Root only; a no-op where the kernel has no keys."""
    if os.geteuid() != 0 or not uid:
        return
    libc = _libc()
    number = {"x86_64": 250, "aarch64": 219, "ppc64le": 311, "s390x": 280}.get(os.uname().machine, 250)
    pid = os.fork()
    if pid == 0:  # only system calls between fork and _exit
        code = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for ring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
                libc.syscall(number, KEYCTL_CLEAR, ring)
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def prctl(option, value):
    """Linux prctl(option, value); a no-op where the C library has none."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def make_subreaper():
    """Orphans of this process's descendants come back to it (not to init): the reaper finds them."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


# ----------------------------------------------------------------------------- memory cgroup
class MemoryCgroup:
    """One exercise's memory cgroup (v2 with the memory controller, or v1's memory hierarchy):
    a limit on all its processes together and a peak reading. `create` returns None where no
    cgroup is writable (then the runner polls the summed RSS)."""

    def __init__(self, path, version):
        self.path, self.version = path, version

    @classmethod
    def create(cls, name, limit):
        for base, version in (("/sys/fs/cgroup", 2), ("/sys/fs/cgroup/unified", 2), ("/sys/fs/cgroup/memory", 1)):
            try:
                if version == 2:
                    with open(os.path.join(base, "cgroup.controllers")) as f:
                        if "memory" not in f.read().split():
                            continue
                    with open(os.path.join(base, "cgroup.subtree_control")) as f:
                        if "memory" not in f.read().split():
                            continue
                elif not os.path.exists(os.path.join(base, "memory.limit_in_bytes")):
                    continue
                path = os.path.join(base, name)
                os.makedirs(path, exist_ok=True)
                group = cls(path, version)
                group._write("memory.max" if version == 2 else "memory.limit_in_bytes", str(int(limit)))
                if version == 1:
                    try:
                        group._write("memory.memsw.limit_in_bytes", str(int(limit)))
                    except OSError:
                        pass
                return group
            except OSError:
                continue
        return None

    def _write(self, name, value):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(value)

    def add(self, pid):
        self._write("cgroup.procs", str(pid))

    def pids(self):
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def peak(self):
        for name in ("memory.peak", "memory.max_usage_in_bytes"):
            try:
                with open(os.path.join(self.path, name)) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                continue
        return None

    def oom_killed(self):
        """Whether the kernel killed a process of the group for going over its limit."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            with open(os.path.join(self.path, name)) as f:
                text = f.read()
        except OSError:
            return False
        return any(len(line.split()) == 2 and line.split()[0] == "oom_kill" and int(line.split()[1]) > 0
                   for line in text.splitlines())

    def remove(self):
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except OSError as e:
                if e.errno == errno.ENOENT:
                    return
                time.sleep(0.02)


# ----------------------------------------------------------------------------- kill and pids cgroups
class GroupError(OSError):
    """An exercise's cgroup that could not be emptied or removed: the grading failed."""


class ProcessCgroups:
    """One exercise's cgroups for ending it and bounding its processes: a cgroup v2 group, killed
    whole by `cgroup.kill` (every process, one that forks meanwhile included), or else a v1
    freezer group, frozen then killed; and a pids group (v2's pids controller or v1's) whose
    pids.max bounds the processes and threads of the exercise together. `create` returns None
    where no such cgroup is writable (then the reaper signals the pids it reads)."""

    def __init__(self, kill, freezer, pids):
        self.kill_path, self.freezer, self.pids_path = kill, freezer, pids

    @classmethod
    def create(cls, name, pids_max):
        kill = freezer = pids = None
        for base in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
            if os.path.exists(os.path.join(base, "cgroup.procs")) and os.path.exists(os.path.join(base, "cgroup.subtree_control")):
                path = _make(os.path.join(base, name))
                if path and os.path.exists(os.path.join(path, "cgroup.kill")):
                    kill = path
                    if os.path.exists(os.path.join(path, "pids.max")):
                        pids = path
                    break
                if path:
                    _rmdir(path)
        if kill is None and os.path.isdir("/sys/fs/cgroup/freezer"):
            freezer = _make(os.path.join("/sys/fs/cgroup/freezer", name))
        if pids is None and os.path.isdir("/sys/fs/cgroup/pids"):
            pids = _make(os.path.join("/sys/fs/cgroup/pids", name))
        group = cls(kill, freezer, pids)
        if not group.paths():
            return None
        if pids:
            try:
                _write(os.path.join(pids, "pids.max"), str(int(pids_max)))
            except OSError:
                pass
        return group

    def paths(self):
        return [p for p in (self.kill_path, self.freezer, self.pids_path) if p]

    def procs_files(self):
        """The cgroup.procs files a new process of the exercise is written into (before exec)."""
        return [os.path.join(p, "cgroup.procs") for p in dict.fromkeys(self.paths())]

    def add(self, pid):
        for f in self.procs_files():
            _write(f, str(pid))

    def pids(self):
        out = set()
        for p in dict.fromkeys(self.paths()):
            try:
                with open(os.path.join(p, "cgroup.procs")) as f:
                    out.update(int(x) for x in f.read().split())
            except OSError:
                pass
        return sorted(out)

    def kill(self):
        """Kills every process of the group at once (nothing forks away meanwhile)."""
        if self.kill_path:
            try:
                _write(os.path.join(self.kill_path, "cgroup.kill"), "1")
            except OSError:
                pass
        if self.freezer:
            state = os.path.join(self.freezer, "freezer.state")
            try:
                _write(state, "FROZEN")
                for _ in range(500):
                    with open(state) as f:
                        if f.read().strip() == "FROZEN":
                            break
                    time.sleep(0.002)
                for pid in self.pids():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            finally:
                try:
                    _write(state, "THAWED")
                except OSError:
                    pass

    def remove(self, timeout=10.0):
        """Kills what is left and removes the groups; GroupError when one stays."""
        deadline = time.monotonic() + timeout
        for p in dict.fromkeys(self.paths()):
            while not _rmdir(p):
                if time.monotonic() > deadline:
                    raise GroupError(f"the exercise's cgroup {p} could not be removed: processes {self.pids()[:5]} are left")
                self.kill()
                time.sleep(0.02)


def _make(path):
    try:
        os.makedirs(path, exist_ok=True)
        return path
    except OSError:
        return None


def _rmdir(path):
    try:
        os.rmdir(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _write(path, value):
    with open(path, "w") as f:
        f.write(value)


# ----------------------------------------------------------------------------- bubblewrap
def interpreter():
    """The base interpreter (not a venv's symlink, which lives outside the sandbox)."""
    return os.path.realpath(sys.executable)


def bwrap_command(box, site_dirs, *, gpu=False, seccomp=None):
    """bubblewrap's arguments: system and interpreter read-only, site-packages read-only, a
    private /tmp holding only `box` (read-write), no network, IPC and pids of its own, the
    seccomp program read from fd `seccomp` (`seccomp_fd`, passed to the child); ends with '--'
    before the command."""
    exe = bwrap_works()
    ro = []
    for d in ("/usr", "/etc", "/opt"):
        if os.path.isdir(d) and not os.path.islink(d):
            ro.append(d)
    prefix = os.path.realpath(sys.base_prefix)
    ro += [prefix, os.path.dirname(interpreter())] + [os.path.realpath(d) for d in site_dirs]
    for name in ("stdlib", "platstdlib"):
        ro.append(os.path.realpath(sysconfig.get_paths()[name]))
    args = [exe, "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--proc", "/proc", "--tmpfs", "/tmp"]
    if seccomp is not None:
        args += ["--seccomp", str(int(seccomp))]
    args += ["--dev-bind", "/dev", "/dev"] if gpu else ["--dev", "/dev"]
    for link in ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            ro.append(link)
    if gpu:
        for d in ("/sys", "/run/nvidia-persistenced"):
            if os.path.isdir(d):
                ro.append(d)
    ro = _outermost(ro)
    # mount points inside other mounts are made by bubblewrap: world-searchable (/root is 0700)
    made = set()
    for d in sorted(ro + [box], key=len):
        parent = os.path.dirname(d)
        chain = []
        while parent not in ("/", "") and not any(parent == r or parent.startswith(r + os.sep) for r in ro):
            chain.append(parent)
            parent = os.path.dirname(parent)
        for p in reversed(chain):
            if p not in made and p != "/tmp":
                args += ["--perms", "0755", "--dir", p]
                made.add(p)
        args += ["--bind", d, d] if d == box else ["--ro-bind", d, d]
    args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
             "--chdir", box, "--"]
    return args


def seccomp_program():
    """The BPF program bubblewrap installs (`--seccomp FD`) before it runs the child: every
    call of REFUSED_SYSCALLS fails with EPERM, every other call is allowed, and a call made
    through another architecture's entry (32-bit `int 0x80`) kills the process."""
    if "seccomp" not in _cache:
        if pyseccomp is None:
            raise RuntimeError("bubblewrap grading needs libseccomp (the libseccomp2 package) for its seccomp filter")
        f = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        for name in REFUSED_SYSCALLS:
            try:
                f.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
            except (OSError, ValueError):  # a call this architecture does not have
                continue
        with tempfile.TemporaryFile() as out:
            f.export_bpf(out)
            out.seek(0)
            _cache["seccomp"] = out.read()
    return _cache["seccomp"]


def seccomp_fd():
    """A new readable file (unlinked, at offset 0) holding `seccomp_program()`: one per
    bubblewrap start, which reads it whole."""
    fd = os.memfd_create("zoo-grade-seccomp", os.MFD_CLOEXEC) if hasattr(os, "memfd_create") else None
    if fd is None:
        f = tempfile.TemporaryFile()
        fd = os.dup(f.fileno())
        f.close()
    os.write(fd, seccomp_program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _outermost(paths):
    out = []
    for p in sorted({os.path.normpath(p) for p in paths if os.path.isdir(p)}, key=len):
        if not any(p == q or p.startswith(q.rstrip(os.sep) + os.sep) for q in out):
            out.append(p)
    return out


# ----------------------------------------------------------------------------- user mode
def protect(paths):
    """Takes "others"' read and search bits off `paths` (hidden tests, solutions, the package)
    where the separate user has no mount sandbox to hide them; returns the paths changed."""
    changed = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        if st.st_mode & 0o007:
            os.chmod(p, stat.S_IMODE(st.st_mode) & ~0o007)
            changed.append(p)
    return changed


def readable_by_others(path):
    """Whether a process of another uid (no shared group) can reach `path`."""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for k in range(2, len(parts) + 1):
        d = os.sep.join(parts[:k]) or "/"
        try:
            st = os.stat(d)
        except OSError:
            return False
        last = k == len(parts)
        need = (0o005 if stat.S_ISDIR(st.st_mode) else 0o004) if last else 0o001  # search bit alone on the way
        if (st.st_mode & need) != need:
            return False
    return True
