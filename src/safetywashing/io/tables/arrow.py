"""The pyarrow tokenizer: large CSV and TSV files, and Parquet files, split into a Grid.

The row tokenizer (:mod:`~safetywashing.io.tables.rows`) splits a file with the standard
library, a Python string per cell: about two microseconds a cell, which on a
leaderboard export (10,000 models x 1,000 benchmarks) means tens of seconds and
gigabytes. This one splits the same files with pyarrow's multithreaded readers and reads
every column that is cleanly numeric straight into one column-major float64 matrix, in
time and memory linear in the cells; the columns the reader asks for as text (the model
id, the metadata) and those that are not cleanly numeric keep their text. Either way the
result is a :class:`~safetywashing.io.tables.grid.Grid`, which one reader interprets.

A numeric column must hold exactly what the row tokenizer's text would parse to, so
this tokenizer declines (returns ``None``, and the row tokenizer splits the file) where
the two would split the text differently: a quote character anywhere (quoting rules
differ in corner cases), a blank line between rows (the row numbers would shift), a row
with no text at all (the row tokenizer drops blank rows), a ragged row, a header with
an unnamed last column, a file beyond the limits (the row tokenizer names the limit), a
"nan" with a sign or a payload ("-nan", "nan(1)": pyarrow reads NaN, the row reader
refuses the cell). A column with a cell pyarrow cannot read as a number, or a number
beyond the supported range, is read again as text. Importing pyarrow costs about a tenth
of a second, so small CSV files are left to the row tokenizer, quicker on them anyway.

A Parquet file's cells are typed: numeric columns come as numbers, and the columns read
as text as pandas writes them (``str`` of the value, empty when missing). A file whose
pandas metadata restores an index, or with columns of other types (dates, flags,
categories), integers with gaps in a column read as text (pandas makes them floats) or
text scores with gaps is left to the row tokenizer, which reads it through pandas.

Two differences remain. pyarrow reads a number of more than
:data:`~safetywashing.core.limits.MAX_NUMBER_CHARS` characters (a hundred digits), which
the row reader refuses; finding one would cost a pass over the text in Python. And a
missing entry of a nullable integer Parquet column (pandas' ``Int64``) is a missing
score here, where through pandas it becomes the text ``<NA>``, which the reader refuses.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.core.limits import MAX_MAGNITUDE
from safetywashing.io.tables.cells import MISSING_TOKENS, file_sha256
from safetywashing.io.tables.columns import ColumnMap
from safetywashing.io.tables.grid import MIN_CSV_BYTES, TEXT_TABLE_SUFFIXES, Grid, TextPositions
from safetywashing.io.tables.rows import delimiter_of

FloatArray = npt.NDArray[np.float64]


#: Spellings of a missing score that pyarrow maps to null. The row reader's tokens are
#: case-insensitive; a spelling not here (``nA``) fails pyarrow's conversion and the
#: column is read as text. Every spelling of "nan" is here, so that a NaN pyarrow parses
#: itself comes from a signed or payload "nan", which the row reader refuses.
NULL_VALUES = sorted(
    {
        variant
        for token in MISSING_TOKENS
        for variant in (token, token.upper(), token.title(), token.capitalize())
    }
    | {"".join(letters) for letters in itertools.product("nN", "aA", "nN")}
)

#: Cells per group of Parquet columns read at a time (8 MB of doubles).
PARQUET_GROUP_CELLS = 1 << 20

#: Times a CSV file is parsed again with more columns as text before it is left to the
#: row tokenizer (each column found not cleanly numeric costs a parse, usually only of
#: the file's first block).
MAX_REPARSES = 8

_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_CSV_SUFFIXES = TEXT_TABLE_SUFFIXES
_FAILED_COLUMN = re.compile(r"In CSV column #(\d+): CSV conversion error to double")


class _Decline(Exception):
    """The file needs the row tokenizer."""


def read_grid(
    path: Path,
    columns: ColumnMap,
    text_positions: TextPositions,
    *,
    min_csv_bytes: int | None = None,
) -> Grid | None:
    """Split a CSV, TSV or Parquet file into a grid with pyarrow, or decline.

    Parameters
    ----------
    path : Path
        The scores file.
    columns : ColumnMap
        The reading options (the limits; a header row sends the file to the row
        tokenizer).
    text_positions : callable
        Given the stripped header, the positions of the columns to keep as text.
    min_csv_bytes : int, optional
        CSV and TSV files smaller than this are left to the row tokenizer
        (:data:`MIN_CSV_BYTES` by default).

    Returns
    -------
    Grid or None
        The grid the row tokenizer would give, with cleanly numeric columns as numbers;
        ``None`` when the file is small or has anything the row tokenizer must split
        (then call it).
    """
    suffix = path.suffix.lower()
    if columns.header_row is not None or suffix not in _CSV_SUFFIXES | _PARQUET_SUFFIXES:
        return None
    try:
        if not path.is_file():
            return None  # FIFOs, devices and the rest go to the row tokenizer, which refuses them
        size = path.stat().st_size
        if size > columns.max_file_mb * 1024 * 1024:
            return None  # the row tokenizer names the limit and the flag that raises it
        if suffix in _PARQUET_SUFFIXES:
            return _read_parquet(path, columns, text_positions)
        if size < (MIN_CSV_BYTES if min_csv_bytes is None else min_csv_bytes):
            return None
        return _read_csv(path, columns, text_positions)
    except (_Decline, OSError, ImportError, UnicodeDecodeError):
        return None
    except Exception as error:  # pyarrow's own errors (ArrowInvalid, ...)
        if type(error).__module__.startswith("pyarrow"):
            return None
        raise


# -- CSV -------------------------------------------------------------------------------


def _read_csv(path: Path, columns: ColumnMap, text_positions: TextPositions) -> Grid:
    # One pass over the bytes for the hash, the quote check, the header and a bound on
    # the rows; the file is then parsed in batches straight into the matrix, so neither
    # the file nor a whole Arrow table is ever held in memory beside it.
    digest = hashlib.sha256()
    line_breaks = 0
    head = b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if b'"' in block:
                raise _Decline  # quoting rules differ in corner cases; the row reader is strict
            digest.update(block)
            # numpy counts a byte several times faster than bytes.count
            line_breaks += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))
            if b"\n" not in head:
                head += block
        handle.seek(max(0, path.stat().st_size - (1 << 16)))
        tail = handle.read()
    end = head.find(b"\n")
    first_line = head[: end if end >= 0 else len(head)].removeprefix(b"\xef\xbb\xbf")
    header_text = first_line.decode("utf-8").removesuffix("\r")
    if not header_text.strip() or len(header_text.splitlines()) != 1:
        raise _Decline  # leading blank lines, or a line break Python sees and pyarrow not
    content = tail.rstrip(b"\r\n")
    if not content:
        raise _Decline
    # The rows if no line between the header and the last row is empty (pyarrow skips
    # empty lines, and the rows' numbers would no longer be their lines'); the matrix is
    # allocated for them, so that it needs no compacting.
    expected = line_breaks - tail[len(content) :].count(b"\n")
    delimiter = delimiter_of(path, header_text)
    header = [cell.strip() for cell in header_text.split(delimiter)]
    if not header[-1]:
        raise _Decline  # the row tokenizer drops unnamed trailing columns that are empty
    if len(header) > columns.max_columns or not 0 < expected <= columns.max_rows:
        raise _Decline  # the row tokenizer names the limit and the flag that raises it
    text = text_positions(header)
    if not text:
        raise _Decline  # nothing tells a blank row from a row of missing scores
    for _ in range(MAX_REPARSES):
        try:
            grid = _parse_csv(path, header, delimiter, text, expected)
        except Exception as error:
            failed = _failed_column(error)
            if failed is None or failed in text:
                raise
            text = text | {failed}
            continue
        out_of_range = _out_of_range(grid.block, grid.block_positions)
        if out_of_range:
            text = text | out_of_range
            continue
        if _has_blank_row(grid):
            raise _Decline
        return replace(grid, sha256=digest.hexdigest())
    raise _Decline


def _failed_column(error: Exception) -> int | None:
    """The column whose cell pyarrow could not read as a number, from its message."""
    found = _FAILED_COLUMN.search(str(error))
    return int(found.group(1)) if found and type(error).__module__.startswith("pyarrow") else None


def _parse_csv(
    path: Path, header: list[str], delimiter: str, text: set[int], capacity: int
) -> Grid:
    """Parse the rows under the header: the ``text`` columns as text, the rest as doubles.

    ``capacity`` is the number of rows (the matrix is allocated for it; any other number
    declines). Raises pyarrow's error for a cell of a numeric column that is not a
    number, and declines a signed or payload "nan" in one.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{position}" for position in range(len(header))]
    numeric = [position for position in range(len(header)) if position not in text]
    numeric_names = [names[p] for p in numeric]
    text_names = {p: names[p] for p in sorted(text)}
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            block_size=_block_size(path.stat().st_size, len(numeric)),
            column_names=names,
            skip_rows=1,
        ),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False),
        convert_options=pacsv.ConvertOptions(
            column_types={
                **{name: pa.float64() for name in numeric_names},
                **{name: pa.string() for name in text_names.values()},
            },
            null_values=NULL_VALUES,
            strings_can_be_null=False,
        ),
    )
    # Column-major, so that every column is filled with contiguous writes.
    values = np.empty((len(numeric), capacity), dtype=np.float64).T
    texts: dict[int, list[str]] = {p: [] for p in text_names}
    rows = nulls = 0
    batch = None
    for batch in reader:
        end = rows + batch.num_rows
        if end > capacity:
            raise _Decline
        if numeric:
            scores = batch.select(numeric_names)
            _fill_batch(scores, values[rows:end])
            nulls += sum(column.null_count for column in scores.columns)
        for position, name in text_names.items():
            texts[position].extend(batch.column(name).to_pylist())
        rows = end
    del reader, batch
    pa.default_memory_pool().release_unused()  # hand the reader's buffers back to the system
    if rows != capacity:
        raise _Decline  # an empty line was skipped: the rows' numbers are not their lines'
    if numeric and _count_nan(values) != nulls:
        raise _Decline  # a NaN pyarrow parsed itself: a "nan" the row reader refuses
    return Grid(
        header=header,
        row_numbers=list(range(2, rows + 2)),
        texts=dict(texts),
        block=values if numeric else None,
        block_positions=tuple(numeric),
        order="F",
    )


