"""zoo.tuning: HyperModels, search-space checks, bad input before training, failed searches,
reproducible searches, results and plots (in-process, tiny budgets)."""

import importlib
import json
import os
import re

import numpy as np
import pytest
from packaging.specifiers import SpecifierSet

import keras
import keras_tuner as kt

from zoo import cli
from zoo.tuning import adapter, hypermodels, search
from zoo.tuning import results as search_results
from zoo.tuning.hypermodels import LeNetHyperModel, get_hypermodel, parse_space

TINY = ["--image-size", "16", "--train-size", "96", "--epochs", "1"]


def _tune(tmp_path, *extra, out="run"):
    return cli.main(["tune", "lenet5", "--dataset", "digits", *TINY, "--out", str(tmp_path / out), *extra])


@pytest.mark.portable
def test_lenet_hypermodel_default_is_the_registered_lenet_and_compiled():
    hm = LeNetHyperModel("lenet5", input_shape=(32, 32, 1), classes=10, epochs=2, train_size=100)
    hp = kt.HyperParameters()
    model = hm.build(hp)
    assert model.optimizer is not None and model.loss == "sparse_categorical_crossentropy"
    assert model.count_params() == 61_706  # the default point of the space is the course's LeNet-5
    assert set(hp.values) == {s.name for s in hm.space}
    assert hp.values["optimizer"] == "adam" and hp.values["learning_rate"] == pytest.approx(1e-3)
    # another point of the space gives another network, still compiled, and it trains
    hp2 = kt.HyperParameters()
    hp2.values.update(c1_filters=8, c3_filters=8, kernel_size=3, activation="tanh", pool="avg", dropout=0.3,
                      optimizer="nesterov", schedule="cosine", weight_decay=1e-4, batch_size=16, augment=2.0)
    small = hm.build(hp2)
    assert small.get_layer(small.layers[-1].name) is not None and small.optimizer.nesterov
    # the tuner's augmentation is zoo.training.augment's "geometric" preset at the trial's strength
    (aug,) = [l for l in small.layers if l.name == "augment"]
    assert aug.get_layer("translation").height_factor == pytest.approx(0.16)
    assert aug.get_layer("rotation").factor == pytest.approx((-0.1, 0.1))
    x = np.random.default_rng(0).random((8, 32, 32, 1), dtype=np.float32)
    hist = hm.fit(hp2, small, x, np.arange(8) % 10, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])


def test_every_optimizer_of_the_space_is_built():
    for name in hypermodels.OPTIMIZERS:
        for schedule in hypermodels.SCHEDULES:
            opt = hypermodels.make_optimizer(
                dict(optimizer=name, learning_rate=0.01, schedule=schedule, weight_decay=1e-4, batch_size=32),
                epochs=2, train_size=100,
            )
            assert isinstance(opt, keras.optimizers.Optimizer)
            assert opt.weight_decay == 1e-4, (name, opt.weight_decay)
    # the same factory as `zoo train`: momentum / nesterov / decoupled decay as named, schedules span the trial
    sgd = lambda **kw: hypermodels.make_optimizer(  # noqa: E731
        dict(dict(optimizer="nesterov", learning_rate=0.1, schedule="cosine", weight_decay=0.0, batch_size=10), **kw),
        epochs=2, train_size=100)
    opt = sgd()
    assert opt.momentum == 0.9 and opt.nesterov and opt.weight_decay is None
    assert float(opt.learning_rate) == pytest.approx(0.1)  # before the first step
    assert float(opt._learning_rate(20)) == pytest.approx(0.0, abs=1e-7)  # 2 epochs x 10 steps: decayed to 0
    assert hypermodels.make_optimizer(dict(optimizer="adamw", learning_rate=1e-3, schedule="constant", weight_decay=0.0,
                                           batch_size=32), epochs=1, train_size=32).weight_decay == 0.0


