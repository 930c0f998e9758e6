"""`zoo compare optimizers`: one figure, a loss curve per optimizer, same start."""

import json

import numpy as np

from zoo.data import ArrayDataset, load


def test_compare_two_optimizers(tmp_path):
    from zoo.training.compare import compare_optimizers

    tr, va = load("digits", "train"), load("digits", "val")
    tr = ArrayDataset(tr.x[:320], tr.y[:320], tr.task, tr.class_names, tr.name)
    res = compare_optimizers("lenet5", "digits", out=str(tmp_path), optimizers=["sgd", "adam"], epochs=2,
                             datasets=(tr, va), verbose=False)
    assert (tmp_path / "optimizers.png").exists()
    saved = json.loads((tmp_path / "optimizers.json").read_text())["results"]
    assert set(saved) == {"sgd", "adam"} and len(res["adam"]["losses"]) == 20
    assert res["sgd"]["losses"][0] == res["adam"]["losses"][0]  # same weights, same first batch
    for r in res.values():
        assert np.mean(r["losses"][-5:]) < r["losses"][0]  # both learn
