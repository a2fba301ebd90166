"""write_atomic: the whole file or the old one, never half, with open()'s usual mode."""

import os

import pytest

from rnnlab.files import write_atomic


def test_writes_text_and_bytes_and_makes_folders(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    write_atomic(target, "héllo")
    assert target.read_text(encoding="utf-8") == "héllo"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_mode_is_what_open_would_give(tmp_path):
    write_atomic(tmp_path / "atomic", "x")
    (tmp_path / "plain").write_text("x")
    assert os.stat(tmp_path / "atomic").st_mode == os.stat(tmp_path / "plain").st_mode


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # not str or bytes: fails while writing
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
