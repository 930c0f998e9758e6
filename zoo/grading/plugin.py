"""pytest plugin of the grader (`pytest -p zoo.grading.plugin`): `--submission DIR`, points
per test (`@pytest.mark.points(n)`), results.json and the terminal table.

Only this trusted process writes results; a submission's child never sees the path.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import threading
import time

import pytest
from _pytest.mark.expression import Expression  # pytest's -k grammar, matched here against test names alone

from zoo.grading import sandbox
from zoo.grading.children import LIVE_BOXES, LIVE_UIDS, harden_current_process
from zoo.grading.results import NOT_GRADED, Results, TestResult, counted, missing_summary
from zoo.io import write_json  # everything the trusted side writes with is imported before any child starts

_STATE = {}


def pytest_addoption(parser):
    g = parser.getgroup("zoo grader")
    g.addoption("--submission", default=None, help="folder with the exNN_*.py files to grade (default: solutions/)")
    g.addoption("--results-json", default=None, help="write Gradescope results.json here")
    g.addoption("--call-timeout", type=float, default=None, help="seconds one call may take")
    g.addoption("--exercise-timeout", type=float, default=None, help="seconds one exercise may take in all")
    g.addoption("--memory-limit", type=int, default=None, help="bytes all processes of one exercise may use together")
    g.addoption("--backend", default=None, help="Keras backend of the children (tensorflow, jax)")
    g.addoption("--grade-table", action="store_true", help="print the score table at the end")
    g.addoption("--progress-fd", type=int, default=None, help="file descriptor for 'still running' lines (zoo reads them)")
    g.addoption("--heartbeat", default=None, help="touch this file every second (zoo grade watches it)")
    g.addoption("--finished", default=None, help="write this marker once every result is written (zoo grade reads it)")
    g.addoption("--test-names", default=None, help="-k's grammar on each test's own name, never its module's")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points a graded exercise test is worth")
    config.addinivalue_line("markers", "hidden: graded test whose result students see after publication")
    _STATE.update(start=time.monotonic(), results={}, order=[], meta={}, collect_errors=[], incomplete=[], import_errors={},
                  results_path=None if hasattr(config, "workerinput") else config.getoption("--results-json"))
    if config.getoption("--submission"):
        harden_current_process()
    if config.getoption("--progress-fd") is not None:  # run by zoo: stop (cleanly) when zoo ends
        _interrupt_when_parent_ends()
    beat = config.getoption("--heartbeat")
    if beat and not hasattr(config, "workerinput"):
        threading.Thread(target=_heartbeat, args=(beat,), daemon=True, name="zoo-grade-heartbeat").start()


def _interrupt_when_parent_ends():
    """Linux: SIGINT when the zoo process that started this run ends (killed, closed
    terminal), so pytest tears down and kills the submission's children: nothing keeps running."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even where the launcher ignored SIGINT (a `cmd &` job)
    sandbox.prctl(sandbox.PR_SET_PDEATHSIG, int(signal.SIGINT))
    if os.getppid() == 1:  # zoo already ended before the line above
        raise KeyboardInterrupt


def _heartbeat(path):
    """Every second: the time, the uids and folders of the submission's boxes, written atomically.
    On a full disk the last beat's file is touched instead (that needs no space): the run is alive."""
    while True:
        tmp = path + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"time": time.time(), "uids": sorted(LIVE_UIDS), "boxes": sorted(LIVE_BOXES)}, f)
            os.replace(tmp, path)
        except OSError:
            try:
                os.utime(path)
            except OSError:
                pass
        time.sleep(1.0)


def points_of(item):
    m = item.get_closest_marker("points")
    return float(m.args[0]) if m and m.args else 1.0


def is_hidden(item):
    """Marked hidden, or in a tests/exercises/hidden/ folder (never in the student release)."""
    return item.get_closest_marker("hidden") is not None or is_hidden_path(item.nodeid.split("::")[0])


def is_hidden_path(path):
    return "hidden" in path.replace(os.sep, "/").split("/")[:-1]


