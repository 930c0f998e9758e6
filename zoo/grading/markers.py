"""Single-source solutions (nbgrader style): regions between `# BEGIN SOLUTION` and
`# END SOLUTION`, and lines ending in `# SOLUTION`, become `raise NotImplementedError` stubs.

A region may carry a hint: `# BEGIN SOLUTION hint: use np.pad, then slide a window` writes
`# HINT: use np.pad, then slide a window` above the stub. `strip_solutions` is a pure
function; malformed markers raise `MarkerError` naming the file and the line.
"""

from __future__ import annotations

import re

BEGIN = re.compile(r"^(?P<indent>\s*)#\s*BEGIN SOLUTION\b(?:\s*hint:\s*(?P<hint>.*))?\s*$")
END = re.compile(r"^\s*#\s*END SOLUTION\b\s*$")
INLINE = re.compile(r"^(?P<indent>\s*)(?P<code>\S.*?)\s*#\s*SOLUTION\s*$")
STUB = "raise NotImplementedError"


class MarkerError(ValueError):
    """A malformed solution marker: `path:lineno: message`."""

    def __init__(self, path, lineno, message):
        self.path, self.lineno, self.message = path, lineno, message
        super().__init__(f"{path}:{lineno}: {message}")


def solution_regions(src, path="<string>"):
    """[(first_line, last_line)] (1-based, inclusive, markers included) of every region."""
    regions, start = [], None
    for i, line in enumerate(src.splitlines(), 1):
        if BEGIN.match(line):
            if start is not None:
                raise MarkerError(path, i, f"nested '# BEGIN SOLUTION' (the region opened on line {start} has no '# END SOLUTION' yet)")
            start = i
        elif END.match(line):
            if start is None:
                raise MarkerError(path, i, "'# END SOLUTION' without a '# BEGIN SOLUTION' before it")
            regions.append((start, i))
            start = None
        elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            raise MarkerError(path, i, f"malformed marker {line.strip()!r}: write '# BEGIN SOLUTION' or '# END SOLUTION' alone on its line")
    if start is not None:
        raise MarkerError(path, start, "'# BEGIN SOLUTION' is never closed by '# END SOLUTION'")
    return regions


def solution_lines(src, path="<string>"):
    """The code lines a stub must not contain: every line inside a region and every
    `# SOLUTION` line (stripped, comments and blank lines left out)."""
    lines = src.splitlines()
    out = []
    for a, b in solution_regions(src, path):
        out += lines[a : b - 1]
    out += [m.group("code") for m in map(INLINE.match, lines) if m and "BEGIN" not in m.group("code")]
    return [l.strip() for l in out if l.strip() and not l.strip().startswith("#")]


def strip_solutions(src, path="<string>"):
    """Returns `src` with every solution region replaced by an indented
    `raise NotImplementedError` (hint above it); everything else is kept byte for byte."""
    solution_regions(src, path)  # validates first: errors name the line
    out, inside = [], False
    for i, line in enumerate(src.splitlines(keepends=True), 1):
        m = BEGIN.match(line)
        if m:
            inside = True
            indent = m.group("indent")
            if m.group("hint"):
                out.append(f"{indent}# HINT: {m.group('hint').strip()}\n")
            out.append(f"{indent}{STUB}\n")
            continue
        if END.match(line):
            inside = False
            continue
        if inside:
            continue
        m = INLINE.match(line)
        if m:
            out.append(f"{m.group('indent')}{STUB}\n")
            continue
        out.append(line)
    return "".join(out)
