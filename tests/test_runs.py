"""One run folder for train, demo, transfer and tune: the same config/metrics keys, `zoo report` for
every kind (no "?"), Ctrl-C's resume line, and refused commands that leave nothing behind."""

import json
import os
import re
import shutil

import pytest

from tests.test_train import _small
from tests.test_transfer_cli import write_digit_folder
from zoo import demo
from zoo.training import compare, recipe
from zoo.training.report import build_html
from zoo.training.runs import METRIC_KEYS, RunFiles, RunFolder, RunInterrupted, epochs_in


def _build(kind, root):
    """One tiny finished run of `kind` (a few seconds) in root/kind; "images" is transfer's data."""
    from zoo.training.train import train
    from zoo.transfer import run_transfer
    from zoo.tuning.search import run_search

    out = str(root / kind)
    if kind == "images":
        write_digit_folder(out, per_class=6)
    elif kind == "train":
        train("lenet5", "digits", out, epochs=1, batch_size=32, lr=3e-3, datasets=_small(96, 40), verbose=0)
    elif kind == "demo":
        demo.run_demo(out, epochs=1, verbose=0)
    elif kind == "transfer":
        run_transfer(str(root / "images"), "lenet5", out, epochs=1, fine_tune_epochs=1, batch_size=16, verbose=0)
    elif kind == "transfer-weights":  # the two-phase recipe, from the transfer run's own network
        run_transfer(str(root / "images"), "lenet5", out, weights=str(root / "transfer" / "model.keras"),
                     epochs=1, fine_tune_epochs=1, batch_size=16, verbose=0)
    elif kind == "tune":
        run_search("lenet5", "digits", "random", out, max_trials=2, epochs=1, image_size=16, train_size=64, verbose=0)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """runs(kind) -> the folder of one tiny finished run of that kind, made on first use (module-wide,
    so a pytest-xdist worker makes only the runs its tests need)."""
    root = tmp_path_factory.mktemp("runs")

    def get(kind):
        needs = {"transfer": ("images",), "transfer-weights": ("images", "transfer")}.get(kind, ())
        for k in (*needs, kind):
            if not (root / k).exists():
                _build(k, root)
        return root / kind

    get.root = root
    return get


