"""Column-wise reading of large, plain wide tables with pyarrow.

The row reader in :mod:`safetywashing.io.tables.readers` parses every cell in Python: about two
microseconds a cell, and a Python string per cell in memory, which on a leaderboard
export (10,000 models x 1,000 benchmarks) means tens of seconds and gigabytes. This
module reads the same files with pyarrow's multithreaded CSV and Parquet readers straight
into one float64 matrix, in time and memory linear in the cells.

It is a fast path, not a second reader: it handles only files whose every cell it can
read exactly as the row reader would, and returns ``None`` for anything else (a quoted
cell, a percent sign, a blank row, a duplicate model, an unusual missing-value token, a
ragged row, a non-numeric Parquet column, ...), so that the row reader reads the file and
words the error message. Both readers give the same table, value for value (pyarrow and
Python both round decimal text to the nearest double); ``tests/io/test_columnar.py``
checks it on generated files. Importing pyarrow costs about a tenth of a second, so
small CSV files, where the row reader is quicker anyway, go to the row reader.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_MAGNITUDE
from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable, SourceFile

if TYPE_CHECKING:
    from safetywashing.io.tables.readers import ColumnMap

FloatArray = npt.NDArray[np.float64]

#: CSV files smaller than this go to the row reader (below ~100,000 cells it is quicker
#: than importing pyarrow).
MIN_CSV_BYTES = 1 << 19

#: Spellings of a missing score that pyarrow maps to null; any other spelling that the row
#: reader accepts (its tokens are case-insensitive) sends the file to the row reader.
_NULL_SPELLINGS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "?")
NULL_VALUES = sorted(
    {
        variant
        for token in _NULL_SPELLINGS
        for variant in (token, token.upper(), token.title(), token.capitalize())
    }
    | {"NaN", "N/a"}
)

_TEXT_ROLES = ("name", "model_class", "family")

#: Cells per group of Parquet columns read at a time (8 MB of doubles).
PARQUET_GROUP_CELLS = 1 << 20


class _Decline(Exception):
    """The file needs the row reader."""


def read_wide_columnar(
    path: Path,
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    *,
    min_csv_bytes: int = MIN_CSV_BYTES,
) -> ScoreTable | None:
    """Read a wide CSV, TSV or Parquet table column-wise, or decline.

    Parameters
    ----------
    path : Path
        The scores file.
    columns : ColumnMap
        Names of the model-id and metadata columns.
    benchmarks : iterable of BenchmarkInfo
        Metadata for some or all benchmark columns.
    min_csv_bytes : int, optional
        CSV and TSV files smaller than this are left to the row reader.

    Returns
    -------
    ScoreTable or None
        The table the row reader would return; ``None`` when the file is small, long,
        or has anything the row reader must handle (then call it).
    """
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return _read_parquet(path, columns, benchmarks)
        if not path.is_file() or path.stat().st_size < min_csv_bytes:
            return None
        return _read_csv(path, columns, benchmarks)
    except (_Decline, InputError, OSError, ValueError, ImportError, UnicodeDecodeError):
        return None
    except Exception as error:  # pyarrow's own errors (ArrowInvalid, ...)
        if type(error).__module__.startswith("pyarrow"):
            return None
        raise


# -- CSV -------------------------------------------------------------------------------


def _read_csv(
    path: Path, columns: ColumnMap, benchmarks: Iterable[BenchmarkInfo]
) -> ScoreTable | None:
    from safetywashing.io.tables.rows import delimiter_of

    # One pass over the bytes for the hash, the quote check, the header and a bound on
    # the rows; the file is then parsed in batches straight into the matrix, so neither
    # the file nor a whole Arrow table is ever held in memory beside it.
    digest = hashlib.sha256()
    line_breaks = 0
    head = b""
    size = path.stat().st_size
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if b'"' in block:
                raise _Decline  # quoting rules differ in corner cases; the row reader is strict
            digest.update(block)
            line_breaks += block.count(b"\n")
            if b"\n" not in head:
                head += block
    end = head.find(b"\n")
    first_line = head[: end if end >= 0 else len(head)].removeprefix(b"\xef\xbb\xbf")
    header_text = first_line.decode("utf-8").removesuffix("\r")
    if not header_text.strip() or len(header_text.splitlines()) != 1:
        raise _Decline  # leading blank lines, or a line break Python sees and pyarrow not
    delimiter = delimiter_of(path, header_text)
    header = header_text.split(delimiter)
    if len(header) > columns.max_columns or line_breaks > columns.max_rows + 1:
        raise _Decline  # the row reader names the limit and the flag that raises it
    plan = _plan(header, columns)
    if plan is None:
        return None

    import pyarrow as pa
    import pyarrow.csv as pacsv

    score_names = [header[p] for p in plan.score_positions]
    text_names = [header[p] for p in plan.text_positions]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=_block_size(size, len(score_names))),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False),
        convert_options=pacsv.ConvertOptions(
            column_types={
                **{name: pa.float64() for name in score_names},
                **{name: pa.string() for name in text_names},
            },
            null_values=NULL_VALUES,
            strings_can_be_null=False,
            include_columns=text_names + score_names,
        ),
    )
    capacity = line_breaks + 1
    # Column-major, so that every column is filled with contiguous writes.
    values = np.empty((len(score_names), capacity), dtype=np.float64).T
    texts: dict[str, list[Any]] = {name: [] for name in text_names}
    rows = 0
    batch = None
    for batch in reader:
        end = rows + batch.num_rows
        if end > capacity:
            raise _Decline
        _fill_batch(batch.select(score_names), values[rows:end])
        for name in text_names:
            texts[name].extend(batch.column(name).to_pylist())
        rows += batch.num_rows
    del reader, batch
    if rows > columns.max_rows:
        raise _Decline
    pa.default_memory_pool().release_unused()  # hand the reader's buffers back to the system
    return _assemble(
        path,
        digest.hexdigest(),
        _first_rows(values, rows),
        texts,
        plan,
        columns,
        benchmarks,
        header,
    )


def _first_rows(values: FloatArray, rows: int) -> FloatArray:
    """The first ``rows`` rows of a column-major matrix, column-major and contiguous.

    The matrix is allocated for a bound on the rows (the file's line breaks); a slice of
    it would leave gaps between the columns, and the audit copies such an array (another
    80 MB on a 10,000 x 1,000 panel). The columns move down within the same buffer
    instead.
    """
    capacity, n_columns = values.shape
    if rows == capacity:
        return values
    flat = values.T.reshape(-1)  # a view: the transpose is C-contiguous
    for j in range(1, n_columns):  # forwards: each column moves to a lower address
        flat[j * rows : (j + 1) * rows] = flat[j * capacity : j * capacity + rows]
    return flat[: n_columns * rows].reshape(n_columns, rows).T


def _block_size(n_bytes: int, n_columns: int) -> int:
    """Bytes per batch: 1-4 MiB, so that the reader's buffers stay a fraction of the
    matrix, but few enough batches that the work per batch and column stays cheap on a
    wide file (at most about 2^17 batch-columns: 1,000 x 20,000 would otherwise take
    700,000; pyarrow before 16 fills the matrix column by column)."""
    block = min(max(n_bytes // 32, 1 << 20), 1 << 22)
    return max(block, n_bytes // max(1, (1 << 17) // max(n_columns, 1)) + 1)


# -- Parquet -----------------------------------------------------------------------------


def _read_parquet(
    path: Path, columns: ColumnMap, benchmarks: Iterable[BenchmarkInfo]
) -> ScoreTable | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    pandas_metadata = schema.pandas_metadata or {}
    if any(isinstance(index, str) for index in pandas_metadata.get("index_columns", [])):
        raise _Decline  # pandas would restore a stored index; the row reader does that
    header = list(schema.names)
    plan = _plan(header, columns)
    if plan is None:
        return None
    for position in plan.score_positions:
        kind = schema.field(position).type
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            raise _Decline  # text scores are parsed cell by cell by the row reader
    for role, position in plan.meta_positions.items():
        kind = schema.field(position).type
        if role in _TEXT_ROLES and not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise _Decline
        if not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_integer(kind)
        ):
            raise _Decline
    model_kind = schema.field(plan.model_position).type
    if not (pa.types.is_string(model_kind) or pa.types.is_large_string(model_kind)):
        raise _Decline
    parquet = pq.ParquetFile(path)
    n_rows = parquet.metadata.num_rows
    if n_rows > columns.max_rows or len(header) > columns.max_columns:
        raise _Decline  # the row reader names the limit and the flag that raises it
    text_names = [header[p] for p in plan.text_positions]
    text_table = parquet.read(columns=text_names)
    texts = {name: text_table.column(name).to_pylist() for name in text_names}
    del text_table
    score_names = [header[p] for p in plan.score_positions]
    # Column-major, filled a group of columns at a time: a whole Arrow table beside the
    # matrix would double the peak memory of a large panel.
    values = np.empty((len(score_names), n_rows), dtype=np.float64).T
    step = max(1, PARQUET_GROUP_CELLS // max(n_rows, 1))
    for start in range(0, len(score_names), step):
        names = score_names[start : start + step]
        group = parquet.read(columns=names).select(names)
        if any(not pa.types.is_float64(kind) for kind in group.schema.types):
            # Integers (or float32) as doubles; a safe cast refuses an integer that a double
            # cannot hold exactly, and the row reader reads that file.
            group = group.cast(pa.schema([(name, pa.float64()) for name in group.schema.names]))
        row = 0
        for batch in group.to_batches():
            _fill_batch(batch, values[row : row + batch.num_rows, start : start + step])
            row += batch.num_rows
        if row != n_rows:
            raise _Decline
        del group
    pa.default_memory_pool().release_unused()  # hand the reader's buffers back to the system
    return _assemble(path, _file_sha256(path), values, texts, plan, columns, benchmarks, header)


def _file_sha256(path: Path) -> str:
    from safetywashing.io.tables.readers import file_sha256

    return file_sha256(path)


# -- shared ------------------------------------------------------------------------------


class _Plan:
    """Positions of the model, metadata and score columns in the header."""

    def __init__(
        self,
        model_position: int,
        meta_positions: dict[str, int],
        score_positions: list[int],
    ) -> None:
        self.model_position = model_position
        self.meta_positions = meta_positions
        self.score_positions = score_positions
        self.text_positions = [model_position, *meta_positions.values()]


def _plan(header: Sequence[str], columns: ColumnMap) -> _Plan | None:
    """Column roles as the row reader assigns them; ``None`` or a decline otherwise."""
    from safetywashing.io.tables.readers import DEFAULT_COLUMNS
    from safetywashing.io.tables.rows import is_long_table

    if any(not name or name != name.strip() for name in header):
        raise _Decline
    if len(set(header)) != len(header) or columns.model not in header:
        raise _Decline
    if is_long_table(header, columns):
        return None
    defaults = DEFAULT_COLUMNS.metadata_columns()
    meta_positions: dict[str, int] = {}
    for role, name in columns.metadata_columns().items():
        if name in header:
            meta_positions[role] = header.index(name)
        elif name != defaults[role]:
            raise _Decline
    if any(name not in header for name in columns.ignore):
        raise _Decline
    model_position = header.index(columns.model)
    skipped = {model_position, *meta_positions.values(), *(header.index(n) for n in columns.ignore)}
    score_positions = [i for i in range(len(header)) if i not in skipped]
    if not score_positions:
        raise _Decline
    return _Plan(model_position, meta_positions, score_positions)


def _assemble(
    path: Path,
    sha256: str,
    values: FloatArray,
    texts: dict[str, list[Any]],
    plan: _Plan,
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    header: Sequence[str],
) -> ScoreTable:
    """The table from the score matrix and the model and metadata cells, as read."""
    from safetywashing.io.tables.wide import model_info

    if values.shape[0] == 0:
        raise _Decline
    # The extremes ignoring NaN, without a temporary the size of the matrix.
    highest = float(np.fmax.reduce(values, axis=None))
    lowest = float(np.fmin.reduce(values, axis=None))
    if highest > MAX_MAGNITUDE or lowest < -MAX_MAGNITUDE:
        raise _Decline  # the row reader names the infinite or out-of-range cell

    model_ids = [_text(cell) for cell in texts[header[plan.model_position]]]
    meta_roles = list(plan.meta_positions)
    meta_cells = [
        [_text(cell) for cell in texts[header[plan.meta_positions[r]]]] for r in meta_roles
    ]
    meta_header = [header[plan.meta_positions[r]] for r in meta_roles]
    compact_positions = {role: k for k, role in enumerate(meta_roles)}
    models: list[ModelInfo] = []
    seen: set[str] = set()
    for index, raw_id in enumerate(model_ids):
        model_id = raw_id.strip()
        if not model_id or model_id in seen:
            raise _Decline  # the row reader words the message with the row number
        seen.add(model_id)
        if not meta_roles:
            models.append(ModelInfo(id=model_id, model_class=columns.default_class))
            continue
        row = [cells[index] for cells in meta_cells]
        models.append(
            model_info(path, index + 2, model_id, row, meta_header, compact_positions, columns)
        )
    # Empty classes and compute of zero or below have policies and notes of their own in
    # the row reader.
    if "model_class" in compact_positions and any(
        not cells[compact_positions["model_class"]] for cells in zip(*meta_cells, strict=True)
    ):
        raise _Decline
    if any(m.flop <= 0 or m.parameters <= 0 for m in models):
        raise _Decline
    bench_ids = [header[p] for p in plan.score_positions]
    known = {b.id: b for b in benchmarks}
    return ScoreTable(
        values=values,
        models=tuple(models),
        benchmarks=tuple(known.get(b, BenchmarkInfo(id=b)) for b in bench_ids),
        sources=(SourceFile(path=str(path), sha256=sha256),),
    )


def _text(cell: object) -> str:
    """A metadata cell as the row reader sees it: empty when missing, else its text."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return ""
    return str(cell)


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
