"""Item tables: per-item results of many models, long on disk, dense in memory.

The long form has one row per (model, benchmark, item) with the columns ``model``,
``benchmark``, ``item``, ``score`` and any item metadata the framework wrote (``category``,
``subject``, ...). On disk it is a CSV/TSV file, a Parquet file, or a folder of Parquet
files partitioned by benchmark (``DIR/benchmark=NAME/part-0.parquet``), which is the
compact form for large panels: one benchmark is read without touching the others, and
its model and item columns are dictionary-encoded.

For analysis one benchmark becomes an :class:`ItemMatrix`, models x items with NaN where
a model has no result for an item.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from safetywashing.core.errors import InputError, name_list
from safetywashing.core.limits import MAX_MAGNITUDE
from safetywashing.io.tables.rows import check_regular

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FloatArray = npt.NDArray[np.float64]

REQUIRED = ("model", "benchmark", "item", "score")
#: The columns read as ids: text as written, never a missing value.
ID_COLUMNS = ("model", "benchmark", "item")
#: Metadata columns read as an item's category, in order of preference.
CATEGORY_COLUMNS = ("category", "subject", "subcategory", "group", "area")
#: Cell texts read as a missing score or metadata value (pandas' defaults); ids keep them.
MISSING_TEXT = (
    *("", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "<NA>"),
    *("#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN"),
)
_PARQUET = frozenset({".parquet", ".pq"})


@dataclass(frozen=True)
class ItemMatrix:
    """One benchmark's item results: models x items."""

    benchmark: str
    model_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    #: ndarray of shape (n_models, n_items): NaN where a model has no result for an item.
    values: FloatArray
    #: Each item's category ("" when the framework gives none).
    categories: tuple[str, ...]
    #: The metadata column the categories came from.
    category_column: str | None = None

    def coverage(self) -> list[tuple[str, int]]:
        """Models that lack some items, with how many items each has."""
        counts = (~np.isnan(self.values)).sum(axis=1)
        full = len(self.item_ids)
        return [(m, int(c)) for m, c in zip(self.model_ids, counts, strict=True) if c < full]


def natural_key(label: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders runs of digits by value: ``q2`` before ``q10``, ``9`` before ``10``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", label)
        if part
    )


def natural_order(labels: Sequence[str]) -> npt.NDArray[np.int64]:
    """Positions of ``labels`` in natural order (see :func:`natural_key`)."""
    return np.asarray(
        sorted(range(len(labels)), key=lambda i: natural_key(labels[i])), dtype=np.int64
    )


def check_item_frame(frame: pd.DataFrame, source: str) -> None:
    """Refuse a long item table without the four columns, with an empty id or a bad score.

    A model, benchmark or item id is text as written (``NA``, ``None`` or ``null`` is an
    id like any other); an empty one is refused with its row, since it would otherwise be
    merged into another model or item. A score must be a number, finite and of magnitude
    at most :data:`~safetywashing.core.limits.MAX_MAGNITUDE` (empty means no result).
    """
    missing = [column for column in REQUIRED if column not in frame.columns]
    if missing:
        raise InputError(
            f"{source} has no {name_list(missing)} column{'s' if len(missing) > 1 else ''}; "
            "an item table has the columns "
            "model, benchmark, item, score (and optional item metadata such as category)"
        )
    import pandas as pd

    for column in ID_COLUMNS:
        ids = frame[column]
        empty = ids.isna().to_numpy() | (ids.astype(str).str.strip() == "").to_numpy()
        if empty.any():
            raise empty_id(source, column, int(np.flatnonzero(empty)[0]))
    scores = pd.to_numeric(frame["score"], errors="coerce")
    bad = scores.isna() & frame["score"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{source}, row {row + 2}: the score {frame['score'].iloc[row]!r} is not a number; "
            "fix the cell or remove the row"
        )
    beyond = np.flatnonzero(~_in_range(scores.to_numpy(dtype=np.float64)))
    if beyond.size:
        raise score_out_of_range(source, int(beyond[0]), float(scores.iloc[beyond[0]]))


