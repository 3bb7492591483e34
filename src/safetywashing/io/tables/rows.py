"""Reading a table file (CSV, TSV, Parquet) as a header and numbered rows of strings.

Tables are read with the standard library's ``csv`` module rather than pandas:
importing pandas costs more than the whole audit's time budget on a small machine, and
a score table is small. Parquet files are read through pandas and pyarrow, imported
only then.
"""

from __future__ import annotations

import csv
import io
import math
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_COLUMNS, MAX_ROWS, MAX_TABLE_MB
from safetywashing.io.tables.columns import ColumnMap

if TYPE_CHECKING:
    import pandas as pd


def check_regular(path: Path, what: str) -> None:
    """Refuse a FIFO, device or socket before opening it (reading one may never end)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # the caller's own checks name a missing or unreadable file
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
        )
        raise InputError(f"{path} is {kind}, not a regular file; give {what}.")


def _check_readable(path: Path, max_file_mb: float = MAX_TABLE_MB) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a scores file (CSV, TSV or Parquet).")
    check_regular(path, "a scores file (CSV, TSV or Parquet)")
    size = path.stat().st_size
    if size > max_file_mb * 1024 * 1024:
        raise InputError(
            f"{path} is {size / (1024 * 1024):.1f} MB, more than the {max_file_mb:g} MB a scores "
            f"table may have",
            param="max_file_mb",
            remedy=f"raise the limit with max_file_mb={_double(size / (1024 * 1024))} or split "
            "the file",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(1)
    except OSError as error:
        raise InputError(
            f"{path} cannot be read ({error.strerror}); check its permissions."
        ) from None
    if not head:
        raise InputError(f"{path} is empty; give a table with a header row and one row per model.")


def delimiter_of(path: Path, first_line: str) -> str:
    """The delimiter of a table file: tab, semicolon or comma, from its name and first line."""
    suffix = path.suffix.lower()
    if suffix in {".tsv", ".tab"}:
        return "\t"
    if "," not in first_line and "\t" not in first_line and ";" in first_line:
        return ";"  # a spreadsheet's export under a locale with a decimal comma
    if "\t" in first_line and "," not in first_line:
        return "\t"  # a tab-separated file, whatever its name says
    if suffix == ".csv":
        return ","
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


@dataclass(frozen=True)
class Rows:
    """A table file's header and its non-blank rows."""

    header: list[str]
    #: list of (int, list of str): Each row with its number as a spreadsheet shows it (the header's
    #: row is 1 in a file without leading blank lines; blank rows count, so the numbers in messages
    #: point at the right line).
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


def _double(value: float) -> str:
    """A round limit above ``value`` for a remedy: the next power of two."""
    limit = 1
    while limit <= value:
        limit *= 2
    return str(limit)


def check_shape(path: Path, rows: Rows, *, max_rows: int, max_columns: int) -> Rows:
    """Refuse a table with more rows or columns than the limits."""
    if len(rows.body) > max_rows:
        raise InputError(
            f"{path} has {len(rows.body)} rows, more than the {max_rows} a scores table may have",
            param="max_rows",
            remedy=f"raise the limit with max_rows={_double(len(rows.body))} or split the file",
        )
    if len(rows.header) > max_columns:
        raise InputError(
            f"{path} has {len(rows.header)} columns, more than the {max_columns} a scores table "
            "may have",
            param="max_columns",
            remedy=f"raise the limit with max_columns={_double(len(rows.header))} or drop columns",
        )
    return rows


#: A spreadsheet application's own formats, by the suffix a user sees.
_SPREADSHEET_SUFFIXES = {
    ".xlsx": "an Excel workbook",
    ".xlsm": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".ods": "an OpenDocument spreadsheet",
    ".numbers": "a Numbers spreadsheet",
}


def spreadsheet_kind(path: Path, start: bytes) -> str:
    """What spreadsheet format a file is ("an Excel workbook", ...), or "" for none.

    By suffix, or by the first bytes: a zip archive (xlsx, ods) or an OLE2 compound
    file (xls) is never a text table, whatever its name.

    Examples
    --------
    >>> spreadsheet_kind(Path("scores.csv"), b"\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1")
    'an Excel workbook'
    >>> spreadsheet_kind(Path("scores.csv"), b"model,a")
    ''
    """
    kind = _SPREADSHEET_SUFFIXES.get(path.suffix.lower(), "")
    if kind:
        return kind
    if start.startswith(b"PK\x03\x04"):
        return "a zip archive (such as an Excel or OpenDocument workbook)"
    if start.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "an Excel workbook"
    return ""


def _read_rows(
    path: Path, header_row: int | None = None, max_file_mb: float = MAX_TABLE_MB
) -> Rows:
    _check_readable(path, max_file_mb)
    data = path.read_bytes()
    workbook = spreadsheet_kind(path, data[:8])
    if workbook:
        raise InputError(
            f"{path} is {workbook}, not a text table; save the sheet as CSV (UTF-8) and give "
            "that file, or read it with pandas.read_excel and pass the DataFrame to audit()."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{path} is not UTF-8 text; save it as UTF-8 CSV or TSV, or use Parquet."
        ) from None
    if not text.strip():
        raise InputError(f"{path} is empty; give a table with a header row and one row per model.")
    first_line = next(line for line in text.splitlines() if line.strip())
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter_of(path, first_line), strict=True
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


def _read_parquet_rows(
    path: Path, header_row: int | None = None, max_file_mb: float = MAX_TABLE_MB
) -> Rows:
    _check_readable(path, max_file_mb)
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
    return frame_rows(frame)


def frame_rows(frame: pd.DataFrame) -> Rows:
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


def read_rows(
    path: str | Path,
    *,
    header_row: int | None = None,
    max_file_mb: float = MAX_TABLE_MB,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
) -> Rows:
    """Read a CSV, TSV or Parquet file as a header and numbered string rows.

    The delimiter is a tab for ``.tsv``, a semicolon when the first line has semicolons
    but neither commas nor tabs, else a comma (or a tab, if the first line of a file
    without a ``.csv`` suffix has more tabs than commas). A UTF-8 byte-order mark, CRLF
    line ends and quoted fields are read as a spreadsheet writes them; blank rows and
    trailing columns without a name or a value are skipped. ``header_row`` (a line
    number, 1 = first) names the header's line of a CSV or TSV file; lines above it are
    skipped. A FIFO or device is refused before it is opened; a file over ``max_file_mb``
    before it is read, and a table over ``max_rows`` or ``max_columns`` after (see
    :mod:`safetywashing.core.limits`).
    """
    path = Path(path)
    if path.suffix.lower() in {".parquet", ".pq"}:
        rows = _read_parquet_rows(path, header_row, max_file_mb)
    else:
        rows = _read_rows(path, header_row, max_file_mb)
    return check_shape(path, rows, max_rows=max_rows, max_columns=max_columns)


def is_long_table(header: Sequence[str], columns: ColumnMap) -> bool:
    """Whether a header is that of a long table (``model, benchmark, score[, ...]``)."""
    lowered = {h.strip().lower() for h in header}
    return {"benchmark", "score"} <= lowered and len(header) <= 8
