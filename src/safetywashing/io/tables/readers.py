"""Readers for score tables and benchmark metadata: the entry points.

:func:`read_scores` reads a wide or long table from CSV, TSV or Parquet (recognising the
leaderboard exports of :mod:`safetywashing.io.tables.layouts`), :func:`read_frame` a pandas
DataFrame. Every table goes through one engine in two stages. A tokenizer splits the file
into a :class:`~safetywashing.io.tables.grid.Grid` of cells: the standard library's ``csv``
module (:mod:`~safetywashing.io.tables.rows`) for small files and DataFrames, pyarrow
(:mod:`~safetywashing.io.tables.arrow`) for large files and Parquet, with cleanly numeric
columns as numbers. One reader then interprets the grid, whichever tokenizer split it:
:mod:`~safetywashing.io.tables.wide` (wide tables) or :mod:`~safetywashing.io.tables.long`
(long ones). The other pieces: :mod:`~safetywashing.io.tables.columns` (:class:`ColumnMap`,
the reading options), :mod:`~safetywashing.io.tables.cells` (numbers and missing values)
and :mod:`~safetywashing.io.tables.metadata` (benchmark metadata files); their public names
are available from here too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from safetywashing.core.errors import InputError
from safetywashing.core.table import BenchmarkInfo, ScoreTable, SourceFile
from safetywashing.io.tables.cells import (
    MISSING_TOKENS,
    PercentCheck,
    file_sha256,
    parse_number,
    parse_score,
)
from safetywashing.io.tables.columns import (
    DEFAULT_COLUMNS,
    ColumnMap,
    ComputeKind,
    DuplicatePolicy,
    TextColumnPolicy,
)
from safetywashing.io.tables.duplicates import keep_preferred
from safetywashing.io.tables.grid import MIN_CSV_BYTES, TEXT_TABLE_SUFFIXES, Grid, TextPositions
from safetywashing.io.tables.layouts import recognise
from safetywashing.io.tables.metadata import (
    BenchmarkMetadata,
    apply_benchmark_metadata,
    read_benchmark_info,
)
from safetywashing.io.tables.notices import Notices
from safetywashing.io.tables.rows import Rows, frame_rows, is_long_table, read_rows
from safetywashing.io.tables.wide import read_wide, text_positions

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_COLUMNS",
    "MISSING_TOKENS",
    "BenchmarkMetadata",
    "ColumnMap",
    "ComputeKind",
    "DuplicatePolicy",
    "Notices",
    "PercentCheck",
    "Rows",
    "TextColumnPolicy",
    "apply_benchmark_metadata",
    "file_sha256",
    "parse_number",
    "parse_score",
    "read_benchmark_info",
    "read_frame",
    "read_rows",
    "read_scores",
    "split_names",
]


def read_scores(
    path: str | Path,
    *,
    columns: ColumnMap = DEFAULT_COLUMNS,
    benchmarks: Iterable[BenchmarkInfo] = (),
) -> ScoreTable:
    """Read a scores table: wide or long, CSV, TSV or Parquet.

    Parameters
    ----------
    path : str or Path
        The file. A long table is recognized by ``benchmark`` and ``score`` columns; the
        Open LLM Leaderboard's and HELM's exported tables by their columns (unless
        ``columns.layout`` is ``"none"``).
    columns : ColumnMap, optional
        Names of the model-id and metadata columns (the paper's by default) and how to
        read the rest (header line, rows to skip, duplicates, text columns, ...).
    benchmarks : iterable of BenchmarkInfo, optional
        Metadata for some or all benchmark columns; the rest get defaults.

    Returns
    -------
    ScoreTable
        What was worked around while reading (an index column dropped, text columns
        skipped, duplicate rows merged, ...) is in ``notes`` and was warned about with
        :class:`~safetywashing.core.errors.InputNotice`, one line per kind.

    Raises
    ------
    InputError
        For an unreadable or empty file, a missing model column, a non-numeric score
        cell, text columns, a duplicate model (unless ``columns.duplicates`` says what to
        do), an empty class cell, a duplicate benchmark, or a bad metadata cell.

    Examples
    --------
    >>> from safetywashing.datasets import demo_panel_path
    >>> table = read_scores(demo_panel_path())
    >>> len(table.models)
    30
    """
    path = Path(path)
    benchmarks = tuple(benchmarks)
    grid = _tokenize(path, columns)
    if columns.models is None:
        return _read_grid(path, grid, columns, benchmarks)
    from safetywashing.io.tables.facts import for_scores, join_model_facts

    table = _read_grid(path, grid, for_scores(grid.header, columns), benchmarks)
    notices = Notices()
    table = join_model_facts(table, Path(columns.models), columns, notices)
    notices.emit()
    return table


def _read_grid(
    path: Path, grid: Grid, columns: ColumnMap, benchmarks: tuple[BenchmarkInfo, ...]
) -> ScoreTable:
    """The table a tokenized file holds, long or wide (a recognised layout or not)."""
    if columns.skip_rows:
        if columns.skip_rows >= grid.n_rows:
            raise InputError(
                f"{path}: --skip-rows {columns.skip_rows} skips every one of its {grid.n_rows} "
                "rows under the header; skip fewer."
            )
        grid = grid.drop_leading(columns.skip_rows)
    if not grid.n_rows:
        raise InputError(f"{path} has a header but no rows; add one row per model.")
    source = SourceFile(path=str(path), sha256=grid.sha256 or file_sha256(path))
    header = grid.header
    if is_long_table(header, columns):
        from safetywashing.io.tables.long import read_long

        return read_long(path, header, grid.rows(), columns, benchmarks, source)
    notices = Notices()
    infos = list(benchmarks)
    reasons: dict[str, str] = {}
    layout = recognise(header) if columns.layout == "auto" else None
    if layout is not None:
        columns = columns.with_defaults_from(layout.columns)
        notices.add(f"{path}: read as {layout.description}")
        grid = layout.body(grid)
        if (
            layout.preferred is not None
            and columns.duplicates == "error"
            and columns.model == layout.columns.model
        ):
            column, order = layout.preferred
            grid = keep_preferred(
                path, grid, header.index(columns.model), header.index(column), order, notices
            )
        known = {info.id for info in infos}
        infos += [info for info in layout.benchmarks(header) if info.id not in known]
        reasons = layout.reasons
    return read_wide(path, grid, columns, infos, source, notices, reasons)


def read_grid(path: Path, columns: ColumnMap, text_positions: TextPositions) -> Grid | None:
    """The pyarrow tokenizer's grid (:func:`safetywashing.io.tables.arrow.read_grid`), or
    None; a small CSV or TSV file never loads pyarrow or that module (the row tokenizer
    is quicker for it than their import)."""
    try:
        small = path.suffix.lower() in TEXT_TABLE_SUFFIXES and path.stat().st_size < MIN_CSV_BYTES
    except OSError:
        small = True  # the row tokenizer words the error
    if small:
        return None
    from safetywashing.io.tables.arrow import read_grid as arrow_grid

    return arrow_grid(path, columns, text_positions)


def _tokenize(path: Path, columns: ColumnMap) -> Grid:
    """The file split into cells: by pyarrow when it can (large files, Parquet), else by
    the row tokenizer, which also words every error about the file itself."""
    grid = read_grid(path, columns, lambda header: _text_positions(header, columns))
    if grid is not None:
        return grid
    rows = read_rows(
        path,
        header_row=columns.header_row,
        max_file_mb=columns.max_file_mb,
        max_rows=columns.max_rows,
        max_columns=columns.max_columns,
    )
    return Grid.from_rows(rows)


def _text_positions(header: list[str], columns: ColumnMap) -> set[int]:
    """The columns a table with this header is read with as text (see
    :func:`~safetywashing.io.tables.wide.text_positions`): all of a long table's, those of
    the wide reader and the recognised layout otherwise."""
    if is_long_table(header, columns):
        return set(range(len(header)))
    layout = recognise(header) if columns.layout == "auto" else None
    if layout is None:
        return text_positions(header, columns)
    merged = columns.with_defaults_from(layout.columns)
    return text_positions(header, merged) | layout.text_positions(header)


def split_names(text: str) -> list[str]:
    """Split a comma-separated list of names, dropping blanks."""
    return [part.strip() for part in re.split(r",", text) if part.strip()]


def read_frame(
    frame: pd.DataFrame,
    *,
    columns: ColumnMap = DEFAULT_COLUMNS,
    benchmarks: Iterable[BenchmarkInfo] = (),
    label: str = "the DataFrame",
) -> ScoreTable:
    """Read a pandas DataFrame as a scores table, with the same checks as a file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Wide (one row per model, a model column or a named index, one column per
        benchmark) or long (``model``, ``benchmark``, ``score`` columns).
    columns : ColumnMap, optional
        Names of the model-id and metadata columns (the paper's by default).
    benchmarks : iterable of BenchmarkInfo, optional
        Metadata for some or all benchmark columns.
    label : str, default "the DataFrame"
        How messages name the input.

    Returns
    -------
    ScoreTable

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"model": ["a", "b"], "mmlu": [0.5, 0.7]})
    >>> read_frame(frame).benchmark_ids
    ('mmlu',)
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{label} is a {type(frame).__name__}, not a pandas DataFrame; pass a DataFrame, "
            "a ScoreTable or a file path."
        )
    rows = frame_rows(frame)
    grid = Grid.from_rows(rows)
    header = grid.header
    if not rows.body:
        raise InputError(f"{label} has columns but no rows; add one row per model.")
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
        + "\x1f".join(header).encode("utf-8")
    ).hexdigest()
    source = SourceFile(path=label, sha256=digest)
    where = Path(label)
    if is_long_table(header, columns):
        from safetywashing.io.tables.long import read_long

        return read_long(where, header, rows.body, columns, benchmarks, source)
    return read_wide(where, grid, columns, benchmarks, source)
