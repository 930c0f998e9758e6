"""Issue point 6: the graded tests on the JAX backend (`zoo grade SUBMISSION --backend jax`, on
the CPU here and on a GPU machine by `make gpu-test`) give the reference solutions the same
full score as on TensorFlow.

The normal suite grades the U-Net exercise on JAX (it once passed its time limit there: every
weight initializer is an XLA compile) and checks the JAX children's settings; `make test-slow` grades
every exercise on JAX; `make gpu-test` does the same on a GPU."""

import os

import pytest

from zoo.grading import children, runner
from zoo.grading.build import ROOT
from zoo.grading.grade import grade_submission

SOLUTIONS = os.path.join(ROOT, "solutions")


def _full_score(res, at_least):
    assert res.max_score >= at_least and res.score == res.max_score, res.table()
    assert all(t.status == "passed" for t in res.tests), res.table()


def test_jax_children_use_full_precision_matmuls(tmp_path):
    """JAX children run with float32 matmuls at 'highest' precision (no TF32 on a GPU), start
    from the fork server, import no TensorFlow, and on a machine without a GPU compile with
    XLA's fast settings."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "probe_jax.py").write_text(
        "import os\nimport sys\n\nimport jax\nimport keras\n\n\n"
        "def settings():\n"
        "    x = keras.ops.matmul(keras.ops.ones((2, 3)), keras.ops.ones((3, 2)))\n"
        "    return {'precision': str(jax.config.jax_default_matmul_precision), 'backend': keras.backend.backend(),\n"
        "            'xla_flags': os.environ.get('XLA_FLAGS', ''), 'matmul': keras.ops.convert_to_numpy(x),\n"
        "            'tensorflow': 'tensorflow' in sys.modules}\n")
    with runner.Submission(str(sub), backend="jax") as s:
        out = s.call("probe_jax", "settings")
        assert s.workers["probe_jax"].proc is None, "the JAX child should come from the fork server"
    assert out["precision"] == "highest" and out["backend"] == "jax", out
    assert out["matmul"].tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert not out["tensorflow"], "seeding a JAX child must not import TensorFlow (3-6 s and ~1 GB a child)"
    if not runner.has_gpu():
        assert runner.CPU_XLA_FLAGS in out["xla_flags"], out
    env = runner.child_env("jax", str(tmp_path), str(tmp_path))
    assert env["JAX_DEFAULT_MATMUL_PRECISION"] == "highest" and "JAX_DEFAULT_MATMUL_PRECISION" not in runner.child_env("tensorflow", "h", "t")


def test_children_find_packages_installed_with_target(tmp_path, monkeypatch):
    """`make gpu-test` installs keras & co. with `pip install --target /tmp/site` onto
    PYTHONPATH: the children get that folder, never the repository, a folder in it or above it."""
    site = tmp_path / "site"
    site.mkdir()
    repo = os.path.realpath(ROOT)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), repo, os.path.join(repo, "tests"), os.path.dirname(repo), "relative"]))
    dirs = runner.site_dirs(exclude=[repo])
    assert os.path.realpath(site) in dirs
    assert not [d for d in dirs if d == repo or d == os.path.dirname(repo) or d.startswith(os.path.join(repo, "tests"))], dirs


def test_memory_limit_lets_cuda_start_on_a_gpu_machine(monkeypatch):
    import resource

    monkeypatch.setattr(children, "has_gpu", lambda: False)  # where memory_rlimit looks it up
    assert runner.memory_rlimit("jax") == runner.memory_rlimit("tensorflow") == resource.RLIMIT_AS
    monkeypatch.setattr(children, "has_gpu", lambda: True)
    assert runner.memory_rlimit("jax") == resource.RLIMIT_DATA  # CUDA reserves address space at start
    assert runner.memory_rlimit("tensorflow") == resource.RLIMIT_AS


def test_model_exercises_full_score_on_jax(tmp_path):
    res = grade_submission(SOLUTIONS, backend="jax", exercises=["ex11"], out=str(tmp_path / "r.json"))
    _full_score(res, 8)
    assert list(res.by_exercise()) == ["ex11_unet_dice"]


@pytest.mark.slow
def test_solutions_full_score_on_jax(tmp_path):
    _full_score(grade_submission(SOLUTIONS, backend="jax", out=str(tmp_path / "r.json")), 90)


@pytest.mark.gpu
def test_solutions_full_score_on_jax_gpu(tmp_path):
    if not runner.has_gpu():
        pytest.skip("no NVIDIA GPU on this machine")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "probe_gpu.py").write_text("import jax\n\n\ndef platform():\n    return jax.default_backend()\n")
    with runner.Submission(str(sub), backend="jax") as s:
        # a 6 GiB address-space limit may stop CUDA from starting: JAX would then fall back to the CPU
        assert s.call("probe_gpu", "platform") == "gpu", "the grader's JAX children do not see the GPU"
    _full_score(grade_submission(SOLUTIONS, backend="jax", out=str(tmp_path / "r.json")), 90)
