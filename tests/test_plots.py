"""Figures a user reads without help: no text drawn over other text, integer epoch and trial ticks,
captions that say predicted vs true, one colour per class, masks saved as palette PNGs."""

import itertools

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from zoo import plots

NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck_with_a_long_name"]


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions save, drawn and kept open: {file name: Figure}."""
    kept = {}
    real = plots.save_figure

    def keep(fig, path):
        fig.canvas.draw()  # the layout as drawn; text extents are measured before the figure is closed
        fig.drawn_texts = _texts(fig)
        fig.drawn_axes = [ax.get_window_extent() for ax in fig.axes]
        kept[str(path).rsplit("/", 1)[-1]] = fig
        return real(fig, path)

    monkeypatch.setattr(plots.style, "save_figure", keep)  # every figure saves through it
    return kept


def _texts(fig):
    """(text, window extent) of every visible, non-empty text the figure draws, tick labels included."""
    renderer = fig.canvas.get_renderer()
    out, seen = [], set()
    for t in fig.findobj(Text):
        if id(t) in seen:  # findobj reaches a legend's texts twice
            continue
        seen.add(id(t))
        if not t.get_visible() or not str(t.get_text()).strip() or t.figure is None:
            continue
        ax = t.axes
        if ax is not None and not ax.get_visible():
            continue
        out.append((t, t.get_window_extent(renderer)))
    # tick labels outside the view limits exist as objects but are not drawn
    drawn_ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                    drawn_ticks.update({id(tick.label1), id(tick.label2)})
    all_ticks = {id(l) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
                 for tick in axis.get_major_ticks() + axis.get_minor_ticks() for l in (tick.label1, tick.label2)}
    return [(t, e) for t, e in out if id(t) not in all_ticks or id(t) in drawn_ticks]


def assert_no_text_overlaps(fig):
    texts = fig.drawn_texts
    assert texts, "no text found"
    clashes = [(a.get_text(), b.get_text()) for (a, ea), (b, eb) in itertools.combinations(texts, 2)
               if ea.overlaps(eb) and ea.width > 0 and eb.width > 0]
    assert not clashes, f"texts drawn over each other: {clashes[:5]}"


def _tick_values(axis):
    lo, hi = sorted(axis.get_view_interval())
    return [v for v in axis.get_majorticklocs() if lo <= v <= hi]


def test_learning_curves_have_integer_epochs_and_no_overlapping_labels(tmp_path, figures):
    h = {"loss": [1.2, 0.8, 0.6], "val_loss": [1.3, 0.9, 0.7], "accuracy": [0.5, 0.7, 0.8],
         "val_accuracy": [0.45, 0.65, 0.75], "sparse_top_5_categorical_accuracy": [0.6, 0.7, 0.8]}
    plots.plot_learning_curves(h, tmp_path / "curves.png", title="resnet20 on cifar10", marks={2: "phase 2"})
    fig = figures["curves.png"]
    assert_no_text_overlaps(fig)
    for ax in fig.axes:
        ticks = _tick_values(ax.xaxis)
        assert ticks and all(float(v).is_integer() for v in ticks), ticks  # 1, 2, 3: not 1.0, 1.5, 2.0


def test_misclassified_grid_captions_fit_their_panels(tmp_path, figures):
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 10, 40), rng.integers(0, 10, 40)
    plots.plot_misclassified(rng.random((40, 32, 32, 3)), y, p, tmp_path / "mis.png",
                             probabilities=rng.random(40), labels=NAMES)
    fig = figures["mis.png"]
    assert_no_text_overlaps(fig)
    captions = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(captions) == 24 and all(c.startswith("true ") and "\npred " in c for c in captions)


@pytest.mark.parametrize("n", [10, 101, 1000])
def test_confusion_matrix_stays_readable_and_bounded_for_many_classes(tmp_path, figures, n):
    """10 classes: counts in the cells, every class named. 101 or 1,000 classes (caltech101, an
    ImageNet-sized folder): a bounded image (1,000 classes once asked matplotlib for a 55,000-pixel
    square), no label drawn over another, the most confused pair named under the matrix."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, n, 3000)
    p = np.where(rng.random(3000) < 0.7, y, rng.integers(0, n, 3000))
    p[:40] = (y[:40] + 1) % n  # one pair confused 40 times at least: the most confused
    names = [f"class_{i}_with_a_longer_name" for i in range(n)]
    plots.plot_confusion_matrix(y, p, tmp_path / "cm.png", labels=names, title="resnet50, held-out x")
    fig = figures["cm.png"]
    assert_no_text_overlaps(fig)
    width, height = Image.open(tmp_path / "cm.png").size
    assert max(width, height) < 2500, (width, height)
    ax = fig.axes[0]
    named = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    if n <= plots.classification.CONFUSION_CELLS_MAX:
        assert len(named) == n and any(t.get_text().isdigit() for t in ax.texts)  # counts in the cells
    else:
        assert 10 <= len(named) <= plots.classification.CONFUSION_CELLS_MAX, len(named)
        off = np.zeros((n, n), int)
        np.add.at(off, (y, p), 1)
        np.fill_diagonal(off, 0)
        t, q = divmod(int(off.argmax()), n)
        assert f"class_{t}_" in ax.get_xlabel() and "most confused" in ax.get_xlabel()


