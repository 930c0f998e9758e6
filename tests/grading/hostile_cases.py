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
