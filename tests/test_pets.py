"""The oxford_iiit_pet loader, fed by tfds.testing.mock_data with consistent examples of our own
(tfds' random mocks give masks of another size than the image and values up to 255)."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tfds = pytest.importorskip("tensorflow_datasets")

from zoo.data import pets  # noqa: E402


def _consistent_examples(n, trimap_values=(1, 2, 3)):
    def as_dataset(self, split, decoders=None, read_config=None, **kwargs):
        rng = np.random.default_rng(0)
        h, w = 40, 56  # not square, not the requested size: the loader resizes both alike
        images, masks = [], []
        for i in range(n):
            mask = np.full((h, w, 1), 2, np.int64)  # background
            mask[10:30, 15 + i : 40 + i] = 1  # the pet
            mask[9, 15 + i : 40 + i] = 3  # its border
            mask[0, 0] = trimap_values[i % len(trimap_values)]
            img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
            img[mask[..., 0] == 1] = 220
            images.append(img)
            masks.append(mask)
        return tf.data.Dataset.from_tensor_slices(
            {"image": np.stack(images), "segmentation_mask": np.stack(masks), "label": np.zeros(n, np.int64)}
        )

    return as_dataset


def test_pets_loader_maps_trimaps_and_resizes_images_and_masks_alike(tmp_path):
    with tfds.testing.mock_data(num_examples=4, as_dataset_fn=_consistent_examples(4)):
        ds = pets.load("train", image_size=32, data_dir=str(tmp_path))
    assert ds.x.shape == (4, 32, 32, 3) and ds.x.dtype == np.float32
    assert ds.y.shape == (4, 32, 32)
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    assert set(np.unique(ds.y)) <= {0, 1, 2} and ds.class_names == ["background", "pet", "border"]
    # the bright pet pixels are exactly those labelled pet (class 1) after both resizes
    bright = ds.x.mean(-1) > 0.6
    assert (ds.y[bright] == 1).mean() > 0.95
    assert (ds.y == 1).sum() > 0.9 * bright.sum()
    assert ds.task == "segmentation" and ds.classes == 3


def test_pets_loader_num_examples_and_bad_split(tmp_path):
    with tfds.testing.mock_data(num_examples=5, as_dataset_fn=_consistent_examples(5)):
        ds = pets.load("test", image_size=16, num_examples=2, data_dir=str(tmp_path))
        assert len(ds) == 2
        with pytest.raises(ValueError, match="split"):
            pets.load("validation", data_dir=str(tmp_path))


def test_pets_loader_rejects_values_that_are_no_trimap(tmp_path):
    with tfds.testing.mock_data(num_examples=3, as_dataset_fn=_consistent_examples(3, trimap_values=(21,))):
        with pytest.raises(ValueError, match="trimaps must hold"):
            pets.load("train", image_size=16, data_dir=str(tmp_path))