def test_bench_chart_names_every_row_without_overlap(tmp_path, figures):
    """`zoo bench --zoo-train` has four rows with long names and three ratios: all readable."""
    rows = [{"label": label, "images_per_s": [5.2, 5.5, 5.8], "median_images_per_s": 5.5} for label in (
        "zoo resnet50 (auto)", "keras.applications.ResNet50 (auto)", "zoo resnet50 in zoo train: training steps",
        "zoo resnet50 in zoo train: whole epochs")]
    ratios = {"zoo/keras.applications.ResNet50 (auto)": 0.95, "zoo resnet50 in zoo train: training steps/plain loop (auto)": 0.97,
              "zoo resnet50 in zoo train: whole epochs/plain loop (auto)": 0.93}
    plots.plot_bench({"results": rows, "ratios": ratios, "model": "resnet50", "backend": "tensorflow", "precision": "float32",
                      "batch_size": 16, "input_shape": [224, 224, 3]}, tmp_path / "bench.png")
    fig = figures["bench.png"]
    assert_no_text_overlaps(fig)
    assert [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()] == [r["label"] for r in rows]


def test_tuning_plots_have_integer_trials_and_no_overlapping_labels(tmp_path, figures):
    rng = np.random.default_rng(0)
    records = [{"trial": i + 1, "status": "COMPLETED", "score": float(rng.random()),
                "hyperparameters": {"learning_rate": [1e-4, 1e-3, 3e-2][i], "optimizer": ["adam", "sgd", "nesterov"][i],
                                    "batch_size": [16, 32, 64][i], "weight_decay": [0.0, 1e-5, 1e-4][i],
                                    "dropout": 0.1 * i}} for i in range(3)]
    plots.plot_tuning_results(records, "val_accuracy", str(tmp_path))
    for name in ("objective_per_trial.png", "objective_vs_hyperparameters.png", "parallel_coordinates.png"):
        assert_no_text_overlaps(figures[name])
    (ax,) = figures["objective_per_trial.png"].axes
    assert _tick_values(ax.xaxis) == [1, 2, 3]  # trials are numbered from 1, as in the table and KerasTuner's log
    batch = [a for a in figures["objective_vs_hyperparameters.png"].axes if a.get_title() == "batch_size"][0]
    assert all(float(v).is_integer() for v in _tick_values(batch.xaxis))


