"""Writers: atomic, never over an existing file unless asked, usual file mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from safetywashing.errors import InputError
from safetywashing.io.writers import write_atomic, write_files


def test_write_atomic_leaves_no_temporary_file_and_uses_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.txt"
    write_atomic(target, "hello")
    assert target.read_text(encoding="utf-8") == "hello"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_write_files_checks_every_target_before_writing(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.txt already exists; pass --force"):
        write_files(tmp_path, {"a.txt": "new", "b.txt": "new"}, force=False)
    assert not (tmp_path / "a.txt").exists()
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "keep"
    write_files(tmp_path, {"a.txt": "new", "b.txt": "new"}, force=True)
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "new"


def test_out_path_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file, not a folder; give --out a folder path"):
        write_files(blocker, {"a.txt": "x"}, force=False)