@pytest.mark.parametrize(
    "space, match",
    [
        ({"lr": (1e-4, 1e-2)}, "has no hyperparameter 'lr'.*learning_rate"),
        ({"learning_rate": (1e-2, 1e-4)}, "min_value must be <= max_value"),
        ({"learning_rate": (0.0, 1e-2)}, "log scale, so min_value must be > 0"),
        ({"optimizer": ["adam", "lion"]}, "optimizer accepts values from"),
        ({"dropout": (0.0, 0.5, 0.9)}, "takes a range"),
        ({"kernel_size": [7]}, "kernel_size accepts values from"),
    ],
)
def test_invalid_search_space_is_refused_in_init(space, match):
    with pytest.raises(ValueError, match=match):
        LeNetHyperModel("lenet5", input_shape=(32, 32, 1), classes=10, space=space)


def test_input_too_small_for_the_space_and_wrong_family():
    with pytest.raises(ValueError, match=r"too small for lenet5 with kernel_size up to 5.*>= 16"):
        LeNetHyperModel("lenet5", input_shape=(12, 12, 1), classes=10)
    LeNetHyperModel("lenet5", input_shape=(12, 12, 1), classes=10, space={"kernel_size": 3})
    with pytest.raises(ValueError, match="Unknown model"):
        get_hypermodel("lenet6", input_shape=(32, 32, 1), classes=10)


def test_parse_space_and_overrides():
    space = parse_space(["learning_rate=1e-4:1e-2", "optimizer=adam,sgd", "dropout=0.2", "batch_size=32"])
    assert space == {"learning_rate": (1e-4, 1e-2), "optimizer": ["adam", "sgd"], "dropout": 0.2, "batch_size": 32}
    hm = LeNetHyperModel("lenet5", input_shape=(32, 32, 1), classes=10, space=space)
    hp = kt.HyperParameters()
    hm.values_of(hp)
    assert hp.values["dropout"] == 0.2 and hp.values["batch_size"] == 32
    assert [p for p in hp.space if p.name == "optimizer"][0].values == ["adam", "sgd"]
    with pytest.raises(ValueError, match="NAME=MIN:MAX"):
        parse_space(["learning_rate"])


def test_the_tuning_page_is_written_from_the_search_spaces():
    """docs/topics/tuning.md shows search_space_table() (tests/test_docs.py reads the built page)."""
    page = open(os.path.join(os.path.dirname(__file__), "..", "docs", "topics", "tuning.md"), encoding="utf-8").read()
    assert "<!-- zoo:search-spaces -->" in page and "| family | hyperparameter |" not in page


