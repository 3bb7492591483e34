"""Writing output files: atomically, and never over an existing file unless asked.

One writer serves every command: a file is written to a temporary file in its folder,
flushed to disk, and moved into place in one step, so a reader never sees half a file.
Without ``force`` the move is a hard link, which fails if the target appeared meanwhile
(another process), so an existing file is never replaced by accident.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from safetywashing.errors import InputError


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
    existing = [path for path in paths if path.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise InputError(
            f"{shown}{more} already exist{'s' if len(existing) == 1 else ''}; pass --force to "
            "overwrite or choose another output location."
        )


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
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise InputError(
                f"{parent} is a file, so it cannot hold the output {path}; choose another folder."
            )
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise InputError(
            f"{folder} cannot hold the output ({error.strerror}); choose another folder."
        ) from None
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
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return path


def write_files(folder: Path, files: Mapping[str, str | bytes], *, force: bool) -> list[Path]:
    """Write several files into a folder, checking all of them before writing any.

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
    """
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; give --out a folder path.")
    targets = [folder / name for name in files]
    check_writable(targets, force=force)
    for target, content in zip(targets, files.values(), strict=True):
        write_atomic(target, content, force=force)
    return targets
