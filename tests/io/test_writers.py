"""Writers: atomic, never over an existing file unless asked, usual file mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from safetywashing.core.errors import InputError
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


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_write_files_replaces_the_folder_in_one_step_and_keeps_other_files(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_files(out, {"a.txt": "1", "figures/f.png": b"1"}, force=False)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    inode = (out / "notes.txt").stat().st_ino
    write_files(out, {"a.txt": "2", "b.txt": "2"}, force=True)
    assert listing(out) == ["a.txt", "b.txt", "figures", "figures/f.png", "notes.txt"]
    assert (out / "a.txt").read_text(encoding="utf-8") == "2"
    assert (out / "notes.txt").stat().st_ino == inode  # the same file, linked across
    assert listing(tmp_path) == ["out", *(f"out/{name}" for name in listing(out))]


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    from safetywashing.io.writers import output_lock

    out = tmp_path / "out"
    with output_lock(out), pytest.raises(InputError, match="Another run is writing into"):
        write_files(out, {"a.txt": "1"}, force=True)
    assert not out.exists()
    write_files(out, {"a.txt": "1"}, force=True)
    assert listing(tmp_path) == ["out", "out/a.txt"]  # the lock file is gone too


def test_debris_of_a_killed_writer_is_cleaned_and_a_set_aside_folder_restored(
    tmp_path: Path,
) -> None:
    stage = tmp_path / ".out.staging-abc"
    stage.mkdir()
    (stage / "a.txt").write_text("half", encoding="utf-8")
    aside = tmp_path / ".out.previous-abc"
    aside.mkdir()
    (aside / "a.txt").write_text("old", encoding="utf-8")
    (tmp_path / ".out.lock").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="already exists"):
        write_files(tmp_path / "out", {"a.txt": "new"}, force=False)
    # The killed writer had set the previous folder aside: it is back, and nothing else.
    assert listing(tmp_path) == ["out", "out/a.txt"]
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == "old"


def test_an_unwritable_folder_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(InputError, match=r"cannot hold the output \(Operation not permitted\)"):
        write_files(tmp_path / "out", {"a.txt": "1"}, force=False)
    with pytest.raises(InputError, match=r"cannot hold the output \(Operation not permitted\)"):
        write_atomic(tmp_path / "b.txt", "1")
    assert listing(tmp_path) == []


def test_write_atomic_removes_a_killed_writers_temporary_but_not_a_live_one(
    tmp_path: Path,
) -> None:
    import fcntl

    stale = tmp_path / ".r.html.abc123.tmp"
    stale.write_text("half", encoding="utf-8")
    live = tmp_path / ".r.html.def456.tmp"
    live.write_text("being written", encoding="utf-8")
    with live.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # another process writing it now
        write_atomic(tmp_path / "r.html", "done")
        assert listing(tmp_path) == [".r.html.def456.tmp", "r.html"]


def test_a_folder_that_is_not_an_output_folder_is_written_file_by_file(tmp_path: Path) -> None:
    out = tmp_path / "project"
    (out / "src").mkdir(parents=True)
    (out / "src" / "code.py").write_text("x = 1\n", encoding="utf-8")
    inode = out.stat().st_ino
    write_files(out, {"a.txt": "1"}, force=False)
    assert out.stat().st_ino == inode  # the same folder, not a replacement
    assert listing(out) == ["a.txt", "src", "src/code.py"]
