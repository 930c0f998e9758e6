"""exercises/ is generated from solutions/: it must be up to date, import cleanly, and leak
no line of any solution region and nothing of the graded (hidden or visible) tests."""

import ast
import glob
import os

from zoo.grading import build
from zoo.grading.markers import solution_lines, solution_regions

ROOT = build.ROOT


def test_thirteen_exercises_with_regions_and_tests():
    names = build.exercise_names()
    assert len(names) == 13, names
    for n in names:
        src = open(os.path.join(ROOT, "solutions", n + ".py"), encoding="utf-8").read()
        assert solution_regions(src, n), f"{n} has no solution region"
        assert ast.get_docstring(ast.parse(src)), f"{n} has no student-facing docstring"
        assert os.path.exists(os.path.join(ROOT, "tests", "exercises", f"test_{n}.py")), f"no graded tests for {n}"


def test_exercises_are_up_to_date():
    stale = build.stale_exercises()
    assert not stale, f"exercises/ is out of date for {stale}: run `zoo exercises build`"


def test_stale_exercise_is_detected(tmp_path):
    import shutil

    shutil.copytree(os.path.join(ROOT, "solutions"), tmp_path / "solutions")
    build.build(root=str(tmp_path))
    assert build.stale_exercises(str(tmp_path)) == []
    p = tmp_path / "solutions" / "ex01_conv_pool.py"
    p.write_text(p.read_text().replace("Exercise 1", "Exercise one"))
    assert build.stale_exercises(str(tmp_path)) == ["ex01_conv_pool.py"]
    (tmp_path / "exercises" / "ex99_old.py").write_text("x = 1\n")
    assert "ex99_old.py" in build.stale_exercises(str(tmp_path))


def test_stubs_leak_no_solution_line():
    for sol in build.solution_files():
        name = os.path.basename(sol)
        src = open(sol, encoding="utf-8").read()
        stub = open(os.path.join(ROOT, "exercises", name), encoding="utf-8").read()
        compile(stub, name, "exec")
        assert "SOLUTION" not in stub, f"{name}: a marker survived in the stub"
        given = {l.strip() for l in strip_outside_lines(src)}
        stub_lines = {l.strip() for l in stub.splitlines()}
        leaked = [l for l in solution_lines(src, name) if l in stub_lines and l not in given]
        assert not leaked, f"exercises/{name} leaks solution lines: {leaked[:5]}"


def strip_outside_lines(src):
    """Lines of src outside every solution region (given code the stub may repeat)."""
    lines = src.splitlines()
    inside = set()
    for a, b in solution_regions(src):
        inside.update(range(a - 1, b))
    return [l for i, l in enumerate(lines) if i not in inside and not l.rstrip().endswith("# SOLUTION")]


def test_stubs_leak_no_test_code():
    tests = glob.glob(os.path.join(ROOT, "tests", "exercises", "test_ex*.py")) + glob.glob(os.path.join(ROOT, "tests", "exercises", "hidden", "test_ex*.py"))
    test_names, test_lines = set(), set()
    for t in tests:
        tree = ast.parse(open(t, encoding="utf-8").read())
        test_names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                seg = ast.get_source_segment(open(t, encoding="utf-8").read(), node)
                test_lines |= {l.strip() for l in seg.splitlines()[1:] if len(l.strip()) > 25}
    for stub in glob.glob(os.path.join(ROOT, "exercises", "*")):
        text = open(stub, encoding="utf-8").read()
        found = [n for n in test_names if n.startswith("test_") and n in text]
        assert not found, f"{stub} names graded tests: {found}"
        lines = {l.strip() for l in text.splitlines()}
        assert not (lines & test_lines), f"{stub} holds lines of the graded tests: {sorted(lines & test_lines)[:3]}"


def percent_cells(src):
    """The cells of a script in jupytext's percent format (what Jupyter with jupytext and VS
    Code open as a notebook): the text after each `# %%` line, up to the next one."""
    cells = []
    for line in src.splitlines(keepends=True):
        if line.startswith("# %%"):
            cells.append([line.rstrip("\n"), ""])
        elif cells:
            cells[-1][1] += line
        elif line.strip():
            raise AssertionError(f"code before the first '# %%' cell: {line!r}")
    return cells


def test_each_exercise_opens_as_a_notebook():
    """solutions and stubs are percent-format notebooks with the same cells: the module
    docstring and imports first, then one cell per top-level function, each runnable alone."""
    for sol in build.solution_files():
        name = os.path.basename(sol)
        src = open(sol, encoding="utf-8").read()
        stub = open(os.path.join(ROOT, "exercises", name), encoding="utf-8").read()
        for text, kind in ((src, "solutions"), (stub, "exercises")):
            cells = percent_cells(text)
            assert len(cells) >= 3, f"{kind}/{name}: {len(cells)} '# %%' cells"
            defs = []
            for i, (_, body) in enumerate(cells):
                tree = ast.parse(body, f"{kind}/{name} cell {i + 1}")  # each cell compiles on its own
                defs.append([n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))])
            assert ast.get_docstring(ast.parse(cells[0][1])) and not defs[0], f"{kind}/{name}: the first cell should hold the docstring and imports"
            assert all(len(d) == 1 for d in defs[1:]), f"{kind}/{name}: one function per cell, got {defs}"
            if kind == "solutions":
                want = defs
            else:
                assert defs == want, f"exercises/{name} has other cells than solutions/{name}: {defs} vs {want}"
