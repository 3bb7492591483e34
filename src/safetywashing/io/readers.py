"""Readers for score tables and benchmark metadata.

Wide tables (one row per model, one column per benchmark) are read with the standard
library's ``csv`` module rather than pandas: importing pandas costs more than the whole
audit's time budget on a small machine, and a score table is small. Parquet files are
read through pandas and pyarrow, imported only then.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from safetywashing.errors import InputError, InputNotice, name_list, suggestion
from safetywashing.table import (
    COMPUTE_LABELS,
    DEFAULT_CLASS,
    BenchmarkInfo,
    Direction,
    ModelInfo,
    Role,
    ScoreTable,
    SourceFile,
)

if TYPE_CHECKING:
    import pandas as pd

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?"})


DuplicatePolicy = Literal["error", "first", "last", "mean", "max"]
TextColumnPolicy = Literal["error", "ignore"]
ComputeKind = Literal["flop", "params", "tokens"]


@dataclass(frozen=True)
class ColumnMap:
    """Which columns of a wide table hold model metadata, and how to read the rest.

    Defaults follow the Safetywashing paper's files. A column given here that the file
    does not have is an error unless it is the default (defaults are optional).

    Attributes
    ----------
    model : str
        Model id column; several columns separated by commas (``"fullname,Precision"``)
        are joined into one id (``"org/model:bfloat16"``) when the file has no column of
        that whole name.
    name : str
        Display name column.
    model_class : str
        Class column (e.g. base/chat).
    parameters : str
        Parameter count column.
    flop : str
        Compute column (training FLOP by default; see ``compute_kind``).
    family : str
        Model family column.
    flop_scale : float
        Multiplier turning the compute column into its unit (``1e21`` for "FLOPs (1E21)").
    parameters_scale : float
        Multiplier turning the parameters column into a parameter count (``1e9`` for "B").
    ignore : tuple of str
        Other non-score columns to skip (``""`` names an unnamed column).
    default_class : str
        Class given to every model when the file has no class column.
    compute_kind : {"flop", "params", "tokens"}
        What the compute column holds; outputs name it so. Values of zero or below are
        treated as unknown, with a notice.
    header_row : int or None
        Line of the file (1 = first) that holds the header; lines above it are skipped.
        None: the first non-blank line.
    skip_rows : int
        Non-blank rows right under the header to skip (e.g. units or descriptions).
    duplicates : {"error", "first", "last", "mean", "max"}
        What to do with a model id on several rows: refuse (naming them), keep the first
        or last row, or combine the rows' scores cell by cell (mean or max; metadata from
        the first row).
    text_columns : {"error", "ignore"}
        Columns whose cells are mostly text, not scores: refuse them (all named in one
        message) or skip them with one notice.
    missing_class : str or None
        Class for rows whose class cell is empty; None makes an empty cell an error.
    class_values : tuple of (str, str)
        Rewrites of class cells: the first pair whose text occurs in the cell (case-
        insensitive) gives the class (e.g. ``("pretrained", "base")``).
    layout : {"auto", "none"}
        ``auto`` recognises the Open LLM Leaderboard's and HELM's exported tables by their
        columns (see :mod:`safetywashing.io.layouts`); ``none`` reads every file as given.
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
    compute_kind: ComputeKind = "flop"
    header_row: int | None = None
    skip_rows: int = 0
    duplicates: DuplicatePolicy = "error"
    text_columns: TextColumnPolicy = "error"
    missing_class: str | None = None
    class_values: tuple[tuple[str, str], ...] = field(default=())
    layout: Literal["auto", "none"] = "auto"

    def __post_init__(self) -> None:
        choices: list[tuple[str, str, tuple[str, ...]]] = [
            ("compute_kind", "--compute-kind", get_args(ComputeKind)),
            ("duplicates", "--duplicates", get_args(DuplicatePolicy)),
            ("text_columns", "--text-columns", get_args(TextColumnPolicy)),
            ("layout", "layout", ("auto", "none")),
        ]
        for attribute, option, allowed in choices:
            value = getattr(self, attribute)
            if value not in allowed:
                raise InputError(f"{option} must be one of {', '.join(allowed)}; got '{value}'.")
        if self.skip_rows < 0:
            raise InputError(f"--skip-rows must be 0 or more; got {self.skip_rows}.")
        if self.header_row is not None and self.header_row < 1:
            raise InputError(
                f"--header-row counts lines from 1 (the first line); got {self.header_row}."
            )
        if self.missing_class is not None and not self.missing_class.strip():
            raise InputError("--missing-class needs a class name, e.g. --missing-class chat.")

    def metadata_columns(self) -> dict[str, str]:
        """Map of role -> column name for the metadata columns."""
        return {
            "name": self.name,
            "model_class": self.model_class,
            "parameters": self.parameters,
            "flop": self.flop,
            "family": self.family,
        }

    def with_defaults_from(self, other: ColumnMap) -> ColumnMap:
        """This map with every field still at its default taken from ``other``.

        A recognised layout supplies column names; what the user set wins. Columns to
        ignore are the union of both, and a metadata column of ``other`` that the user
        replaced (e.g. another model-id column) is ignored too.
        """
        changes = {
            item.name: getattr(other, item.name)
            for item in fields(self)
            if getattr(self, item.name) == getattr(DEFAULT_COLUMNS, item.name)
        }
        merged = replace(self, **changes)
        roles = [*merged.metadata_columns().values(), *merged.model.split(",")]
        replaced = [
            name
            for name in [other.model, *other.metadata_columns().values()]
            if name not in roles and name not in DEFAULT_COLUMNS.metadata_columns().values()
        ]
        ignore = tuple(dict.fromkeys([*self.ignore, *other.ignore, *replaced]))
        return replace(merged, ignore=tuple(name for name in ignore if name not in roles))


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


