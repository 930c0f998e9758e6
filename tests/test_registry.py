import json
import os
import random
import subprocess
import sys

import pytest

import zoo
from zoo import registry
from tests.conftest import ROOT


def test_import_zoo_is_light():
    """`import zoo`, and `zoo --help` / `zoo train --help` (the parser and every command module),
    pull in neither Keras, TensorFlow, JAX nor matplotlib: the command handlers import the library."""
    heavy = "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'matplotlib') if m in sys.modules))"
    code = ("import sys, contextlib, io, zoo\n" + heavy + "\n"
            "import zoo.registry, zoo.cli\n"
            "for argv in (['--help'], ['train', '--help'], ['transfer', '--help'], ['tune', '--help']):\n"
            "    try:\n"
            "        with contextlib.redirect_stdout(io.StringIO()):\n"
            "            zoo.cli.main(argv)\n"
            "    except SystemExit:\n"
            "        pass\n" + heavy)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["[]", "[]"], out.stdout + out.stderr[-1000:]


def test_catalog_matches_the_registry():
    """zoo/_catalog.py (what `zoo list` and the CLI's name checks read) is the live registry's metadata."""
    live = {n: registry.catalog_entry(registry.get_spec(n)) for n in zoo.list_models()}
    stale = sorted(set(live) ^ set(registry.catalog()) | {n for n in live if registry.catalog().get(n) != live[n]})
    assert not stale, f"zoo/_catalog.py is out of date for {stale}: run `python -m zoo.registry`"
    assert list(registry.catalog()) == zoo.list_models()  # same natural order as the registry


def test_list_and_name_checks_do_not_import_keras():
    """`zoo list` answers, and a misspelt model is refused, without importing Keras (~0.1 s, not ~8 s)."""
    code = ("import sys, contextlib, io, zoo.cli\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    rc = zoo.cli.main(['list', 'vgg1?_bn'])\n"
            "try:\n"
            "    zoo.cli.main(['train', 'resnt50', '--dataset', 'digits', '--out', 'x'])\n"
            "except SystemExit as e:\n"
            "    rc2 = e.code\n"
            "print(rc, out.getvalue().split()[::4], rc2, [m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "0 ['vgg11_bn', 'vgg13_bn', 'vgg16_bn', 'vgg19_bn'] 2 []", proc.stdout + proc.stderr
    assert "Unknown model 'resnt50'. Did you mean: resnet50" in proc.stderr


def test_list_models_with_wildcards():
    names = zoo.list_models()
    assert "lenet5" in names
    assert names == sorted(names, key=registry._natural_key)
    assert zoo.list_models("lenet*") == ["lenet5"]
    assert zoo.list_models("no-such-model*") == []
    assert all(registry.get_spec(n).task == "classification" for n in zoo.list_models(task="classification"))


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match=r"Unknown model 'lenet'.*Did you mean: lenet5"):
        zoo.get_model("lenet")


def test_duplicate_registration_raises():
    zoo.list_models()  # registers the families
    before = dict(registry._REGISTRY)
    with pytest.raises(ValueError, match="'lenet5' is registered already"):
        registry.register_model(family="lenet", task="classification", input_shape=(32, 32, 1),
                                min_input_shape=(16, 16), paper="x", name="lenet5")(lambda **kw: None)
    assert registry._REGISTRY == before


def test_bad_task_filter_is_refused():
    with pytest.raises(ValueError, match="task must be one of"):
        zoo.list_models(task="colorization")


def test_every_spec_is_complete():
    for name in zoo.list_models():
        spec = registry.get_spec(name)
        assert spec.paper and spec.family and len(spec.default_input_shape) == 3, name
        assert len(spec.min_input_shape) == 2, name


# Each family module registers its own models, whatever was imported before it: the families are
# imported here one by one, in seeded random orders, past zoo/models/__init__.py (whose fixed order
# would otherwise hide an order dependence), and give the registry of the package import.
_IMPORT_IN_ORDER = """
import importlib, json, os, sys, types
import zoo, zoo.registry as registry
pkg = types.ModuleType("zoo.models")
pkg.__path__ = [os.path.join(os.path.dirname(zoo.__file__), "models")]
sys.modules["zoo.models"] = pkg
for family in sys.argv[1:]:
    importlib.import_module("zoo.models." + family)
print(json.dumps({n: [repr(registry.catalog_entry(s)), s.builder.__module__, s.builder.__qualname__]
                  for n, s in sorted(registry._REGISTRY.items())}))
"""


def _families():
    folder = os.path.join(ROOT, "zoo", "models")
    return sorted(f[:-3] for f in os.listdir(folder)
                  if f.endswith(".py") and "@register_model(" in open(os.path.join(folder, f), encoding="utf-8").read())


def _registry_after(order):
    env = dict(os.environ, KERAS_BACKEND="numpy", PYTHONPATH=ROOT)  # registration is backend-free: the lightest
    proc = subprocess.run([sys.executable, "-c", _IMPORT_IN_ORDER, *order], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_registration_does_not_depend_on_import_order():
    families = _families()
    assert {"lenet", "resnet", "vgg", "ssd", "unet"} <= set(families), families
    rng = random.Random(27)
    orders = [["ssd", *[f for f in families if f != "ssd"]], families[::-1]]
    orders.append(rng.sample(families, len(families)))
    expected = {n: [repr(registry.catalog_entry(s)), s.builder.__module__, s.builder.__qualname__]
                for n, s in ((n, registry.get_spec(n)) for n in zoo.list_models())}
    for order in orders:
        assert _registry_after(order) == expected, order
    # a family imported alone registers every model it defines (SSD's VGG16 and ResNet-18 detectors too)
    alone = _registry_after(["ssd"])
    assert {"ssd_tiny", "ssd300_vgg16", "ssd_resnet18"} <= set(alone)


def test_two_records_of_one_format_are_refused():
    """A file's format picks the record that reads it: two records of one format would be a guess."""
    record = registry.get_spec("resnet18").weights[0]
    before = dict(registry._REGISTRY)
    with pytest.raises(ValueError, match=r"'twice'.*two records read safetensors, torch files"):
        registry.register_model(family="resnet", task="classification", input_shape=(32, 32, 3), min_input_shape=(8, 8),
                                paper="x", name="twice", weights=(record, record))(lambda **kw: None)
    assert registry._REGISTRY == before
