"""Writing output files: atomically, and never over an existing file unless asked.

One writer serves every command: a file is written to a temporary file in its folder,
flushed to disk, and moved into place in one step, so a reader never sees half a file.
Without ``force`` the move is a hard link, which fails if the target appeared meanwhile
(another process), so an existing file is never replaced by accident.

A folder of outputs (``audit --out DIR``) is one transaction (:func:`write_files`): the
files are written into a hidden staging folder beside ``DIR``, which then takes ``DIR``'s
place (:mod:`.transaction`: an atomic exchange where the system has one, else two
renames that the next writer completes or undoes), so ``DIR`` holds either its previous
content or the new run's complete output, never a mix. Files in ``DIR`` that the run
does not write stay (hard-linked into the staging folder). A writer holds an advisory
lock (``.DIR.lock`` beside the folder, removed when done) and a second writer is
refused; the next writer removes what a killed one left behind. A folder that does not
look like an output folder (sub-folders other than ``figures``, over a thousand
entries, a mount point, the current or home folder) is not swapped; its files are
replaced one by one, each atomically.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from safetywashing.core.errors import InputError
from safetywashing.io import transaction
from safetywashing.io.transaction import (
    cannot_hold,
    clean_debris,
    current_umask,
    output_lock,
    publish_folder,
    remove_if_unlocked,
    swappable,
)


def plain_name(name: str) -> str | None:
    """Why ``name`` cannot be one file or folder name inside an output folder, or None.

    A name built from data (a benchmark's partition, a task's file) must stay where it is
    put: no separator, no ``.`` or ``..``, no NUL or other control character, not empty.
    """
    if not name or name in {".", ".."}:
        return "it is empty, '.' or '..'"
    if "/" in name or "\\" in name:
        return "it holds a path separator"
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        return "it holds a control or invisible character"
    if len(name.encode("utf-8", "surrogatepass")) > 255:
        return "it is longer than the 255 bytes a file name may have"
    return None


def confined(folder: Path, name: str) -> Path:
    """``folder / name`` for a relative ``name`` whose every part is a :func:`plain_name`.

    Raises
    ------
    InputError
        If ``name`` is absolute or a part of it could leave ``folder``.
    """
    for part in name.split("/"):
        reason = plain_name(part)
        if reason is not None:
            raise InputError(
                f"{name!r} cannot be a file inside {folder} ({reason}); "
                "rename it so that it stays inside the output folder."
            )
    return folder / name


def _same(one: Path, other: Path) -> bool:
    if os.path.abspath(one) == os.path.abspath(other):
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _holds(folder: Path, path: Path) -> bool:
    where = os.path.realpath(folder)
    inside = os.path.realpath(path)
    return inside != where and os.path.commonpath([where, inside]) == where


def check_apart(
    inputs: Iterable[tuple[str, Path | None]],
    *,
    files: Iterable[tuple[str, Path | None]] = (),
    folders: Iterable[tuple[str, Path | None]] = (),
) -> None:
    """Refuse an output that is an input, before any work (``--force`` or not).

    Parameters
    ----------
    inputs : iterable of (what, path)
        The files and folders a command reads, each with what it is ("the scores
        file"); a path of None (an option not given) is left out.
    files : iterable of (flag, path)
        Output files, each with the flag that names it.
    folders : iterable of (flag, path)
        Output folders: refused when one is an input or holds one.

    Raises
    ------
    InputError
        If an output file is an input, or an output folder is or holds an input.

    Examples
    --------
    >>> check_apart([("the scores file", Path("s.csv"))], files=[("-o", Path("./s.csv"))])
    Traceback (most recent call last):
    ...
    safetywashing.core.errors.InputError: -o s.csv is the scores file s.csv; give -o another path.
    """
    sources = [(what, Path(path)) for what, path in inputs if path is not None]
    for flag, target in files:
        if target is None:
            continue
        for what, source in sources:
            if _same(target, source):
                raise InputError(f"{flag} {target} is {what} {source}; give {flag} another path.")
    for flag, folder in folders:
        if folder is None:
            continue
        for what, source in sources:
            same = _same(folder, source)
            if same or _holds(folder, source):
                raise InputError(
                    f"{flag} {folder} {'is' if same else 'holds'} {what} {source}; give {flag} "
                    "a folder that holds no input, or move the input out of it."
                )


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
        for entry in folder.glob(f".{glob.escape(path.name)}.*.tmp"):
            remove_if_unlocked(entry)  # what a killed writer left
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise cannot_hold(folder, error) from None
    pinned = transaction.LOCKS.open_files_pinned
    try:
        with os.fdopen(descriptor, "wb") as stream:
            # Locked while it is written, so that the next writer can tell a killed run's
            # leftover (unlocked) from a file another process is writing right now.
            transaction.LOCKS.try_lock(descriptor)
            # mkstemp makes the file private (0600); give it the usual mode under the umask.
            os.chmod(temporary, 0o666 & ~current_umask())
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
            if pinned:
                transaction.LOCKS.unlock(descriptor)
            else:
                _put_in_place(Path(temporary), path, force=force)  # still locked
        if pinned:  # Windows moves no open file
            _put_in_place(Path(temporary), path, force=force)
    except OSError as error:
        raise cannot_hold(folder, error) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return path


def _put_in_place(temporary: Path, path: Path, *, force: bool) -> None:
    """Move the written temporary file to its name (a hard link unless ``force``)."""
    if force:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # fails if the file appeared meanwhile
    except FileExistsError:
        raise InputError(
            f"{path} already exists; choose another name or pass --force to overwrite it."
        ) from None
    except OSError:
        os.replace(temporary, path)  # a file system without hard links


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
    targets = [confined(folder, name) for name in files]
    check_folder(folder, folder)
    check_writable(targets, force=force)
    parent = folder.parent if str(folder.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise cannot_hold(parent, error) from None
    with output_lock(folder):
        clean_debris(folder)
        check_writable(targets, force=force)  # again, now that no one else writes here
        try:
            if swappable(folder):
                publish_folder(folder, files)
            else:
                for target, content in zip(targets, files.values(), strict=True):
                    write_atomic(target, content, force=force)
        except OSError as error:
            raise cannot_hold(folder, error) from None
    return targets