def _read_rows(path: Path, header_row: int | None = None) -> Rows:
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
    if header_row is not None:
        if header_row > len(records) or not any(c.strip() for c in records[header_row - 1]):
            what = "is empty" if header_row <= len(records) else f"is past its end ({len(records)})"
            raise InputError(
                f"{path}: line {header_row} (--header-row) {what}; give the line that holds "
                "the column names."
            )
        numbered = [(number, row) for number, row in numbered if number >= header_row]
    kept = _drop_empty_trailing_columns([row for _, row in numbered])
    return Rows(
        header=kept[0],
        body=[(number, row) for (number, _), row in zip(numbered[1:], kept[1:], strict=True)],
    )


def _read_parquet_rows(path: Path, header_row: int | None = None) -> Rows:
    _check_readable(path)
    if header_row is not None:
        raise InputError(
            f"{path} is a Parquet file, whose column names are not a line of the file; "
            "drop --header-row."
        )
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError:
        raise InputError(
            "Reading Parquet needs pyarrow; install it with `pip install pyarrow`."
        ) from None
    except Exception as error:
        raise InputError(f"{path} is not a readable Parquet file ({error}).") from None
    return _frame_rows(frame)


def _frame_rows(frame: pd.DataFrame) -> Rows:
    """A DataFrame as header and numbered string rows (a named index becomes a column)."""
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


def read_rows(path: str | Path, *, header_row: int | None = None) -> Rows:
    """Read a CSV, TSV or Parquet file as a header and numbered string rows.

    The delimiter is a tab for ``.tsv``, a semicolon when the first line has semicolons
    but neither commas nor tabs, else a comma (or a tab, if the first line of a file
    without a ``.csv`` suffix has more tabs than commas). A UTF-8 byte-order mark, CRLF
    line ends and quoted fields are read as a spreadsheet writes them; blank rows and
    trailing columns without a name or a value are skipped. ``header_row`` (a line
    number, 1 = first) names the header's line of a CSV or TSV file; lines above it are
    skipped.
    """
    path = Path(path)
    if path.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet_rows(path, header_row)
    return _read_rows(path, header_row)


def _is_long(header: Sequence[str], columns: ColumnMap) -> bool:
    lowered = {h.strip().lower() for h in header}
    return {"benchmark", "score"} <= lowered and len(header) <= 8