@pytest.mark.parametrize(
    "args, match",
    [
        (["--objective", "val_map50"], "objective 'val_map50' is not reported by lenet5.*val_accuracy"),
        (["--space", "learning_rate=1:0.1"], "min_value must be <= max_value"),
        (["--tuner", "random", "--space", "nope=1"], "has no hyperparameter 'nope'"),
        (["--workers", "-1"], "--workers must be >= 1"),
    ],
)
def test_bad_input_fails_before_any_training(tmp_path, capsys, args, match):
    argv = args if "--tuner" in args else ["--tuner", "random", *args]
    assert _tune(tmp_path, *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: ") and len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err), err
    assert not os.path.exists(tmp_path / "run" / "search"), "no trial may start"


@pytest.mark.parametrize("args", [["--tuner", "annealing"], ["--tuner", "random", "--max-trials", "0"]])
def test_bad_tuner_or_budget_exits_2(tmp_path, capsys, args):
    with pytest.raises(SystemExit) as e:
        _tune(tmp_path, *args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "annealing" in err or "expected an integer >= 1, got '0'" in err
    with pytest.raises(ValueError, match="tuner` must be one of random, grid, bayesian, hyperband"):
        search.check_tuner("annealing")


@pytest.mark.parametrize("trials", [2, 3])
def test_a_search_whose_trials_all_fail_exits_nonzero_with_the_first_error(tmp_path, capsys, monkeypatch, trials):
    def broken_fit(self, hp, model, *a, **k):
        raise ValueError(f"broken data pipeline (batch {hp.get('batch_size')})")

    monkeypatch.setattr(LeNetHyperModel, "fit", broken_fit)
    assert _tune(tmp_path, "--tuner", "random", "--max-trials", str(trials)) == 1
    err = capsys.readouterr().err
    assert "zoo: error: all" in err and "trial 1: ValueError: broken data pipeline" in err  # numbered as KerasTuner's log
    assert not os.path.exists(tmp_path / "run" / "model.keras")


def _trial_values(out):
    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        res = json.load(f)
    return [r["hyperparameters"] for r in res["trials"]], res["best"]["score"], res


def test_same_seed_gives_the_same_trials_and_best_value(tmp_path):
    for out in ("a", "b"):
        assert _tune(tmp_path, "--tuner", "bayesian", "--max-trials", "3", "--seed", "7", out=out) == 0
    seq_a, best_a, res = _trial_values(tmp_path / "a")
    seq_b, best_b, _ = _trial_values(tmp_path / "b")
    assert len(seq_a) == 3 and seq_a == seq_b  # 2 random points, the 3rd from the Gaussian process
    assert seq_a[0] != seq_a[1] != seq_a[2]
    assert best_a == pytest.approx(best_b, abs=1e-6)
    scores_a = [r["score"] for r in res["trials"]]
    assert scores_a == pytest.approx([r["score"] for r in _trial_values(tmp_path / "b")[2]["trials"]], abs=1e-6)
    # the results: a table of all trials, the best model (loadable), plots
    out = tmp_path / "a"
    assert res["trials_completed"] == 3 and res["objective"] == "val_accuracy"
    model = keras.models.load_model(out / "model.keras")
    assert model.output_shape == (None, 10)
    for path in res["plots"].values():
        assert os.path.getsize(path) > 5000
    with open(out / "trials.csv", encoding="utf-8") as f:
        assert len(f.read().strip().splitlines()) == 4


def test_every_tuner_runs_and_hyperband_maps_the_budget(tmp_path, capsys, monkeypatch):
    plan = search.hyperband_plan(epochs=3, max_trials=5)
    assert plan["max_epochs"] == 3 and plan["trials"] >= 5
    assert plan["trials"] == plan["trials_per_iteration"] * plan["hyperband_iterations"]
    # a --baseline that every trial beats (stubbed: a default that scores 0): model.keras stays the best trial's
    monkeypatch.setattr(search_results, "train_default", lambda ctx: ({"score": 0.0, "hyperparameters": {}}, None))
    assert _tune(tmp_path, "--tuner", "hyperband", "--max-trials", "2", "--space", "optimizer=adam", "--baseline",
                 out="hb") == 0
    text = capsys.readouterr().out
    assert "max_epochs=1, factor=3" in text
    _, _, res = _trial_values(tmp_path / "hb")
    assert res["hyperband"]["max_epochs"] == 1 and res["trials_completed"] >= 2
    assert res["model_source"] == "best_trial" and res["baseline"]["won"] is False
    assert "Untuned default: val_accuracy = 0.0000 (the best trial is better)" in text
    assert f"Best model: {tmp_path / 'hb' / 'model.keras'} (trial {res['best']['trial']};" in text
    assert _tune(tmp_path, "--tuner", "grid", "--max-trials", "2", out="grid") == 0
    seq, _, _ = _trial_values(tmp_path / "grid")
    assert len(seq) == 2 and seq[0] != seq[1]
    # the same --out with other settings is refused before anything runs; --overwrite starts over
    assert _tune(tmp_path, "--tuner", "random", "--max-trials", "2", out="grid") == 2
    assert "holds another search" in capsys.readouterr().err
    assert _tune(tmp_path, "--tuner", "random", "--max-trials", "1", "--overwrite", out="grid") == 0
    assert "0 trial(s) already finished" in capsys.readouterr().out
    seq, _, res = _trial_values(tmp_path / "grid")
    assert res["trials_total"] == 1 and res["config"]["tuner"] == "random"


def _wrong_labels_unless(monkeypatch, trains_well):
    """LeNet trials learn labels shifted by one (so they score below chance on the true validation
    labels) unless `trains_well(is_default)`: a deterministic way to make the untuned default win or lose."""
    real_fit = LeNetHyperModel.fit

    def fit(self, hp, model, x, y=None, **kwargs):
        is_default = all(hp.values.get(k) == v for k, v in self.default_values().items())
        return real_fit(self, hp, model, x, y if trains_well(is_default) else (y + 1) % self.classes, **kwargs)

    monkeypatch.setattr(LeNetHyperModel, "fit", fit)


def test_a_baseline_that_beats_every_trial_is_said_and_is_the_saved_model(tmp_path, capsys, monkeypatch):
    from zoo import registry
    from zoo.training.report import build_html

    _wrong_labels_unless(monkeypatch, lambda is_default: is_default)
    out = tmp_path / "run"
    assert cli.main(["tune", "lenet5", "--dataset", "digits", "--image-size", "16", "--train-size", "256",
                     "--epochs", "3", "--tuner", "random", "--max-trials", "2", "--baseline", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    _, _, res = _trial_values(out)
    b, best = res["baseline"], res["best"]
    assert b["won"] and res["model_source"] == "baseline" and b["score"] > best["score"]
    assert f"Untuned default won: val_accuracy = {b['score']:.4f}, better than the best trial's {best['score']:.4f}" in text
    assert re.search(r"Train the default: zoo train lenet5 --dataset digits --epochs 3 .*--out runs/lenet5-default", text)
    assert f"Model: {out / 'model.keras'} (the untuned default;" in text
    # model.keras is the default's network at its best epoch: it scores the baseline's value on the val split
    _, (xv, yv), _, _ = search.load_data("digits", registry.get_spec("lenet5"), image_size=16, seed=0, train_size=256)
    model = keras.models.load_model(out / "model.keras")
    assert model.evaluate(xv, yv, verbose=0, return_dict=True)["accuracy"] == pytest.approx(b["score"], abs=1e-6)
    # trials are numbered from 1 everywhere, as KerasTuner's "Search: Running Trial #N" lines
    assert re.findall(r"Search: Running Trial #(\d+)", text) == ["1", "2"]
    assert [t["trial"] for t in res["trials"]] == [1, 2] and best["trial"] in (1, 2)
    table = text.split("Trials:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in table[1:3]] == ["1", "2"]
    with open(out / "trials.csv", encoding="utf-8") as f:
        assert [line.split(",")[0] for line in f.read().splitlines()] == ["trial", "1", "2"]
    page = build_html(str(out))
    assert "The untuned default configuration won" in page and "untuned default (beat every trial)" in page
    with open(out / "metrics.json", encoding="utf-8") as f:
        assert json.load(f)["headline"] == {"val_accuracy": b["score"]}


def _hyperband_trial(tid, score, *, lr, epochs, continues=None, status="COMPLETED"):
    """A finished KerasTuner trial as Hyperband leaves it: its space values plus tuner/* bookkeeping."""
    hp = kt.HyperParameters()
    hp.Fixed("learning_rate", lr)
    hp.values.update({"tuner/epochs": epochs, "tuner/initial_epoch": 0 if continues is None else 1,
                      "tuner/bracket": 1, "tuner/round": 0 if continues is None else 1})
    if continues is not None:
        hp.values["tuner/trial_id"] = continues
    t = kt.engine.trial.Trial(hp, trial_id=tid, status=status)
    t.score = score
    t.metrics.update("val_accuracy", score)
    return t


def test_a_continued_hyperband_trial_is_one_record_numbered_from_1_without_bookkeeping(tmp_path):
    from types import SimpleNamespace

    from zoo.training.report import build_html

    trials = [_hyperband_trial("0000", 0.3, lr=1e-3, epochs=1), _hyperband_trial("0001", 0.5, lr=1e-2, epochs=1),
              _hyperband_trial("0002", 0.8, lr=1e-2, epochs=3, continues="0001"),
              _hyperband_trial("0003", 0.6, lr=3e-4, epochs=3)]
    tuner = SimpleNamespace(oracle=SimpleNamespace(trials={t.trial_id: t for t in trials}),
                            project_dir=str(tmp_path / "search"))
    records = search.trial_records(tuner, "val_accuracy")
    assert [r["trial"] for r in records] == [1, 2, 4]  # KerasTuner's "Running Trial #N"; the 3rd continued the 2nd
    assert records[1]["score"] == 0.8 and records[1]["metrics"] == {"val_accuracy": 0.8}
    assert [(r["trial"], r["epochs"], r["folder"]) for r in records[1]["rounds"]] == [
        (2, 1, "search/trial_0001"), (3, 3, "search/trial_0002")]
    assert all(r["hyperparameters"] == {"learning_rate": r["hyperparameters"]["learning_rate"]} for r in records)
    table = search.format_table(records, "val_accuracy", ["learning_rate"]).splitlines()
    assert table[0].split() == ["trial", "status", "val_accuracy", "epochs", "lr"]
    assert [line.split()[0] for line in table[1:]] == ["1", "2", "4"] and "1 > 3" in table[2]
    # the report of such a search (and of an older results.json whose trials still carry tuner/*)
    for trials_json in (records, [dict(r, trial_id=f"{r['trial'] - 1:04d}", hyperparameters=dict(
            r["hyperparameters"], **{"tuner/epochs": 3})) for r in records]):
        out = tmp_path / f"report{len(os.listdir(tmp_path))}"
        os.makedirs(out)
        results = dict(objective="val_accuracy", direction="max", trials=trials_json, trials_completed=3, trials_total=3,
                       best=dict(trial=2, score=0.8, hyperparameters={"learning_rate": 1e-2, "tuner/epochs": 3}))
        with open(out / "results.json", "w", encoding="utf-8") as f:
            json.dump(results, f)
        with open(out / "config.json", "w", encoding="utf-8") as f:
            json.dump(dict(kind="tune", model="lenet5", dataset="digits", epochs=3), f)
        page = build_html(str(out))
        assert "tuner/" not in page
        # one column per trial, best first: trial 2 (continued by Hyperband: epochs 1 > 3) scored 80 %
        assert "<tr><th>trial</th><th>2</th><th>4</th><th>1</th></tr>" in page, page
        assert "<tr><th>val_accuracy</th><td>80%</td>" in page and "<tr><th>epochs</th><td>1 &gt; 3</td>" in page, page


@pytest.mark.slow  # about 40 s of CPU: Hyperband's 6 trials of --epochs 3
def test_hyperband_rounds_are_one_row_and_its_bookkeeping_is_no_hyperparameter(tmp_path, capsys):
    from zoo.training.report import build_html

    out = tmp_path / "hb"
    assert cli.main(["tune", "lenet5", "--dataset", "digits", "--image-size", "16", "--train-size", "96",
                     "--epochs", "3", "--tuner", "hyperband", "--max-trials", "1", "--space", "optimizer=adam",
                     "--out", str(out)]) == 0
    text = capsys.readouterr().out
    _, _, res = _trial_values(out)
    started = sorted(int(n) for n in re.findall(r"Search: Running Trial #(\d+)", text))
    rounds = [r for t in res["trials"] for r in t["rounds"]]
    assert sorted(r["trial"] for r in rounds) == started == list(range(1, len(started) + 1))
    continued = [t for t in res["trials"] if len(t["rounds"]) > 1]
    assert continued, res["trials"]  # 3 trials of 1 epoch, the best continued to 3: one row, not two
    assert [r["epochs"] for r in continued[0]["rounds"]] == [1, 3]
    assert len(res["trials"]) == len(started) - len(continued) == res["trials_total"]
    row = next(line for line in text.split("Trials:\n", 1)[1].splitlines() if line.startswith(f"{continued[0]['trial']} "))
    assert "1 > 3" in row
    for where in [res["best"]["hyperparameters"], *(t["hyperparameters"] for t in res["trials"])]:
        assert not [k for k in where if k.startswith("tuner/")]
    with open(out / "trials.csv", encoding="utf-8") as f:
        csv_text = f.read()
    page = build_html(str(out))
    assert "tuner/" not in csv_text and "tuner/" not in page and "tuner/" not in text.split("Trials:", 1)[1]
    assert "1 &gt; 3" in page


@pytest.mark.portable
@pytest.mark.parametrize(
    "model, space, builder_kw",
    [
        ("vgg11", {"width": 0.125, "top_units": 64}, dict(widths=(8, 16, 32, 64, 64), top_units=64)),
        ("vgg13_bn", {"width": 0.125, "top_units": 64}, dict(widths=(8, 16, 32, 64, 64), top_units=64)),
        ("resnet18", {"width": 0.25}, dict(widths=(16, 32, 64, 128))),
        ("resnet20", {}, {}),
    ],
)
def test_classifier_hypermodels_default_to_the_registered_model(model, space, builder_kw):
    import zoo

    shape = (32, 32, 3)
    hm = get_hypermodel(model, input_shape=shape, classes=10, space=space)
    built = hm.build(kt.HyperParameters())
    assert built.optimizer is not None
    reference = zoo.get_model(model, input_shape=shape, classes=10, **builder_kw)
    assert built.count_params() == reference.count_params()
    assert [l.name for l in built.layers if l.name.startswith("stage")] == [
        l.name for l in reference.layers if l.name.startswith("stage")
    ]


@pytest.mark.portable
def test_classifier_hypermodels_span_their_spaces():
    hm = get_hypermodel("resnet20", input_shape=(16, 16, 3), classes=10)
    assert [p.values for p in hm.space if p.name == "depth"] == [(20, 32, 56)]
    hp = kt.HyperParameters()
    hp.values.update(depth=32, width=0.5, norm="group")
    deeper = hm.build(hp)
    assert sum(1 for l in deeper.layers if l.name.endswith("_gn")) > sum(
        1 for l in hm.build(kt.HyperParameters()).layers if l.name.endswith("_bn")
    )
    vgg = get_hypermodel("vgg16", input_shape=(32, 32, 3), classes=10, space={"width": 0.125, "top_units": 64})
    hp = kt.HyperParameters()
    hp.values.update(config="vgg19", norm="batch")
    m = vgg.build(hp)
    assert sum(1 for l in m.layers if type(l).__name__ == "Conv2D") == 16
    with pytest.raises(ValueError, match="too small for VGG"):
        get_hypermodel("vgg16", input_shape=(16, 16, 3), classes=10)
    with pytest.raises(ValueError, match=r"config accepts values from.*Received: config=\['vgg21'\]"):
        get_hypermodel("vgg16", input_shape=(32, 32, 3), classes=10, space={"config": "vgg21"})


@pytest.mark.slow  # about 30 s of CPU each: `make test-slow` (the builds above run in the normal suite)
@pytest.mark.parametrize(
    "model, extra",
    [
        ("vgg11", ["--image-size", "32", "--space", "width=0.125", "--space", "top_units=64"]),
        ("resnet20", ["--image-size", "16", "--space", "width=0.25", "--space", "depth=20,32"]),
    ],
)
def test_one_tiny_trial_per_classifier_family(tmp_path, model, extra):
    code = cli.main(["tune", model, "--dataset", "digits", "--tuner", "random", "--max-trials", "1",
                     "--train-size", "32", "--epochs", "1", *extra, "--out", str(tmp_path / model)])
    assert code == 0
    _, _, res = _trial_values(tmp_path / model)
    assert res["trials_completed"] == 1
    assert keras.models.load_model(tmp_path / model / "model.keras").input_shape[-1] == 3


def _template(name, size):
    from zoo import data

    kw = {"channels": 1} if name == "digits" else {"num_examples": 8}
    return data.load(name, "train", image_size=size, seed=0, **kw)


@pytest.mark.portable
@pytest.mark.parametrize(
    "model, dataset, size, hps",
    [
        ("autoencoder_conv", "digits", 32, dict(latent_dim=8, depth=3, width=16)),
        ("unet", "shapes", 32, dict(depth=2, filters=8, batch_norm=True)),
        ("ssd_tiny", "shapes-det", 64, dict(s_min=0.1, s_max=0.9, aspect_ratios="1-2-3")),
    ],
)
def test_task_hypermodels_build_compiled_models_across_their_space(model, dataset, size, hps):
    import zoo

    ds = _template(dataset, size)
    hm = get_hypermodel(model, input_shape=ds.x.shape[1:], classes=ds.classes, dataset=ds)
    default = hm.build(kt.HyperParameters())
    assert default.optimizer is not None
    reference = zoo.get_model(model, input_shape=ds.x.shape[1:], **({} if model.startswith("auto") else {"classes": ds.classes}))
    assert default.count_params() == reference.count_params()  # the default point is the registered model
    hp = kt.HyperParameters()
    hp.values.update(hps)
    other = hm.build(hp)
    assert other.optimizer is not None and other.count_params() != default.count_params()
    x, y = hm.fit_data(other, ds.x[:2], {k: v[:2] for k, v in ds.y.items()} if isinstance(ds.y, dict) else ds.y[:2])
    assert np.isfinite(other.evaluate(x, y, verbose=0, return_dict=True)["loss"])
    if model == "ssd_tiny":
        assert other.output_shape[0][1] > default.output_shape[0][1]  # 6 boxes per cell instead of 4: more anchors


@pytest.mark.slow  # about 30-60 s of CPU each: `make test-slow` (the builds above run in the normal suite)
@pytest.mark.parametrize(
    "model, extra",
    [
        ("autoencoder_conv", ["--dataset", "digits", "--image-size", "16", "--space", "depth=1,2"]),
        ("unet", ["--dataset", "shapes", "--image-size", "32", "--space", "filters=8", "--space", "depth=2"]),
        ("ssd_tiny", ["--dataset", "shapes-det", "--image-size", "64"]),
    ],
)
def test_one_tiny_trial_per_task_family(tmp_path, model, extra):
    code = cli.main(["tune", model, "--tuner", "random", "--max-trials", "1", "--train-size", "16", "--epochs", "1",
                     *extra, "--out", str(tmp_path / model)])
    assert code == 0
    _, _, res = _trial_values(tmp_path / model)
    assert res["trials_completed"] == 1 and res["objective"] == "val_loss"
    assert np.isfinite(res["best"]["score"])


@pytest.mark.portable
def test_hypermodels_build_through_the_registry_only(monkeypatch):
    """Every HyperModel's network is `zoo.get_model(name, **public kwargs)`: the depth tables and the
    ssd_tiny graph live in zoo.models, once; a searched depth is the registered model of that depth."""
    from zoo import registry

    calls = []
    real = registry.get_model
    monkeypatch.setattr(registry, "get_model", lambda model, /, **kw: calls.append((model, sorted(kw))) or real(model, **kw))
    points = [
        ("resnet18", (32, 32, 3), dict(depth=34, width=0.25, norm="group")),
        ("resnet20", (16, 16, 3), dict(depth=32, width=0.25, norm="none")),
        ("vgg16", (32, 32, 3), dict(config="vgg11", width=0.125, top_units=64, norm="batch")),
        ("ssd_tiny", (64, 64, 3), dict(s_min=0.1, aspect_ratios="1-2-3")),
    ]
    for model, shape, values in points:
        hm = get_hypermodel(model, input_shape=shape, classes=3, dataset=_template("shapes-det", 64) if model == "ssd_tiny" else None)
        hp = kt.HyperParameters()
        hp.values.update(values)
        hm.build_network(hm.values_of(hp))
    assert [name for name, _ in calls] == ["resnet34", "resnet32", "vgg11", "ssd_tiny"]
    assert "width_multiplier" in calls[0][1] and "aspect_ratios" in calls[3][1]
    # the searched knobs are the builders' own public arguments
    import zoo

    thin = zoo.get_model("resnet34", input_shape=(32, 32, 3), classes=3, width_multiplier=0.25)
    assert thin.count_params() == zoo.get_model("resnet34", input_shape=(32, 32, 3), classes=3,
                                                widths=(16, 32, 64, 128)).count_params()
    with pytest.raises(ValueError, match=r"width_multiplier.*> 0. Received: width_multiplier=0"):
        zoo.get_model("vgg11", input_shape=(32, 32, 3), width_multiplier=0)
    with pytest.raises(ValueError, match=r"aspect_ratios.*Received: aspect_ratios=\(\)"):
        zoo.get_model("ssd_tiny", aspect_ratios=())


# ------------------------------------------------------------------ the KerasTuner adapter
def test_the_installed_keras_tuner_is_one_the_adapter_supports():
    """Fails, naming the version, when a keras-tuner outside setup.cfg's bounds is installed."""
    assert adapter.check_version(kt.__version__) == kt.__version__


def test_the_adapter_supports_what_setup_cfg_requires():
    text = open(os.path.join(os.path.dirname(__file__), "..", "setup.cfg"), encoding="utf-8").read()
    (bound,) = re.findall(r"^\s*keras-tuner(\S+)\s*$", text, flags=re.M)
    assert SpecifierSet(bound) == adapter.SUPPORTED


@pytest.mark.parametrize("version", ["1.4.7", "1.4.8"])
def test_supported_keras_tuner_versions_pass(version):
    assert adapter.check_version(version) == version


@pytest.mark.parametrize("version", ["1.3.5", "1.4.6", "1.5.0", "1.5.0rc0", "2.0.0", "not-a-version"])
def test_an_unsupported_keras_tuner_is_named_with_the_supported_range(version):
    with pytest.raises(adapter.UnsupportedKerasTunerError) as e:
        adapter.check_version(version)
    msg = str(e.value)
    assert f"installed keras-tuner is {version}." in msg
    assert ">=1.4.7" in msg and "<1.5" in msg and "pip install 'keras-tuner" in msg


def test_importing_the_adapter_under_an_unsupported_keras_tuner_fails_before_its_private_imports(monkeypatch):
    monkeypatch.setattr(kt, "__version__", "1.5.0")
    with pytest.raises(ImportError, match=r"installed keras-tuner is 1\.5\.0\. Install a supported one"):
        importlib.reload(adapter)
    monkeypatch.undo()
    importlib.reload(adapter)
    assert adapter.check_version(kt.__version__)


def test_the_atomic_state_writer_is_installed_once_and_leaves_no_temporary_file(tmp_path):
    adapter.install_atomic_json()
    first = adapter.kt_utils.save_json
    adapter.install_atomic_json()
    assert adapter.kt_utils.save_json is first and first.zoo_atomic
    path = tmp_path / "oracle.json"
    first(str(path), {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1} and os.listdir(tmp_path) == ["oracle.json"]


def test_stale_retries_of_ended_trials_are_dropped(tmp_path):
    oracle = kt.oracles.RandomSearchOracle(objective="val_loss", max_trials=3)
    statuses = {"0": "COMPLETED", "1": "RUNNING", "2": "FAILED"}
    oracle.trials = {tid: kt.engine.trial.Trial(kt.HyperParameters(), trial_id=tid, status=s)
                     for tid, s in statuses.items()}
    oracle.ongoing_trials = {"tuner0": oracle.trials["0"], "tuner1": oracle.trials["1"]}
    oracle._retry_queue = ["0", "1", "2"]
    adapter.drop_stale_retries(oracle)
    assert oracle._retry_queue == ["1"] and list(oracle.ongoing_trials) == ["tuner1"]


def test_hyperband_iteration_counts_keras_tuners_brackets():
    """Hyperband (Li et al.) with 9 epochs and factor 3: brackets of 9 -> 3 -> 1, 5 -> 2 and 3 trials."""
    assert adapter.hyperband_iteration(1, 3) == (1, 1)
    assert adapter.hyperband_iteration(9, 3) == (3, 9 + 3 + 1 + 5 + 2 + 3)