def exercise_of(nodeid):
    """'tests/exercises/test_ex03_lenet.py::test_x' -> 'ex03_lenet'; a hidden file of another
    name (hidden/test_ex03_edges.py) counts for the exercise whose visible file has its number."""
    path = nodeid.split("::")[0]
    base = os.path.basename(path)
    if not base.startswith("test_"):
        return base
    if is_hidden_path(path):
        visible = glob.glob(os.path.join(os.path.dirname(os.path.dirname(path)), base[:len("test_exNN")] + "_*.py"))
        if len(visible) == 1:
            return os.path.basename(visible[0])[len("test_"):-3]
    return base[len("test_"):-3]


def pytest_collection_finish(session):
    for seq, item in enumerate(session.items):  # after deselection (-m "not hidden", -k)
        vis = "after_published" if is_hidden(item) else "visible"
        doc = (getattr(item, "obj", None).__doc__ or "").strip().splitlines() if getattr(item, "obj", None) else []
        exercise = getattr(getattr(item, "module", None), "MODULE", None) or exercise_of(item.nodeid)  # hidden/test_exNN_edges.py too
        name = f"{exercise}: {item.name}" + (f" ({doc[0].strip()})" if doc else "")
        _add(item.nodeid, [name, points_of(item), vis, exercise, seq])
        # with pytest-xdist (`zoo grade --jobs`) the workers collect: the controller, which
        # writes the results, learns each test from its reports
        item.user_properties.append(("zoo_test", _STATE["meta"][item.nodeid]))


NOT_RUN = "not run"


def _add(nodeid, meta):
    name, max_score, vis, exercise, _ = meta
    _STATE["results"][nodeid] = TestResult(name, 0.0, max_score, "failed", NOT_RUN, vis, exercise)
    _STATE.setdefault("meta", {})[nodeid] = meta
    _STATE["order"].append(nodeid)


