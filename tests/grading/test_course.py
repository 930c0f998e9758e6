"""The course as its users run it: the student release checks itself without solutions, a
submission is found by name whatever its shape (and a notebook grades like its .py), `build`
never overwrites a student's work, Ctrl-C leaves no process behind, and the Gradescope bundle
grades as Gradescope runs it (slow)."""

import ast
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from tests.conftest import run_zoo
from zoo.grading import build
from zoo.grading.grade import grade_submission
from zoo.grading.intake import collect
from zoo.grading.markers import solution_lines
from marks import full_marks

ROOT = build.ROOT
FAST = "ex01_conv_pool"  # NumPy only: its child starts without Keras


def solution(name=FAST):
    with open(os.path.join(ROOT, "solutions", name + ".py"), encoding="utf-8") as f:
        return f.read()


def test_hidden_tests_live_in_their_own_folder():
    for path in glob.glob(os.path.join(ROOT, "tests", "exercises", "test_ex*.py")):
        assert "mark.hidden" not in open(path, encoding="utf-8").read(), f"{path} still holds a hidden test"
    hidden = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "tests", "exercises", "hidden", "test_ex*.py")))
    assert {"test_ex01_conv_pool.py", "test_ex02_linear_classifier.py", "test_ex12_ssd_boxes.py"} <= set(hidden)


