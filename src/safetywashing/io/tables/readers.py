"""Readers for score tables and benchmark metadata: the entry points.

:func:`read_scores` reads a wide or long table from CSV, TSV or Parquet (recognising the
leaderboard exports of :mod:`safetywashing.io.tables.layouts`), :func:`read_frame` a pandas
DataFrame. The pieces live in modules of their own: :mod:`~safetywashing.io.tables.columns`
(:class:`ColumnMap`, the reading options), :mod:`~safetywashing.io.tables.cells` (numbers and
missing values), :mod:`~safetywashing.io.tables.rows` (files as rows of strings),
:mod:`~safetywashing.io.tables.wide` (wide tables) and :mod:`~safetywashing.io.tables.metadata`
(benchmark metadata files); their public names are available from here too. Large
plain wide files may be read column-wise (:mod:`~safetywashing.io.tables.columnar`).
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from safetywashing.core.errors import InputError
from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable, SourceFile
from safetywashing.io.tables.cells import (
    MISSING_TOKENS,
    PercentCheck,
    file_sha256,
    parse_compute,
    parse_number,
    parse_score,
    short_row,
)
from safetywashing.io.tables.columns import (
    DEFAULT_COLUMNS,
    ColumnMap,
    ComputeKind,
    DuplicatePolicy,
    TextColumnPolicy,
)
from safetywashing.io.tables.metadata import (
    BenchmarkMetadata,
    apply_benchmark_metadata,
    read_benchmark_info,
)
from safetywashing.io.tables.rows import Rows, frame_rows, is_long_table, read_rows
from safetywashing.io.tables.wide import Notices, read_wide

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
    if _plain_options(columns) and _plain_header(path, columns):
        from safetywashing.io.tables.columnar import read_wide_columnar

        columnar = read_wide_columnar(path, columns, benchmarks)
        if columnar is not None:
            return columnar
    rows = read_rows(
        path,
        header_row=columns.header_row,
        max_file_mb=columns.max_file_mb,
        max_rows=columns.max_rows,
        max_columns=columns.max_columns,
    )
    header = [cell.strip() for cell in rows.header]
    body = rows.body
    if columns.skip_rows:
        if columns.skip_rows >= len(body):
            raise InputError(
                f"{path}: --skip-rows {columns.skip_rows} skips every one of its {len(body)} "
                "rows under the header; skip fewer."
            )
        body = body[columns.skip_rows :]
    if not body:
        raise InputError(f"{path} has a header but no rows; add one row per model.")
    source = SourceFile(path=str(path), sha256=file_sha256(path))
    if is_long_table(header, columns):
        return _read_long(path, header, body, columns, benchmarks, source)
    notices = Notices()
    infos = list(benchmarks)
    if columns.layout == "auto":
        from safetywashing.io.tables.layouts import recognise

        layout = recognise(header)
        if layout is not None:
            columns = columns.with_defaults_from(layout.columns)
            body = layout.body(body)
            known = {info.id for info in infos}
            infos += [info for info in layout.benchmarks(header) if info.id not in known]
            notices.add(f"{path}: read as {layout.description}")
    return read_wide(path, header, body, columns, infos, source, notices)


def _plain_options(columns: ColumnMap) -> bool:
    """Whether a large file may go to the column-wise reader: plain options only.

    The column-wise reader (:mod:`.columnar`, for speed on large panels) knows the
    paper's layout; every option that reshapes the table (header rows, duplicates, text
    columns, classes, several id columns, a recognised leaderboard layout) takes the row
    reader, which it declines to otherwise as well.
    """
    return (
        columns.header_row is None
        and columns.skip_rows == 0
        and columns.duplicates == "error"
        and columns.text_columns == "error"
        and columns.missing_class is None
        and not columns.class_values
        and columns.compute_kind == "flop"
        and "," not in columns.model
    )


def _plain_header(path: Path, columns: ColumnMap) -> bool:
    """A regular CSV, TSV or Parquet file within the size limit whose header is a plain
    wide table."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".tsv", ".txt", ".parquet", ".pq"} or not path.is_file():
        return False  # FIFOs, devices and the rest go to the row reader, which refuses them
    if path.stat().st_size > columns.max_file_mb * 1024 * 1024:
        return False  # the row reader names the limit and the flag that raises it
    header = _parquet_names(path) if suffix in {".parquet", ".pq"} else _csv_header(path)
    if not header or is_long_table(header, columns):
        return False
    if columns.layout == "auto":
        from safetywashing.io.tables.layouts import recognise

        return recognise(header) is None
    return True


def _csv_header(path: Path) -> list[str] | None:
    """The stripped cells of a CSV or TSV file's first line; None if it cannot be read."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline(1 << 20)
    except (OSError, UnicodeDecodeError):
        return None
    delimiter = (
        "\t" if path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first) else ","
    )
    return [cell.strip() for cell in next(csv.reader([first], delimiter=delimiter), [])]


def _parquet_names(path: Path) -> list[str] | None:
    """A Parquet file's column names; None if it cannot be read (the row reader says why)."""
    try:
        import pyarrow.parquet as pq

        return [str(name) for name in pq.read_schema(path).names]
    except Exception:  # pyarrow's own errors, a missing pyarrow, an unreadable file
        return None


