"""Readers for score tables and benchmark metadata.

Wide tables (one row per model, one column per benchmark) are read with the standard
library's ``csv`` module rather than pandas: importing pandas costs more than the whole
audit's time budget on a small machine, and a score table is small. Parquet files are
read through pandas and pyarrow, imported only then. Large plain wide files (and plain
Parquet files) are first offered to the column-wise reader, :mod:`.columnar`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from safetywashing.errors import InputError, suggestion
from safetywashing.io.columnar import read_wide_columnar
from safetywashing.table import (
    DEFAULT_CLASS,
    BenchmarkInfo,
    Direction,
    ModelInfo,
    Role,
    ScoreTable,
    SourceFile,
)

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?"})


@dataclass(frozen=True)
class ColumnMap:
    """Which columns of a wide table hold model metadata rather than scores.

    Defaults follow the Safetywashing paper's files. A column given here that the file
    does not have is an error unless it is the default (defaults are optional).

    Attributes
    ----------
    model : str
        Model id column.
    name : str
        Display name column.
    model_class : str
        Class column (e.g. base/chat).
    parameters : str
        Parameter count column.
    flop : str
        Training FLOP column.
    family : str
        Model family column.
    flop_scale : float
        Multiplier turning the FLOP column into FLOP (e.g. ``1e21`` for "FLOPs (1E21)").
    parameters_scale : float
        Multiplier turning the parameters column into a parameter count (``1e9`` for "B").
    ignore : tuple of str
        Other non-score columns to skip.
    default_class : str
        Class given to every model when the file has no class column.
    """

    model: str = "model"
    name: str = "name"
    model_class: str = "type"
    parameters: str = "model_size"
    flop: str = "FLOP"
    family: str = "family"
    flop_scale: float = 1.0
    parameters_scale: float = 1.0
    ignore: tuple[str, ...] = field(default=())
    default_class: str = DEFAULT_CLASS

    def metadata_columns(self) -> dict[str, str]:
        """Map of role -> column name for the metadata columns."""
        return {
            "name": self.name,
            "model_class": self.model_class,
            "parameters": self.parameters,
            "flop": self.flop,
            "family": self.family,
        }


DEFAULT_COLUMNS = ColumnMap()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_number(text: str) -> float:
    """Parse a score cell: a float, or NaN for the usual missing-value tokens.

    Raises
    ------
    ValueError
        If the text is neither a number nor a missing-value token.
    """
    stripped = text.strip()
    if stripped.lower() in MISSING_TOKENS:
        return math.nan
    if stripped.endswith("%"):
        return float(stripped[:-1]) / 100.0
    return float(stripped)


def parse_score(text: str, where: str) -> float:
    """Parse a score cell; ``where`` (file, row, column) starts the message of a bad one.

    Raises
    ------
    InputError
        For text that is not a number or a missing-value token, and for an infinite value.
    """
    try:
        value = parse_number(text)
    except ValueError:
        stripped = text.strip()
        hint = (
            " (a decimal comma? write 0.5, not 0,5)"
            if re.fullmatch(r"[+-]?\d+,\d+%?", stripped)
            else ""
        )
        raise InputError(
            f"{where}: '{stripped}' is not a number{hint}; write a number or leave the cell "
            "empty for a missing score."
        ) from None
    if math.isinf(value):
        raise InputError(f"{where}: infinite score; write a finite number or leave the cell empty.")
    return value


class PercentCheck:
    """Refuses a column that writes some scores as percent strings and some as plain numbers.

    ``45%`` reads as 0.45; next to a plain ``50`` (a percentage without the sign) or
    ``0.5`` the scale is ambiguous, and a wrong guess reorders the models.
    """

    def __init__(self) -> None:
        self._first: dict[str, dict[bool, tuple[str, int, str]]] = {}

    def see(self, column: str, cell: str, where: str, row_number: int) -> None:
        """Record a parsed cell of ``column`` (``where`` names it); raise on a mixed column."""
        text = cell.strip()
        if text.lower() in MISSING_TOKENS:
            return
        percent = text.endswith("%")
        firsts = self._first.setdefault(column, {})
        firsts.setdefault(percent, (where, row_number, text))
        if len(firsts) == 2:
            where, _, text = firsts[not percent]
            _, other_row, other_text = firsts[percent]
            kind, other_kind = ("a plain number", "a percentage")[:: 1 if percent else -1]
            raise InputError(
                f"{where}: '{text}' is {kind}, but row {other_row} has {other_kind} "
                f"('{other_text}'); write every score of '{column}' the same way (all with % "
                "or none)."
            )


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a scores file (CSV, TSV or Parquet).")
    try:
        with path.open("rb") as handle:
            head = handle.read(1)
    except OSError as error:
        raise InputError(
            f"{path} cannot be read ({error.strerror}); check its permissions."
        ) from None
    if not head:
        raise InputError(f"{path} is empty; give a table with a header row and one row per model.")


def _delimiter(path: Path, first_line: str) -> str:
    suffix = path.suffix.lower()
    if suffix in {".tsv", ".tab"}:
        return "\t"
    if "," not in first_line and "\t" not in first_line and ";" in first_line:
        return ";"  # a spreadsheet's export under a locale with a decimal comma
    if suffix == ".csv":
        return ","
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


@dataclass(frozen=True)
class Rows:
    """A table file's header and its non-blank rows.

    Attributes
    ----------
    header : list of str
    body : list of (int, list of str)
        Each row with its number as a spreadsheet shows it (the header's row is 1 in a
        file without leading blank lines; blank rows count, so the numbers in messages
        point at the right line).
    """

    header: list[str]
    body: list[tuple[int, list[str]]]


def _drop_empty_trailing_columns(records: list[list[str]]) -> list[list[str]]:
    """Drop trailing columns with no header name and no value (``a,b,,`` exports)."""
    header = records[0]
    keep = len(header)
    while keep > 0 and not header[keep - 1].strip():
        keep -= 1
    if keep == len(header) or any(cell.strip() for row in records for cell in row[keep:]):
        return records
    return [row[:keep] for row in records]


def _read_rows(path: Path) -> Rows:
    _check_readable(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{path} is not UTF-8 text; save it as UTF-8 CSV or TSV, or use Parquet."
        ) from None
    if not text.strip():
        raise InputError(f"{path} is empty; give a table with a header row and one row per model.")
    first_line = next(line for line in text.splitlines() if line.strip())
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(path, first_line), strict=True
    )
    try:
        records = list(reader)
    except csv.Error as error:
        raise InputError(
            f"{path}, line {reader.line_num}: not valid CSV ({error}); check the quotes there "
            '(a quoted cell starts and ends with ", and a " inside it is written "").'
        ) from None
    numbered = [
        (number, row)
        for number, row in enumerate(records, start=1)
        if any(cell.strip() for cell in row)
    ]
    if not numbered:
        raise InputError(f"{path} has only empty cells; give a header row and one row per model.")
    kept = _drop_empty_trailing_columns([row for _, row in numbered])
    return Rows(
        header=kept[0],
        body=[(number, row) for (number, _), row in zip(numbered[1:], kept[1:], strict=True)],
    )


def _read_parquet_rows(path: Path) -> Rows:
    _check_readable(path)
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError:
        raise InputError(
            "Reading Parquet needs pyarrow; install it with `pip install pyarrow`."
        ) from None
    except Exception as error:
        raise InputError(f"{path} is not a readable Parquet file ({error}).") from None
    if frame.index.name is not None:
        frame = frame.reset_index()
    header = [str(column) for column in frame.columns]
    body = [
        ["" if _is_missing(cell) else str(cell) for cell in row]
        for row in frame.itertuples(index=False, name=None)
    ]
    return Rows(header=header, body=list(enumerate(body, start=2)))


def _is_missing(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell))


def read_rows(path: str | Path) -> Rows:
    """Read a CSV, TSV or Parquet file as a header and numbered string rows.

    The delimiter is a tab for ``.tsv``, a semicolon when the first line has semicolons
    but neither commas nor tabs, else a comma (or a tab, if the first line of a file
    without a ``.csv`` suffix has more tabs than commas). A UTF-8 byte-order mark, CRLF
    line ends and quoted fields are read as a spreadsheet writes them; blank rows and
    trailing columns without a name or a value are skipped.
    """
    path = Path(path)
    if path.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet_rows(path)
    return _read_rows(path)


def _is_long(header: Sequence[str], columns: ColumnMap) -> bool:
    lowered = {h.strip().lower() for h in header}
    return {"benchmark", "score"} <= lowered and len(header) <= 8


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
        The file. A long table is recognized by ``benchmark`` and ``score`` columns.
    columns : ColumnMap, optional
        Names of the model-id and metadata columns (the paper's by default).
    benchmarks : iterable of BenchmarkInfo, optional
        Metadata for some or all benchmark columns; the rest get defaults.

    Returns
    -------
    ScoreTable

    Raises
    ------
    InputError
        For an unreadable or empty file, a missing model column, a non-numeric score
        cell, a duplicate model or benchmark, or a bad metadata cell.

    Examples
    --------
    >>> from safetywashing.datasets import demo_panel_path
    >>> table = read_scores(demo_panel_path())
    >>> len(table.models)
    30
    """
    path = Path(path)
    benchmarks = tuple(benchmarks)
    columnar = read_wide_columnar(path, columns, benchmarks)
    if columnar is not None:
        return columnar
    rows = read_rows(path)
    header = [cell.strip() for cell in rows.header]
    body = rows.body
    if not body:
        raise InputError(f"{path} has a header but no rows; add one row per model.")
    source = SourceFile(path=str(path), sha256=file_sha256(path))
    if _is_long(header, columns):
        return _read_long(path, header, body, columns, benchmarks, source)
    return _read_wide(path, header, body, columns, benchmarks, source)


