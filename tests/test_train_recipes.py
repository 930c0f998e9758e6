"""Per-model training recipes (`ModelSpec.recipe`): what `zoo train MODEL --dataset DATA` uses when
no --epochs/--batch-size/--optimizer/--lr/--schedule is given, flags winning; and the denoising
autoencoder's noisy / output / clean figure and the VAE's samples and latent map written by the
`zoo train` route."""

import json
import os

import numpy as np
import pytest

from zoo import registry
from zoo.data import ArrayDataset, load_digits
from zoo.training.train import resolve_recipe


def _spec(recipe):
    return registry.ModelSpec("toy", None, "toy", "classification", (8, 8, 1), (8, 8), "-", recipe=recipe)


def test_flags_win_the_recipe_fills_the_rest_then_the_defaults():
    spec = _spec({"epochs": 12, "batch_size": 16, "lr": 2e-3, "measured": "x"})
    settings, sources = resolve_recipe(spec)
    assert settings == {"epochs": 12, "batch_size": 16, "optimizer": "adam", "lr": 2e-3, "schedule": "cosine"}
    assert sources == {"epochs": "recipe", "batch_size": "recipe", "lr": "recipe", "optimizer": "default", "schedule": "default"}
    settings, sources = resolve_recipe(spec, epochs=3, lr=0.1)
    assert (settings["epochs"], settings["lr"], settings["batch_size"]) == (3, 0.1, 16)
    assert "epochs" not in sources and "lr" not in sources
    # the recipe's rate is adam's: another optimizer without --lr gets its own default rate
    settings, _ = resolve_recipe(spec, optimizer="sgd")
    assert settings["optimizer"] == "sgd" and settings["lr"] is None and settings["batch_size"] == 16
    assert resolve_recipe(_spec({}))[0] == registry.DEFAULT_RECIPE


def test_registered_recipes_are_checked():
    with pytest.raises(ValueError, match=r"unknown keys \['epoch'\].*Received: recipe="):
        registry.register_model(family="x", task="classification", input_shape=(8, 8, 1), min_input_shape=(8, 8),
                                paper="-", recipe={"epoch": 3}, name="zoo_test_bad_recipe")(lambda **kw: None)
    for name in ("unet", "autoencoder_denoising", "vae", "ssd_tiny"):
        recipe = registry.get_spec(name).recipe
        assert {"epochs", "batch_size", "lr", "measured"} <= set(recipe), (name, recipe)


def test_zoo_train_route_of_the_denoiser_writes_the_noisy_output_clean_figure(tmp_path, monkeypatch, capsys):
    """The exact function `zoo train autoencoder_denoising --dataset digits` calls, on few small digits for one epoch."""
    from zoo import plots
    from zoo.training.train import train

    (xtr, ytr), (xte, yte) = load_digits(size=16, border=0)
    names = [str(i) for i in range(10)]
    cut = lambda x, y, n: ArrayDataset(x[:n], y[:n], "classification", names, "digits")  # noqa: E731
    drawn = {}
    real = plots.plot_reconstructions

    def spy(rows, path, **kw):
        drawn.update(rows=list(rows), path=path, title=kw.get("title"))
        return real(rows, path, **kw)

    monkeypatch.setattr(plots, "plot_reconstructions", spy)
    out = tmp_path / "run"
    metrics = train("autoencoder_denoising", "digits", str(out), epochs=1,
                    datasets=(cut(xtr, ytr, 64), cut(xte, yte, 16), cut(xte, yte, 24)), verbose=0)
    assert drawn["rows"] == ["noisy", "output", "clean"] and "noise stddev 0.3" in drawn["title"]
    assert "predictions.png" in metrics["figures"] and os.path.getsize(out / "predictions.png") > 10_000
    assert metrics["test"]["mse_noisy_input"] > 0 and np.isfinite(metrics["test"]["mse_denoised"])
    recipe = registry.get_spec("autoencoder_denoising").recipe
    config = json.loads((out / "config.json").read_text())
    assert (config["epochs"], config["batch_size"], config["lr"]) == (1, recipe["batch_size"], recipe["lr"])
    assert f"autoencoder_denoising's recommended recipe: --batch-size {recipe['batch_size']}" in capsys.readouterr().out


def _small_digits(n_train=64, n_val=16, n_test=24):
    (xtr, ytr), (xte, yte) = load_digits(size=16, border=0)
    names = [str(i) for i in range(10)]
    cut = lambda x, y, n: ArrayDataset(x[:n], y[:n], "classification", names, "digits")  # noqa: E731
    return cut(xtr, ytr, n_train), cut(xte, yte, n_val), cut(xte, yte, n_test)