def _read_long(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    source: SourceFile,
) -> ScoreTable:
    lowered = [h.lower() for h in header]
    model_name = columns.model if columns.model in header else "model"
    if model_name.lower() not in lowered:
        raise InputError(
            f"{path} looks like a long table but has no '{columns.model}' column; "
            "name the model-id column with --model-column."
        )
    model_position = lowered.index(model_name.lower())
    benchmark_position = lowered.index("benchmark")
    score_position = lowered.index("score")
    metadata = _long_metadata_columns(path, header, columns, model_position)
    records: list[tuple[str, str, float]] = []
    first_row: dict[tuple[str, str], tuple[int, float]] = {}
    seen_metadata: dict[str, tuple[int, dict[str, str]]] = {}
    percents = PercentCheck()
    for row_number, row in body:
        if len(row) != len(header):
            if len(row) < len(header):
                raise short_row(path, row_number, len(row), len(header))
            raise InputError(
                f"{path}, row {row_number}: {len(row)} cells for {len(header)} header columns; "
                "remove the extra cells or add header names."
            )
        model_id = row[model_position].strip()
        benchmark_id = row[benchmark_position].strip()
        if not model_id or not benchmark_id:
            raise InputError(
                f"{path}, row {row_number}: empty model or benchmark; fill both cells."
            )
        where = (
            f"{path}, row {row_number} (model '{model_id}', benchmark '{benchmark_id}'), "
            "column 'score'"
        )
        score = parse_score(row[score_position], where)
        percents.see(benchmark_id, row[score_position], where, row_number)
        key = (model_id, benchmark_id)
        if key in first_row:
            previous_row, previous = first_row[key]
            if not (previous == score or (math.isnan(previous) and math.isnan(score))):
                raise InputError(
                    f"{path}, row {row_number}: model '{model_id}' on benchmark "
                    f"'{benchmark_id}' already has a different score in row "
                    f"{previous_row}; keep one row per model and benchmark."
                )
            continue
        first_row[key] = (row_number, score)
        records.append((model_id, benchmark_id, score))
        _see_model_metadata(path, row_number, model_id, row, metadata, seen_metadata)
    models = [
        _long_model(model_id, f"{path}, row {first} (model '{model_id}')", values, columns)
        for model_id, (first, values) in seen_metadata.items()
    ]
    return ScoreTable.from_long(
        records, models=models, benchmarks=benchmarks, sources=(source,), source_label=str(path)
    )


#: Columns a long table may hold besides model, benchmark and score (what ``ingest`` writes).
LONG_EXTRA_COLUMNS = frozenset({"stderr", "metric", "framework", "source"})


def _long_metadata_columns(
    path: Path, header: list[str], columns: ColumnMap, model_position: int
) -> dict[str, int]:
    """Positions of the model-metadata columns of a long table; refuse unknown columns."""
    roles = {
        "model_class": columns.model_class,
        "name": columns.name,
        "family": columns.family,
        "flop": columns.flop,
        "parameters": columns.parameters,
    }
    found: dict[str, int] = {}
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.strip().lower()
        if key in seen:
            raise InputError(
                f"{path}: column {seen[key] + 1} and column {position + 1} are both named "
                f"'{name}'; give every column its own name."
            )
        seen[key] = position
    ignored = {name.lower() for name in columns.ignore}
    for position, name in enumerate(header):
        key = name.strip().lower()
        role = next((r for r, column in roles.items() if column.lower() == key), None)
        if role is not None:
            found[role] = position
        elif (
            position != model_position
            and key not in {"benchmark", "score"}
            and key not in LONG_EXTRA_COLUMNS
            and key not in ignored
        ):
            raise InputError(
                f"{path}: column '{name}' of this long table is neither model, benchmark, score, "
                "stderr, metric, framework, source nor a model-metadata column (class "
                f"'{columns.model_class}', name, family, compute, parameters); name what it "
                "holds with --class-column and the like, or skip it with --ignore-column."
            )
    return found


def _see_model_metadata(
    path: Path,
    row_number: int,
    model_id: str,
    row: list[str],
    metadata: dict[str, int],
    seen: dict[str, tuple[int, dict[str, str]]],
) -> None:
    """Record a model's metadata cells; the rows of one model must agree."""
    values = {role: row[position].strip() for role, position in metadata.items()}
    if model_id not in seen:
        seen[model_id] = (row_number, values)
        return
    first_row, first = seen[model_id]
    for role, value in values.items():
        if value != first.get(role, ""):
            raise InputError(
                f"{path}, row {row_number}: model '{model_id}' has {role.replace('_', ' ')} "
                f"'{value}' here but '{first.get(role, '')}' in row {first_row}; give each "
                "model one value."
            )


def _long_model(model_id: str, where: str, values: dict[str, str], columns: ColumnMap) -> ModelInfo:
    def number(role: str, scale: float) -> float:
        column = columns.metadata_columns()[role]
        value = parse_compute(values.get(role, ""), f"{where}, column '{column}'", scale)
        return value if value > 0 else math.nan

    return ModelInfo(
        id=model_id,
        name=values.get("name", "") or model_id,
        model_class=values.get("model_class", "") or columns.default_class,
        parameters=number("parameters", columns.parameters_scale),
        flop=number("flop", columns.flop_scale),
        family=values.get("family", ""),
    )


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
    header = [cell.strip() for cell in rows.header]
    if not rows.body:
        raise InputError(f"{label} has columns but no rows; add one row per model.")
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
        + "\x1f".join(header).encode("utf-8")
    ).hexdigest()
    source = SourceFile(path=label, sha256=digest)
    where = Path(label)
    if is_long_table(header, columns):
        return _read_long(where, header, rows.body, columns, benchmarks, source)
    return read_wide(where, header, rows.body, columns, benchmarks, source)