def test_a_hyperparameter_tried_at_one_value_has_one_tick_at_it(tmp_path, figures):
    """kernel_size tried only at 3: its panel's axis says 3, once, not 2.84 2.88 2.92 ... around it."""
    records = [{"trial": i + 1, "status": "COMPLETED", "score": 0.5 + 0.1 * i,
                "hyperparameters": {"kernel_size": 3, "learning_rate": 1e-3, "dropout": 0.0, "filters": [16, 32, 64][i]}}
               for i in range(3)]
    plots.plot_tuning_results(records, "val_accuracy", str(tmp_path))
    fig = figures["objective_vs_hyperparameters.png"]
    assert_no_text_overlaps(fig)
    panels = {a.get_title(): a for a in fig.axes if a.get_title()}
    for name, label in (("kernel_size", "3"), ("learning_rate", "0.001"), ("dropout", "0")):
        ticks = [t.get_text() for t, v in zip(panels[name].get_xticklabels(), panels[name].get_xticks())
                 if v in _tick_values(panels[name].xaxis)]
        assert ticks == [label], (name, ticks)
    assert len(_tick_values(panels["filters"].xaxis)) > 1  # a hyperparameter that varied keeps its scale


def test_saliency_captions_say_predicted_and_true(tmp_path, figures):
    rng = np.random.default_rng(0)
    plots.plot_saliency(rng.random((3, 16, 16, 1)), rng.random((3, 16, 16, 1)), tmp_path / "sal.png",
                        predicted=[7, 1, 2], true=[7, 4, 2], probabilities=[0.98, 0.6, 0.9], labels=NAMES)
    fig = figures["sal.png"]
    assert_no_text_overlaps(fig)
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    assert [t.get_text() for t in titles] == ["pred horse (0.98)\ntrue horse", "pred automobile (0.60)\ntrue deer",
                                              "pred bird (0.90)\ntrue bird"]
    assert titles[1].get_color() != titles[0].get_color()  # a wrong prediction stands out


def test_segmentation_figure_keeps_the_image_aspect(tmp_path, figures):
    images = np.random.default_rng(0).random((2, 32, 64, 3))
    masks = np.zeros((2, 32, 64), int)
    masks[:, 4:20, 8:40] = 1
    plots.plot_segmentation(images, masks, masks, tmp_path / "seg.png", class_names=["background", "circle"])
    fig = figures["seg.png"]
    assert_no_text_overlaps(fig)
    for box in fig.drawn_axes:
        assert box.width / box.height == pytest.approx(2.0, rel=0.05)  # 64 wide, 32 high: drawn 2:1


def test_one_colour_per_class_across_segmenters_and_detectors():
    seg = plots.class_colours(5)
    det = plots.class_colours(4, background=False)
    np.testing.assert_array_equal(seg[0], [0, 0, 0])  # the background is black
    np.testing.assert_array_equal(seg[1:], det)  # a detector's label k looks like a segmenter's class k + 1
    assert len({tuple(c) for c in plots.class_colours(12)}) == 12  # distinct before the palette repeats
    # the same colours for a class in the training figure and the predict figure of a detector
    drawn = []
    real = plots.detection._draw_boxes
    plots.detection._draw_boxes = lambda ax, boxes, names, scores=None, *, colours=None, dashed=False: drawn.append(colours)
    try:
        img = np.zeros((32, 32, 3))
        plots.draw_detections(img, [[1, 1, 9, 9]], ["square"], [0.9], "/dev/null", class_ids=[2])
        plots.plot_detections(img[None], [{"boxes": np.array([[0.1, 0.1, 0.3, 0.3]]), "scores": np.array([0.9]),
                                          "labels": np.array([2])}], "/dev/null", class_names=["a", "b", "square"])
    finally:
        plots.detection._draw_boxes = real
    np.testing.assert_array_equal(drawn[0][0], det[2])
    np.testing.assert_array_equal(drawn[-1][0], det[2])


