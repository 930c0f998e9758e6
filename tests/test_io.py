import os

import pytest

from zoo import io


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "metrics.json"
    io.write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        io.write_json(target, {"a": object()})
    assert target.read_text().strip().startswith("{") and '"a": 1' in target.read_text()
    assert os.listdir(tmp_path) == ["metrics.json"]


def test_ensure_out_dir(tmp_path):
    assert io.ensure_out_dir(tmp_path / "a" / "b") == str(tmp_path / "a" / "b")
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file"):
        io.ensure_out_dir(tmp_path / "f")


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        io.write_json(tmp_path / "m.json", {})
    finally:
        os.umask(umask)
    assert oct((tmp_path / "m.json").stat().st_mode & 0o777) == oct(0o644)
