"""The describer: models are rebuilt and described in a process forked from the fork
server, so the trusted process never imports Keras (it starts fast and stays small); a stopped
describer costs one call's timeout, not the grading, and is replaced; none is left afterwards."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Runs in a fresh interpreter in which importing keras, tensorflow or jax raises: the trusted
# side must grade models without them. Prints one JSON line of what it saw.
SCRIPT = r"""
import json, os, signal, sys, time
import numpy as np

class NoKeras:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("keras", "tensorflow", "jax"):
            raise ImportError(f"the trusted process imported {name}")
sys.meta_path.insert(0, NoKeras())

from zoo.grading import sandbox
from zoo.grading.runner import Submission, SubmissionError

facts = {}
x = np.random.default_rng(0).random((3, 32, 32, 1), dtype=np.float32)
with Submission(os.path.join(sys.argv[1], "solutions")) as sub:
    lenet = sub.call("ex03_lenet", "build_lenet5", probe="model", probe_kwargs={"x": x})
    facts["params"] = lenet["params"]
    facts["pred_rows"] = np.asarray(lenet["pred"]).sum(axis=1).tolist()
    facts["kinds"] = [row["class"] for row in lenet["layers"]]
    first = sub.describer.pid
    os.kill(first, signal.SIGSTOP)  # a describer that stops answering
    started = time.monotonic()
    try:
        sub.call("ex03_lenet", "build_lenet5", probe="model", timeout=float(sys.argv[2]))
        facts["stopped"] = "no error"
    except SubmissionError as e:
        facts["stopped"] = e.message
    facts["stopped_s"] = time.monotonic() - started
    facts["first_left"] = first in sandbox.processes()
    facts["again"] = sub.call("ex03_lenet", "build_lenet5", classes=4, probe="model")["params"]
    second = sub.describer.pid
    facts["replaced"] = second != first
facts["second_left"] = second in sandbox.processes()
facts["imported"] = sorted(m for m in ("keras", "tensorflow", "jax") if m in sys.modules)
print(json.dumps(facts))
"""


@pytest.fixture(scope="module")
def facts():
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", SCRIPT, ROOT, "6"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_models_are_described_without_keras_in_the_trusted_process(facts):
    assert facts["imported"] == []
    assert facts["params"] == 61706  # LeNet-5 for 10 classes (LeCun et al. 1998, without the C3 table)
    assert facts["kinds"][:3] == ["Conv2D", "MaxPooling2D", "Conv2D"] or "Conv2D" in facts["kinds"]
    assert facts["pred_rows"] == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)  # softmax outputs, computed by the describer


def test_a_stopped_describer_costs_one_timeout_and_is_replaced(facts):
    assert "describing the model took more than 6 s" in facts["stopped"], facts["stopped"]
    assert facts["stopped_s"] < 6 + 20  # the call's timeout (plus the child's own call), not the grading's
    assert not facts["first_left"] and facts["replaced"]
    assert facts["again"] == 61706 - 85 * 6  # 4 classes instead of 10: 6 x (84 weights + 1 bias) fewer
    assert not facts["second_left"]  # ended with the submission
