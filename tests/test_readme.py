"""The Python examples of README.md and of the documentation site run, so they cannot rot.

The detection page's example runs in tests/test_detection_task.py, which also checks what it drew.
"""

import glob
import os
import re

import pytest

from tests.conftest import ROOT

PAGES = ["README.md"] + sorted(
    os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)
    if not p.endswith(os.path.join("topics", "detection.md"))
)


def _python_blocks(page):
    text = open(os.path.join(ROOT, page), encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_and_the_site_have_examples():
    assert _python_blocks("README.md"), "README.md has no ```python examples"
    assert sum(len(_python_blocks(p)) for p in PAGES) >= 6


@pytest.mark.parametrize("page", [p for p in PAGES if _python_blocks(p)])
def test_python_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for block in _python_blocks(page):
        exec(compile(block, page, "exec"), {"__name__": "__readme__"})
