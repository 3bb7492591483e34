"""Writers: atomic, never over an existing file unless asked, usual file mode.

The ``--out`` transaction is checked with each way of swapping a folder that this
system can run: the exchange of the platform (``renameat2`` here) and the two renames
of Windows and other systems, forced through :data:`transaction.SWAP_STRATEGY`. The
Windows locks (``msvcrt``) are driven through a stand-in that locks with ``flock``, so
their protocol (unlock, close, then remove) runs here too.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from safetywashing.core.errors import InputError
from safetywashing.io import transaction
from safetywashing.io.transaction import output_lock
from safetywashing.io.writers import write_atomic, write_files

STRATEGIES = [transaction.platform_strategy(), "two renames"]


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


@pytest.fixture(params=STRATEGIES)
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way of swapping a folder this system can run."""
    monkeypatch.setattr(transaction, "SWAP_STRATEGY", request.param)
    return str(request.param)


def test_write_files_replaces_the_folder_in_one_step_and_keeps_other_files(
    tmp_path: Path, strategy: str
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


# -- the --out transaction under concurrent and killed writers ------------------------------

WRITER = textwrap.dedent(
    """
    import os, shutil, signal, sys, time
    from pathlib import Path

    from safetywashing.core.errors import InputError
    from safetywashing.io import transaction
    from safetywashing.io.writers import write_files


    class FlockMsvcrt:
        # msvcrt.locking's interface over flock: a stand-in for Windows.
        LK_UNLCK, LK_NBLCK = 0, 2

        def locking(self, fd, mode, nbytes):
            import fcntl

            unlock = mode == self.LK_UNLCK
            fcntl.flock(fd, fcntl.LOCK_UN if unlock else fcntl.LOCK_EX | fcntl.LOCK_NB)


    out, label, strategy, locks, force, death, sync = sys.argv[1:]
    transaction.SWAP_STRATEGY = strategy
    if locks == "windows":
        transaction.LOCKS = transaction.WindowsLocks(FlockMsvcrt())
    rename, rmtree = os.rename, shutil.rmtree

    def rename_then_die(source, target):
        rename(source, target)
        if ".previous-" in os.fspath(target):
            os.kill(os.getpid(), signal.SIGKILL)

    def die_instead(path, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if death == "between the renames":
        os.rename = rename_then_die
    elif death == "before the removal":
        shutil.rmtree = die_instead
    files = {f"part{k}.txt": f"{label} {k}\\n" * 500 for k in range(12)}
    files["figures/plot.png"] = label.encode() * 1000
    if sync:  # start together: say this writer is ready, wait for the word
        Path(sync, label).touch()
        while not Path(sync, "go").exists():
            time.sleep(0.001)
    try:
        write_files(Path(out), files, force=force == "force")
    except InputError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    """
)


def files_of(label: str) -> dict[str, bytes]:
    """What the writer labelled ``label`` writes (as WRITER builds it)."""
    files = {f"part{k}.txt": f"{label} {k}\n".encode() * 500 for k in range(12)}
    files["figures/plot.png"] = label.encode() * 1000
    return files


def start_writer(
    out: Path,
    label: str,
    *,
    strategy: str,
    locks: str,
    force: bool,
    death: str = "none",
    sync: Path | None = None,
) -> subprocess.Popen[str]:
    argv = [sys.executable, "-c", WRITER, str(out), label, strategy, locks]
    argv += ["force" if force else "fresh", death, str(sync or "")]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def start_together(
    out: Path, labels: list[str], sync: Path, *, strategy: str, locks: str, force: bool
) -> list[subprocess.Popen[str]]:
    """Writers that all reach ``write_files`` at the same moment (after their imports)."""
    sync.mkdir()
    runs = [
        start_writer(out, label, strategy=strategy, locks=locks, force=force, sync=sync)
        for label in labels
    ]
    while len(list(sync.iterdir())) < len(labels):
        assert all(run.poll() is None for run in runs)
        time.sleep(0.005)
    (sync / "go").touch()
    return runs


def contents(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def debris(folder: Path) -> list[str]:
    """Entries beside the folder that a writer made, and temporaries inside it."""
    beside = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]
    inside = [name for name in contents(folder) if name.endswith(".tmp")] if folder.exists() else []
    return sorted(beside + inside)


SETUPS = [
    pytest.param(transaction.platform_strategy(), "platform", id="platform"),
    pytest.param("two renames", "platform", id="two-renames"),
    pytest.param("two renames", "windows", id="two-renames-windows-locks"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("strategy", "locks"), SETUPS)
def test_eight_concurrent_writers_leave_one_complete_output_and_the_others_files(
    tmp_path: Path, strategy: str, locks: str
) -> None:
    out = tmp_path / "out"
    first = start_writer(out, "first", strategy=strategy, locks=locks, force=False)
    assert first.wait() == 0, first.stderr.read() if first.stderr else ""
    (out / "notes.txt").write_bytes(b"mine")
    labels = [f"writer{i}" for i in range(8)]
    runs = start_together(
        out, labels, tmp_path / "sync", strategy=strategy, locks=locks, force=True
    )
    codes = [run.wait() for run in runs]
    errors = [run.stderr.read() if run.stderr else "" for run in runs]
    assert set(codes) <= {0, 2} and 0 in codes, errors
    assert all(
        "Another run is writing into" in e for e, c in zip(errors, codes, strict=True) if c == 2
    )
    found = contents(out)
    assert found.pop("notes.txt") == b"mine"  # what the runs do not write stays
    assert found in [
        files_of(label) for label, code in zip(labels, codes, strict=True) if code == 0
    ]
    assert debris(out) == []


@pytest.mark.slow
@pytest.mark.parametrize(("strategy", "locks"), SETUPS)
def test_of_eight_writers_into_a_fresh_folder_without_force_one_succeeds(
    tmp_path: Path, strategy: str, locks: str
) -> None:
    out = tmp_path / "out"
    labels = [f"writer{i}" for i in range(8)]
    runs = start_together(
        out, labels, tmp_path / "sync", strategy=strategy, locks=locks, force=False
    )
    codes = [run.wait() for run in runs]
    assert codes.count(0) == 1 and set(codes) == {0, 2}
    assert contents(out) == files_of(labels[codes.index(0)])
    assert debris(out) == []


@pytest.mark.parametrize("locks", ["platform", "windows"])
def test_a_writer_killed_between_the_two_renames_is_undone_by_the_next(
    tmp_path: Path, locks: str
) -> None:
    out = tmp_path / "out"
    assert start_writer(out, "old", strategy="two renames", locks=locks, force=False).wait() == 0
    run = start_writer(
        out, "new", strategy="two renames", locks=locks, force=True, death="between the renames"
    )
    assert run.wait() == -signal.SIGKILL
    # The old folder is set aside, the new one complete beside it, the folder missing.
    assert not out.exists()
    (previous,) = tmp_path.glob(".out.previous-*")
    (staging,) = tmp_path.glob(".out.staging-*")
    assert contents(previous) == files_of("old") and contents(staging) == files_of("new")
    # The next writer puts the old folder back before anything else.
    refused = start_writer(out, "next", strategy="two renames", locks=locks, force=False)
    assert refused.wait() == 2 and "already exist" in (
        refused.stderr.read() if refused.stderr else ""
    )
    assert contents(out) == files_of("old") and debris(out) == []
    again = start_writer(out, "next", strategy="two renames", locks=locks, force=True)
    assert again.wait() == 0
    assert contents(out) == files_of("next") and debris(out) == []


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_writer_killed_after_the_swap_leaves_the_new_folder_and_debris_the_next_removes(
    tmp_path: Path, strategy: str
) -> None:
    out = tmp_path / "out"
    assert start_writer(out, "old", strategy=strategy, locks="platform", force=False).wait() == 0
    run = start_writer(
        out, "new", strategy=strategy, locks="platform", force=True, death="before the removal"
    )
    assert run.wait() == -signal.SIGKILL
    assert contents(out) == files_of("new")
    assert debris(out) != []  # the old content beside it, and the lock file
    write_files(out, {"extra.txt": "1"}, force=False)
    assert contents(out) == {**files_of("new"), "extra.txt": b"1"}
    assert debris(out) == []


def test_a_swap_the_system_lacks_falls_back_to_two_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "renamex_np" if transaction.platform_strategy() == "renameat2" else "renameat2"
    monkeypatch.setattr(transaction, "SWAP_STRATEGY", other)  # not in this C library
    out = tmp_path / "out"
    write_files(out, {"a.txt": "1"}, force=False)
    write_files(out, {"a.txt": "2"}, force=True)
    assert contents(out) == {"a.txt": b"2"} and debris(out) == []


class FlockMsvcrt:
    """``msvcrt.locking``'s interface over ``flock``: a stand-in for Windows."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self) -> None:
        self.calls: list[int] = []

    def locking(self, descriptor: int, mode: int, nbytes: int) -> None:
        assert nbytes == 1 and os.lseek(descriptor, 0, os.SEEK_CUR) == 0
        self.calls.append(mode)
        unlock = mode == self.LK_UNLCK
        fcntl.flock(descriptor, fcntl.LOCK_UN if unlock else fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_windows_locks_refuse_a_second_writer_and_are_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FlockMsvcrt()
    monkeypatch.setattr(transaction, "LOCKS", transaction.WindowsLocks(fake))
    monkeypatch.setattr(transaction, "SWAP_STRATEGY", "two renames")
    out = tmp_path / "out"
    with output_lock(out), pytest.raises(InputError, match="Another run is writing into"):
        write_files(out, {"a.txt": "1"}, force=True)
    write_files(out, {"a.txt": "1"}, force=True)
    write_atomic(tmp_path / "r.html", "done")
    assert listing(tmp_path) == ["out", "out/a.txt", "r.html"]
    assert fake.calls.count(fake.LK_UNLCK) >= 2  # every lock taken is given back


def test_a_link_in_place_of_the_lock_file_is_refused_and_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / ".out.lock").symlink_to(victim)
    with pytest.raises(InputError, match=r"\.out\.lock is a symbolic link.*remove it"):
        write_files(tmp_path / "out", {"a.txt": "1"}, force=False)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_replace_folder_swaps_or_sets_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str
) -> None:
    monkeypatch.setattr(transaction, "SWAP_STRATEGY", strategy)
    folder, stage = tmp_path / "out", tmp_path / ".out.staging-abc"
    folder.mkdir()
    (folder / "a.txt").write_text("old", encoding="utf-8")
    stage.mkdir()
    (stage / "a.txt").write_text("new", encoding="utf-8")
    old = transaction.replace_folder(stage, folder)
    assert (folder / "a.txt").read_text(encoding="utf-8") == "new"
    assert (old / "a.txt").read_text(encoding="utf-8") == "old"
    # The exchange leaves the old content under the staging name; two renames set it aside.
    expected = stage if strategy != "two renames" else tmp_path / ".out.previous-abc"
    assert old == expected
