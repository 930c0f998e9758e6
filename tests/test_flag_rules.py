"""Grep-level facts about the command line, kept true: the image size is one flag with one parser."""

import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ARGTYPES = os.path.join("zoo", "commands", "argtypes.py")


def _sources():
    for folder, _, files in os.walk(os.path.join(ROOT, "zoo")):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                yield os.path.relpath(path, ROOT), open(path, encoding="utf-8").read()


def test_no_command_defines_its_own_image_size_flag():
    """`--image-size` (and the deprecated `--input-size`) are added by `argtypes.add_image_size` alone."""
    own = [f"{rel}: {m.group(0)}" for rel, text in _sources() if rel != ARGTYPES
           for m in re.finditer(r"add_argument\(\s*[\"']--(input|image)-size[\"']", text)]
    assert own == []
    spelled = [rel for rel, text in _sources() if rel != ARGTYPES and re.search(r"[\"']--input-size[\"']", text)]
    assert spelled == []