def _message(report):
    lr = report.longrepr
    crash = getattr(lr, "reprcrash", None)
    if crash is not None:
        msg = crash.message
    elif isinstance(lr, tuple):
        msg = lr[-1]
    else:
        msg = str(lr)
    msg = msg.replace("Failed: ", "", 1) if msg.startswith("Failed: ") else msg
    return msg.strip()[:3000]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """An OSError the grader's own code raised (a full disk, a fork server that cannot start)
    is no verdict on the submission: the grade is incomplete (a student's errors arrive as
    SubmissionError feedback, never as an OSError here)."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(OSError):
        e = call.excinfo.value
        report.user_properties.append(("zoo_incomplete", f"{item.nodeid.split('::')[-1]}: {type(e).__name__}: {e}"[:300]))


def pytest_runtest_logreport(report):
    why = dict(report.user_properties).get("zoo_incomplete")
    if why and "incomplete" in _STATE and why not in _STATE["incomplete"]:
        _STATE["incomplete"].append(why)
    res = _STATE.get("results", {}).get(report.nodeid)
    if res is None and "results" in _STATE:
        meta = dict(report.user_properties).get("zoo_test")
        if not meta:
            return
        _add(report.nodeid, list(meta))
        res = _STATE["results"][report.nodeid]
    if res is None:
        return
    if report.when == "call" and report.passed:
        res.score, res.status, res.output = res.max_score, "passed", ""
    elif report.failed:
        res.score, res.status = 0.0, "failed"
        res.output = _message(report) if report.when == "call" else f"error in {report.when}: {_message(report)}"
    elif report.skipped and report.when in ("setup", "call"):
        res.score, res.status, res.output = 0.0, "failed", f"skipped: {_message(report)}"
    info = dict(report.user_properties).get("zoo_import_error")  # tests/exercises/conftest.py: the module did not import
    if report.failed and isinstance(info, dict) and res.exercise:
        info = {"message": str(info.get("message", ""))[:3000], "summary": str(info.get("summary", ""))[:200]}
        _STATE.setdefault("import_errors", {}).setdefault(res.exercise, info)
        if info["summary"] == missing_summary(res.exercise):
            res.output = f"{NOT_GRADED}{res.exercise}.py is missing (said once, at the top)"
        else:
            res.output = f"{NOT_GRADED}{res.exercise}.py could not be imported (the error is shown once, at the top)"


def pytest_runtest_logfinish(nodeid, location):
    """The scores so far, after every test: a trusted run killed later still leaves them."""
    path = _STATE.get("results_path")
    if path and _STATE.get("results"):
        try:
            collected_results().write(path)
        except OSError as e:  # a full disk: the run goes on; the final write (or the missing marker) decides
            _STATE["write_error"] = f"writing the results failed: {e}"


def pytest_collectreport(report):
    if report.failed:
        _STATE.setdefault("collect_errors", []).append((report.nodeid, str(report.longrepr)))


def collected_results():
    order = sorted(_STATE["order"], key=lambda n: _STATE["meta"][n][4])  # collection order, also under xdist
    tests = [_STATE["results"][n] for n in order]
    for nodeid, tb in _STATE.get("collect_errors", []):
        tests.append(TestResult(f"Autograder failed: could not collect {nodeid}", 0.0, 0.0, "failed",
                                "The grader's tests could not be loaded; staff have the details.", "visible"))
        tests.append(TestResult(f"Autograder failed: {nodeid} (details for staff)", 0.0, 0.0, "failed", tb[-5000:], "hidden"))
    errors = dict(sorted(_STATE.get("import_errors", {}).items()))
    said = []
    for exercise, info in errors.items():  # once per exercise, above the tests
        n = sum(1 for t in tests if t.exercise == exercise and t.output.startswith(NOT_GRADED))
        if info.get("summary") == missing_summary(exercise):
            said.append(f"{missing_summary(exercise)} (0 points from its {counted(n, 'test')})")
        else:
            said.append(f"{exercise}.py could not be imported (0 points from its {counted(n, 'test')}): {info.get('message', '')}")
    return Results(tests, time.monotonic() - _STATE.get("start", time.monotonic()), "\n".join(said),
                   import_errors={exercise: str(info.get("summary", "")) for exercise, info in errors.items()})


def pytest_sessionfinish(session, exitstatus):
    """The results, then the finished marker: the reasons the grade is incomplete (tests not
    run, the grader's own errors), none when it is whole. No marker: the run did not finish."""
    if "start" not in _STATE:
        return
    res = collected_results()
    _STATE["final"] = res
    if hasattr(session.config, "workerinput"):
        return
    path, marker = session.config.getoption("--results-json"), session.config.getoption("--finished")
    reasons = list(_STATE.get("incomplete", []))
    not_run = [t for t in res.tests if t.output == NOT_RUN]
    if not_run:
        reasons.append(f"{counted(len(not_run), 'test')} not run (first: {not_run[0].name.split(' (')[0]})")
    try:
        if path:
            res.write(path)
        if marker:
            write_json(marker, {"finished": True, "incomplete": reasons})
    except OSError as e:  # no marker: zoo grade says the grade is incomplete
        _STATE["write_error"] = f"writing the results failed: {e}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    res = _STATE.get("final")
    if res is not None and config.getoption("--grade-table"):
        terminalreporter.write_sep("=", "grade")
        terminalreporter.write_line(res.table())


def pytest_collection_modifyitems(config, items):
    """The order and the choice of the tests run (one hook: a module has one of each name).

    The visible tests of every exercise run before any hidden one: whatever a submission carries
    from one exercise to the next reaches hidden feedback only, never what a student sees before
    publication. --test-names EXPR keeps the tests whose own names (parameters included) match, as
    -k would but blind to module and class names: `-k conv` in ex01_conv_pool picks the tests
    named *conv*."""
    items[:] = sorted(items, key=is_hidden)  # stable: each part keeps its file order
    expr = config.getoption("--test-names")
    if not expr:
        return
    compiled = Expression.compile(expr)
    keep = [i for i in items if compiled.evaluate(lambda s, **kw: s.lower() in i.name.lower())]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
