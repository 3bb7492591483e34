"""Writing output files: atomically, and never over an existing file unless asked.

One writer serves every command: a file is written to a temporary file in its folder,
flushed to disk, and moved into place in one step, so a reader never sees half a file.
Without ``force`` the move is a hard link, which fails if the target appeared meanwhile
(another process), so an existing file is never replaced by accident.

A folder of outputs (``audit --out DIR``) is one transaction: the files are written into
a hidden staging folder beside ``DIR`` (``.DIR.staging-*``), which then takes ``DIR``'s
place in one rename (an atomic exchange where the system has one), so ``DIR`` holds
either its previous content or the new run's complete output, never a mix. Files in
``DIR`` that the run does not write stay (hard-linked into the staging folder). A writer
holds an advisory lock (``.DIR.lock`` beside the folder, removed when done) and a second
writer is refused; the next writer removes what a killed one left behind. A folder
that does not look like an output folder (sub-folders other than ``figures``, over a
thousand entries, a mount point, the current or home folder) is not swapped; its files
are replaced one by one, each atomically.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import glob
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from safetywashing.core.errors import InputError

#: Most entries a folder may hold to be replaced whole (an output folder holds a few dozen).
SWAP_ENTRIES = 1000
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def check_writable(paths: list[Path], *, force: bool) -> None:
    """Refuse to overwrite existing files unless ``force``; say which and how.

    Raises
    ------
    InputError
        If any path exists and ``force`` is false, or a path is a folder.
    """
    for path in paths:
        if path.is_dir():
            raise InputError(f"{path} is a folder; choose a file name for this output.")
        check_folder(path.parent if str(path.parent) else Path("."), path)
    existing = [path for path in paths if path.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise InputError(
            f"{shown}{more} already exist{'s' if len(existing) == 1 else ''}; pass --force to "
            "overwrite or choose another output location."
        )


def check_folder(folder: Path, target: Path) -> None:
    """Refuse a folder that cannot hold ``target``: a file on its path, or no way to create it.

    Raises
    ------
    InputError
        If the folder or one of its parents is a file, or the nearest existing parent is
        not a writable folder (``/proc``, a read-only or immutable folder).
    """
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise InputError(
                f"{parent} is a file, so it cannot hold the output {target}; choose another folder."
            )
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(
            f"{existing} is not a folder this user can write into, so it cannot hold the "
            f"output {target}; choose another folder."
        )


def _os_error(folder: Path, error: OSError) -> InputError:
    reason = error.strerror or str(error) or type(error).__name__
    return InputError(f"{folder} cannot hold the output ({reason}); choose another folder.")


def current_umask() -> int:
    """The process's file-creation mask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    Parameters
    ----------
    path : str or Path
        Destination; its folder is created if missing.
    data : str or bytes
        Content (text is written as UTF-8, line ends as given).
    force : bool, default False
        Replace an existing file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        If the file exists and ``force`` is False, the path is a folder, or the folder
        cannot be created or written.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name for the output.")
    if path.exists() and not force:
        raise InputError(
            f"{path} already exists; choose another name or pass --force to overwrite it."
        )
    check_folder(folder, path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(folder, path.name)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        # Locked while it is written, so that the next writer can tell a killed run's
        # leftover (unlocked) from a file another process is writing right now.
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError as error:
        raise _os_error(folder, error) from None
    try:
        # mkstemp creates the file private (0600); give it the usual mode under the umask.
        os.chmod(temporary, 0o666 & ~current_umask())
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if force:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails if the file appeared meanwhile
            except FileExistsError:
                raise InputError(
                    f"{path} already exists; choose another name or pass --force to overwrite it."
                ) from None
            except OSError:
                os.replace(temporary, path)  # a file system without hard links
    except OSError as error:
        raise _os_error(folder, error) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return path


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Remove ``.NAME.*.tmp`` files a killed writer left (no process holds their lock)."""
    for entry in folder.glob(f".{glob.escape(name)}.*.tmp"):
        try:
            descriptor = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # another writer holds it
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry)
        finally:
            os.close(descriptor)


def write_files(folder: Path, files: Mapping[str, str | bytes], *, force: bool) -> list[Path]:
    """Write several files into a folder as one transaction (see the module's notes).

    Parameters
    ----------
    folder : Path
        Created if missing.
    files : mapping of file name to content
    force : bool
        Overwrite existing files.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InputError
        If a file exists and ``force`` is false, the folder cannot be written, or another
        writer holds the folder.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; give --out a folder path.")
    targets = [folder / name for name in files]
    check_folder(folder, folder)
    check_writable(targets, force=force)
    parent = folder.parent if str(folder.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _os_error(parent, error) from None
    with output_lock(folder):
        clean_debris(folder)
        check_writable(targets, force=force)  # again, now that no one else writes here
        try:
            if _swappable(folder):
                _publish_folder(folder, files)
            else:
                for target, content in zip(targets, files.values(), strict=True):
                    write_atomic(target, content, force=force)
        except OSError as error:
            raise _os_error(folder, error) from None
    return targets


def _lock_path(folder: Path) -> Path:
    return _beside(folder, "lock")


def _beside(folder: Path, kind: str) -> Path:
    absolute = Path(os.path.abspath(folder))
    return absolute.parent / f".{absolute.name}.{kind}"


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the advisory lock of an output folder; refuse if another writer holds it.

    The lock is ``.NAME.lock`` beside the folder, locked with ``flock`` and removed when
    done (the lock follows the file, not the name, so a writer that finds the name
    re-created after it locked retries).

    Raises
    ------
    InputError
        If another process is writing into the folder.
    """
    path = _lock_path(folder)
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise _os_error(path.parent, error) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise InputError(
                f"Another run is writing into {folder} right now; wait for it to finish or "
                "choose another output folder."
            ) from None
        try:
            same = os.path.samestat(os.fstat(descriptor), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(descriptor)  # the previous holder removed the name meanwhile: retry
    try:
        yield
    finally:
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


def _swappable(folder: Path) -> bool:
    """Whether the folder can be replaced whole.

    It can when it is missing, or when it looks like an output folder: not the current
    folder (or above it), not a link or a mount point, at most :data:`SWAP_ENTRIES`
    entries, no sub-folder but ``figures``, and only regular files, folders and links on
    its own file system (what the run does not write is hard-linked into the
    replacement). Any other folder has its files replaced one by one.
    """
    if not folder.exists():
        return True
    absolute = Path(os.path.abspath(folder))
    cwd = Path.cwd()
    if cwd == absolute or absolute in cwd.parents or folder.is_symlink():
        return False
    if os.path.ismount(absolute) or absolute == Path.home():
        return False
    device = absolute.stat().st_dev
    seen = 0
    for root, folders, names in os.walk(absolute):
        if Path(root) == absolute and any(name != "figures" for name in folders):
            return False
        for name in [*folders, *names]:
            seen += 1
            info = os.lstat(os.path.join(root, name))
            kind = stat.S_IFMT(info.st_mode)
            if seen > SWAP_ENTRIES or info.st_dev != device:
                return False
            if kind not in (stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK):
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


def _publish_folder(folder: Path, files: Mapping[str, str | bytes]) -> None:
    absolute = Path(os.path.abspath(folder))
    stage = Path(tempfile.mkdtemp(prefix=f".{absolute.name}.staging-", dir=absolute.parent))
    mode = 0o666 & ~current_umask()
    for name, content in files.items():
        payload = content.encode("utf-8") if isinstance(content, str) else content
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(stage / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
    if absolute.exists():
        _keep_others(absolute, stage, files)  # what this run does not write stays
        os.chmod(stage, absolute.stat().st_mode & 0o7777)
        _fsync_folder(stage)
        if not _exchange(stage, absolute):
            aside = absolute.parent / f".{absolute.name}.previous-{stage.name.rsplit('-', 1)[1]}"
            os.rename(absolute, aside)
            os.rename(stage, absolute)
            stage = aside
        shutil.rmtree(stage, ignore_errors=True)
    else:
        os.chmod(stage, 0o777 & ~current_umask())
        _fsync_folder(stage)
        os.rename(stage, absolute)
    _fsync_folder(absolute.parent)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where that is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
