"""Grep-level facts about the source text of zoo/ and tests/, kept by reading every file."""

import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ADAPTER = "zoo/tuning/adapter.py"
THIS = "tests/test_source_text.py"


def text_files(*folders):
    """(path relative to the root, text) of every UTF-8 text file under `folders`."""
    for folder in folders:
        for dirpath, dirnames, files in os.walk(os.path.join(ROOT, folder)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            for f in sorted(files):
                path = os.path.join(dirpath, f)
                try:
                    with open(path, encoding="utf-8") as fh:
                        text = fh.read()
                except (UnicodeDecodeError, OSError):
                    continue
                if "\0" not in text:
                    yield os.path.relpath(path, ROOT).replace(os.sep, "/"), text


def hits(pattern, files):
    return [f"{rel}:{n}: {line.strip()[:120]}" for rel, text in files
            for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]


KERAS_TUNER_PRIVATE = re.compile(r"keras_tuner\.src\b|\b_retry_queue\b|\b_get_num_brackets\b|\b_get_num_rounds\b")


def test_keras_tuners_private_names_appear_only_in_the_adapter():
    files = [(rel, t) for rel, t in text_files("zoo", "tests") if rel not in (ADAPTER, THIS)]
    zoo_only = [(rel, t) for rel, t in files if rel.startswith("zoo/")]
    assert hits(re.compile(r"keras_tuner\.src\b"), files) == []
    assert hits(KERAS_TUNER_PRIVATE, zoo_only) == []


@pytest.mark.parametrize("line", ["from keras_tuner.src import utils", "oracle._retry_queue = []"])
def test_the_private_name_check_sees_them(line):
    assert hits(KERAS_TUNER_PRIVATE, [("zoo/x.py", line)])