@pytest.mark.parametrize("kind", ["train", "demo", "transfer", "tune"])
def test_every_kind_writes_the_same_keys_and_renders_a_report(runs, kind):
    out = runs(kind)
    config = json.loads((out / "config.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert config["kind"] == kind and config["model"] == "lenet5" and config["task"] == "classification"
    assert list(metrics)[: len(METRIC_KEYS)] == list(METRIC_KEYS)
    assert metrics["status"] == "finished" and metrics["kind"] == kind and metrics["parameters"] > 0
    (name, value), = metrics["headline"].items()
    assert 0 <= value <= 1 and metrics["figures"]
    page = build_html(str(out))
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]*", "", page)
    assert "?" not in text and "..." not in text
    assert f"<h1>lenet5 on {config['dataset']} ({kind})</h1>" in page and "status: <b>finished</b>" in page
    for section in ("Settings", "Training", "Evaluation" if kind != "tune" else "Search"):
        assert f"<h2>{section}</h2>" in page, section
    images = re.findall(r"<img alt='([^']+)'", page)
    assert len(images) == len(set(images)) >= 2, images  # every figure once
    # a number in a key/value table starts at the left: right-aligned under a wide sub-table it
    # was pushed out of the window (seen in a transfer report's "Run" table)
    assert "table.kv>tbody>tr>td.n{text-align:left}" in page and "<table class='kv'><tr><th>epochs</th>" in page
    for number in re.findall(r"(?<![\w.])\d*\.\d+", text):  # rounded to 4 significant digits
        assert len(number.replace(".", "").lstrip("0")) <= 4, number
    if kind == "tune":
        assert "<h3>Best trials</h3>" in page and "zoo train lenet5 --dataset digits --epochs 1" in page
        assert {"objective_per_trial.png", "parallel_coordinates.png"} <= set(images)
    else:
        assert "<h2>Test metrics</h2>" in page and "learning_curves.png" in images
    if kind in ("train", "demo"):
        assert "<h2>Interpretation</h2>" in page and "saliency.png" in images


def test_ctrl_c_says_how_to_resume_and_keeps_the_backup(tmp_path, monkeypatch):
    """KeyboardInterrupt after epoch 1 of 3: one line with the exact command; backup/ and the row stay."""
    import keras

    from zoo.training.train import train

    class CtrlC(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    real_fit = keras.Model.fit

    def fit(self, *a, **k):
        return real_fit(self, *a, **{**k, "callbacks": [*k["callbacks"], CtrlC()]})

    out = tmp_path / "run"
    monkeypatch.setattr(keras.Model, "fit", fit)
    with pytest.raises(RunInterrupted) as e:
        train("lenet5", "digits", str(out), epochs=3, batch_size=32, lr=3e-3, datasets=_small(64, 20), verbose=0)
    msg = str(e.value)
    assert "\n" not in msg and msg.endswith(
        f"resume with: zoo train lenet5 --dataset digits --epochs 3 --batch-size 32 --optimizer adam --lr 0.003 "
        f"--schedule cosine --seed 0 --out {out}")
    assert (out / "backup").is_dir() and len((out / "history.csv").read_text().splitlines()) == 2


def test_zoo_train_exits_130_on_ctrl_c(tmp_path, monkeypatch, capsys):
    from zoo import cli
    from zoo.training import train as train_module

    def interrupted(*a, **k):
        raise RunInterrupted("zoo train: interrupted; resume with: zoo train ...")

    monkeypatch.setattr(train_module, "train", interrupted)
    assert cli.main(["train", "lenet5", "--dataset", "digits", "--out", str(tmp_path / "x")]) == 130
    assert capsys.readouterr().err.strip() == "zoo train: interrupted; resume with: zoo train ..."


# ------------------------------------------------------------------ nothing half-written
def _train(out, **kw):
    from zoo.training.train import train

    args = {"epochs": 1, "batch_size": 32, "lr": 3e-3, "verbose": 0, **kw}
    return train(args.pop("model", "lenet5"), args.pop("dataset", "digits"), str(out), **args)


def _transfer(out, root, **kw):
    from zoo.transfer import run_transfer

    return run_transfer(kw.pop("data", str(root / "images")), kw.pop("backbone", "lenet5"), str(out),
                        **{"epochs": 1, "fine_tune_epochs": 0, "verbose": 0, **kw})


def _tune(out, **kw):
    from zoo.tuning.search import run_search

    args = {"max_trials": 1, "epochs": 1, "image_size": 16, "train_size": 32, "verbose": 0, **kw}
    return run_search(args.pop("model", "lenet5"), args.pop("dataset", "digits"), args.pop("tuner", "random"), str(out), **args)


def _evaluate(out, root, dataset):
    from zoo.training.evaluate import evaluate_path

    return evaluate_path(str(root / "train" / "model.keras"), dataset, out=str(out))


def _predict(out, root, inputs):
    from zoo.training.predict import predict_paths

    return predict_paths(str(root / "train"), inputs, out=str(out))


def _convert(out, src, model):
    from zoo.convert import convert

    return convert(src, model, f"{out}.keras")


REFUSED = {
    "train: unknown model": ((), lambda out, root: _train(out, model="lenet6")),
    "train: bad optimizer": ((), lambda out, root: _train(out, optimizer="adamx")),
    "train: epochs 0": ((), lambda out, root: _train(out, epochs=0)),
    "train: missing dataset folder": ((), lambda out, root: _train(out, dataset=f"folder:{root}/nowhere")),
    "train: unknown dataset": ((), lambda out, root: _train(out, dataset="nope")),
    "train: wrong task": ((), lambda out, root: _train(out, model="unet", dataset="digits", image_size=16)),
    "train: augment a segmenter": ((), lambda out, root: _train(out, model="unet", dataset="shapes", augment=True)),
    "train: other settings in out": (("train",), lambda out, root: _train(root / "train", batch_size=8, datasets=_small(96, 40))),
    "train: out is a file": (("train",), lambda out, root: _train(root / "train" / "config.json")),
    "train: into a tune folder": (("tune",), lambda out, root: _train(root / "tune", datasets=_small(96, 40))),
    "demo: other settings in out": (("demo",), lambda out, root: demo.run_demo(str(root / "demo"), epochs=1, batch_size=8)),
    "demo: into a train folder": (("train",), lambda out, root: demo.run_demo(str(root / "train"), epochs=1)),
    "transfer: missing data": ((), lambda out, root: _transfer(out, root, data=str(root / "nowhere"))),
    "transfer: unknown backbone": (("images",), lambda out, root: _transfer(out, root, backbone="resnet1000")),
    "transfer: batch size 0": (("images",), lambda out, root: _transfer(out, root, batch_size=0)),
    "transfer: other settings in out": (("transfer",), lambda out, root: _transfer(root / "transfer", root, epochs=3)),
    "tune: bad tuner": ((), lambda out, root: _tune(out, tuner="annealing")),
    "tune: objective not reported": ((), lambda out, root: _tune(out, objective="val_map50")),
    "tune: unknown hyperparameter": ((), lambda out, root: _tune(out, space={"nope": 1})),
    "tune: other settings in out": (("tune",), lambda out, root: _tune(root / "tune", tuner="grid")),
    "tune: into a train folder": (("train",), lambda out, root: _tune(root / "train")),
    "evaluate: wrong task": (("train",), lambda out, root: _evaluate(out, root, "shapes")),
    "evaluate: unknown dataset": (("train",), lambda out, root: _evaluate(out, root, "nope")),
    "predict: missing input": (("train",), lambda out, root: _predict(out, root, [str(root / "nothing.png")])),
    "convert: missing checkpoint": ((), lambda out, root: _convert(out, str(root / "nothing.pth"), "resnet18")),
    "convert: a model that reads no checkpoints": (("train",), lambda out, root: _convert(
        out, str(root / "train" / "config.json"), "lenet5")),
    "check: unknown dataset": ((), lambda out, root: recipe.run_checks(
        "lenet5", "nope", out=str(out), verbose=False)),
    "check: a segmenter": ((), lambda out, root: recipe.run_checks(
        "unet", "shapes", out=str(out), verbose=False)),
    "compare: unknown dataset": ((), lambda out, root: compare.compare_optimizers(
        "lenet5", "nope", out=str(out), optimizers=["adam"], verbose=False)),
    "compare: unknown optimizer": ((), lambda out, root: compare.compare_optimizers(
        "lenet5", "digits", out=str(out), optimizers=["adamx"], verbose=False)),
}


def _tree(root):
    return sorted((os.path.relpath(os.path.join(d, f), root), os.path.getsize(os.path.join(d, f)))
                  for d, dirs, files in os.walk(root) for f in files + dirs)


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_command_leaves_no_file_behind(runs, case):
    needs, command = REFUSED[case]
    for kind in needs:
        runs(kind)
    root = runs.root
    out = root / "new-out"
    before = _tree(root)
    with pytest.raises((ValueError, FileNotFoundError, NotADirectoryError, KeyError)):
        command(out, root)
    assert not out.exists()
    assert _tree(root) == before


def test_a_failure_before_the_first_epoch_removes_what_the_command_wrote(tmp_path, monkeypatch):
    """An empty folder the user made stays, and stays empty; a folder the command made goes."""
    import keras

    def broken_fit(self, *a, **k):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(keras.Model, "fit", broken_fit)
    (tmp_path / "mine").mkdir()
    for out in (tmp_path / "mine", tmp_path / "new"):
        with pytest.raises(RuntimeError, match="out of memory"):
            _train(out, datasets=_small(64, 20))
    assert os.listdir(tmp_path) == ["mine"] and os.listdir(tmp_path / "mine") == []


def test_evaluate_that_fails_drawing_a_figure_removes_the_folder_it_made(runs, tmp_path, monkeypatch):
    from zoo import tasks
    from zoo.training.evaluate import evaluate_path

    def broken_figures(*a, **k):
        raise RuntimeError("figure failed")

    model = str(runs("train") / "model.keras")  # made before figures break
    monkeypatch.setattr(tasks.get_task("classification"), "figures", broken_figures)
    with pytest.raises(RuntimeError, match="figure failed"):
        evaluate_path(model, "digits", out=str(tmp_path / "eval"))
    assert not (tmp_path / "eval").exists()


def test_refused_cli_commands_leave_nothing(tmp_path, capsys):
    """The CLI maps the refusals to one line and exit 2; nothing is written."""
    from zoo import cli

    for args in (["train", "lenet5", "--dataset", "nope"], ["demo", "--seed", "1"],
                 ["transfer", "--data", str(tmp_path / "nowhere"), "--backbone", "lenet5"],
                 ["tune", "lenet5", "--tuner", "random", "--objective", "val_map50", "--image-size", "16", "--train-size", "8"]):
        out = tmp_path / "out"
        if args[0] == "demo":
            out = tmp_path / "file"  # --out is a file
            out.write_text("not a folder")
        assert cli.main([*args, "--out", str(out)]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("zoo: error: ") and len(err.strip().splitlines()) == 1, err
        if args[0] == "demo":
            assert f"--out={str(out)!r} is a file" in err, err  # the library's `out`, in the CLI's words
    assert os.listdir(tmp_path) == ["file"]


def test_run_folder_checks_its_config():
    with pytest.raises(ValueError, match="kind"):
        RunFolder("x", {"model": "m"}, resume_keys=(), command="zoo train")


READ_KINDS = ["train", "transfer", "transfer-weights", "tune", "evaluated", "old-tune"]


def _read_kind(runs, kind, tmp_path):
    """The folder of `kind`: a finished run, a train run that `zoo evaluate` wrote into, or a tune
    run folder as an older zoo wrote it (its model in best_model.keras, no labels.json)."""
    from zoo.training.evaluate import evaluate_path

    if kind == "evaluated":
        out = tmp_path / "evaluated"
        shutil.copytree(runs("train"), out)
        evaluate_path(str(out), "digits")
        return out
    if kind == "old-tune":
        out = tmp_path / "old-tune"
        shutil.copytree(runs("tune"), out)
        os.replace(out / "model.keras", out / "best_model.keras")
        os.remove(out / "labels.json")  # nor did it write the class names
        return out
    return runs(kind)


@pytest.mark.parametrize("kind", READ_KINDS)
def test_one_reader_reads_every_kind_and_the_report_renders_from_it(runs, kind, tmp_path, monkeypatch):
    from zoo.training.evaluate import load_run_model

    out = _read_kind(runs, kind, tmp_path)
    run = RunFiles(out)
    config, metrics, history = run.read_config(), run.read_metrics(), run.read_history()
    assert run.info() == {"kind": kind.split("-")[0].replace("evaluated", "train").replace("old", "tune"),
                          "model": "lenet5", "dataset": config["dataset"], "task": "classification"}
    assert metrics["status"] == "finished" and config["model"] == "lenet5"
    if kind in ("tune", "old-tune"):
        assert history == {} and run.read_json("results")["trials_completed"] == 2
    else:
        assert epochs_in(history) == metrics["epochs_run"] >= 1 and {"loss", "val_loss"} <= set(history)
    if kind.startswith("transfer"):  # a train run's history plus the phase of every epoch
        assert list(history["phase"]) == ([1, 2] if kind == "transfer-weights" else [1, 1])
        assert metrics["test"]["accuracy"] == metrics["headline"]["accuracy"]
    assert os.path.basename(run.model_file()) == ("best_model.keras" if kind == "old-tune" else "model.keras")
    model, run_dir, read = load_run_model(str(out))
    assert run_dir == str(out) and read == config
    labels = run.read_labels()
    if kind == "old-tune":
        assert labels is None
    else:  # every kind names its classes, one per output of the model
        assert all(isinstance(c, str) for c in labels) and len(labels) == model.output_shape[-1] >= 2
    if kind == "evaluated":
        assert run.read_json("evaluation")["dataset"] == "digits"

    reads = []
    for name in ("read_json", "read_history"):  # the report reads the folder through RunFiles alone
        real = getattr(RunFiles, name)
        monkeypatch.setattr(RunFiles, name, lambda self, *a, _real=real, _name=name: reads.append((_name, *a)) or _real(self, *a))
    page = build_html(str(out))
    assert {("read_json", "config"), ("read_json", "metrics")} <= set(reads), reads
    (name, value), = metrics["headline"].items()
    assert f"{name}: <b>{100 * value:.4g}%</b>" in page  # every kind's headline is an accuracy here
    if kind == "evaluated":
        assert "<h2>Last evaluation: digits, test split</h2>" in page


def test_reader_of_a_missing_or_cut_folder(tmp_path):
    """A folder with nothing finished reads as empty; a history row cut by a kill is not read."""
    run = RunFiles(tmp_path / "none")
    assert (run.read_config(), run.read_metrics(), run.read_labels(), run.read_history()) == ({}, {}, None, {})
    with pytest.raises(FileNotFoundError, match="without model.keras"):
        run.model_file()
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "history.csv").write_text("epoch,loss,val_loss\n0,1.5,nan\n1,1.2,1.3\n2,1.")
    (tmp_path / "cut" / "metrics.json").write_text('{"status": "fin')
    run = RunFiles(tmp_path / "cut")
    history = run.read_history()
    assert epochs_in(history) == 2 and list(history["loss"]) == [1.5, 1.2] and run.read_metrics() == {}


def test_evaluate_names_a_transfer_run_model_as_its_report_does(runs, tmp_path, monkeypatch):
    """The report's title and the transfer run's own figures say "lenet5"; the figures of `zoo
    evaluate` said "lenet5_transfer" (the network's Keras name) beside them."""
    from zoo import plots
    from zoo.training.evaluate import evaluate_path

    out = tmp_path / "transfer"
    shutil.copytree(runs("transfer"), out)
    titles = {}
    real = plots.style.save_figure

    def keep(fig, path):
        texts = [fig._suptitle.get_text()] if fig._suptitle else []
        titles[os.path.basename(path)] = texts + [ax.get_title() for ax in fig.axes if ax.get_title()]
        return real(fig, path)

    monkeypatch.setattr(plots.style, "save_figure", keep)
    evaluate_path(str(out), f"folder:{runs.root / 'images'}")
    assert titles["eval_confusion_matrix.png"][0].startswith("lenet5, held-out")
    named = [t for ts in titles.values() for t in ts if "lenet5" in t]
    assert named and not [t for t in named if "lenet5_transfer" in t], named
    assert "<h1>lenet5 on folder:" in build_html(str(out))
