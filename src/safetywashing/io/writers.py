"""Writing output files: atomically, and never over an existing file unless asked."""

from __future__ import annotations

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


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file private (0600); give it the usual mode under the umask.
        os.chmod(temporary, 0o666 & ~_current_umask())
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
        write_atomic(target, content)
    return targets