def test_zoo_train_route_of_the_vae_writes_samples_and_a_latent_map(tmp_path, monkeypatch):
    """`zoo train vae --dataset digits` also draws what a generative model is for: samples from the
    prior, and the 2-D codes of the held-out images beside the decoder's images on a lattice."""
    from zoo import plots
    from zoo.training.train import train

    drawn = {}
    real_map, real_samples = plots.plot_latent_map, plots.plot_vae_samples

    def spy_map(codes, labels, path, **kw):
        drawn["map"] = (np.asarray(codes).shape, None if labels is None else list(labels), np.shape(kw.get("decoder_grid")))
        return real_map(codes, labels, path, **kw)

    def spy_samples(images, path, **kw):
        drawn["samples"] = np.asarray(images).shape
        return real_samples(images, path, **kw)

    monkeypatch.setattr(plots, "plot_latent_map", spy_map)
    monkeypatch.setattr(plots, "plot_vae_samples", spy_samples)
    data = _small_digits()
    out = tmp_path / "run"
    metrics = train("vae", "digits", str(out), epochs=1, datasets=data, verbose=0)
    assert metrics["figures"] == ["learning_curves.png", "predictions.png", "samples.png", "latent_map.png"]
    for name in metrics["figures"]:
        assert os.path.getsize(out / name) > 5_000, name
    assert drawn["samples"] == (36, 16, 16, 1)
    assert drawn["map"] == ((24, 2), list(data[2].y), (12, 12, 16, 16, 1))
    # `zoo evaluate RUN_DIR` draws them again, beside the run's own
    from zoo.training.evaluate import evaluate_path

    monkeypatch.setattr("zoo.training.evaluate.load_for_model", lambda model, dataset, split, **kw: data[2])
    result = evaluate_path(str(out), "digits")
    assert result["figures"] == ["eval_predictions.png", "eval_samples.png", "eval_latent_map.png"]
    assert all(os.path.getsize(out / f) > 5_000 for f in result["figures"])


def test_a_wider_vae_code_is_mapped_on_its_principal_components(tmp_path, monkeypatch):
    import zoo
    from zoo import plots
    from zoo.tasks import generation, reconstruction

    drawn = {}
    monkeypatch.setattr(plots, "plot_latent_map", lambda codes, labels, path, **kw: drawn.update(codes=np.asarray(codes), **kw))
    monkeypatch.setattr(plots, "plot_vae_samples", lambda images, path, **kw: None)
    *_, test = _small_digits()
    model = zoo.get_model("vae", input_shape=(16, 16, 1), latent_dim=5, depth=1, width=4)
    assert generation.figures(model, test, str(tmp_path)) == ["predictions.png", "samples.png", "latent_map.png"]
    z = np.asarray(model.encoder.predict(test.x, verbose=0)[0])
    # the two coordinates are the projections of the centred codes with the largest variances
    assert drawn["codes"].shape == (24, 2) and drawn.get("decoder_grid") is None
    assert drawn["axis_labels"] == ("principal component 1", "principal component 2")
    var = np.var(drawn["codes"], axis=0)
    assert var[0] >= var[1] and np.isclose(var.sum(), np.linalg.svd(z - z.mean(0), compute_uv=False)[:2].__pow__(2).sum() / 24, rtol=1e-3)
    drawn.clear()
    conv_ae = zoo.get_model("autoencoder_conv", input_shape=(16, 16, 1), depth=1, width=4)
    assert reconstruction.figures(conv_ae, test, str(tmp_path)) == ["predictions.png"] and not drawn  # no VAE pictures


def test_zoo_evaluate_prints_headline_metrics_and_a_per_class_table():
    from zoo.training.evaluate import format_figures, format_metrics

    result = {"model": "unet", "dataset": "shapes", "split": "test", "images": 200, "folder": "/runs/u",
              "metrics": {"mean_iou": 0.93123, "pixel_accuracy": 0.98, "iou_background": 0.992, "iou_circle": 0.937,
                          "dice_background": 0.996, "dice_circle": 0.967},
              "figures": ["eval_predictions.png"]}
    lines = format_metrics(result).splitlines()
    assert lines[0] == "unet on shapes (test, 200 images): mean_iou 0.9312, pixel_accuracy 0.98"
    assert lines[-2:] == ["  background   0.992   0.996", "      circle   0.937   0.967"]
    assert format_figures(result) == "figures: eval_predictions.png in /runs/u"
    result["metrics"] = {"mse": 0.0178, "psnr": 17.48}
    assert format_metrics(result) == "unet on shapes (test, 200 images): mse 0.0178, psnr 17.48"


def test_zoo_evaluate_refuses_a_dataset_of_another_task(tmp_path, monkeypatch):
    """A classifier evaluated on segmentation scenes: one sentence naming both tasks, not a Keras
    shape error from inside the model."""
    import zoo
    from zoo.training.evaluate import evaluate_path

    model = zoo.get_model("lenet5")
    model.save(tmp_path / "m.keras")
    masks = ArrayDataset(np.zeros((2, 32, 32, 3), "float32"), np.zeros((2, 32, 32), "int32"), "segmentation", ["bg", "fg"], "shapes")
    monkeypatch.setattr("zoo.training.evaluate.load_for_model", lambda model, dataset, split, **kw: masks)
    with pytest.raises(ValueError, match=r"^'lenet5' is a classification model and dataset 'shapes' is a segmentation dataset: "
                       r"a classification model trains on digits, mnist, .*, folder:PATH\. Received: dataset='shapes'$"):
        evaluate_path(str(tmp_path / "m.keras"), "shapes")
