"""zoo.data.load: digits splits, the synthetic-set dispatch, tfds (mocked), folders, no-TF JAX path."""

import os
import subprocess
import sys
import types

import numpy as np
import pytest

from zoo.data import ArrayDataset, load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_digits_splits_are_disjoint_and_complete():
    tr, va, te = (load("digits", s) for s in ("train", "val", "test"))
    assert (len(tr), len(va), len(te)) == (1293, 144, 360)
    assert tr.x.shape[1:] == (32, 32, 1) and tr.x.dtype == np.float32 and tr.task == "classification"
    assert tr.classes == 10 and tr.class_names[3] == "3"
    # train + val is exactly load_digits' training part: nothing shared, nothing lost
    from zoo.data import load_digits

    (xtr, _), _ = load_digits(32, seed=0)
    key = lambda x: sorted(hash(r.tobytes()) for r in x)  # noqa: E731
    assert key(np.concatenate([tr.x, va.x])) == key(xtr)
    assert load("digits", "val", image_size=16, channels=3).x.shape[1:] == (16, 16, 3)


def test_bad_names_and_splits_are_named_in_the_error():
    with pytest.raises(ValueError, match="split='dev'"):
        load("digits", "dev")
    with pytest.raises(ValueError, match="image_size"):
        load("digits", image_size=(0, 3))


def test_synthetic_names_dispatch_to_their_modules(monkeypatch):
    calls = []

    def fake_load(split, *, image_size=None, seed=0, **kw):
        calls.append((split, image_size, seed, kw))
        return ArrayDataset(np.zeros((2, 8, 8, 3), np.float32), np.zeros((2, 8, 8), int), "segmentation", ["bg", "fg"], "shapes")

    monkeypatch.setitem(sys.modules, "zoo.data.shapes", types.SimpleNamespace(load=fake_load))
    ds = load("shapes", "val", image_size=64, seed=3, count=5)
    assert ds.task == "segmentation" and calls == [("val", 64, 3, {"count": 5})]
    monkeypatch.setitem(sys.modules, "zoo.data.shapes_det", None)  # not installed
    with pytest.raises(ValueError, match="shapes-det.*zoo.data.shapes_det"):
        load("shapes-det")


def test_folder_dataset_split_is_stratified_and_disjoint(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in ("cat", "dog"):
        (tmp_path / c).mkdir()
        for i in range(10):
            Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).save(tmp_path / c / f"{i}.png")
    splits = {s: load(f"folder:{tmp_path}", s, image_size=16) for s in ("train", "val", "test")}
    files = [set(splits[s].meta["files"]) for s in splits]
    assert sum(map(len, files)) == 20 and not (files[0] & files[1] or files[0] & files[2] or files[1] & files[2])
    assert splits["train"].class_names == ["cat", "dog"] and splits["train"].x.shape[1:] == (16, 16, 3)
    assert np.bincount(splits["test"].y).tolist() == [2, 2]
    with pytest.raises(FileNotFoundError, match=f"--dataset folder:{tmp_path}/nope: no such folder"):
        load(f"folder:{tmp_path}/nope")  # named as the user typed it (zoo train --dataset)


def test_tfds_mnist_through_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=20):
        tr = load("mnist", "train", image_size=16)
        va = load("mnist", "val")
    # mock_data yields num_examples whatever the slice: the slice strings are checked instead
    assert tr.x.shape == (20, 16, 16, 1) and va.x.shape == (20, 28, 28, 1) and va.meta["tfds_split"] == "train[90%:]"
    assert 0.0 <= tr.x.min() and tr.x.max() <= 1.0 and tr.x.dtype == np.float32
    assert tr.classes == 10 and tr.y.dtype == np.int64 and tr.meta["tfds_split"] == "train[:90%]"


def test_tfds_without_data_says_so_and_how_to_pass_data_dir(tmp_path):
    pytest.importorskip("tensorflow_datasets")
    with pytest.raises(FileNotFoundError, match=r"does not download.*--data-dir"):
        load("mnist", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Did you mean: mnist"):
        load("mnistt")
    # a tfds detection set without a loader of its own is refused up front, naming what it has
    with pytest.raises(ValueError, match=r"'kitti' has no 'image' and 'label'.*objects.*oxford_iiit_pet and voc"):
        load("kitti", data_dir=str(tmp_path))


NO_TF = r'''
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
sys.meta_path.insert(0, Block())
import keras, numpy as np
from zoo.data import as_pydataset, load
from zoo.training.train import train
assert keras.backend.backend() == "jax"
tr, va, te = (load("digits", s) for s in ("train", "val", "test"))
batches = as_pydataset(tr, 64)
x, y = batches[0]
assert x.shape == (64, 32, 32, 1) and len(batches) == 21
small = [type(tr)(d.x[:256], d.y[:256], d.task, d.class_names, d.name) for d in (tr, va, te)]
m = train("lenet5", "digits", sys.argv[1], epochs=3, batch_size=32, lr=3e-3, datasets=small, verbose=0)  # 2 epochs: 0.24-0.63 over seeds 0-3, too near 0.3
assert "tensorflow" not in sys.modules
print("ACC", m["test"]["accuracy"])
'''


def test_numpy_path_trains_on_jax_without_tensorflow(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", NO_TF, str(tmp_path / "run")], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "TensorBoard logs skipped" in p.stdout
    acc = float(p.stdout.split("ACC")[-1])
    assert acc > 0.3, p.stdout  # 10 classes: chance is 0.1
    assert (tmp_path / "run" / "model.keras").exists() and (tmp_path / "run" / "saliency.png").exists()


def test_pets_and_voc_go_to_their_dedicated_loaders(monkeypatch):
    import zoo.data
    from zoo.data import pets, voc

    calls = []
    monkeypatch.setattr(pets, "load", lambda split, **kw: calls.append(("pets", split, kw["data_dir"])) or "P")
    monkeypatch.setattr(voc, "load", lambda split, **kw: calls.append(("voc", split, kw["data_dir"])) or "V")
    assert zoo.data.load("oxford_iiit_pet", "val", data_dir="/d") == "P"
    assert zoo.data.load("voc", "test", data_dir="/e") == "V"
    assert calls == [("pets", "val", "/d"), ("voc", "test", "/e")]


def test_a_folder_path_as_dataset_name_says_how_to_pass_it(tmp_path):
    """`--dataset /path/to/images` is what a practitioner types first: the answer names the
    'folder:' form (it was a tfds parse error about builder name strings)."""
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match=f"is passed as 'folder:{tmp_path}'") as e:
        load(str(tmp_path), "train")
    assert "builder" not in str(e.value)
    with pytest.raises(ValueError, match=r"no such folder here.*'folder:\./no_such_dir'"):
        load("./no_such_dir", "train")
    with pytest.raises(ValueError, match="unknown dataset 'bad name!!'"):  # not even a tfds name's form
        load("bad name!!", "train")