def _column_position(
    path: Path, header: Sequence[str], name: str, default: str, what: str
) -> int | None:
    if name in header:
        return header.index(name)
    if name != default:
        raise InputError(
            f"{path} has no column '{name}' for the {what}{suggestion(name, header)}; "
            "check the column option."
        )
    return None


def _read_wide(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    source: SourceFile,
) -> ScoreTable:
    if columns.model not in header:
        raise InputError(
            f"{path} has no model column '{columns.model}'{suggestion(columns.model, header)}; "
            "name the model-id column with --model-column."
        )
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if not name:
            raise InputError(
                f"{path}: column {position + 1} of the header has no name; name every column."
            )
        if name in seen:
            raise InputError(
                f"{path}: the column '{name}' appears twice in the header (columns "
                f"{seen[name] + 1} and {position + 1}); keep one column per benchmark."
            )
        seen[name] = position
    defaults = DEFAULT_COLUMNS.metadata_columns()
    meta_positions: dict[str, int] = {}
    for role, name in columns.metadata_columns().items():
        found = _column_position(path, header, name, defaults[role], role.replace("_", " "))
        if found is not None:
            meta_positions[role] = found
    for name in columns.ignore:
        if name not in header:
            raise InputError(
                f"{path} has no column '{name}' to ignore{suggestion(name, header)}; "
                "check --ignore-column."
            )
    model_position = header.index(columns.model)
    skipped = {model_position, *meta_positions.values(), *(header.index(n) for n in columns.ignore)}
    score_positions = [i for i in range(len(header)) if i not in skipped]
    if not score_positions:
        raise InputError(f"{path} has no benchmark columns besides the model metadata.")

    values = np.full((len(body), len(score_positions)), np.nan)
    models: list[ModelInfo] = []
    model_rows: dict[str, int] = {}
    percents = PercentCheck()
    for index, (row_number, row) in enumerate(body):
        if len(row) > len(header):
            raise InputError(
                f"{path}, row {row_number}: {len(row)} cells for {len(header)} header columns; "
                "remove the extra cells or add header names."
            )
        row = row + [""] * (len(header) - len(row))
        model_id = row[model_position].strip()
        if not model_id:
            raise InputError(
                f"{path}, row {row_number}: the model column '{columns.model}' is empty; "
                "give every row a model id."
            )
        if model_id in model_rows:
            raise InputError(
                f"{path}, row {row_number}: model '{model_id}' already appears in row "
                f"{model_rows[model_id]}; keep one row per model."
            )
        model_rows[model_id] = row_number
        for j, position in enumerate(score_positions):
            cell = row[position]
            where = f"{path}, row {row_number} (model '{model_id}'), column '{header[position]}'"
            values[index, j] = parse_score(cell, where)
            percents.see(header[position], cell, where, row_number)
        models.append(_model_info(path, row_number, model_id, row, header, meta_positions, columns))
    bench_ids = [header[p] for p in score_positions]
    known = {b.id: b for b in benchmarks}
    return ScoreTable(
        values=values,
        models=tuple(models),
        benchmarks=tuple(known.get(b, BenchmarkInfo(id=b)) for b in bench_ids),
        sources=(source,),
    )


