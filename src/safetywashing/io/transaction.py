"""The ``--out`` transaction's moving parts on every platform: locks, the swap, recovery.

A folder of outputs (``audit --out DIR``) is written into a hidden staging folder beside
it (``.DIR.staging-*``), which then takes ``DIR``'s place. How it takes the place
depends on what the system offers (:data:`SWAP_STRATEGY`):

- ``"renameat2"`` (Linux): ``renameat2(..., RENAME_EXCHANGE)`` swaps the two folders in
  one step; ``DIR`` always holds the old or the new content, even to a reader.
- ``"renamex_np"`` (macOS): ``renamex_np(..., RENAME_SWAP)``, the same swap.
- ``"two renames"`` (Windows and any other system, or a file system that refuses the
  swap): ``DIR`` is renamed to ``.DIR.previous-*``, then the staging folder to ``DIR``.
  Between the two, ``DIR`` is missing; a writer killed there leaves the previous folder
  and the complete staging folder, and the next writer (:func:`clean_debris`) puts the
  previous folder back. Whatever moment a writer dies at, ``DIR`` then holds the old or
  the new content.

A writer holds an advisory lock on ``.DIR.lock`` beside the folder (:func:`output_lock`,
``flock`` on POSIX, a ``msvcrt`` byte lock on Windows; the lock dies with its process),
so a second concurrent writer is refused and whatever the lock's holder finds beside
the folder is a dead writer's leftover.

The replacement keeps the folder's mode, owner and group (run as root, too). Another
program that writes into the folder while it is replaced does not lose its file: what
appears in the previous folder after the run copied its list is moved into the new
one (:func:`_rescue_late_files`). A file such a program still holds open in the
previous folder and writes to after that is gone with it, as with any swapped folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from safetywashing.core.errors import InputError

SwapStrategy = Literal["renameat2", "renamex_np", "two renames"]

#: Most entries a folder may hold to be replaced whole (an output folder holds a few dozen).
SWAP_ENTRIES = 1000
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
_AT_FDCWD = -100
#: Flags of every file this module opens: not inherited by child processes, never
#: through a symbolic link, bytes as they are (Windows would otherwise translate line ends).
OPEN_FLAGS = (
    getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOINHERIT", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
)


def platform_strategy(platform: str = sys.platform) -> SwapStrategy:
    """The way a folder takes another's place on ``platform`` (a ``sys.platform`` value).

    Examples
    --------
    >>> platform_strategy("linux"), platform_strategy("darwin"), platform_strategy("win32")
    ('renameat2', 'renamex_np', 'two renames')
    """
    if platform.startswith("linux"):
        return "renameat2"
    if platform == "darwin":
        return "renamex_np"
    return "two renames"


SWAP_STRATEGY: SwapStrategy = platform_strategy()
"""How :func:`replace_folder` swaps; where the system lacks the swap (an old kernel or C
library, a file system without it) it falls back to two renames. Tests set it to
``"two renames"`` to run the fallback on any system."""


class PosixLocks:
    """``flock`` locks: on the open file, released when its last descriptor closes."""

    #: POSIX removes and renames files that a process holds open.
    open_files_pinned = False

    def __init__(self, fcntl: Any) -> None:
        self._fcntl = fcntl

    def try_lock(self, descriptor: int) -> bool:
        """Lock the open file exclusively without waiting; False if another holds it."""
        try:
            self._fcntl.flock(descriptor, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(self, descriptor: int) -> None:
        """Nothing to do: the lock goes with the file's last descriptor."""


