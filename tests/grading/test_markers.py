"""The single-source markers: strip_solutions is pure, keeps everything outside the regions,
and malformed markers raise MarkerError naming the file and the line."""

import pytest

from zoo.grading.markers import MarkerError, solution_lines, strip_solutions

SRC = '''import numpy as np


def f(x):
    """Doc stays."""
    y = x + 1
    # BEGIN SOLUTION hint: multiply by two
    z = y * 2
    return z
    # END SOLUTION


class A:
    def g(self):
        return 42  # SOLUTION
'''


def test_regions_become_indented_stubs_with_hints():
    out = strip_solutions(SRC, "sol.py")
    assert out == '''import numpy as np


def f(x):
    """Doc stays."""
    y = x + 1
    # HINT: multiply by two
    raise NotImplementedError


class A:
    def g(self):
        raise NotImplementedError
'''
    compile(out, "stub.py", "exec")
    assert strip_solutions(SRC, "sol.py") == out  # pure: same input, same output
    assert solution_lines(SRC) == ["z = y * 2", "return z", "return 42"]


@pytest.mark.parametrize(
    "src, line, words",
    [
        ("a = 1\n# BEGIN SOLUTION\nb = 2\n    # BEGIN SOLUTION\nc = 3\n# END SOLUTION\n", 4, "nested"),
        ("a = 1\n\n# BEGIN SOLUTION\nb = 2\n", 3, "never closed"),
        ("a = 1\n# END SOLUTION\n", 2, "without a '# BEGIN SOLUTION'"),
        ("x = 1\n# BEGIN SOLUTIONS please\n", 2, "malformed marker"),
    ],
)
def test_malformed_markers_name_file_and_line(src, line, words):
    with pytest.raises(MarkerError) as e:
        strip_solutions(src, "solutions/ex99_bad.py")
    assert e.value.lineno == line and e.value.path == "solutions/ex99_bad.py"
    assert str(e.value).startswith(f"solutions/ex99_bad.py:{line}: ") and words in str(e.value)