def _model_info(
    path: Path,
    row_number: int,
    model_id: str,
    row: list[str],
    header: list[str],
    meta_positions: dict[str, int],
    columns: ColumnMap,
) -> ModelInfo:
    def text(role: str) -> str:
        position = meta_positions.get(role)
        return row[position].strip() if position is not None else ""

    def number(role: str, scale: float) -> float:
        position = meta_positions.get(role)
        if position is None:
            return math.nan
        try:
            return parse_number(row[position]) * scale
        except ValueError:
            raise InputError(
                f"{path}, row {row_number} (model '{model_id}'), column '{header[position]}': "
                f"'{row[position].strip()}' is not a number; write a number or leave it empty."
            ) from None

    return ModelInfo(
        id=model_id,
        name=text("name"),
        model_class=text("model_class") or columns.default_class,
        parameters=number("parameters", columns.parameters_scale),
        flop=number("flop", columns.flop_scale),
        family=text("family"),
    )


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
    records: list[tuple[str, str, float]] = []
    first_row: dict[tuple[str, str], tuple[int, float]] = {}
    percents = PercentCheck()
    for row_number, row in body:
        row = row + [""] * (len(header) - len(row))
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
    return ScoreTable.from_long(
        records, benchmarks=benchmarks, sources=(source,), source_label=str(path)
    )


