"""Gradescope `results.json` (score, execution_time, output, tests[]) and a terminal table.

Schema: https://gradescope-autograders.readthedocs.io/en/latest/specs/ . A crash or a
collection failure becomes a visible "Autograder failed" entry worth 0 with the traceback in
a hidden entry, so a student never sees staff internals and never gets points by accident.
`Results.for_student()` is the copy a student is sent: the hidden tests' scores without their
output, no entry meant for staff.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import textwrap

from zoo.io import write_json

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
INCOMPLETE = "Grading incomplete"
HIDDEN_NOTE = "a hidden test: its inputs and output stay with the staff"
NOT_GRADED = "not graded: "  # a test of an exercise whose module could not be imported
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclasses.dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    status: str = "passed"  # "passed" | "failed"
    output: str = ""
    visibility: str = "visible"
    exercise: str = ""

    def to_gradescope(self):
        return {
            "name": self.name,
            "score": round(float(self.score), 4),
            "max_score": float(self.max_score),
            "status": self.status,
            "output": self.output,
            "visibility": self.visibility,
        }


@dataclasses.dataclass
class Results:
    tests: list = dataclasses.field(default_factory=list)
    execution_time: float = 0.0
    output: str = ""
    incomplete: str = ""  # why the grade is not whole (tests not run, a full disk); "" when it is
    import_errors: dict = dataclasses.field(default_factory=dict)  # {exercise: "syntax error in exNN.py line 3" | "exNN.py is missing"}

    def mark_incomplete(self, reason):
        """Says the grade is incomplete: a visible 0-point entry, the output's first line and the
        top-level "incomplete" key name the reason (the scores already earned stay)."""
        reason = reason.strip()
        self.incomplete = reason
        self.tests = [t for t in self.tests if not t.name.startswith(INCOMPLETE)]
        self.tests.append(TestResult(f"{INCOMPLETE}: {reason}"[:300], 0.0, 0.0, "failed",
                                     "This grade is incomplete; the submission will be graded again.", "visible"))
        head = f"{INCOMPLETE}: {reason}. The scores below are not the final grade."
        rest = [line for line in self.output.splitlines() if not line.startswith(INCOMPLETE)]
        self.output = "\n".join([head] + rest)
        return self

    @property
    def score(self):
        return float(sum(t.score for t in self.tests))

    @property
    def max_score(self):
        return float(sum(t.max_score for t in self.tests))

    def by_exercise(self):
        """{exercise: (score, max_score)} in the order the tests came."""
        out = {}
        for t in self.tests:
            if not t.exercise:
                continue
            s, m = out.get(t.exercise, (0.0, 0.0))
            out[t.exercise] = (s + t.score, m + t.max_score)
        return out

    def to_gradescope(self):
        out = {
            "score": round(self.score, 4),
            "execution_time": round(float(self.execution_time), 2),
            "output": self.output,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [t.to_gradescope() for t in self.tests],
        }
        if self.incomplete:
            out["incomplete"] = self.incomplete
        if self.import_errors:
            out["import_errors"] = dict(self.import_errors)
        return out

    def for_student(self):
        """The copy a student may be sent: visible entries whole; every other test as its name,
        status and score, its output replaced by HIDDEN_NOTE when it failed (a hidden test's
        output names its generated inputs and the expected values: sent as a file, the test
        would be out in the class for good); 0-point entries for staff (tracebacks) left out.
        The total stays the gradebook's."""
        tests = []
        for t in self.tests:
            if t.visibility == "visible":
                tests.append(dataclasses.replace(t))
            elif t.exercise in self.import_errors and t.output.startswith(NOT_GRADED):
                tests.append(dataclasses.replace(t))  # the student's own import error, nothing of the test
            elif t.visibility != "hidden" or t.max_score:
                tests.append(dataclasses.replace(t, output=HIDDEN_NOTE if t.status != "passed" else ""))
        return dataclasses.replace(self, tests=tests, import_errors=dict(self.import_errors))

    def write(self, path):
        write_json(path, self.to_gradescope())
        return path

    @classmethod
    def failed(cls, message, details="", execution_time=0.0):
        """The whole run crashed: a visible failure worth 0, the traceback hidden."""
        return cls(
            tests=[
                TestResult("Autograder failed", 0.0, 0.0, "failed", message, "visible"),
                TestResult("Autograder failed (details for staff)", 0.0, 0.0, "failed", details, "hidden"),
            ],
            execution_time=execution_time,
            output=f"The autograder could not grade this submission: {message}",
        )

    @classmethod
    def read(cls, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        tests = [TestResult(t["name"], t.get("score", 0.0), t.get("max_score", 0.0), t.get("status", ""),
                            t.get("output", ""), t.get("visibility", "visible"), _exercise(t["name"]))
                 for t in data.get("tests", [])]
        errors = data.get("import_errors")
        return cls(tests, data.get("execution_time", 0.0), data.get("output", ""), str(data.get("incomplete", "") or ""),
                   {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {})

    def table(self, *, width=None, details=True):
        """A plain-text table: one row per test, a total line, failures' feedback indented.
        Names and feedback are wrapped to the terminal's width, never cut."""
        width = max(60, width or min(shutil_width(), 120))
        tests = [dataclasses.replace(t, name=printable(t.name), output=printable(t.output)) for t in self.tests]
        name_w = min(max([len(t.name) for t in tests] + [10]), width - 24)
        rows = []
        for t in tests:
            mark = "PASS" if t.status == "passed" else "FAIL"
            name = textwrap.wrap(t.name, name_w, break_long_words=True, break_on_hyphens=False) or [""]
            rows.append(f"{mark}  {name[0]:<{name_w}}  {t.score:5.1f} / {t.max_score:<5.1f}")
            rows += [" " * 6 + more for more in name[1:]]
            if details and t.status != "passed" and t.output and t.visibility != "hidden":
                for line in t.output.strip().splitlines():
                    indent = len(line) - len(line.lstrip())
                    rows += textwrap.wrap(line.strip(), width, initial_indent=" " * (6 + indent),
                                          subsequent_indent=" " * (8 + indent), break_long_words=True,
                                          break_on_hyphens=False, drop_whitespace=True) or [""]
        pct = 100.0 * self.score / self.max_score if self.max_score else 0.0
        rows.append("-" * min(width, name_w + 22))
        rows.append(f"TOTAL {self.score:.1f} / {self.max_score:.1f} ({pct:.0f} %)  in {self.execution_time:.1f} s")
        if self.output:
            rows = [line for para in printable(self.output).strip().splitlines()
                    for line in textwrap.wrap(para, width, subsequent_indent="  ") or [""]] + [""] + rows
        return "\n".join(rows)


def missing_summary(exercise):
    """'ex03_lenet.py is missing': the status of an exercise whose file the submission lacks."""
    return f"{exercise}.py is missing"


def counted(n, noun, plural=None):
    """'1 student', '2 students', '0 tests': the number and the noun in the form it takes."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def printable(text):
    """`text` with every control character but newline and tab escaped (\\x1b, \\r, ...): what
    a submission puts in a message cannot move the cursor, recolour or rewrite a terminal."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def shutil_width():
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def _exercise(name):
    """'ex03_lenet: test_x (...)' -> 'ex03_lenet'; '' for entries of no exercise."""
    head = name.split(":", 1)[0]
    return head if head.startswith("ex") and head[2:4].isdigit() else ""