def empty_id(source: str, column: str, row: int) -> InputError:
    """The refusal of a row (0-based, after the header) whose ``column`` id is empty."""
    return InputError(
        f"{source}, row {row + 2}: the {column} is empty; give every row its {column} "
        "(text such as NA or None is read as an id)"
    )


def score_out_of_range(source: str, row: int, value: float) -> InputError:
    """The refusal of a row (0-based, after the header) whose score is beyond the range."""
    return InputError(
        f"{source}, row {row + 2}: the score {value:g} is beyond the supported range (a "
        f"finite value of magnitude at most {MAX_MAGNITUDE:.0e}); fix the cell or remove the row"
    )


def _in_range(scores: FloatArray) -> npt.NDArray[np.bool_]:
    """True where a score is missing (NaN) or finite and within :data:`MAX_MAGNITUDE`."""
    with np.errstate(invalid="ignore"):
        return np.isnan(scores) | (np.abs(scores) <= MAX_MAGNITUDE)


def item_matrix(
    frame: pd.DataFrame,
    benchmark: str | None = None,
    *,
    category: str | None = None,
    source: str = "the item table",
) -> ItemMatrix:
    """One benchmark of a long item table as a dense models x items matrix.

    Parameters
    ----------
    frame : DataFrame
        Columns model, benchmark, item, score and optional metadata.
    benchmark : str, optional
        Which benchmark; may be left out when the table holds one.
    category : str, optional
        Metadata column to group items by; default: the first of
        :data:`CATEGORY_COLUMNS` present.
    source : str
        How errors name the table.

    Returns
    -------
    ItemMatrix
    """
    import pandas as pd

    check_item_frame(frame, source)
    names = sorted(str(b) for b in pd.unique(frame["benchmark"].astype(str)))
    if benchmark is None:
        if len(names) != 1:
            raise InputError(
                f"{source} holds {len(names)} benchmarks ({name_list(names)}); name one",
                param="benchmark",
                remedy=f"give benchmark='{names[0] if names else 'NAME'}'",
            )
        benchmark = names[0]
    elif benchmark not in names:
        from safetywashing.core.errors import suggestion

        raise InputError(
            f"benchmark='{benchmark}' is not in {source}{suggestion(benchmark, names)}",
            param="benchmark",
        )
    rows = frame[frame["benchmark"].astype(str) == benchmark]
    model = pd.Categorical(rows["model"].astype(str))
    item = pd.Categorical(rows["item"].astype(str))
    model_labels = [str(m) for m in model.categories]
    item_labels = [str(i) for i in item.categories]
    model_order = natural_order(model_labels)
    item_order = natural_order(item_labels)
    mi = np.argsort(model_order)[np.asarray(model.codes, dtype=np.int64)]
    ii = np.argsort(item_order)[np.asarray(item.codes, dtype=np.int64)]
    n_models, n_items = len(model_labels), len(item_labels)
    key = mi * n_items + ii
    if np.unique(key).size != key.size:
        seen = pd.Series(key).duplicated(keep="first").to_numpy()
        first = int(np.flatnonzero(seen)[0])
        raise InputError(
            f"{source}: model '{model[first]}' has item '{item[first]}' of '{benchmark}' more "
            "than once; keep one row per model and item (average repeated epochs first)"
        )
    values = np.full((n_models, n_items), np.nan)
    values[mi, ii] = pd.to_numeric(rows["score"], errors="coerce").to_numpy(dtype=np.float64)
    column = category or next((c for c in CATEGORY_COLUMNS if c in rows.columns), None)
    if column is not None and column not in rows.columns:
        raise InputError(f"category='{column}' is not a column of {source}", param="category")
    categories = [""] * n_items
    if column is not None:
        labels = rows[column].astype(str).where(rows[column].notna(), "").to_numpy()
        for code, label in zip(ii, labels, strict=True):
            if not categories[code]:
                categories[code] = str(label)
    return _matrix(
        benchmark,
        (model_labels, model_order),
        (item_labels, item_order),
        values,
        categories,
        column,
    )