def test_masks_are_saved_as_palette_pngs_that_read_back_as_class_indices(tmp_path):
    mask = np.zeros((12, 20), int)
    mask[2:6, 3:9], mask[7:11, 10:18] = 1, 2
    path = plots.save_mask_png(mask, tmp_path / "m.png", classes=3)
    with Image.open(path) as im:
        assert im.mode == "P"
        np.testing.assert_array_equal(np.asarray(im), mask)
        rgb = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(rgb[3, 4], (plots.class_colours(3)[1] * 255).round())
    np.testing.assert_array_equal(rgb[0, 0], [0, 0, 0])
    with Image.open(plots.save_mask_png(mask, tmp_path / "big.png", classes=3, size=(40, 24))) as im:
        assert im.size == (40, 24) and set(np.unique(np.asarray(im))) == {0, 1, 2}
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\).*values 0\.\.2"):
        plots.save_mask_png(mask, tmp_path / "bad.png", classes=2)


def test_evaluate_prints_a_per_class_ap_table_for_detectors():
    from zoo.detection.metrics import evaluate_detections
    from zoo.training.evaluate import format_metrics

    gts = [{"boxes": np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), "labels": np.array([0, 1])}]
    dets = [{"boxes": np.array([[0, 0, 10, 10], [50, 50, 60, 60]]), "scores": np.array([0.9, 0.8]), "labels": np.array([0, 1])}]
    m = evaluate_detections(dets, gts, class_names=["circle", "square"])
    assert m["ap50_circle"] == pytest.approx(1.0) and m["ap50_square"] == 0.0 and m["map50"] == pytest.approx(0.5)
    text = format_metrics({"model": "ssd_tiny", "dataset": "shapes-det", "split": "test", "images": 1, "metrics": m})
    lines = text.splitlines()
    assert lines[0] == "ssd_tiny on shapes-det (test, 1 images): map50 0.5, coco_map 0.5, coco_map50 0.5"
    assert "       class  AP@0.5  AP@[.5:.95]" in lines
    assert "      circle   1.000        1.000" in lines and "      square   0.000        0.000" in lines


def _display_points(ax, line, per_segment=50):
    """A drawn line's points in pixels, with `per_segment` points along each segment between them."""
    xy = ax.transData.transform(np.column_stack(line.get_data()).astype(float))
    t = np.linspace(0, 1, per_segment)[:, None]
    return np.concatenate([a + t * (b - a) for a, b in zip(xy[:-1], xy[1:])] or [xy])


def test_the_phase_label_is_clear_of_every_curve(tmp_path, figures):
    """A transfer run's validation accuracy sat flat at the top of its panel, right through the
    "phase 2" label drawn inside the frame."""
    h = {"accuracy": [0.15, 0.1, 0.3, 0.2], "val_accuracy": [0.2, 0.2, 0.2, 0.2], "loss": [1.63, 1.61, 1.5, 1.4],
         "val_loss": [1.629, 1.627, 1.6, 1.55]}
    plots.plot_learning_curves(h, tmp_path / "curves.png", title="Transfer: lenet5 on images", marks={3: "phase 2"})
    fig = figures["curves.png"]
    assert_no_text_overlaps(fig)
    labels = [(t, e) for t, e in fig.drawn_texts if t.get_text() == "phase 2"]
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(labels) == len(panels) == 2  # one label per panel
    for ax in panels:
        frame = ax.get_window_extent()
        (box,) = [e for _, e in labels if frame.x0 <= (e.x0 + e.x1) / 2 <= frame.x1]
        curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
        assert len(curves) == 2
        for line in curves:
            pts = _display_points(ax, line)
            inside = (pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1) & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)
            assert not inside.any(), f"the {line.get_label()} curve runs through the phase label"
        mark = ax.transData.transform((2.5, 0))[0]  # the dashed line before epoch 3
        assert box.x0 <= mark <= box.x1  # the label stands at its line


