"""Write ingested results as CSV: the long table or the wide matrix, atomically.

A file is written to a temporary file in the destination folder and moved into place,
so a reader never sees half a file. An existing file is kept unless ``force`` is given.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from safetywashing.core.table import ScoreTable
from safetywashing.io.frameworks._records import IngestReport
from safetywashing.io.tables.cells import spreadsheet_safe
from safetywashing.io.writers import write_atomic

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


def long_rows(report: IngestReport) -> list[list[str]]:
    """The long table as rows of strings, header first."""
    rows = [list(LONG_COLUMNS)]
    for record in report.records:
        rows.append(
            [
                spreadsheet_safe(record.model),
                spreadsheet_safe(record.benchmark),
                _cell(record.score),
                _cell(record.stderr),
                spreadsheet_safe(record.metric),
                spreadsheet_safe(record.framework),
                spreadsheet_safe(record.source),
            ]
        )
    return rows


def wide_rows(table: ScoreTable) -> list[list[str]]:
    """The wide matrix (one row per model, one column per benchmark), header first."""
    rows = [["model", *(spreadsheet_safe(b) for b in table.benchmark_ids)]]
    for model, values in zip(table.model_ids, table.values, strict=True):
        rows.append([spreadsheet_safe(model), *(_cell(float(v)) for v in values)])
    return rows


def write_long(report: IngestReport, path: str | Path, *, force: bool = False) -> Path:
    """Write the long table: model, benchmark, score, stderr, metric, framework, source.

    Scores are written with full precision (``repr``); a missing stderr is an empty cell.
    :func:`~safetywashing.io.tables.readers.read_scores` reads the file back as a long table.
    """
    return write_atomic(path, _csv_text(long_rows(report)), force=force)


def write_wide(table: ScoreTable, path: str | Path, *, force: bool = False) -> Path:
    """Write the wide matrix: a ``model`` column, then one column per benchmark."""
    return write_atomic(path, _csv_text(wide_rows(table)), force=force)
