"""Hostile and broken submissions. Each case is the generated stub of one exercise (so its
honest score is 0) plus an attack; `grade_round` puts several cases into different exercise
slots of an otherwise correct submission. Every attacked exercise must score 0, every other
exercise full marks, and the grader must finish."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SYNTAX_ERROR = "def broken(:\n    pass\n"

IMPORT_ERROR = "import numpy_but_misspelled_module  # noqa\n"

SYS_EXIT = "import sys\nsys.exit(0)\n"

OS_EXIT = "import os\nos._exit(0)\n"

INFINITE_LOOP = "while True:\n    pass\n"

ALLOCATE_20GB = """
import numpy as np
_hog = np.ones(20 * 1024**3 // 8)  # 20 GB
"""

FAKE_RESULTS = r'''
import json, os, sys
_fake = {"score": 1000.0, "tests": [{"name": "everything", "score": 1000.0, "max_score": 1.0, "status": "passed"}]}
print(json.dumps(_fake))
print("PASSED " * 50)
sys.stdout.flush()
for _p in ("results.json", "../results.json", "../../results.json", "/autograder/results/results.json",
           os.path.join(os.environ.get("TMPDIR", "/tmp"), "results.json")):
    try:
        with open(_p, "w") as _f:
            json.dump(_fake, _f)
    except OSError:
        pass
'''

MONKEYPATCH = r'''
import builtins, sys
# patch pytest and the grader if they can be reached from here
try:
    import pytest
    pytest.approx = lambda *a, **k: True
    pytest.fail = lambda *a, **k: None
    import _pytest.outcomes
    _pytest.outcomes.fail = lambda *a, **k: None
except Exception:
    pass
try:
    import zoo.grading.checks as _c
    _c.fail = lambda *a, **k: None
    _c.expect = lambda *a, **k: None
except Exception:
    pass
builtins.NotImplementedError = type("NotImplementedError", (Exception,), {})
'''

READ_SOLUTIONS = r'''
import glob, os, sys
_me = "__EXERCISE__"
_found = None
_candidates = []
for _start in [os.getcwd(), os.path.dirname(os.path.abspath(__file__)), *sys.path, *os.environ.values(), "/proc/self/cwd"]:
    _d = str(_start)
    for _ in range(8):
        _candidates += [os.path.join(_d, "solutions", _me + ".py"), os.path.join(_d, "tests", "exercises", "test_" + _me + ".py")]
        _d = os.path.dirname(_d)
try:
    _pp = os.getppid()
    for _pid in {_pp, os.getpgid(0)}:
        _cwd = os.readlink(f"/proc/{_pid}/cwd")
        _candidates.append(os.path.join(_cwd, "solutions", _me + ".py"))
except OSError:
    pass
try:
    with open(f"/proc/{os.getppid()}/cmdline", "rb") as _f:
        for _a in _f.read().split(b"\0"):
            _a = _a.decode(errors="ignore")
            if _a.startswith("/"):
                _d = _a
                for _ in range(6):
                    _candidates.append(os.path.join(_d, "solutions", _me + ".py"))
                    _d = os.path.dirname(_d)
except OSError:
    pass
for _c in _candidates + glob.glob("/**/solutions/" + _me + ".py", recursive=False):
    if os.path.isfile(_c) and "solutions" in _c:
        _found = _c
        break
if _found is None:
    try:
        import solutions  # noqa
        _found = os.path.join(os.path.dirname(solutions.__file__ or list(solutions.__path__)[0]), _me + ".py")
    except Exception:
        pass
if _found is None:
    try:
        import zoo
        _found = os.path.join(os.path.dirname(os.path.dirname(zoo.__file__)), "solutions", _me + ".py")
    except Exception:
        pass
if _found and os.path.isfile(_found):
    exec(open(_found).read())  # would score full marks if the solutions leaked
'''

HANG_IN_CALL = r'''
import time
def _hang(*a, **k):
    while True:
        time.sleep(0.01)
__HANG_ALL__
'''

CASES = {
    "syntax error": SYNTAX_ERROR,
    "import error": IMPORT_ERROR,
    "sys.exit() at import": SYS_EXIT,
    "os._exit() at import": OS_EXIT,
    "infinite loop at import": INFINITE_LOOP,
    "20 GB allocation": ALLOCATE_20GB,
    "fake results.json printed and written": FAKE_RESULTS,
    "monkeypatching pytest and the grader": MONKEYPATCH,
    "reading the solutions and tests": READ_SOLUTIONS,
    "infinite loop in every function": HANG_IN_CALL,
}

# NumPy-only exercises: each grading round costs seconds, no TensorFlow import
SLOTS = ["ex01_conv_pool", "ex02_linear_classifier", "ex05_optimizers", "ex07_batchnorm_dropout", "ex12_ssd_boxes"]


def hostile_source(case, exercise):
    """The stub of `exercise` with the attack `case` prepended (or appended for function hangs)."""
    with open(os.path.join(ROOT, "exercises", exercise + ".py"), encoding="utf-8") as f:
        stub = f.read()
    attack = CASES[case].replace("__EXERCISE__", exercise)
    if case == "infinite loop in every function":
        import re

        names = re.findall(r"^def (\w+)\(", stub, flags=re.M)
        return stub + attack.replace("__HANG_ALL__", "\n".join(f"{n} = _hang" for n in names))
    if case == "syntax error":
        return stub + "\n" + attack
    return attack + "\n" + stub


def rounds():
    """[[(case, slot), ...], ...]: the cases spread over the NumPy exercise slots."""
    cases = list(CASES)
    return [list(zip(cases[i : i + len(SLOTS)], SLOTS)) for i in range(0, len(cases), len(SLOTS))]


def write_submission(assignments, folder):
    """Correct solutions of the slot exercises, with the hostile cases in their slots."""
    os.makedirs(folder, exist_ok=True)
    hostile = {slot: case for case, slot in assignments}
    for ex in SLOTS:
        if ex in hostile:
            src = hostile_source(hostile[ex], ex)
        else:
            with open(os.path.join(ROOT, "solutions", ex + ".py"), encoding="utf-8") as f:
                src = f.read()
        with open(os.path.join(folder, ex + ".py"), "w", encoding="utf-8") as f:
            f.write(src)
    return folder


# ----------------------------------------------------------------------------- routes against the grader
# Attacks on the grader itself, each prepended to an exercise's stub (honest score: 0 for that
# exercise, full marks for the others). __ROOT__, __OUT__ and __MARKER__ are filled in: the
# attacker is granted the repository's and the output's paths (the worst case), and its
# processes carry __MARKER__ on their command line so a test can tell that none is left.

# (a) a grandchild in a session of its own outlives the grader and rewrites --out
SETSID_GRANDCHILD = r'''
import os, sys
_code = """
import json, os, sys, time
out = sys.argv[1]
for _ in range(300):  # ~30 s: long after the grader wrote its results
    time.sleep(0.1)
    try:
        data = json.load(open(out))
        if data.get("score") != 1000.0:
            data["score"] = 1000.0
            json.dump(data, open(out, "w"))
    except Exception:
        pass
"""
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", _code, "__OUT__", "__MARKER__"])
    os._exit(0)
'''

# (b) code appended to the installed package, which the trusted process imports later
WRITE_PACKAGE = r'''
import glob, os, site, sys
_targets = ["__ROOT__/zoo/io.py", "__ROOT__/zoo/grading/results.py", "__ROOT__/tests/exercises/conftest.py"]
for _d in list(sys.path) + glob.glob("/usr/lib/python3*/site-packages") + glob.glob("__ROOT__/.venv/lib/python3*/site-packages"):
    _targets += [os.path.join(_d, "zoo", "io.py"), os.path.join(_d, "numpy", "__init__.py")]
    _targets += glob.glob(os.path.join(_d, "__editable__*zoo*"))
for _t in _targets:
    try:
        with open(_t, "a") as _f:
            _f.write("\n# __MARKER__: hostile code appended here\n")
    except OSError:
        pass
'''

# (c, d) the repository found through /proc/<pid>/cwd of any process, or the editable
# install's finder in site-packages: the solution and the hidden tests' reference code run
DISCOVER_REPO = r'''
import glob, os, re, sys
_me = "__EXERCISE__"
_roots = {"__ROOT__"}
for _p in glob.glob("/proc/[0-9]*"):
    for _what in ("cwd", "root"):
        try:
            _roots.add(os.readlink(os.path.join(_p, _what)))
        except OSError:
            pass
    try:
        _env = open(os.path.join(_p, "environ"), "rb").read().split(b"\0")
        _roots.update(e.split(b"=", 1)[1].decode(errors="ignore") for e in _env if e.startswith(b"PYTHONPATH="))
    except OSError:
        pass
for _d in sys.path:
    for _f in glob.glob(os.path.join(_d, "__editable__*")):
        try:
            _roots.update(re.findall(r"'(/[^']+)'", open(_f).read()))
        except OSError:
            pass
_src = None
for _r in sorted(_roots):
    for _up in range(4):
        _c = os.path.join(_r, *[".."] * _up, "solutions", _me + ".py")
        if os.path.isfile(_c):
            try:
                _src = open(_c).read()
                break
            except OSError:
                pass
    if _src:
        break
if _src:
    exec(compile(_src, _me, "exec"))
'''

# SIGSTOP / SIGKILL to the grader: the child's parent (the trusted pytest process for a NumPy
# exercise, or the sandbox's first process when the grader is root)
STOP_GRADER = r'''
import os, signal
try:
    os.kill(os.getppid(), signal.SIGSTOP)
except OSError:
    pass
'''

KILL_GRADER = STOP_GRADER.replace("SIGSTOP", "SIGKILL")

# a stopped child (it would stall a plain blocking read forever)
STOP_SELF = "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n"

# memory spread over several processes, each under the per-process limit
MEMORY_SPREAD = r'''
import os, time
import numpy as np
for _ in range(3):
    if os.fork() == 0:
        _hog = np.ones(__MB__ * 1024**2 // 8)  # touched: resident
        time.sleep(60)
        os._exit(0)
_hog = np.ones(__MB__ * 1024**2 // 8)
time.sleep(60)
'''

# a process that changes its pid all the time (fork, the parent exits): a reaper that signals
# the pids of one snapshot of /proc is always one step behind
FORK_CHAIN = r'''
import os, sys
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", """
import os, time
while True:
    if os.fork():
        os._exit(0)
    time.sleep(0.002)
""", "__MARKER__"])
'''

ROUTES = {
    "setsid grandchild rewriting --out": SETSID_GRANDCHILD,
    "a fork-and-exit chain": FORK_CHAIN,
    "writing into the installed package": WRITE_PACKAGE,
    "/proc and site-packages discovery": DISCOVER_REPO,
    "SIGSTOP to the grader's processes": STOP_GRADER,
    "SIGKILL to the grader's processes": KILL_GRADER,
    "a stopped child": STOP_SELF,
    "memory spread over processes": MEMORY_SPREAD,
    "a loop at import": INFINITE_LOOP,
}


def route_submission(route, slot, folder, *, out, marker, mb=400):
    """Correct solutions of the slot exercises, the route's attack on the stub of `slot`."""
    os.makedirs(folder, exist_ok=True)
    for ex in SLOTS:
        if ex == slot:
            with open(os.path.join(ROOT, "exercises", ex + ".py"), encoding="utf-8") as f:
                stub = f.read()
            attack = (ROUTES[route].replace("__ROOT__", ROOT).replace("__OUT__", str(out)).replace("__MARKER__", marker)
                      .replace("__EXERCISE__", ex).replace("__MB__", str(mb)))
            src = attack + "\n" + stub
        else:
            with open(os.path.join(ROOT, "solutions", ex + ".py"), encoding="utf-8") as f:
                src = f.read()
        with open(os.path.join(folder, ex + ".py"), "w", encoding="utf-8") as f:
            f.write(src)
    return folder


# (e) the probe a model test uses, replaced in the child by a hard-coded LeNet-5 summary
FORGED_PROBE = r'''
import sys
_main = sys.modules.get("__main__")
_lenet = {"params": 61706, "trainable_params": 61706, "non_trainable_params": 0, "output_shape": [None, 10],
          "input_shape": [None, 32, 32, 1], "compiled": False, "loss": None, "layers": [
              {"class": c, "name": n, "activation": a, "params": 0, "trainable_params": 0, "trainable": True}
              for c, n, a in [("Conv2D", "c1", "relu"), ("AveragePooling2D", "s2", None), ("Conv2D", "c3", "relu"),
                              ("AveragePooling2D", "s4", None), ("Flatten", "flatten", None), ("Dense", "c5", "relu"),
                              ("Dense", "f6", "relu"), ("Dense", "predictions", "softmax")]]}
for _probe in getattr(_main, "PROBES", {}):
    _main.PROBES[_probe] = lambda *a, **k: _lenet
'''