def test_bench_value_labels_are_clear_of_the_rounds_dots(tmp_path, figures):
    """Each bar's median value sat on the median round's dot, the faster rounds' dots over it."""
    rows = [{"label": "zoo resnet50 (auto)", "images_per_s": [5.2, 5.5, 5.8], "median_images_per_s": 5.5},
            {"label": "keras.applications.ResNet50 (auto)", "images_per_s": [4.0, 6.1, 6.2], "median_images_per_s": 6.1}]
    plots.plot_bench({"results": rows, "ratios": {"zoo/keras.applications.ResNet50 (auto)": 0.9}, "model": "resnet50",
                      "backend": "jax", "precision": "float32", "batch_size": 16, "input_shape": [224, 224, 3]},
                     tmp_path / "bench.png")
    fig = figures["bench.png"]
    assert_no_text_overlaps(fig)
    ax = fig.axes[0]
    values = {t.get_text(): e for t, e in fig.drawn_texts if t.get_text() in ("5.5", "6.1")}
    assert set(values) == {"5.5", "6.1"}
    radius = max(line.get_markersize() for line in ax.get_lines()) / 72 * fig.dpi / 2
    for row, text in zip(rows, ("5.5", "6.1")):
        box = values[text]
        for dot in ax.transData.transform([(rows.index(row), v) for v in row["images_per_s"]]):
            assert not (box.x0 - radius <= dot[0] <= box.x1 + radius and box.y0 - radius <= dot[1] <= box.y1 + radius), \
                f"the value label {text} is under a round's dot"


def test_parallel_coordinates_show_each_axis_values_and_name_the_constant_ones(tmp_path, figures):
    """Without tick values a line's height said nothing; a hyperparameter the same in every trial
    was dropped without a word."""
    records = [{"trial_id": str(i), "status": "COMPLETED", "score": s,
                "hyperparameters": {"learning_rate": lr, "optimizer": opt, "filters": f, "kernel_size": 3, "pool": "max"}}
               for i, (s, lr, opt, f) in enumerate([(0.61, 1e-4, "adam", 8), (0.83, 1e-2, "sgd", 32), (0.72, 1e-3, "adam", 16)])]
    plots.plot_parallel_coordinates(records, "val_accuracy", tmp_path / "pc.png",
                                    names=["learning_rate", "optimizer", "filters", "kernel_size", "pool"])
    fig = figures["pc.png"]
    assert_no_text_overlaps(fig)
    ax = fig.axes[0]
    axes = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert axes == ["learning_rate", "optimizer", "filters", "val_accuracy"]
    drawn = {(round(float(ax.transData.inverted().transform(e.p0)[0])), t.get_text())
             for t, e in fig.drawn_texts if t.axes is ax}
    for x, values in enumerate([("0.0001", "0.01"), ("adam", "sgd"), ("8", "32"), ("0.61", "0.83")]):
        assert {(x, v) for v in values} <= drawn, (axes[x], sorted(d for d in drawn if d[0] == x))
    assert "kernel_size=3" in ax.get_xlabel() and "pool=max" in ax.get_xlabel()


def test_saliency_shows_one_image_of_each_class(tmp_path, figures):
    """A folder is read class by class: its first six images were all of one class, and the
    saliency figure of a 3-class run showed none of the third."""
    import keras

    from zoo.data.arrays import ArrayDataset
    from zoo.tasks import classification

    rng = np.random.default_rng(0)
    y = np.array([0] * 5 + [1] * 5 + [2] * 5)
    ds = ArrayDataset(rng.random((15, 8, 8, 1)).astype("float32"), y, "classification", ["one", "three", "two"], "img3")
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs)))
    classification.figures(model, ds, str(tmp_path))
    shown = [ax.get_title().split("\ntrue ")[1] for ax in figures["saliency.png"].axes if "\ntrue " in ax.get_title()]
    assert sorted(set(shown)) == ["one", "three", "two"] and len(shown) == 6, shown
    assert shown == sorted(shown, key=["one", "three", "two"].index)  # in class order
