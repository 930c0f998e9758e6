"""The `shapes` synthetic segmentation data: seeded, any size, disjoint splits, sane masks."""

import numpy as np
import pytest

from zoo.data import ArrayDataset, shapes


def test_load_returns_a_segmentation_array_dataset():
    ds = shapes.load("train", image_size=32, num_examples=20)
    assert isinstance(ds, ArrayDataset) and ds.task == "segmentation" and ds.name == "shapes"
    assert ds.x.shape == (20, 32, 32, 3) and ds.x.dtype == np.float32
    assert ds.y.shape == (20, 32, 32) and np.issubdtype(ds.y.dtype, np.integer)
    assert 0 <= ds.x.min() and ds.x.max() <= 1
    assert ds.class_names == ["background", "circle", "square", "triangle"] and ds.classes == 4
    assert set(np.unique(ds.y)) == {0, 1, 2, 3}
    assert all((m > 0).any() for m in ds.y)  # every scene has at least one shape


def test_same_seed_same_scenes_and_splits_are_disjoint():
    a = shapes.load("train", image_size=24, num_examples=10, seed=3)
    b = shapes.load("train", image_size=24, num_examples=10, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    other = shapes.load("train", image_size=24, num_examples=10, seed=4)
    assert not np.array_equal(a.x, other.x)
    seeds = {shapes.split_seed(3, s) for s in ("train", "val", "test")}
    assert len(seeds) == 3
    val = shapes.load("val", image_size=24, num_examples=10, seed=3)
    test = shapes.load("test", image_size=24, num_examples=10, seed=3)
    flat = lambda d: {img.tobytes() for img in d.x}  # noqa: E731
    assert not (flat(a) & flat(val)) and not (flat(a) & flat(test)) and not (flat(val) & flat(test))


def test_shapes_stand_out_from_the_background():
    ds = shapes.load("test", image_size=48, num_examples=30)
    fg, bg = ds.y > 0, ds.y == 0
    # per scene, the mean colour inside the shapes differs from the background's
    gaps = [np.abs(x[m].mean(0) - x[~m].mean(0)).max() for x, m in zip(ds.x, fg)]
    assert np.median(gaps) > 0.15
    assert 0.03 < fg.mean() < 0.4 and bg.any()


@pytest.mark.parametrize("size", [16, 40, (40, 40)])
def test_any_size(size):
    ds = shapes.load("val", image_size=size, num_examples=3)
    side = size if isinstance(size, int) else size[0]
    assert ds.x.shape[1:3] == (side, side) and ds.y.shape[1:] == (side, side)


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        shapes.load("validation")
    with pytest.raises(ValueError, match="image_size"):
        shapes.load("train", image_size=8, num_examples=2)
    with pytest.raises(ValueError, match="image_size"):
        shapes.load("train", image_size=(32, 48), num_examples=2)
    with pytest.raises(ValueError, match="num_examples"):
        shapes.load("train", num_examples=0)