def read_item_table(path: str | Path, *, benchmarks: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a long item table: CSV, TSV, Parquet, or a folder partitioned by benchmark.

    Parameters
    ----------
    path : str or Path
    benchmarks : sequence of str, optional
        Read only these benchmarks (of a partitioned folder, only their partitions).
    """
    import pandas as pd

    source = Path(path)
    frame: pd.DataFrame
    if source.is_dir():
        parts = sorted(source.glob("benchmark=*"))
        if not parts:
            raise InputError(
                f"{source} holds no benchmark=NAME partitions; give an item table written by "
                "`safetywashing ingest --items`"
            )
        frames: list[pd.DataFrame] = []
        for part in parts:
            name = part.name.split("=", 1)[1]
            if benchmarks is not None and name not in benchmarks:
                continue
            frames.extend(_read_parquet(file, name) for file in sorted(part.glob("*.parquet")))
        if not frames:
            raise InputError(f"{source} holds none of the benchmarks {name_list(benchmarks or [])}")
        frame = pd.concat(frames, ignore_index=True)
    elif not source.exists():
        raise InputError(f"{source} does not exist; check the path of the item table")
    elif source.suffix.lower() in _PARQUET:
        frame = _read_parquet(source, None)
    else:
        frame = _read_text(source)
    check_item_frame(frame, str(source))
    if benchmarks is not None:
        frame = frame[frame["benchmark"].astype(str).isin(list(benchmarks))]
    return frame


def _read_text(source: Path) -> pd.DataFrame:
    """A CSV or TSV item table; ids are read as written (pandas would read ``NA`` as missing)."""
    import pandas as pd

    check_regular(source, "an item table (CSV, TSV or Parquet)")
    separator = "\t" if source.suffix.lower() == ".tsv" else ","
    try:
        _refuse_repeated_columns(source, separator)
        header = pd.read_csv(source, sep=separator, nrows=0).columns
        ids = [column for column in header if column in ID_COLUMNS]
        return pd.read_csv(
            source,
            sep=separator,
            dtype=dict.fromkeys(ids, str),
            keep_default_na=False,
            na_values={c: MISSING_TEXT for c in header if c not in ID_COLUMNS},
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputError(f"{source} cannot be read as an item table ({error})") from None
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{source} is empty; an item table has the columns model, benchmark, item, score"
        ) from None


def _refuse_repeated_columns(source: Path, separator: str) -> None:
    """A header naming a column twice is refused: pandas would rename the second
    (``score.1``), and which one is read would depend on the order of the columns."""
    with source.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle, delimiter=separator), [])
    seen: set[str] = set()
    for name in (cell.strip() for cell in header):
        if name in seen and name:
            raise InputError(
                f"{source}: the column '{name}' appears twice in the header; keep one "
                "column of each name."
            )
        seen.add(name)


def _read_parquet(path: Path, benchmark: str | None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    check_regular(path, "an item table (CSV, TSV or Parquet)")

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as error:
        raise InputError(f"{path} cannot be read as Parquet ({error})") from None
    frame: pd.DataFrame = table.to_pandas()
    if benchmark is not None and "benchmark" not in frame.columns:
        frame["benchmark"] = benchmark
    return frame


def parquet_bytes(frame: pd.DataFrame, *, rows_per_group: int = 1_000_000) -> bytes:
    """A long item table as Parquet bytes, model/item/metadata dictionary-encoded.

    The frame is converted and written one row group at a time, so the Arrow copy held
    in memory is one group, not the whole table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    schema = pa.Schema.from_pandas(frame.iloc[:0], preserve_index=False)
    with pq.ParquetWriter(buffer, schema, compression="zstd", use_dictionary=True) as writer:
        for start in range(0, max(len(frame), 1), rows_per_group):
            part = frame.iloc[start : start + rows_per_group]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
    return buffer.getvalue()


def write_item_table(frame: pd.DataFrame, path: str | Path, *, force: bool = False) -> list[Path]:
    """Write a long item table: a .csv/.tsv file, or a folder of Parquet partitions.

    A path ending in .csv or .tsv is one text file; any other path is a folder holding
    ``benchmark=NAME/part-0.parquet`` per benchmark. Files are written atomically and
    existing ones are kept unless ``force``.
    """
    import pandas as pd

    from safetywashing.io.writers import check_writable, write_atomic

    target = Path(path)
    if target.suffix.lower() in {".csv", ".tsv"}:
        separator = "\t" if target.suffix.lower() == ".tsv" else ","
        return [write_atomic(target, frame.to_csv(index=False, sep=separator), force=force)]
    benchmark = frame["benchmark"]
    names = sorted(str(b) for b in pd.unique(benchmark))
    files = [target / f"benchmark={name}" / "part-0.parquet" for name in names]
    check_writable(files, force=force)
    written = []
    for name, file in zip(names, files, strict=True):
        # Comparing a categorical column is a comparison of codes: no 20 M strings.
        part = frame if len(names) == 1 else frame[(benchmark.astype(object) == name).to_numpy()]
        part = part.drop(columns=["benchmark"])
        written.append(write_atomic(file, parquet_bytes(part.reset_index(drop=True)), force=force))
    return written


def _check_ids(ids: pa.Array, column: str, file: str, start: int) -> None:
    """Refuse a batch of a Parquet item table holding a null or empty ``column`` id."""
    import pyarrow.compute as pc

    empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(pc.cast(ids, "string")), ""), True)
    if pc.any(empty).as_py():
        raise empty_id(file, column, start + int(pc.index(empty, True).as_py()))