# -- benchmark metadata ------------------------------------------------------------------

_ROLE_WORDS: dict[str, Role] = {
    "capability": "capability",
    "capabilities": "capability",
    "cap": "capability",
    "safety": "safety",
    "ignore": "ignore",
    "ignored": "ignore",
    "skip": "ignore",
}
_DIRECTION_WORDS: dict[str, Direction] = {
    "higher": "higher",
    "higher is safer": "higher",
    "higher-is-safer": "higher",
    "up": "higher",
    "↑": "higher",
    "+": "higher",
    "lower": "lower",
    "lower is safer": "lower",
    "lower-is-safer": "lower",
    "down": "lower",
    "↓": "lower",
    "-": "lower",
}


@dataclass(frozen=True)
class BenchmarkMetadata:
    """Benchmark metadata read from a file.

    Attributes
    ----------
    infos : dict of str to BenchmarkInfo
        One entry per benchmark row.
    declares_roles : bool
        Whether the file had a role column. A file without one (the paper's
        ``benchmarks_info.csv``) is a catalogue: entries absent from the scores are
        ignored. A file with roles describes the analysis, so a benchmark it names must
        be in the scores.
    source : SourceFile
        The file and its hash.
    """

    infos: dict[str, BenchmarkInfo]
    declares_roles: bool
    source: SourceFile


_METADATA_ROWS = frozenset({"model", "model_size", "flop", "name", "type"})