class Notices:
    """Remarks made while reading one file: each one stderr line, all names in the notes.

    A notice names what was done and to which models or columns; the warning (one line
    on stderr, given by :meth:`emit` once the file has been read without error) shows
    the first few names and a count, the table's ``notes`` (the JSON output,
    ``--verbose``) keep every name.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._short: list[str] = []

    def add(self, summary: str, names: Sequence[str] = ()) -> None:
        """Record ``summary`` (a sentence without its final period) about ``names``."""
        if not names:
            self.notes.append(f"{summary}.")
            self._short.append(f"{summary}.")
            return
        self.notes.append(f"{summary}: {name_list(names, limit=None)}.")
        short = f"{summary}: {name_list(names)}"
        if len(names) > 4:
            short += " (all in the output's notes; --verbose lists them)"
        self._short.append(short + ".")

    def emit(self) -> None:
        """Warn each notice (:class:`~safetywashing.errors.InputNotice`), one line each."""
        for message in self._short:
            warnings.warn(message, InputNotice, stacklevel=4)


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
        :class:`~safetywashing.errors.InputNotice`, one line per kind.

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
    rows = read_rows(path, header_row=columns.header_row)
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
    if _is_long(header, columns):
        return _read_long(path, header, body, columns, benchmarks, source)
    notices = Notices()
    infos = list(benchmarks)
    if columns.layout == "auto":
        from safetywashing.io.layouts import recognise

        layout = recognise(header)
        if layout is not None:
            columns = columns.with_defaults_from(layout.columns)
            body = layout.body(body)
            known = {info.id for info in infos}
            infos += [info for info in layout.benchmarks(header) if info.id not in known]
            notices.add(f"{path}: read as {layout.description}")
    return _read_wide(path, header, body, columns, infos, source, notices)


_UNNAMED = re.compile(r"(Unnamed: \d+(_level_\d+)?)?")


def _is_unnamed(name: str) -> bool:
    """An empty header cell, or the name pandas gives one when it reads it back."""
    return _UNNAMED.fullmatch(name) is not None


def _is_number(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


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


def _model_positions(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: ColumnMap,
    notices: Notices,
) -> tuple[list[int], set[int]]:
    """The model-id column(s), and unnamed index columns to leave out of the scores."""
    index_columns = {0} if header and _is_unnamed(header[0]) else set()
    if columns.model in header:
        positions = [header.index(columns.model)]
    elif "," in columns.model and all(
        part.strip() in header for part in columns.model.split(",") if part.strip()
    ):
        positions = [
            header.index(part.strip()) for part in columns.model.split(",") if part.strip()
        ]
    else:
        positions = []
        if index_columns and columns.model == DEFAULT_COLUMNS.model:
            cells = [row[0].strip() if row else "" for _, row in body]
            unique = all(cells) and len(set(cells)) == len(cells)
            if unique and not all(re.fullmatch(r"[+-]?\d+", cell) for cell in cells):
                notices.add(
                    f"{path}: the unnamed first column holds a unique id per row, so it is "
                    "taken as the model id"
                )
                return [0], set()
        missing = [part.strip() for part in columns.model.split(",") if part.strip() not in header]
        name = missing[0] if len(missing) == 1 else columns.model
        raise InputError(
            f"{path} has no model column '{name}'{suggestion(name, header)}; "
            "name the model-id column with --model-column (several columns, joined into one "
            "id: --model-column a,b)."
        )
    if index_columns:
        notices.add(f"{path}: the unnamed first column (an index a program wrote) is left out")
    return positions, index_columns


def _read_wide(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    source: SourceFile,
    notices: Notices | None = None,
) -> ScoreTable:
    notices = notices if notices is not None else Notices()
    model_positions, index_columns = _model_positions(path, header, body, columns, notices)
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if position in index_columns or position in model_positions:
            continue
        if not name:
            raise InputError(
                f"{path}: column {position + 1} of the header has no name; name every column "
                "(an unnamed first column is read as an index)."
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
    if "model_class" in meta_positions and not columns.class_values:
        columns = _flag_classes(
            path, header[meta_positions["model_class"]], body, meta_positions, columns, notices
        )
    ignored: set[int] = set()
    for name in columns.ignore:
        if name == "" and index_columns:
            continue
        if name not in header:
            raise InputError(
                f"{path} has no column '{name}' to ignore{suggestion(name, header)}; "
                "check --ignore-column."
            )
        ignored.add(header.index(name))
    skipped = {*model_positions, *index_columns, *meta_positions.values(), *ignored}
    score_positions = [i for i in range(len(header)) if i not in skipped]
    for row_number, row in body:
        if len(row) > len(header):
            raise InputError(
                f"{path}, row {row_number}: {len(row)} cells for {len(header)} header columns; "
                "remove the extra cells or add header names."
            )
    padded = [(number, row + [""] * (len(header) - len(row))) for number, row in body]
    score_positions = _without_text_columns(path, header, padded, score_positions, columns, notices)
    if not score_positions:
        raise InputError(f"{path} has no benchmark columns besides the model metadata.")

    values = np.full((len(padded), len(score_positions)), np.nan)
    models: list[ModelInfo] = []
    row_numbers: list[int] = []
    empty_class: list[int] = []
    percents = PercentCheck()
    for index, (row_number, row) in enumerate(padded):
        model_id = ":".join(row[p].strip() for p in model_positions)
        if not all(row[p].strip() for p in model_positions):
            which = ", ".join(f"'{header[p]}'" for p in model_positions)
            raise InputError(
                f"{path}, row {row_number}: the model column {which} is empty; "
                "give every row a model id."
            )
        for j, position in enumerate(score_positions):
            cell = row[position]
            where = f"{path}, row {row_number} (model '{model_id}'), column '{header[position]}'"
            values[index, j] = parse_score(cell, where)
            percents.see(header[position], cell, where, row_number)
        model = _model_info(path, row_number, model_id, row, header, meta_positions, columns)
        class_position = meta_positions.get("model_class")
        if class_position is not None and not _class_text(row[class_position].strip(), columns):
            empty_class.append(index)
        models.append(model)
        row_numbers.append(row_number)
    if empty_class:
        models = _fill_empty_class(
            path, header[meta_positions["model_class"]], models, row_numbers, empty_class,
            columns, notices,
        )  # fmt: skip
    models = _drop_nonpositive_compute(path, header, meta_positions, models, columns, notices)
    values, models = _resolve_duplicates(path, values, models, row_numbers, columns, notices)
    bench_ids = [header[p] for p in score_positions]
    known = {b.id: b for b in benchmarks}
    table = ScoreTable(
        values=values,
        models=tuple(models),
        benchmarks=tuple(known.get(b, BenchmarkInfo(id=b)) for b in bench_ids),
        sources=(source,),
        notes=tuple(notices.notes),
        compute_kind=columns.compute_kind,
    )
    notices.emit()
    return table


_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def _flag_classes(
    path: Path,
    column: str,
    body: list[tuple[int, list[str]]],
    meta_positions: dict[str, int],
    columns: ColumnMap,
    notices: Notices,
) -> ColumnMap:
    """An instruct/chat flag as the class column: True -> chat, False -> base."""
    if not re.search(r"instruct|chat|tuned", column, re.IGNORECASE):
        return columns
    position = meta_positions["model_class"]
    cells = {row[position].strip().lower() for _, row in body if position < len(row)}
    cells.discard("")
    if not cells or not cells <= _TRUE | _FALSE:
        return columns
    notices.add(
        f"{path}: the class column '{column}' is a yes/no flag, read as chat (yes) or base (no)"
    )
    pairs = tuple((word, "chat") for word in sorted(_TRUE)) + tuple(
        (word, "base") for word in sorted(_FALSE)
    )
    return replace(columns, class_values=pairs)


def _without_text_columns(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    positions: list[int],
    columns: ColumnMap,
    notices: Notices,
) -> list[int]:
    """Score columns minus those that hold mostly text, all refused or skipped at once.

    A column where at least two, and at least half, of the non-empty cells are not
    numbers holds text (names, licences, dates, True/False); a column with a stray bad
    cell (or decimal commas) is left to the per-cell error, which names the cell.
    """
    text: list[int] = []
    for position in positions:
        filled = [row[position].strip() for _, row in body]
        filled = [cell for cell in filled if cell.lower() not in MISSING_TOKENS]
        bad = sum(
            not _is_number(cell) and not re.fullmatch(r"[+-]?\d+,\d+%?", cell) for cell in filled
        )
        if bad >= 2 and 2 * bad >= len(filled):
            text.append(position)
    if not text:
        return positions
    names = [header[p] for p in text]
    leading = 0
    while leading < len(body) and any(
        not _is_number(body[leading][1][p])
        and body[leading][1][p].strip().lower() not in MISSING_TOKENS
        for p in text
    ):
        leading += 1
    rest = body[leading:]
    if leading and rest and all(_is_number(row[p]) for _, row in rest for p in text):
        raise InputError(
            f"{path}: the first {leading} row{'s' if leading > 1 else ''} under the header "
            f"hold{'' if leading > 1 else 's'} text (rows {body[0][0]}-{body[leading - 1][0]}), "
            f"not scores; skip {'them' if leading > 1 else 'it'} with --skip-rows {leading}."
        )
    if columns.text_columns == "error":
        raise InputError(
            f"{path}: {len(names)} column{'s hold' if len(names) > 1 else ' holds'} text, not "
            f"scores ({name_list(names, limit=None)}); skip "
            f"{'them all' if len(names) > 1 else 'it'} with --text-columns ignore (or name "
            "each with --ignore-column)."
        )
    notices.add(f"{path}: {len(names)} text column{'s' if len(names) > 1 else ''} left out", names)
    return [p for p in positions if p not in text]


def _fill_empty_class(
    path: Path,
    column: str,
    models: list[ModelInfo],
    row_numbers: list[int],
    empty: list[int],
    columns: ColumnMap,
    notices: Notices,
) -> list[ModelInfo]:
    rows = [str(row_numbers[i]) for i in empty]
    shown = ", ".join(rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
    if columns.missing_class is None:
        raise InputError(
            f"{path}: the class column '{column}' is empty in {len(rows)} "
            f"row{'s' if len(rows) > 1 else ''} ({'rows' if len(rows) > 1 else 'row'} {shown}); "
            "fill in the class (e.g. base or chat) or give those rows one with --missing-class "
            "NAME."
        )
    names = [models[i].id for i in empty]
    notices.add(
        f"{path}: {len(rows)} row{'s' if len(rows) > 1 else ''} with an empty '{column}' "
        f"cell given the class '{columns.missing_class}' (--missing-class)",
        names,
    )
    filled = set(empty)
    return [
        replace(model, model_class=columns.missing_class) if i in filled else model
        for i, model in enumerate(models)
    ]


def _drop_nonpositive_compute(
    path: Path,
    header: list[str],
    meta_positions: dict[str, int],
    models: list[ModelInfo],
    columns: ColumnMap,
    notices: Notices,
) -> list[ModelInfo]:
    if "flop" not in meta_positions:
        return models
    bad = [i for i, model in enumerate(models) if model.flop <= 0]
    if not bad:
        return models
    column = header[meta_positions["flop"]]
    label = COMPUTE_LABELS[columns.compute_kind][0]
    notices.add(
        f"{path}: {len(bad)} model{'s have' if len(bad) > 1 else ' has'} zero or negative "
        f"'{column}' ({label}), read as unknown and left out of the compute correlations",
        [models[i].id for i in bad],
    )
    dropped = set(bad)
    return [
        replace(model, flop=math.nan) if i in dropped else model for i, model in enumerate(models)
    ]


def _resolve_duplicates(
    path: Path,
    values: np.ndarray,
    models: list[ModelInfo],
    row_numbers: list[int],
    columns: ColumnMap,
    notices: Notices,
) -> tuple[np.ndarray, list[ModelInfo]]:
    groups: dict[str, list[int]] = {}
    for index, model in enumerate(models):
        groups.setdefault(model.id, []).append(index)
    repeated = {model_id: rows for model_id, rows in groups.items() if len(rows) > 1}
    if not repeated:
        return values, models
    examples = [
        f"'{model_id}' in rows {', '.join(str(row_numbers[i]) for i in rows)}"
        for model_id, rows in list(repeated.items())[:3]
    ]
    more = f" and {len(repeated) - 3} more" if len(repeated) > 3 else ""
    if columns.duplicates == "error":
        count = len(repeated)
        raise InputError(
            f"{path}: {count} model{'s appear' if count > 1 else ' appears'} on more than one "
            f"row ({'; '.join(examples)}{more}); keep one row per model, choose with "
            "--duplicates first|last|mean|max, or build the id from several columns with "
            "--model-column a,b."
        )
    kept_values: list[np.ndarray] = []
    kept_models: list[ModelInfo] = []
    for rows in groups.values():
        block = values[rows]
        if columns.duplicates == "first":
            row, model = block[0], models[rows[0]]
        elif columns.duplicates == "last":
            row, model = block[-1], models[rows[-1]]
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty column
                combine = np.nanmean if columns.duplicates == "mean" else np.nanmax
                row = combine(block, axis=0)
            model = models[rows[0]]
        kept_values.append(row)
        kept_models.append(model)
    what = {
        "first": "kept the first row of each",
        "last": "kept the last row of each",
        "mean": "averaged their scores cell by cell",
        "max": "kept the highest score of each cell",
    }[columns.duplicates]
    notices.add(
        f"{path}: {len(repeated)} model{'s' if len(repeated) > 1 else ''} on more than one row, "
        f"{what} (--duplicates {columns.duplicates})",
        list(repeated),
    )
    return np.vstack(kept_values), kept_models


def _class_text(cell: str, columns: ColumnMap) -> str:
    """A class cell as read, or rewritten by the first matching ``class_values`` pair."""
    for fragment, value in columns.class_values:
        if cell and fragment.lower() in cell.lower():
            return value
    return cell


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

    model_class = _class_text(text("model_class"), columns)
    return ModelInfo(
        id=model_id,
        name=text("name"),
        model_class=model_class or columns.default_class,
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
    return replace(updated, sources=(*table.sources, metadata.source))


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
    rows = _frame_rows(frame)
    header = [cell.strip() for cell in rows.header]
    if not rows.body:
        raise InputError(f"{label} has columns but no rows; add one row per model.")
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
        + "\x1f".join(header).encode("utf-8")
    ).hexdigest()
    source = SourceFile(path=label, sha256=digest)
    where = Path(label)
    if _is_long(header, columns):
        return _read_long(where, header, rows.body, columns, benchmarks, source)
    return _read_wide(where, header, rows.body, columns, benchmarks, source)