def _is_parquet(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in _PARQUET


def read_item_matrix(
    path: str | Path, benchmark: str | None = None, *, category: str | None = None
) -> ItemMatrix:
    """One benchmark of an item table as a matrix, read column-wise from Parquet.

    The path that scales: a partitioned folder (or a Parquet file) is read with its model
    and item columns dictionary-encoded, so 20 million cells never become 20 million
    Python strings; CSV and TSV tables go through pandas (:func:`item_matrix`).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    source = Path(path)
    if not source.exists():
        raise InputError(f"{source} does not exist; check the path of the item table")
    if not _is_parquet(source):
        frame = read_item_table(source, benchmarks=[benchmark] if benchmark else None)
        return item_matrix(frame, benchmark, category=category, source=str(source))
    if source.is_dir():
        parts = {p.name.split("=", 1)[1]: p for p in sorted(source.glob("benchmark=*"))}
        if not parts:
            raise InputError(
                f"{source} holds no benchmark=NAME partitions; give an item table written by "
                "`safetywashing ingest --items`"
            )
        if benchmark is None and len(parts) != 1:
            raise InputError(
                f"{source} holds {len(parts)} benchmarks ({name_list(sorted(parts))}); name one",
                param="benchmark",
            )
        name = benchmark if benchmark is not None else next(iter(parts))
        if name not in parts:
            from safetywashing.core.errors import suggestion

            raise InputError(
                f"benchmark='{name}' is not in {source}{suggestion(name, sorted(parts))}",
                param="benchmark",
            )
        files = [str(f) for f in sorted(parts[name].glob("*.parquet"))]
        schema = pq.read_schema(files[0])
        filters = None
    else:
        files = [str(source)]
        schema = pq.read_schema(source)
        name = benchmark or ""
        filters = [("benchmark", "=", benchmark)] if benchmark else None
    names = set(schema.names)
    column = category or next((c for c in CATEGORY_COLUMNS if c in names), None)
    if column is not None and column not in names:
        raise InputError(f"category='{column}' is not a column of {source}", param="category")
    wanted = ["model", "item", "score", *([column] if column else [])]
    if not source.is_dir():
        wanted.append("benchmark")
    missing = [c for c in wanted if c not in names]
    if missing:
        raise InputError(f"{source} has no {name_list(missing)} column; give an item table")
    dictionary = ["model", "item", *([column] if column else [])]
    # Stream record batches: each batch's dictionary codes are mapped to running indices
    # of models, items and categories, and only int32 codes and the scores are kept.
    model_index: dict[str, int] = {}
    item_index: dict[str, int] = {}
    category_index: dict[str, int] = {}
    found: set[str] = set()
    parts_mi: list[npt.NDArray[np.int32]] = []
    parts_ii: list[npt.NDArray[np.int32]] = []
    parts_ci: list[npt.NDArray[np.int32]] = []
    parts_score: list[FloatArray] = []

    def codes(array: pa.Array, index: dict[str, int]) -> npt.NDArray[np.int32]:
        if not isinstance(array, pa.DictionaryArray):
            array = pc.dictionary_encode(array)
        labels = [str(v) for v in array.dictionary.to_pylist()]
        lookup = np.asarray([index.setdefault(v, len(index)) for v in labels], dtype=np.int32)
        raw = array.indices.to_numpy(zero_copy_only=False)
        return lookup[raw] if lookup.size else np.zeros(raw.size, dtype=np.int32)

    try:
        for file in files:
            check_regular(Path(file), "an item table (CSV, TSV or Parquet)")
            reader = pq.ParquetFile(file, read_dictionary=dictionary)
            offset = 0  # rows of the file before the batch, for messages
            for batch in reader.iter_batches(batch_size=1 << 20, columns=wanted):
                start, offset = offset, offset + batch.num_rows
                if filters is not None or not source.is_dir():
                    bench = batch.column("benchmark")
                    _check_ids(bench, "benchmark", file, start)
                    found.update(str(v) for v in pc.unique(bench).to_pylist())
                    if benchmark is not None:
                        batch = batch.filter(pc.equal(bench, benchmark))
                _check_ids(batch.column("model"), "model", file, start)
                _check_ids(batch.column("item"), "item", file, start)
                parts_mi.append(codes(batch.column("model"), model_index))
                parts_ii.append(codes(batch.column("item"), item_index))
                if column is not None:
                    parts_ci.append(codes(batch.column(column), category_index))
                score = batch.column("score").to_numpy(zero_copy_only=False)
                parts_score.append(np.asarray(score, dtype=np.float64))
                beyond = np.flatnonzero(~_in_range(parts_score[-1]))
                if beyond.size:
                    value = float(parts_score[-1][beyond[0]])
                    raise score_out_of_range(file, start + int(beyond[0]), value)
    except InputError:
        raise
    except (OSError, ValueError, pa.ArrowException) as error:
        raise InputError(f"{source} cannot be read as Parquet ({error})") from None
    if not source.is_dir():
        if benchmark is None and len(found) != 1:
            raise InputError(f"{source} holds {len(found)} benchmarks; name one", param="benchmark")
        name = benchmark or next(iter(found))
    models = list(model_index)
    items = list(item_index)
    cats = list(category_index)
    # Models and items in natural order, as item_matrix gives them, so both paths agree.
    model_order = natural_order(models)
    item_order = natural_order(items)
    model_rank = np.argsort(model_order).astype(np.int32)
    item_rank = np.argsort(item_order).astype(np.int32)
    values = np.full((len(models), len(items)), np.nan)
    seen = np.zeros(values.shape, dtype=bool)
    first = np.full(len(items), -1, dtype=np.int64)
    total = 0
    for k in range(len(parts_mi)):
        mi, ii = model_rank[parts_mi[k]], item_rank[parts_ii[k]]
        values[mi, ii] = parts_score[k]
        seen[mi, ii] = True
        total += mi.size
        if column is not None:
            unset = first[ii] < 0
            first[ii[unset][::-1]] = parts_ci[k][unset][::-1]
        parts_mi[k] = parts_ii[k] = np.zeros(0, dtype=np.int32)  # free as we go
    if int(seen.sum()) != total:
        raise InputError(
            f"{source}: a model has an item of '{name}' more than once; keep one row per model "
            "and item"
        )
    del seen
    labels = [cats[c] if c >= 0 else "" for c in first] if column else [""] * len(items)
    return _matrix(name, (models, model_order), (items, item_order), values, labels, column)


def _matrix(
    benchmark: str,
    models: tuple[Sequence[str], npt.NDArray[np.int64]],
    items: tuple[Sequence[str], npt.NDArray[np.int64]],
    values: FloatArray,
    categories: Sequence[str],
    column: str | None,
) -> ItemMatrix:
    """The item matrix of labels taken in the given orders (``(labels, order)`` pairs)."""
    (model_labels, model_order), (item_labels, item_order) = models, items
    return ItemMatrix(
        benchmark=benchmark,
        model_ids=tuple(model_labels[i] for i in model_order),
        item_ids=tuple(item_labels[j] for j in item_order),
        values=values,
        categories=tuple(categories),
        category_column=column,
    )