def read_benchmark_info(path: str | Path) -> BenchmarkMetadata:
    """Read a benchmark metadata file.

    Accepted columns (case-insensitive): ``benchmark`` (or ``id``), ``name``, ``metric``,
    ``role`` (capability / safety / ignore), ``area``, ``direction`` (higher / lower:
    which raw score is safer), ``reference`` (a column to correlate against instead of
    the capability score). Only the benchmark column is required. The paper's
    ``benchmarks_info.csv`` (benchmark, name, metric) is read as is; its rows that
    describe model metadata columns (model_size, FLOP, name, type) are skipped.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    BenchmarkMetadata
    """
    path = Path(path)
    rows = read_rows(path)
    header = [cell.strip().lower() for cell in rows.header]
    id_column = "benchmark" if "benchmark" in header else "id" if "id" in header else None
    if id_column is None:
        raise InputError(
            f"{path} has no 'benchmark' column; name the benchmark-id column 'benchmark'."
        )
    position = {name: header.index(name) for name in header}
    infos: dict[str, BenchmarkInfo] = {}
    for row_number, row in rows.body:
        row = row + [""] * (len(header) - len(row))

        def cell(name: str, row: list[str] = row) -> str:
            return row[position[name]].strip() if name in position else ""

        benchmark_id = cell(id_column)
        if not benchmark_id:
            raise InputError(f"{path}, row {row_number}: empty benchmark id; fill it in.")
        if benchmark_id.lower() in _METADATA_ROWS and "role" not in position:
            continue
        if benchmark_id in infos:
            raise InputError(
                f"{path}, row {row_number}: benchmark '{benchmark_id}' is described twice; "
                "keep one row per benchmark."
            )
        role_text = cell("role").lower()
        role = _ROLE_WORDS.get(role_text or "safety")
        if role is None:
            raise InputError(
                f"{path}, row {row_number}, column 'role': '{cell('role')}' is not a role; use "
                "capability, safety or ignore."
            )
        direction_text = cell("direction").lower()
        direction = _DIRECTION_WORDS.get(direction_text or "higher")
        if direction is None:
            raise InputError(
                f"{path}, row {row_number}, column 'direction': '{cell('direction')}' is not a "
                "direction; use higher (higher is safer) or lower (lower is safer)."
            )
        infos[benchmark_id] = BenchmarkInfo(
            id=benchmark_id,
            name=cell("name"),
            metric=cell("metric"),
            role=role,
            area=cell("area"),
            direction=direction,
            reference=cell("reference") or None,
        )
    if not infos:
        raise InputError(f"{path} describes no benchmarks; add one row per benchmark.")
    return BenchmarkMetadata(
        infos=infos,
        declares_roles="role" in position,
        source=SourceFile(path=str(path), sha256=file_sha256(path)),
    )


def apply_benchmark_metadata(table: ScoreTable, metadata: BenchmarkMetadata) -> ScoreTable:
    """Attach metadata to a table's benchmark columns.

    Raises
    ------
    InputError
        If the metadata declares roles and names a benchmark absent from the scores, or
        names a reference column that does not exist.
    """
    present = set(table.benchmark_ids)
    if metadata.declares_roles:
        for benchmark_id, info in metadata.infos.items():
            if benchmark_id not in present and info.role != "ignore":
                raise InputError(
                    f"{metadata.source.path} describes benchmark '{benchmark_id}', which is "
                    f"not a column of the scores{suggestion(benchmark_id, present)}; fix the "
                    "name or set its role to ignore."
                )
    for info in metadata.infos.values():
        if info.id in present and info.reference is not None and info.reference not in present:
            raise InputError(
                f"{metadata.source.path}: benchmark '{info.id}' names reference column "
                f"'{info.reference}', which is not in the scores"
                f"{suggestion(info.reference, present)}; fix the reference."
            )
    merged = tuple(metadata.infos.get(b.id, b) for b in table.benchmarks)
    updated = table.with_benchmarks(merged)
    return ScoreTable(
        values=updated.values,
        models=updated.models,
        benchmarks=updated.benchmarks,
        sources=(*table.sources, metadata.source),
        synthetic=table.synthetic,
        notes=table.notes,
    )


def split_names(text: str) -> list[str]:
    """Split a comma-separated list of names, dropping blanks."""
    return [part.strip() for part in re.split(r",", text) if part.strip()]
