"""Trusted probes: a model the submission built is described from the plain data its child sent
(Keras config as JSON text + weights, `worker.export_model`), never from what the child says
about it. The rebuild (`safe_mode`, built-in Keras classes only) and the description
(summaries, parameter counts, layer kinds, outputs) happen in the describer (describer.py): a
process forked from the fork server, which has Keras imported and has never run submission
code. It runs with the grader's identity, answers plain data, and every wait on it has a
timeout; the trusted process itself never imports Keras (its start and its memory stay small)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from zoo.grading import sandbox, wire
from zoo.grading.children import (
    CPU_XLA_FLAGS, SPAWN_TIMEOUT, ForkServer, child_env, site_dirs, start_python, use_fork_server)

PLAIN = ("fits",)  # probes whose reply is plain data, checked by the test itself: no model to describe
TRUSTED_KWARGS = ("x", "training_too")  # applied by the describer; the other probe arguments go to the child
DESCRIBER_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "describer.py")
# the describer computes on the CPU (on a GPU machine the GPU's memory is the children's), with
# XLA at the children's low CPU optimisation level
DESCRIBER_ENV = {"JAX_PLATFORMS": "cpu", "XLA_FLAGS": CPU_XLA_FLAGS}


class ProbeError(ValueError):
    """The model could not be described: a message for the student."""


class Describer:
    """The trusted side's handle on one describer process (started at the first probe, ended
    by `close`, restarted once when it died)."""

    def __init__(self, *, backend, memory_limit, repo_root, box):
        self.backend, self.memory_limit, self.repo_root, self.box = backend, memory_limit, repo_root, box
        self.pid = self.proc = self.req_w = self.rep_r = self.tmp = self.parent = None

    def _start(self, timeout):
        with open(DESCRIBER_SOURCE, encoding="utf-8") as f:
            source = f.read()
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        try:
            if use_fork_server(self.backend):
                server = ForkServer.get(self.backend, self.memory_limit, self.repo_root, self.box)
                log = os.open(os.path.join(server.tmp, "describer.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    self.pid = server.spawn({"role": "describer", "source": source, "env": DESCRIBER_ENV},
                                            (req_r, rep_w, log), timeout=timeout)
                    self.parent = server.proc.pid
                finally:
                    os.close(log)
                return
            self.tmp = tempfile.mkdtemp(prefix="describer-", dir=self.box.path)
            home = os.path.join(self.tmp, "home")
            os.makedirs(home)
            dirs = site_dirs(exclude=[self.repo_root])
            env = dict(child_env(self.backend, home, self.tmp), **DESCRIBER_ENV)
            self.proc = start_python(f"describer_bootstrap({req_r}, {rep_w}, {dirs!r}, {source!r}, {{}})", dirs,
                                     box=self.box, backend=self.backend, memory_limit=self.memory_limit, cwd=self.tmp,
                                     env=env, log_path=os.path.join(self.tmp, "describer.log"), pass_fds=(req_r, rep_w))
            self.pid = self.proc.pid
        finally:
            os.close(req_r)
            os.close(rep_w)

    def describe(self, probe, value, trusted, timeout):
        """The description of the child's reply `value` to `probe` (plain data). ProbeError when
        the model cannot be rebuilt or described within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        request = {"probe": probe, "value": wire.encode(value), "trusted": wire.encode(trusted)}
        for attempt in (0, 1):
            if self.pid is None:
                try:
                    self._start(max(1.0, min(SPAWN_TIMEOUT, deadline - time.monotonic())))
                except OSError as e:
                    self.close()
                    raise ProbeError(f"the grader could not describe the model: {e}") from None
            try:
                reply = wire.receive(self.rep_r, deadline) if wire.send(self.req_w, request, deadline) else None
            except OSError:
                reply = None
            except wire.ReplyError as e:
                self.close()
                raise ProbeError(f"the grader could not describe the model: {e}") from None
            if reply is not None:
                break
            self.close()
            if time.monotonic() >= deadline:
                raise ProbeError(f"describing the model took more than {timeout:.0f} s (a model far too large?)")
            if attempt:
                raise ProbeError("the grader's model describer ended twice; the model could not be described")
        if not reply.get("ok"):
            raise ProbeError(str(reply.get("error")))
        try:
            return wire.decode(reply.get("value"))
        except (ValueError, TypeError, KeyError) as e:
            raise ProbeError(f"the model's description could not be read: {e}") from None

    def close(self):
        """Ends the describer (it exits when its request pipe closes; killed too, whole)."""
        wire.close_quietly(self.req_w, self.rep_r)
        self.req_w = self.rep_r = None
        if self.pid is not None:
            # forked, it is reaped by the fork server: its pid may be reused once it is gone
            mine = self.proc is not None or self.pid in sandbox.descendants([self.parent])
            try:
                if mine:
                    sandbox.kill_all(roots=[self.pid])
            except TimeoutError:  # pragma: no cover
                pass
            if self.proc is not None:
                self.proc.wait(timeout=10)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.pid = self.proc = self.tmp = self.parent = None
