"""The full marks of exercises, read from their graded test files' source (visible and hidden):
each `test_*` function is worth its `@pytest.mark.points(n)`, 1 without one. Counted here, apart
from the grader, so a test that compares with it sees a graded test the grader lost or added."""

import ast
import os

from zoo.grading.build import ROOT, tests_for


def _points(func):
    for deco in func.decorator_list:
        if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "points"
                and deco.args and isinstance(deco.args[0], ast.Constant)):
            return float(deco.args[0].value)
    return 1.0


def full_marks(*exercises, visible_only=False):
    total = 0.0
    for path in tests_for(list(exercises), ROOT, visible_only=visible_only):
        tree = ast.parse(open(os.path.join(ROOT, path), encoding="utf-8").read())
        total += sum(_points(n) for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_"))
    return total