class WindowsLocks:
    """``msvcrt.locking`` locks of the file's first byte, released when it closes."""

    #: Windows refuses to remove or rename a file that a process holds open.
    open_files_pinned = True

    def __init__(self, msvcrt: Any) -> None:
        self._msvcrt = msvcrt

    def try_lock(self, descriptor: int) -> bool:
        """Lock the open file's first byte without waiting; False if another holds it."""
        os.lseek(descriptor, 0, os.SEEK_SET)
        try:
            self._msvcrt.locking(descriptor, self._msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(self, descriptor: int) -> None:
        """Release the byte lock (before the file is closed, as Windows asks)."""
        os.lseek(descriptor, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            self._msvcrt.locking(descriptor, self._msvcrt.LK_UNLCK, 1)


def platform_locks() -> PosixLocks | WindowsLocks:
    """The locks of this platform."""
    if sys.platform == "win32":
        import msvcrt

        return WindowsLocks(msvcrt)
    import fcntl

    return PosixLocks(fcntl)


LOCKS: PosixLocks | WindowsLocks = platform_locks()
"""The advisory locks every writer takes (tests may put another in)."""


def cannot_hold(folder: Path, error: OSError) -> InputError:
    """The one-sentence error for a folder the system refuses to write."""
    reason = error.strerror or str(error) or type(error).__name__
    return InputError(f"{folder} cannot hold the output ({reason}); choose another folder.")


def current_umask() -> int:
    """The process's file-creation mask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_if_unlocked(path: Path) -> None:
    """Remove a file that no live process holds locked (a killed writer's temporary)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | OPEN_FLAGS)
    except OSError:
        return
    try:
        unlocked = LOCKS.try_lock(descriptor)
    except OSError:
        unlocked = False
    if unlocked and not LOCKS.open_files_pinned:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while locked, so that no other cleaner takes it meanwhile
    if unlocked:
        LOCKS.unlock(descriptor)
    os.close(descriptor)
    if unlocked and LOCKS.open_files_pinned:
        with contextlib.suppress(OSError):
            os.unlink(path)  # Windows removes no open file


def beside(folder: Path, kind: str) -> Path:
    """``.NAME.KIND`` in the folder's parent: where its lock and staging folders go."""
    absolute = Path(os.path.abspath(folder))
    return absolute.parent / f".{absolute.name}.{kind}"


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the advisory lock of an output folder; refuse if another writer holds it.

    The lock is ``.NAME.lock`` beside the folder, removed when done. A lock belongs to
    the open file, not the name, so a writer that finds the name re-created after it
    locked (its holder removed it meanwhile) retries.

    Raises
    ------
    InputError
        If another process is writing into the folder, or the lock's name is a
        symbolic link.
    """
    path = beside(folder, "lock")
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | OPEN_FLAGS, 0o644)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise InputError(
                    f"{path} is a symbolic link, not a lock this tool made; remove it and "
                    "run again."
                ) from None
            raise cannot_hold(path.parent, error) from None
        try:
            locked = LOCKS.try_lock(descriptor)
        except OSError as error:
            os.close(descriptor)
            raise cannot_hold(path.parent, error) from None
        if not locked:
            os.close(descriptor)
            raise InputError(
                f"Another run is writing into {folder} right now; wait for it to finish or "
                "choose another output folder."
            )
        try:
            same = os.path.samestat(os.fstat(descriptor), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        LOCKS.unlock(descriptor)
        os.close(descriptor)
    try:
        yield
    finally:
        if LOCKS.open_files_pinned:
            # Unlocked and closed first; a writer that opened it meanwhile keeps it.
            LOCKS.unlock(descriptor)
            os.close(descriptor)
            with contextlib.suppress(OSError):
                os.unlink(path)
        else:
            # Removed while still locked, so no writer can lock this name and lose it.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            os.close(descriptor)


def clean_debris(folder: Path) -> None:
    """Remove what an interrupted writer left beside ``folder`` (call under the lock).

    A staging folder is removed; a set-aside previous folder is put back if the folder
    itself is missing (the writer died between its two renames), else removed.
    """
    absolute = Path(os.path.abspath(folder))
    if not absolute.parent.is_dir():
        return
    prefix = f".{absolute.name}."
    for entry in sorted(absolute.parent.iterdir()):
        if not entry.name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
            continue
        kind = entry.name[len(prefix) :].split("-", 1)[0]
        if kind == "previous" and not absolute.exists():
            os.rename(entry, absolute)
        elif kind in ("staging", "previous"):
            shutil.rmtree(entry, ignore_errors=True)


def swappable(folder: Path) -> bool:
    """Whether the folder can be replaced whole.

    It can when it is missing, or when it looks like an output folder: not the current
    folder (or above it), not a link or a mount point, at most :data:`SWAP_ENTRIES`
    entries, no sub-folder but ``figures``, and only regular files, folders and links on
    its own file system (what the run does not write is hard-linked into the
    replacement; on Windows, where re-creating a link takes a privilege, no links), and
    owned by this user or written by root (the replacement keeps the owner and mode).
    Any other folder has its files replaced one by one.
    """
    if not folder.exists():
        return True
    absolute = Path(os.path.abspath(folder))
    cwd = Path.cwd()
    if cwd == absolute or absolute in cwd.parents or folder.is_symlink():
        return False
    if os.path.ismount(absolute) or absolute == Path.home():
        return False
    if hasattr(os, "geteuid") and os.geteuid() not in (0, absolute.stat().st_uid):
        return False  # a swap would make the folder ours; replace its files instead
    kinds = {stat.S_IFREG, stat.S_IFDIR} | ({stat.S_IFLNK} if os.name != "nt" else set())
    device = absolute.stat().st_dev
    seen = 0
    for root, folders, names in os.walk(absolute):
        if Path(root) == absolute and any(name != "figures" for name in folders):
            return False
        for name in [*folders, *names]:
            seen += 1
            info = os.lstat(os.path.join(root, name))
            if seen > SWAP_ENTRIES or info.st_dev != device:
                return False
            if stat.S_IFMT(info.st_mode) not in kinds:
                return False
    return True


def _keep_others(absolute: Path, stage: Path, files: Mapping[str, str | bytes]) -> None:
    """Hard-link (or re-create, for links) what the folder holds and the run does not write."""
    written = {os.path.normpath(name) for name in files}
    for root, folders, names in os.walk(absolute):
        relative = os.path.relpath(root, absolute)
        for name in folders:
            target = stage / relative / name
            if not target.exists():
                target.mkdir()
            os.chmod(target, os.lstat(os.path.join(root, name)).st_mode & 0o7777)
        for name in names:
            key = os.path.normpath(os.path.join(relative, name))
            if key in written:
                continue
            source = os.path.join(root, name)
            if os.path.islink(source):
                os.symlink(os.readlink(source), stage / key)
            else:
                os.link(source, stage / key)


def publish_folder(folder: Path, files: Mapping[str, str | bytes]) -> None:
    """Write ``files`` into a staging folder and put it in the folder's place.

    Raises
    ------
    OSError
        If the system refuses a step; the folder then holds its previous content (a
        staging folder left behind goes with the next writer's :func:`clean_debris`).
    """
    absolute = Path(os.path.abspath(folder))
    stage = Path(tempfile.mkdtemp(prefix=f".{absolute.name}.staging-", dir=absolute.parent))
    mode = 0o666 & ~current_umask()
    for name, content in files.items():
        payload = content.encode("utf-8") if isinstance(content, str) else content
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(stage / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | OPEN_FLAGS, mode)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
    if absolute.exists():
        _keep_others(absolute, stage, files)  # what this run does not write stays
        os.chmod(stage, absolute.stat().st_mode & 0o7777)
        _keep_owner(absolute, stage)
        fsync_folder(stage)
        previous = replace_folder(stage, absolute)
        _rescue_late_files(previous, absolute, files)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.chmod(stage, 0o777 & ~current_umask())
        fsync_folder(stage)
        os.rename(stage, absolute)
    fsync_folder(absolute.parent)


def _rescue_late_files(previous: Path, folder: Path, files: Mapping[str, str | bytes]) -> None:
    """Move into ``folder`` what another program wrote into it while it was being replaced.

    Files the run does not write were hard-linked into the replacement before the swap;
    one created (or replaced by a rename) after that is only in the previous folder, and
    is moved over instead of being removed with it.
    """
    written = {os.path.normpath(name) for name in files}
    for root, _, names in os.walk(previous):
        relative = os.path.relpath(root, previous)
        for name in names:
            key = os.path.normpath(os.path.join(relative, name))
            if key in written:
                continue
            old, new = os.path.join(root, name), folder / key
            before = os.lstat(old)
            try:
                after: os.stat_result | None = os.lstat(new)
            except FileNotFoundError:
                after = None
            if after is not None and (
                os.path.samestat(before, after)
                or (stat.S_ISLNK(before.st_mode) and os.readlink(old) == os.readlink(new))
            ):
                continue
            new.parent.mkdir(parents=True, exist_ok=True)
            os.replace(old, new)


def _keep_owner(folder: Path, stage: Path) -> None:
    """Give the staging folder (and its sub-folders) the owner and group of ``folder``.

    Run as root, the swap would otherwise hand a user's folder to root. Only root (or
    the owner, for a group it belongs to) may do this; :func:`swappable` leaves another
    user's folder to the file-by-file path for everyone else.
    """
    if not hasattr(os, "chown"):
        return
    info = folder.stat()
    for root, folders, _ in os.walk(stage):
        for path in (root, *(os.path.join(root, name) for name in folders)):
            here = os.lstat(path)
            if (here.st_uid, here.st_gid) != (info.st_uid, info.st_gid):
                with contextlib.suppress(PermissionError):
                    os.chown(path, info.st_uid, info.st_gid, follow_symlinks=False)


def replace_folder(stage: Path, folder: Path) -> Path:
    """Put ``stage`` in the place of the existing ``folder`` (see :data:`SWAP_STRATEGY`).

    Returns
    -------
    Path
        Where the folder's previous content now is, for the caller to remove.
    """
    if SWAP_STRATEGY != "two renames" and _exchange(stage, folder, SWAP_STRATEGY):
        return stage
    aside = beside(folder, f"previous-{stage.name.rsplit('-', 1)[1]}")
    os.rename(folder, aside)
    # A writer killed here leaves no folder: the next one puts ``aside`` back.
    os.rename(stage, folder)
    return aside


def _exchange(first: Path, second: Path, strategy: SwapStrategy) -> bool:
    """Swap two paths in one step; False where the system or file system cannot."""
    swap = _swap_function(strategy)
    if swap is None:
        return False
    if swap(os.fsencode(first), os.fsencode(second)) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


@functools.cache
def _swap_function(strategy: SwapStrategy) -> Callable[[bytes, bytes], int] | None:
    """The C library's swap for ``strategy`` as ``swap(first, second) -> 0 or -1``."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2 if strategy == "renameat2" else libc.renamex_np
    except (OSError, AttributeError, TypeError):
        return None  # no such function (an old C library, another system)
    if strategy == "renameat2":
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
        function.argtypes += [ctypes.c_uint]
        function.restype = ctypes.c_int
        return lambda first, second: int(
            function(_AT_FDCWD, first, _AT_FDCWD, second, _RENAME_EXCHANGE)
        )
    function.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return lambda first, second: int(function(first, second, _RENAME_SWAP))


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk where the system allows it (not on Windows)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
