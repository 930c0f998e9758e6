"""Messy class-per-folder directories: every kind of bad file is skipped (one warning), converted
or refused with a clear error, before any dataset is built."""

import io
import os
import warnings

import numpy as np
import pytest
from PIL import Image

from zoo.data.imagefolder import (
    ImageFolderWarning,
    load_folder,
    read_image,
    scan_image_folder,
    split_indices,
)


def _png(path, size=(16, 16), mode="RGB", color=(200, 30, 30)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if mode == "L":
        color = color[0]
    elif mode == "RGBA":
        color = (*color, 255)
    Image.new(mode, size, color).save(path)


def _jpeg_bytes(size=(24, 24)):
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def make_messy_folder(root):
    """cats: 3 good RGB PNGs, an upper-case .JPG, a truncated JPEG, a .txt, a 3x3 image and a
    nested folder; dogs: grayscale + RGBA + palette PNGs; birds: one image; a stray top-level file."""
    cats = os.path.join(root, "cats")
    for i in range(3):
        _png(os.path.join(cats, f"c{i}.png"))
    with open(os.path.join(cats, "UPPER.JPG"), "wb") as f:
        f.write(_jpeg_bytes())
    with open(os.path.join(cats, "broken.jpg"), "wb") as f:
        f.write(_jpeg_bytes()[:300])  # truncated JPEG
    with open(os.path.join(cats, "notes.txt"), "w") as f:
        f.write("not an image")
    _png(os.path.join(cats, "tiny.png"), size=(3, 3))
    _png(os.path.join(cats, "more", "nested.png"))
    with open(os.path.join(cats, ".DS_Store"), "wb") as f:
        f.write(b"\0\1")
    dogs = os.path.join(root, "dogs")
    _png(os.path.join(dogs, "gray.png"), mode="L", color=(90, 0, 0))
    _png(os.path.join(dogs, "rgba.png"), mode="RGBA", color=(10, 200, 10))
    Image.new("P", (16, 16), 3).save(os.path.join(dogs, "palette.png"))
    _png(os.path.join(dogs, "d.jpeg"), color=(0, 0, 250))
    _png(os.path.join(root, "birds", "only.png"), color=(0, 250, 250))
    with open(os.path.join(root, "README.md"), "w") as f:
        f.write("stray")
    return root


def test_messy_folder_is_scanned_with_one_warning_listing_every_skipped_file(tmp_path):
    root = make_messy_folder(str(tmp_path / "data"))
    with pytest.warns(ImageFolderWarning) as record:
        scan = scan_image_folder(root)
    assert len(record) == 1, [str(r.message) for r in record]
    msg = str(record[0].message)
    assert "\n" not in msg
    for name, reason in [
        ("broken.jpg", "truncated"),
        ("notes.txt", "not an image"),
        ("tiny.png", "too small (3x3"),
        ("more", "nested folder"),
        ("README.md", "top level"),
    ]:
        assert name in msg and reason in msg, (name, msg)
    assert "single image" in msg and "birds" in msg
    assert ".DS_Store" not in msg
    # nested folders are not folded into a class, empty-looking names are not classes
    assert scan.class_names == ["birds", "cats", "dogs"]
    assert scan.counts() == {"birds": 1, "cats": 4, "dogs": 4}
    assert any(f.endswith("UPPER.JPG") for f in scan.files)
    assert sorted(os.path.basename(f) for f in scan.converted) == ["gray.png", "palette.png", "rgba.png"]
    assert scan.single == ["birds"]


def test_every_loaded_image_is_rgb_float_in_unit_range_at_the_requested_size(tmp_path):
    root = make_messy_folder(str(tmp_path / "data"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImageFolderWarning)
        ds = load_folder(root, "all", image_size=(12, 20))
        gray = load_folder(root, "all", image_size=8, channels=1, scan=scan_image_folder(root, warn=False))
    assert ds.x.shape == (9, 12, 20, 3) and ds.x.dtype == np.float32
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    assert gray.x.shape == (9, 8, 8, 1)
    assert ds.class_names == ["birds", "cats", "dogs"] and ds.task == "classification"
    files = ds.meta["files"]
    gray_px = ds.x[[i for i, f in enumerate(files) if f.endswith("gray.png")][0]]
    np.testing.assert_allclose(gray_px[0, 0], [90 / 255] * 3, atol=1e-6)  # gray repeated to RGB
    rgba_px = ds.x[[i for i, f in enumerate(files) if f.endswith("rgba.png")][0]]
    np.testing.assert_allclose(rgba_px[0, 0], np.array([10, 200, 10]) / 255, atol=1e-6)


def test_transparent_pixels_are_composited_onto_white(tmp_path):
    p = str(tmp_path / "t.png")
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(p)
    np.testing.assert_allclose(read_image(p, None), 1.0)


def test_empty_class_folder_is_refused_naming_it(tmp_path):
    root = tmp_path / "data"
    _png(str(root / "a" / "x.png"))
    _png(str(root / "b" / "y.png"))
    (root / "empty").mkdir()
    with pytest.raises(ValueError, match=r"'empty'.*no usable image"):
        scan_image_folder(str(root))


def test_class_with_only_broken_files_counts_as_empty(tmp_path):
    root = tmp_path / "data"
    _png(str(root / "a" / "x.png"))
    _png(str(root / "b" / "y.png"))
    (root / "c").mkdir()
    (root / "c" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.warns(ImageFolderWarning, match="bad.png"):
        with pytest.raises(ValueError, match=r"'c'"):
            scan_image_folder(str(root))


def test_fewer_than_two_classes_and_missing_folder_are_refused(tmp_path):
    _png(str(tmp_path / "one" / "only" / "x.png"))
    with pytest.raises(ValueError, match="at least 2 class"):
        scan_image_folder(str(tmp_path / "one"))
    with pytest.raises(FileNotFoundError, match="no such folder"):
        scan_image_folder(str(tmp_path / "nope"))
    (tmp_path / "f.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        scan_image_folder(str(tmp_path / "f.png"))


def test_splits_are_disjoint_stratified_and_keep_single_images_in_train():
    labels = np.array([0] * 10 + [1] * 10 + [2])
    parts = split_indices(labels, seed=3, val_fraction=0.1, test_fraction=0.2)
    allidx = np.concatenate(list(parts.values()))
    assert sorted(allidx.tolist()) == list(range(21))
    assert (labels[parts["test"]] == 0).sum() == 2 and (labels[parts["val"]] == 1).sum() == 1
    assert 20 in parts["train"]
    assert split_indices(labels, seed=3)["test"].tolist() == parts["test"].tolist()
    with pytest.raises(ValueError, match="val_fraction"):
        split_indices(labels, val_fraction=0.6, test_fraction=0.5)


def test_truncated_jpeg_that_would_crash_training_never_reaches_the_dataset(tmp_path):
    root = tmp_path / "data"
    for c in ("a", "b"):
        for i in range(3):
            _png(str(root / c / f"{i}.png"))
    (root / "a" / "cut.jpg").write_bytes(_jpeg_bytes()[:200])
    with pytest.warns(ImageFolderWarning, match="cut.jpg"):
        ds = load_folder(str(root), "all", image_size=8)
    assert len(ds) == 6 and not any("cut.jpg" in f for f in ds.meta["files"])
