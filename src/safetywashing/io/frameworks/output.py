"""Write ingested results as CSV: the long table or the wide matrix, atomically.

A file is written to a temporary file in the destination folder and moved into place,
so a reader never sees half a file. An existing file is kept unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from safetywashing.errors import InputError
from safetywashing.io.frameworks._records import IngestReport
from safetywashing.io.writers import _current_umask
from safetywashing.table import ScoreTable

#: Columns of the long table, in order.
LONG_COLUMNS: tuple[str, ...] = (
    "model", "benchmark", "score", "stderr", "metric", "framework", "source",
)  # fmt: skip


def _cell(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomic(path: str | Path, text: str, *, force: bool = False) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder.

    Parameters
    ----------
    path : str or Path
        Destination.
    text : str
        Content (written as UTF-8).
    force : bool, default False
        Replace an existing file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        If the file exists and ``force`` is False, or the folder does not exist or is
        not writable.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name for the output, e.g. scores.csv.")
    if path.exists() and not force:
        raise InputError(
            f"{path} already exists; choose another name or pass --force to overwrite it."
        )
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder for the output; create it first.")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise InputError(
            f"{folder} is not writable ({error.strerror}); choose another folder."
        ) from None
    try:
        # mkstemp creates the file private (0600); give it the usual mode under the umask.
        os.chmod(temporary, 0o666 & ~_current_umask())
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
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


def long_rows(report: IngestReport) -> list[list[str]]:
    """The long table as rows of strings, header first."""
    rows = [list(LONG_COLUMNS)]
    for record in report.records:
        rows.append(
            [
                record.model,
                record.benchmark,
                _cell(record.score),
                _cell(record.stderr),
                record.metric,
                record.framework,
                record.source,
            ]
        )
    return rows


def wide_rows(table: ScoreTable) -> list[list[str]]:
    """The wide matrix (one row per model, one column per benchmark), header first."""
    rows = [["model", *table.benchmark_ids]]
    for model, values in zip(table.model_ids, table.values, strict=True):
        rows.append([model, *(_cell(float(v)) for v in values)])
    return rows


def write_long(report: IngestReport, path: str | Path, *, force: bool = False) -> Path:
    """Write the long table: model, benchmark, score, stderr, metric, framework, source.

    Scores are written with full precision (``repr``); a missing stderr is an empty cell.
    :func:`~safetywashing.io.readers.read_scores` reads the file back as a long table.
    """
    return write_atomic(path, _csv_text(long_rows(report)), force=force)


def write_wide(table: ScoreTable, path: str | Path, *, force: bool = False) -> Path:
    """Write the wide matrix: a ``model`` column, then one column per benchmark."""
    return write_atomic(path, _csv_text(wide_rows(table)), force=force)
