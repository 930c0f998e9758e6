"""The journey of a user who installs the wheel: built with `python -m build`, installed under its
distribution name into a fresh venv outside the checkout, `zoo demo` run from another folder."""

import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from tests.conftest import ROOT


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_the_wheel_installs_outside_the_checkout_and_runs_zoo_demo(tmp_path):
    pytest.importorskip("build", reason="`build` is in the test extra (make test installs it)")
    # Built from a copy of what the sdist holds, so the checkout gets no build/ or .egg-info/.
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "zoo"), src / "zoo", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(src)],
         cwd=str(tmp_path), env=env)
    wheels = glob.glob(str(dist / "*.whl"))
    assert len(wheels) == 1 and os.path.basename(wheels[0]).startswith("zoo_vision-"), wheels
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "zoo/checkpoints/imagenet_classes.json" in names  # package data travels
    assert not any(n.startswith(("tests/", "solutions/", "docs/")) for n in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env=env)
    py = str(venv / "bin" / "python")
    _run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheels[0]], env=env)
    # The dependencies come from this interpreter's site-packages, appended after the venv's own
    # (a plain path in a .pth runs no .pth inside it, so this checkout's editable finder stays out).
    site = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env=env).stdout.strip()
    with open(os.path.join(site, "zz_test_deps.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "work"
    work.mkdir()
    where = _run([py, "-c", "import zoo, importlib.metadata as m; print(zoo.__file__); print(m.version('zoo-vision'))"],
                 cwd=str(work), env=env).stdout.split()
    assert where[0].startswith(str(venv)), f"zoo was imported from {where[0]}, not from the venv"
    demo = _run([str(venv / "bin" / "zoo"), "demo", "--epochs", "1", "--out", "demo"], cwd=str(work), env=env)
    assert "test accuracy" in demo.stdout + demo.stderr
    assert " 1 epoch, batch" in demo.stdout and "1 epochs" not in demo.stdout, demo.stdout
    assert os.path.isfile(work / "demo" / "model.keras") and os.path.isfile(work / "demo" / "metrics.json")
