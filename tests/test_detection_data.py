"""shapes-det synthetic scenes and the tfds VOC loader (with consistent mock examples of our own)."""

import numpy as np
import pytest

from zoo.data import shapes_det


def test_shapes_det_is_seeded_tight_and_split_disjoint():
    a = shapes_det.load("train", num_examples=40, seed=3)
    b = shapes_det.load("train", num_examples=40, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y["boxes"], b.y["boxes"])
    assert a.task == "detection" and a.class_names == ["circle", "square", "triangle"] and a.classes == 3
    assert a.x.shape == (40, 64, 64, 3) and a.x.dtype == np.float32 and 0 <= a.x.min() and a.x.max() <= 1
    assert a.y["boxes"].shape == (40, 4, 4) and a.y["labels"].shape == (40, 4)
    lab, box = a.y["labels"], a.y["boxes"]
    valid = lab >= 0
    assert valid.sum(1).min() >= 1 and set(np.unique(lab[valid])) == {0, 1, 2}
    assert (box[valid][:, 2] > box[valid][:, 0]).all() and (box[valid][:, 3] > box[valid][:, 1]).all()
    assert (box[valid] >= 0).all() and (box[valid] <= 1).all()
    # a box is tight: a square fills its box with one colour, and the pixels just outside differ
    squares = 0
    for i in range(40):
        for b, c in zip(box[i][valid[i]], lab[i][valid[i]]):
            x1, y1, x2, y2 = (b * 64).round().astype(int)
            inside = a.x[i, y1:y2, x1:x2]
            # the shape's colour touches all four sides of its box
            colour = a.x[i, y2 - 1, (x1 + x2) // 2]
            for edge in (inside[0], inside[-1], inside[:, 0], inside[:, -1]):
                assert np.isclose(edge, colour, atol=1e-6).all(-1).any()
            if c == 1:
                squares += 1
                assert np.ptp(inside.reshape(-1, 3), axis=0).max() == 0
                if x1 > 0:
                    assert not np.isclose(a.x[i, y1:y2, x1 - 1], colour, atol=1e-6).all()
    assert squares > 5
    # splits differ; a different seed differs
    for other in (shapes_det.load("val", num_examples=40, seed=3), shapes_det.load("train", num_examples=40, seed=4)):
        assert not any(np.array_equal(a.x[i], other.x[j]) for i in range(40) for j in range(40))


def test_shapes_det_non_square_and_errors():
    d = shapes_det.load("test", image_size=(48, 80), num_examples=5)
    assert d.x.shape == (5, 48, 80, 3)
    valid = d.y["labels"] >= 0
    px = d.y["boxes"][valid] * np.array([80, 48, 80, 48])
    # shapes are square-ish in pixels (circles and squares exactly), whatever the image aspect
    side_w, side_h = px[:, 2] - px[:, 0], px[:, 3] - px[:, 1]
    assert np.all(np.abs(side_w - side_h) <= 1.01)
    with pytest.raises(ValueError, match="split.*'training'"):
        shapes_det.load("training")
    with pytest.raises(ValueError, match="image_size=8"):
        shapes_det.load("train", image_size=8)
    with pytest.raises(ValueError, match="num_examples=0"):
        shapes_det.load("train", num_examples=0)


def _voc_examples(n, *, bad=False):
    rng = np.random.default_rng(0)
    for i in range(n):
        k = 1 + i % 3
        ymin = rng.uniform(0, 0.5, k)
        xmin = rng.uniform(0, 0.5, k)
        bbox = np.stack([ymin, xmin, ymin + 0.3, xmin + 0.4], -1).astype("float32")
        if bad and i == 1:
            bbox[0, [0, 2]] = bbox[0, [2, 0]]  # ymin > ymax, as tfds' random mocks make
        yield {
            "image": rng.integers(0, 255, (40 + i, 60, 3), dtype=np.uint8),
            "image/filename": f"{i:06d}.jpg",
            "labels": np.arange(k, dtype=np.int64),
            "labels_no_difficult": np.arange(k, dtype=np.int64),
            "objects": {
                "bbox": bbox,
                "is_difficult": np.zeros(k, bool),
                "is_truncated": np.zeros(k, bool),
                "label": np.arange(k, dtype=np.int64) + i,
                "pose": np.zeros(k, np.int64),
            },
        }


@pytest.mark.parametrize("bad", [False, True])
def test_voc_loader_with_consistent_mock_examples(bad):
    tf = pytest.importorskip("tensorflow")
    tfds = pytest.importorskip("tensorflow_datasets")
    from zoo.data import voc

    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_generator(
            lambda: _voc_examples(4, bad=bad),
            output_types=self.info.features.dtype,
            output_shapes=self.info.features.shape,
        )

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        if bad:
            with pytest.raises(ValueError, match=r"example 1 .*x2 < x1 or y2 < y1"):
                voc.load("train", image_size=32)
            return
        d = voc.load("val", image_size=(32, 48))
    assert d.x.shape == (4, 32, 48, 3) and d.task == "detection" and d.classes == 20
    assert d.class_names[0] == "aeroplane"
    assert d.y["boxes"].shape == (4, 3, 4)
    ex = next(_voc_examples(1))
    ymin, xmin, ymax, xmax = ex["objects"]["bbox"][0]
    np.testing.assert_allclose(d.y["boxes"][0, 0], [xmin, ymin, xmax, ymax], atol=1e-6)
    np.testing.assert_array_equal(d.y["labels"][2], [2, 3, 4])
    np.testing.assert_array_equal(d.y["labels"][0], [0, -1, -1])
