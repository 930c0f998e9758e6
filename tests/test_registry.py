import subprocess
import sys

import pytest

import zoo
from zoo import registry
from tests.conftest import ROOT


def test_import_zoo_is_light():
    """`import zoo` and the registry module pull in neither Keras nor TensorFlow."""
    code = "import sys, zoo, zoo.registry, zoo.cli; zoo.cli.build_parser(); " \
           "print(sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


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