def test_student_release_checks_itself_without_solutions(tmp_path):
    out = tmp_path / "student.zip"
    proc = run_zoo("exercises", "pack", "--student", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    names = zipfile.ZipFile(out).namelist()
    assert all(n.startswith("student/") for n in names)
    rel = [n[len("student/"):] for n in names]
    assert not [n for n in rel if n.startswith(("solutions/", "tests/exercises/hidden/", "tests/grading/"))], rel
    for n in build.exercise_names():
        assert f"exercises/{n}.py" in rel and f"notebooks/{n}.ipynb" in rel and f"tests/exercises/test_{n}.py" in rel
    # no line of any solution region, and no line of any hidden test, anywhere in the release
    text = {n: zipfile.ZipFile(out).read(n).decode("utf-8", "replace") for n in names}
    release_lines = {l.strip().strip('",').replace('\\n', '') for t in text.values() for l in t.splitlines()}
    library = {l.strip() for p in glob.glob(os.path.join(ROOT, "zoo", "**", "*.py"), recursive=True)
               for l in open(p, encoding="utf-8")}  # the zoo's own code, e.g. `return keras.Sequential(`
    for path in build.solution_files():
        src = open(path, encoding="utf-8").read()
        given = set(l.strip() for l in open(os.path.join(ROOT, "exercises", os.path.basename(path)), encoding="utf-8"))
        leaked = [l for l in solution_lines(src, path) if len(l) > 20 and l in release_lines and l not in given | library]
        assert not leaked, f"{os.path.basename(path)}: solution lines in the release: {leaked[:3]}"
    for path in glob.glob(os.path.join(ROOT, "tests", "exercises", "hidden", "*.py")):
        tree = ast.parse(open(path, encoding="utf-8").read())
        tests = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
        assert not [t for t in tests if any(t in body for body in text.values())], f"hidden tests of {path} leak"
    assert "zoo exercises check ex03" in text["student/README.md"]

    zipfile.ZipFile(out).extractall(tmp_path)
    release = tmp_path / "student"
    env = {"PYTHONPATH": str(release)}  # the release's own zoo, as after `pip install -e .` there
    proc = run_zoo("exercises", "check", "ex01", cwd=str(release / "exercises"), env=env)  # from a sub-folder
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NotImplementedError" in proc.stdout and "TOTAL 0.0 / 5.0" in proc.stdout, proc.stdout
    shutil.copy(os.path.join(ROOT, "solutions", FAST + ".py"), release / "exercises")
    proc = run_zoo("exercises", "check", "ex01", "-k", "avg_pool", cwd=str(release), env=env)
    assert proc.returncode == 0 and "test_avg_pool" in proc.stdout and "test_output_size" not in proc.stdout, proc.stdout
    os.remove(release / "tests" / "exercises" / "test_ex02_linear_classifier.py")
    proc = run_zoo("exercises", "check", "ex02", cwd=str(release), env=env)
    assert proc.returncode == 2 and "no graded tests for tests/exercises/test_ex02_linear_classifier.py" in proc.stderr, proc.stderr
    proc = run_zoo("exercises", "build", cwd=str(release), env=env)
    assert proc.returncode == 2 and "the student release leaves them out" in proc.stderr and "run `zoo exercises check`" in proc.stderr, proc.stderr


def test_submissions_are_found_by_name(tmp_path):
    sub = tmp_path / "sub"
    (sub / "my work").mkdir(parents=True)
    (sub / "my work" / "ex01_conv_pool (1).py").write_text(solution())
    with zipfile.ZipFile(sub / "upload.zip", "w") as z:
        z.writestr("folder/ex12_ssd_boxes.py", solution("ex12_ssd_boxes"))
        z.writestr("../evil.py", "x = 1\n")
    (sub / "lenet.py").write_text("x = 1\n")
    intake = collect(str(sub), ["ex01_conv_pool", "ex03_lenet", "ex12_ssd_boxes"], str(tmp_path / "graded"))
    assert intake.found == {"ex01_conv_pool": "my work/ex01_conv_pool (1).py", "ex12_ssd_boxes": "upload.zip/folder/ex12_ssd_boxes.py"}
    assert intake.missing == ["ex03_lenet"] and intake.status == "missing files"
    assert intake.missing_message() == "ex03_lenet.py (found instead: lenet.py)"
    msg = intake.message()
    assert "Graded my work/ex01_conv_pool (1).py as ex01_conv_pool.py: found in my work/; the name's '(1)'" in msg
    assert "Not found: ex03_lenet.py" in msg and not (tmp_path / "evil.py").exists()
    assert sorted(os.listdir(tmp_path / "graded")) == ["ex01_conv_pool.py", "ex12_ssd_boxes.py"]


def test_notebook_submission_grades_like_its_script(tmp_path):
    """The solution as a notebook runs top to bottom in a Jupyter kernel (nbclient), and the
    executed .ipynb, submitted, gets the same full score as the .py; the stub notebook gets 0."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.reads(build.notebook_json(solution()), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3" and len(nb.cells) >= 3
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    scores = {}
    for kind, text in (("py", solution()), ("ipynb", nbformat.writes(nb)),
                       ("stub", build.notebook_json(open(os.path.join(ROOT, "exercises", FAST + ".py")).read()))):
        sub = tmp_path / kind
        sub.mkdir()
        (sub / (FAST + (".py" if kind == "py" else ".ipynb"))).write_text(text)
        intake = collect(str(sub), [FAST], str(tmp_path / f"{kind}-graded"))
        res = grade_submission(intake.folder, exercises=[FAST])
        scores[kind] = [(t.name, t.score) for t in res.tests]
    assert scores["py"] == scores["ipynb"] and sum(s for _, s in scores["py"]) == full_marks(FAST)
    nb.cells.insert(1, nbformat.v4.new_code_cell("!pip install numpy\n%matplotlib inline"))  # Colab habits
    compile(build.notebook_to_py(nbformat.writes(nb)), "with magics", "exec")
    assert sum(s for _, s in scores["stub"]) == 0 and len(scores["stub"]) == len(scores["py"])


def test_build_never_overwrites_a_students_work(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(os.path.join(ROOT, "solutions"), course / "solutions")
    proc = run_zoo("exercises", "build", cwd=str(course))
    assert proc.returncode == 0 and (course / "exercises" / "ex03_lenet.py").exists(), proc.stderr
    work = course / "exercises" / "ex03_lenet.py"
    work.write_text(work.read_text().replace("raise NotImplementedError", "return 42  # my half-done work", 1))
    sol = course / "solutions" / "ex01_conv_pool.py"
    sol.write_text(sol.read_text().replace("Exercise 1", "Exercise one"))
    proc = run_zoo("exercises", "build", cwd=str(course / "solutions"))
    assert proc.returncode == 2 and f"{work} was edited" in proc.stderr and "--force" in proc.stderr, proc.stderr
    assert "my half-done work" in work.read_text() and "Exercise one" not in (course / "exercises" / "ex01_conv_pool.py").read_text()
    proc = run_zoo("exercises", "build", "--out", str(tmp_path / "elsewhere"), cwd=str(course))
    assert proc.returncode == 0 and "Exercise one" in (tmp_path / "elsewhere" / "ex01_conv_pool.py").read_text()
    assert not os.path.exists(os.path.join(ROOT, "exercises", "ex99_none.py"))
    proc = run_zoo("exercises", "build", "--force", cwd=str(course))
    assert proc.returncode == 0 and "my half-done work" not in work.read_text()
    assert "Exercise one" in (course / "exercises" / "ex01_conv_pool.py").read_text()
    assert build.stale_exercises(str(course)) == []


def _descendants(pid):
    children = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
        except (OSError, IndexError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out += children.get(p, [])
        todo += children.get(p, [])
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def loop_submission(tmp_path):
    """ex01 whose conv2d() never returns."""
    sub = tmp_path / "loop"
    sub.mkdir()
    (sub / (FAST + ".py")).write_text(solution().replace('    """2-D cross-correlation', "    while True:\n        pass\n    \"\"\"2-D", 1))
    return sub


def test_ctrl_c_stops_the_check_and_every_process(tmp_path):
    """An infinite loop: a progress line after a few seconds, then Ctrl-C (SIGINT to the
    terminal's process group) ends zoo and every process it started within 2 s."""
    sub = loop_submission(tmp_path)
    tmp = tmp_path / "tmp"  # every temporary folder of the run lands here
    tmp.mkdir()
    env = dict(os.environ, PYTHONPATH=ROOT, TMPDIR=str(tmp))
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "exercises", "check", "ex01", "-k", "slide", "--submission", str(sub)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    line = proc.stderr.readline()  # blocks until the progress line
    assert "ex01_conv_pool: conv2d() still running, 5 s" in line, line
    tree = _descendants(proc.pid)
    assert len(tree) >= 2, tree  # pytest and the student's child at least
    t = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 2.0
    while any(_alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() - t <= 2.0 and not [p for p in tree if _alive(p)], [open(f"/proc/{p}/cmdline").read()[:80] for p in tree if _alive(p)]
    assert "zoo: interrupted" in proc.stderr.read()
    assert os.listdir(tmp) == [], os.listdir(tmp)  # nothing left behind


def test_killing_zoo_stops_every_process_it_started(tmp_path):
    """zoo killed outright (kill -9, a closed terminal): the grading run and the student's
    code end too, instead of spinning on with parent 1."""
    sub = loop_submission(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "exercises", "check", "ex01", "-k", "slide", "--submission", str(sub)],
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert "still running" in proc.stderr.readline()
    tree = _descendants(proc.pid)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5.0
    while any(_alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in tree if _alive(p)]


def test_run_autograder_always_leaves_results(tmp_path):
    """A grader that crashes, or cannot even start, still leaves a valid results.json with a
    visible failure saying why (never a missing file or an empty score)."""
    from zoo.grading import gradescope

    out = tmp_path / "results.json"
    assert gradescope.main(["--submission", str(tmp_path / "nowhere"), "--results", str(out), "--root", ROOT]) == 1
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["tests"][0]["visibility"] == "visible"
    assert "is not a folder" in data["tests"][0]["output"] and "Traceback" in data["tests"][1]["output"]
    ag = tmp_path / "ag"  # no venv: setup.sh never ran
    (ag / "source").mkdir(parents=True)
    (ag / "run_autograder").write_text(build.RUN_AUTOGRADER)
    proc = subprocess.run(["bash", str(ag / "run_autograder")], env=dict(os.environ, AUTOGRADER=str(ag)), capture_output=True, text=True)
    assert proc.returncode == 0
    data = json.loads((ag / "results" / "results.json").read_text())
    assert data["score"] == 0 and "did setup.sh succeed?" in data["tests"][0]["output"] and data["tests"][0]["visibility"] == "visible"


@pytest.mark.slow
def test_gradescope_bundle_end_to_end(tmp_path):
    """The bundle as Gradescope runs it: unpacked into source/, setup.sh into a fresh venv
    (pip's cache makes it minutes, not more), run_autograder on the solutions (full marks),
    the stubs (0, each test "not written yet") and a misplaced submission (said so)."""
    ag = tmp_path / "autograder"
    for d in ("source", "submission", "results"):
        (ag / d).mkdir(parents=True)
    zip_path = tmp_path / "autograder.zip"
    assert run_zoo("exercises", "pack", "--out", str(zip_path)).returncode == 0
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(ag / "source")
        for name in ("setup.sh", "run_autograder"):
            os.chmod(ag / "source" / name, (z.getinfo(name).external_attr >> 16) & 0o777)
    assert not [n for n in zipfile.ZipFile(zip_path).namelist() if n.startswith("solutions/")]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(AUTOGRADER=str(ag), PYTHON=sys.executable)
    setup = subprocess.run(["bash", str(ag / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=1800)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "zoo autograder ready" in setup.stdout
    shutil.copy(ag / "source" / "run_autograder", ag / "run_autograder")  # Gradescope copies it there

    def run(files):
        shutil.rmtree(ag / "submission")
        (ag / "submission").mkdir()
        for rel, src in files.items():
            (ag / "submission" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, ag / "submission" / rel)
        (ag / "results" / "results.json").unlink(missing_ok=True)
        proc = subprocess.run([str(ag / "run_autograder")], env=env, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads((ag / "results" / "results.json").read_text())

    names = build.exercise_names()
    full = run({n + ".py": os.path.join(ROOT, "solutions", n + ".py") for n in names})
    assert full["score"] == sum(t["max_score"] for t in full["tests"]) >= 90, [t for t in full["tests"] if t["status"] != "passed"]
    stubs = run({n + ".py": os.path.join(ROOT, "exercises", n + ".py") for n in names})
    assert stubs["score"] == 0 and all("not written yet" in t["output"] for t in stubs["tests"]), stubs["tests"][:2]
    misplaced = run({"hw/ex01 conv.py": os.path.join(ROOT, "solutions", FAST + ".py")})
    assert misplaced["score"] == 0 and "Not found: ex01_conv_pool.py" in misplaced["output"] and "hw/ex01 conv.py" in misplaced["output"]


def test_grade_with_jobs_keeps_every_test(tmp_path):
    """`zoo grade --jobs 2` (pytest-xdist) reports the same tests, in the same order, as one
    process (it used to report 0 / 0: the controller, which writes results, collects nothing)."""
    got = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"r{jobs}.json"
        proc = run_zoo("grade", "solutions", "--exercise", "12", "--exercise", "1", "--jobs", jobs, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        got[jobs] = [(t["name"], t["score"]) for t in json.loads(out.read_text())["tests"]]
    assert got["2"] == got["1"] and sum(s for _, s in got["1"]) == full_marks("ex12", "ex01")
