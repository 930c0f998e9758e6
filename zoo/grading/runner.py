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
pytest in its own interpreter, and none of that reaches the results. A model the child returns
is described by the describer (zoo.grading.probes), so this process never imports Keras.

This module holds the exercise's child and the submission; the wire format is in
zoo.grading.wire, how processes start (environment, memory limit, box, fork server) in
zoo.grading.children; their public names are importable from here too.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time

from zoo.grading import probes, sandbox, wire
from zoo.grading.children import (  # noqa: F401  (public names of the runner, used by the plugin and the tests)
    CPU_XLA_FLAGS, LIVE_BOXES, LIVE_UIDS, SPAWN_TIMEOUT, WORKER_SOURCE, Box, ForkServer, child_env, has_gpu,
    harden_current_process, memory_rlimit, needs_keras, protected_paths, site_dirs, start_python, use_fork_server)
from zoo.grading.probes import Describer
from zoo.grading.wire import MAX_REPLY, POLL, decode, encode  # noqa: F401

DEFAULT_CALL_TIMEOUT = 300.0  # generous: building Keras models on a busy 2-core machine is slow (slowest graded call: ~15 s on JAX at load 7)
DEFAULT_EXERCISE_TIMEOUT = 600.0  # zoo grade --help and docs/topics/grader.md say the same
IMPORT_TIMEOUT = 300.0  # importing the submission (and Keras with it) on a busy machine
DEFAULT_MEMORY_LIMIT = 6 * 1024**3
MAX_FILE = 2 * 1024 * 1024
LOG_TAIL = 2000


class SubmissionError(Exception):
    """The submission's code failed: `message` is for the student, `details` (traceback) for staff;
    `import_failed`: the exercise's module is missing or could not be imported, so none of its
    calls can run."""

    def __init__(self, message, details="", *, import_failed=False):
        super().__init__(message)
        self.message, self.details, self.import_failed = message, details, import_failed



# ----------------------------------------------------------------------------- one exercise's child
class ExerciseWorker:
    """A persistent child serving every call of one exercise of one submission."""

    def __init__(self, submission_dir, module, *, backend, call_timeout, exercise_timeout, memory_limit, repo_root, box):
        self.box = box
        self.cgroup = self.groups = None
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
        self.import_failed = False  # broken while importing the module
        self.tmp = None

    # -- lifecycle
    def _start(self):
        src = os.path.join(self.submission_dir, self.module + ".py")
        if not os.path.isfile(src):
            self.broken = f"the submission has no {self.module}.py"
            self.import_failed = True  # no call of the exercise can run: said once, like an import error
            raise SubmissionError(self.broken, import_failed=True)
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
        self.groups = (sandbox.ProcessCgroups.create(f"zoo-grade-{self.box.uid}-{os.getpid()}-{self.module}", sandbox.PIDS_MAX)
                       if self.box.identity else None)
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
        dirs = site_dirs(exclude=[self.repo_root])
        try:
            self.proc = start_python(f"bootstrap({req_r}, {rep_w}, {dirs!r}, {work!r}, ident={self.box.ident()!r}, tmpdir={scratch!r})",
                                     dirs, box=self.box, backend=self.backend, memory_limit=self.memory_limit, cwd=work,
                                     env=child_env(self.backend, home, self.tmp), log_path=self.log_path,
                                     pass_fds=(req_r, rep_w), cgroup=self.cgroup, groups=self.groups)
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.pid = self.proc.pid

    def _enter_cgroup(self):
        """The child waits for its first request: it has started nothing yet when it moves."""
        if self.groups is not None:
            try:
                self.groups.add(self.pid)
            except OSError:  # pragma: no cover
                self.groups.remove()
                self.groups = None
        if self.cgroup is None:
            return
        try:
            self.cgroup.add(self.pid)
        except OSError:
            self.cgroup.remove()
            self.cgroup = None

    def _members(self, procs=None):
        return sandbox.members(uid=self.box.uid, roots=[self.pid] if self.pid else [], cgroup=self.cgroup, procs=procs,
                               groups=self.groups)

    def close(self):
        """Kills every process of the exercise (uid, cgroup, tree) and removes its folder."""
        if self.pid is not None:
            try:
                sandbox.kill_all(uid=self.box.uid, roots=[self.pid], cgroup=self.cgroup, groups=self.groups)
            except TimeoutError:  # pragma: no cover
                pass
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:  # pragma: no cover
                    pass
            wire.close_quietly(self.req_w, self.rep_r)
            self.proc = self.pid = None
        if self.cgroup is not None:
            self.peak_memory = max(self.peak_memory, self.cgroup.peak() or 0)
            self.cgroup.remove()
            self.cgroup = None
        if self.groups is not None:
            groups, self.groups = self.groups, None
            groups.remove()  # GroupError (an OSError: the grade is incomplete) when a process stays
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
            raise SubmissionError(self.broken, import_failed=self.import_failed)
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
                self.import_failed = True
                raise SubmissionError(self.broken, e.details, import_failed=True) from None
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
        deadline = time.monotonic() + timeout
        try:
            sent = wire.send(self.req_w, request, deadline, idle=self._watch)
        except OSError:
            return self._died("before the call")
        if not sent:
            return self._timeout_or_death(deadline, timeout, request.get("op"))
        try:
            reply = wire.receive(self.rep_r, deadline, idle=self._watch)
        except wire.ReplyError as e:
            self.close()
            raise SubmissionError(str(e)) from None
        if reply is None:
            return self._timeout_or_death(deadline, timeout, request.get("op"))
        return reply

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
        self.describer = None

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
        if not probe or probe in probes.PLAIN:
            return value
        if self.describer is None:
            self.describer = Describer(backend=self.backend, memory_limit=self.options["memory_limit"],
                                       repo_root=self.options["repo_root"], box=self.box)
        started = time.monotonic()
        try:  # the model is rebuilt and described by the describer, from its config and weights
            return self.describer.describe(probe, value, trusted, timeout=max(1.0, min(timeout or worker.call_timeout, worker.budget)))
        except probes.ProbeError as e:
            raise SubmissionError(str(e)) from None
        finally:
            worker.budget -= time.monotonic() - started

    def work_files(self, module, name, *, limit=64, max_bytes=64 * 1024):
        """(path relative to the exercise's working folder, text) of up to `limit` files called
        `name` that the exercise's calls wrote there (a tuner's trial.json files), read here, by
        the trusted process: what the submission says it did is checked against what it left on
        disk. Links are never followed and a file over `max_bytes` is left out; [] when the
        exercise has no live folder."""
        worker = self.workers.get(module)
        work = os.path.join(worker.tmp, "submission") if worker is not None and worker.tmp else None
        found = []
        if work is None or not os.path.isdir(work):
            return found
        for dirpath, dirnames, files in os.walk(work):  # os.walk follows no link to a folder
            dirnames.sort()
            for f in sorted(files):
                path = os.path.join(dirpath, f)
                if f != name or os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) > max_bytes:
                    continue
                try:
                    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
                    with os.fdopen(fd, "rb") as fh:
                        found.append((os.path.relpath(path, work), fh.read(max_bytes).decode("utf-8", "replace")))
                except OSError:
                    continue
                if len(found) >= limit:
                    return found
        return found

    def close(self):
        for w in self.workers.values():
            w.close()
            self.peak_memory[w.module] = max(self.peak_memory.get(w.module, 0), w.peak_memory)
        self.workers.clear()
        if self.describer is not None:
            self.describer.close()
            self.describer = None
        if self.box is not None:
            ForkServer.close_all(self.box.path)
            self.box.close()
            self.box = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