def _count_nan(values: FloatArray) -> int:
    """How many values are NaN, a group of columns at a time (no temporary the size of
    the matrix)."""
    step = max(1, (1 << 16) // max(values.shape[0], 1))
    found = np.empty((values.shape[0], min(step, values.shape[1])), dtype=bool, order="F")
    count = 0
    for start in range(0, values.shape[1], step):
        part = values[:, start : start + step]
        count += int(np.count_nonzero(np.isnan(part, out=found[:, : part.shape[1]])))
    return count


def _out_of_range(block: FloatArray | None, positions: Sequence[int]) -> set[int]:
    """Positions of the columns of ``block`` with an infinite value or one beyond the
    supported range (the row reader's message quotes such a cell, so they are read as
    text)."""
    if block is None or block.size == 0:
        return set()
    # The extremes ignoring NaN, without a temporary the size of the matrix; column by
    # column only when there is such a value.
    lowest, highest = np.fmin.reduce(block, axis=None), np.fmax.reduce(block, axis=None)
    if lowest >= -MAX_MAGNITUDE and highest <= MAX_MAGNITUDE:
        return set()
    highest, lowest = np.fmax.reduce(block, axis=0), np.fmin.reduce(block, axis=0)
    bad = (highest > MAX_MAGNITUDE) | (lowest < -MAX_MAGNITUDE)
    return {positions[int(k)] for k in np.flatnonzero(bad)}


def _has_blank_row(grid: Grid) -> bool:
    """Whether a row may be blank: no text in its text cells, no number in the others."""
    candidates: list[int] | None = None
    for cells in grid.texts.values():
        rows = range(grid.n_rows) if candidates is None else candidates
        candidates = [i for i in rows if not cells[i].strip()]
        if not candidates:
            return False
    if not candidates:
        return False
    return grid.block is None or bool(np.isnan(grid.block[candidates]).all(axis=1).any())


def _block_size(n_bytes: int, n_columns: int) -> int:
    """Bytes per batch: 1-4 MiB, so that the reader's buffers stay a fraction of the
    matrix (larger ones raise the peak memory by more than a tenth and save no time), but
    few enough batches that the work per batch and column (a null count per column)
    stays cheap on a wide file (at most about 2^17 batch-columns: 1,000 x 20,000 would
    otherwise take 700,000; pyarrow before 16 fills the matrix column by column)."""
    block = min(max(n_bytes // 32, 1 << 20), 1 << 22)
    return max(block, n_bytes // max(1, (1 << 17) // max(n_columns, 1)) + 1)


# -- Parquet -----------------------------------------------------------------------------


def _read_parquet(path: Path, columns: ColumnMap, text_positions: TextPositions) -> Grid:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    pandas_metadata = schema.pandas_metadata or {}
    for index in pandas_metadata.get("index_columns", []):
        if isinstance(index, str) or (isinstance(index, dict) and index.get("name")):
            raise _Decline  # pandas restores a stored or named index; the row tokenizer does
    names = list(schema.names)
    if len(set(names)) != len(names):
        raise _Decline
    header = [name.strip() for name in names]
    parquet = pq.ParquetFile(path)
    n_rows = parquet.metadata.num_rows
    if not 0 < n_rows <= columns.max_rows or len(header) > columns.max_columns:
        raise _Decline  # the row tokenizer names the limit and the flag that raises it
    asked = text_positions(header)
    text = set(asked)
    numeric: list[int] = []
    for position, kind in enumerate(schema.types):
        number = pa.types.is_floating(kind) or pa.types.is_integer(kind)
        if position not in text and number:
            numeric.append(position)
        elif number or pa.types.is_string(kind) or pa.types.is_large_string(kind):
            text.add(position)
        else:
            raise _Decline  # pandas writes such cells (dates, flags, ...) its own way
    # Column-major, filled a group of columns at a time: a whole Arrow table beside the
    # matrix would double the peak memory of a large panel.
    values = np.empty((len(numeric), n_rows), dtype=np.float64).T
    step = max(1, PARQUET_GROUP_CELLS // max(n_rows, 1))
    for start in range(0, len(numeric), step):
        group_names = [names[p] for p in numeric[start : start + step]]
        group = parquet.read(columns=group_names).select(group_names)
        if any(not pa.types.is_float64(kind) for kind in group.schema.types):
            # Integers (or float32) as doubles; a safe cast refuses an integer that a double
            # cannot hold exactly, and the row tokenizer reads that file.
            group = group.cast(pa.schema([(name, pa.float64()) for name in group.schema.names]))
        row = 0
        for batch in group.to_batches():
            _fill_batch(batch, values[row : row + batch.num_rows, start : start + step])
            row += batch.num_rows
        if row != n_rows:
            raise _Decline
        del group
    # Values beyond the range keep their text: the row reader's message quotes the cell.
    wide = _out_of_range(values, numeric)
    if wide:
        text |= wide
        kept = [k for k, p in enumerate(numeric) if p not in wide]
        values = np.asfortranarray(values[:, kept])
        numeric = [numeric[k] for k in kept]
    texts: dict[int, Sequence[str]] = {}
    for position in sorted(text):
        column = parquet.read(columns=[names[position]]).column(0)
        if column.null_count and (
            pa.types.is_integer(column.type) or (position not in asked and position not in wide)
        ):
            # pandas reads integers with gaps as floats (3 as 3.0), and may restore text
            # scores with pandas' own missing marker ('<NA>', which the reader refuses).
            raise _Decline
        texts[position] = [_cell_text(cell) for cell in column.to_pylist()]
    pa.default_memory_pool().release_unused()  # hand the reader's buffers back to the system
    return Grid(
        header=header,
        row_numbers=list(range(2, n_rows + 2)),
        texts=texts,
        block=values if numeric else None,
        block_positions=tuple(numeric),
        order="F",
        sha256=file_sha256(path),
    )


def _cell_text(cell: object) -> str:
    """A cell as the row tokenizer writes a DataFrame's: empty when missing, else its text."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return ""
    return str(cell)


# -- shared ------------------------------------------------------------------------------


def _fill_batch(batch: Any, out: FloatArray) -> None:
    """Copy a record batch of float64 columns into ``out`` (rows x columns), NaN where null.

    One conversion of the whole batch in Arrow's C++ (``RecordBatch.to_tensor``, pyarrow
    16 and later) instead of one Python call per column and batch, which on a 10,000 x
    1,000 panel cost longer than parsing the file; older pyarrow fills column by column.
    """
    if batch.num_rows == 0:
        return
    if _tensor_conversion():
        out[...] = batch.to_tensor(null_to_nan=True, row_major=False).to_numpy()
        return
    for j in range(batch.num_columns):
        _fill_float(batch.column(j), out[:, j])


@functools.cache
def _tensor_conversion() -> bool:
    """Whether this pyarrow converts a record batch with nulls to a column-major tensor."""
    import pyarrow as pa

    major = pa.__version__.split(".", 1)[0]
    return major.isdigit() and int(major) >= 16


def _fill_float(column: Any, out: FloatArray) -> None:
    """Copy a pyarrow numeric array or chunked array into ``out``, NaN where null.

    Written against the chunks' buffers rather than ``to_numpy()``: pyarrow converts a
    column with nulls through pandas, whose import alone costs more than the whole read.
    """
    import pyarrow as pa

    start = 0
    for chunk in getattr(column, "chunks", [column]):
        n = len(chunk)
        if not pa.types.is_float64(chunk.type):
            chunk = chunk.cast(pa.float64())
        validity, data = chunk.buffers()[:2]
        target = out[start : start + n]
        target[:] = np.frombuffer(data, dtype=np.float64, count=n, offset=chunk.offset * 8)
        if validity is not None and chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            target[bits[chunk.offset : chunk.offset + n] == 0] = np.nan
        start += n
