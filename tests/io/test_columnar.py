"""One reader, two tokenizers: a file reads the same split by pyarrow or by the row tokenizer.

The expected table (or error) comes from the same engine with the row tokenizer
(the standard library's ``csv`` module, every cell as text): pyarrow's column-wise
tokenizer is a faster way to the same cells, never a second reading of a file. Where the
pyarrow tokenizer declines a file, the row tokenizer splits it and the result is the
same by construction; the tests check that it handles plain files itself.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetywashing.core.errors import InputError, InputNotice
from safetywashing.core.table import BenchmarkInfo, ScoreTable
from safetywashing.io.tables import arrow, readers
from safetywashing.io.tables.grid import Grid


@contextmanager
def tokenizer(kind: str) -> Iterator[None]:
    """Read with the row tokenizer only, or with pyarrow whatever the file's size."""
    if kind == "rows":
        replacement = lambda *args, **kwargs: None  # noqa: E731
    else:
        replacement = functools.partial(arrow.read_grid, min_csv_bytes=0)
    with mock.patch.object(readers, "read_grid", replacement):
        yield


def read(path: Path, kind: str, columns: readers.ColumnMap = readers.DEFAULT_COLUMNS) -> object:
    """The table read with one tokenizer, or the message of the error it raised."""
    with tokenizer(kind), warnings.catch_warnings():
        warnings.simplefilter("ignore", InputNotice)  # the notes are compared instead
        try:
            return readers.read_scores(path, columns=columns)
        except InputError as error:
            return str(error)


def arrow_grid(path: Path, columns: readers.ColumnMap = readers.DEFAULT_COLUMNS) -> Grid | None:
    return arrow.read_grid(
        path, columns, functools.partial(readers._text_positions, columns=columns), min_csv_bytes=0
    )


def assert_same(fast: object, slow: object) -> None:
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert isinstance(fast, ScoreTable) and isinstance(slow, ScoreTable)
    assert np.array_equal(fast.values, slow.values, equal_nan=True)
    assert np.array_equal(np.signbit(fast.values), np.signbit(slow.values))  # -0.0 stays
    # NaN != NaN inside the dataclasses, so compare the models by their text.
    assert repr(fast.models) == repr(slow.models)
    assert fast.benchmarks == slow.benchmarks
    assert fast.sources == slow.sources
    assert fast.notes == slow.notes


def row_reader(path: Path, columns: readers.ColumnMap = readers.DEFAULT_COLUMNS) -> ScoreTable:
    table = read(path, "rows", columns)
    assert isinstance(table, ScoreTable), table
    return table


def columnar(path: Path, columns: readers.ColumnMap = readers.DEFAULT_COLUMNS) -> ScoreTable:
    assert arrow_grid(path, columns) is not None, "pyarrow declined a plain file"
    table = read(path, "arrow", columns)
    assert isinstance(table, ScoreTable), table
    return table


number_text = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.4g}"),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.3e}"),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["0.5", ".5", "5.", "-0", "+0.25", "1E-3", "007", " 0.5", "0.5 "]),
)
missing_text = st.sampled_from(["", "NA", "na", "NaN", "nan", "null", "None", "-", "?", "N/A"])
odd_text = st.sampled_from(
    [
        "nA",
        "nAn",
        "-nan",
        "nan(1)",
        "inf",
        "-Infinity",
        "1e400",
        "1e150",
        "45%",
        "0,5",
        "1_000",
        "x",
        " ",
        " NA",
        "\u00a00.5",
    ]
)


@st.composite
def wide_tables(draw: st.DrawFn, cells: st.SearchStrategy[str], plain: bool = False) -> str:
    n_models = draw(st.integers(1, 12))
    n_scores = draw(st.integers(1, 5))
    with_flop = draw(st.booleans())
    with_type = draw(st.booleans())
    header = ["model", *(["FLOP"] if with_flop else []), *(["type"] if with_type else [])]
    header += [f"b{j}" for j in range(n_scores)]
    lines = [",".join(header)]
    for i in range(n_models):
        # Plain: unique ids; otherwise a repeated or empty id now and then.
        ids = [f"m{i}"] if plain else [f"m{i}", f"m{i}", f"m{i}", "m0", ""]
        row = [draw(st.sampled_from(ids))]
        # Plain: compute above zero and a class in every cell (zero compute and empty
        # classes have notes and policies of their own).
        if with_flop:
            flop = st.floats(1e-3, 1e6).map(repr) if plain else number_text
            row.append(draw(st.one_of(missing_text, flop)))
        if with_type:
            classes = ["base", "chat"] if plain else ["base", "chat", "", "NA"]
            row.append(draw(st.sampled_from(classes)))
        row += [draw(cells) for _ in range(n_scores)]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=wide_tables(
        # Plain numbers are within the supported range (the reader refuses beyond 1e100).
        st.one_of(number_text.filter(lambda t: abs(float(t)) <= 1e100), missing_text),
        plain=True,
    )
)
def test_plain_tables_read_the_same(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(text)
    assert_same(columnar(path), row_reader(path))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=wide_tables(st.one_of(number_text, missing_text, odd_text)))
def test_any_table_reads_the_same_or_fails_the_same(tmp_path: Path, text: str) -> None:
    # Bad cells in several rows and columns, repeated and empty ids, infinite and
    # out-of-range numbers, percentages: the same table, or the same first error.
    path = tmp_path / "scores.csv"
    path.write_text(text)
    assert_same(read(path, "arrow"), read(path, "rows"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model,a\nm1,45%\nm2,40%\n", None),  # percentages, read as text
        ("model,a\nm1,45%\nm2,0.4\n", "but row 3 has a plain number ('0.4')"),
        ("model,a\nm1,0.5\nm1,0.4\n", "1 model appears on more than one row"),
        ("model,a\nm1,inf\nm2,0.4\n", "infinite score"),
        ("model,a\nm1,1e150\nm2,0.4\n", "1e150 is beyond the supported range"),
        ("model,a,b\nm1,x,0.4\nm2,0.3,y\n", "row 2 (model 'm1'), column 'a': 'x' is not"),
        ("model,a,b\nm1,0.5,x\nm2,y,0.1\n", "row 2 (model 'm1'), column 'b': 'x' is not"),
        ("model,FLOP,a\nm1,x,0.5\nm2,1,y\n", "row 2 (model 'm1'), column 'FLOP'"),
        ("model,FLOP,a\nm1,x,y\n", "row 2 (model 'm1'), column 'a'"),
        ("model,a\nm1,0.5\n,0.4\n", "row 3: the model column 'model' is empty"),
        ("model,a,a\nm1,0.5,0.1\n", "appears twice in the header"),
        ("name,a\nm1,0.5\n", "has no model column 'model'"),
        ("model,a,b\nm1,x,y\nm2,z,w\n", "2 columns hold text, not scores"),
        ("model,benchmark,score\nm1,a,0.5\nm2,a,0.7\n", None),  # a long table
        (",a\n0,0.5\n1,0.4\n", "has no model column 'model'"),  # an index, no model column
        (",a\nm1,0.5\nm2,0.4\n", None),  # the unnamed first column holds the ids
    ],
)
def test_quirks_read_the_same_split_by_pyarrow(
    tmp_path: Path, text: str, expected: str | None
) -> None:
    # Read by pyarrow itself, not declined: the one reader words the error.
    path = tmp_path / "scores.csv"
    path.write_text(text)
    assert arrow_grid(path) is not None
    fast, slow = read(path, "arrow"), read(path, "rows")
    assert_same(fast, slow)
    if expected is None:
        assert isinstance(fast, ScoreTable)
    else:
        assert isinstance(fast, str) and expected in fast


@pytest.mark.parametrize(
    "text",
    [
        'model,a\n"m1",0.5\nm2,0.4\n',  # a quoted cell
        "model,a\nm1,0.5\n,\nm2,0.4\n",  # a blank row
        "model,a\nm1,0.5\n\nm2,0.4\n",  # an empty line between rows
        "model,a\nm1,0.5,0.1\nm2,0.4\n",  # a ragged row
        "model,a\nm1,0.5\nm2\n",  # a short row
        "model,a,\nm1,0.5,\n",  # an unnamed trailing column
        "\nmodel,a\nm1,0.5\n",  # a leading blank line
        "model,a\nm1,-nan\nm2,0.4\n",  # a "nan" pyarrow reads and the reader refuses
        "model,a\nm1,nan(1)\nm2,0.4\n",
        "model,a\rm1,0.5\rm2,0.4\r",  # line breaks pyarrow sees and the line count not
        "model,a\n",  # no rows
    ],
)
def test_declines_what_the_row_tokenizer_must_split(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(text, newline="")
    assert arrow_grid(path) is None
    assert_same(read(path, "arrow"), read(path, "rows"))


def test_small_files_go_to_the_row_tokenizer(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("model,a\nm1,0.5\nm2,0.4\n")
    assert arrow.read_grid(path, readers.DEFAULT_COLUMNS, lambda header: {0}) is None
    assert Grid.from_rows(readers.read_rows(path)).order == "C"


def test_cleanly_numeric_columns_come_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("model,type,a,b,c\nm1,base,0.5,45%,x\nm2,chat,,40%,0.1\n")
    grid = arrow_grid(path)
    assert grid is not None
    assert grid.block_positions == (2,)  # 'b' and 'c' are not cleanly numeric
    assert [grid.is_numeric(p) for p in range(5)] == [False, False, True, False, False]
    assert list(grid.text(3)) == ["45%", "40%"] and list(grid.text(1)) == ["base", "chat"]
    with pytest.raises(TypeError):
        grid.text(2)


def test_large_file_through_read_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = np.round(rng.random((2_000, 40)), 6)
    values[rng.random(values.shape) < 0.1] = np.nan
    frame = pd.DataFrame(values, columns=[f"b{j}" for j in range(40)])
    frame.insert(0, "FLOP", 10 ** rng.uniform(20, 24, 2_000))
    frame.insert(0, "model", [f"org/model-{i}" for i in range(2_000)])
    path = tmp_path / "large.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert path.stat().st_size > arrow.MIN_CSV_BYTES
    metadata = (BenchmarkInfo(id="b3", role="capability", area="Capabilities"),)
    table = readers.read_scores(path, benchmarks=metadata)
    slow = row_reader(path)
    assert np.array_equal(table.values, slow.values, equal_nan=True)
    assert repr(table.models) == repr(slow.models)
    assert table.benchmarks[3] == metadata[0]


def test_metadata_columns_and_scales(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "Model,Family,FLOPs (1E21),Size (B),junk,x,y\na,llama,1.5,7,zz,0.1,0.2\nb,,NA,13,zz,,0.3\n"
    )
    columns = readers.ColumnMap(
        model="Model",
        family="Family",
        flop="FLOPs (1E21)",
        flop_scale=1e21,
        parameters="Size (B)",
        parameters_scale=1e9,
        ignore=("junk",),
    )
    fast = columnar(path, columns)
    assert_same(fast, row_reader(path, columns))
    assert fast.models[0].flop == 1.5e21 and math.isnan(fast.models[1].flop)
    assert fast.models[0].family == "llama" and fast.benchmark_ids == ("x", "y")


@pytest.mark.parametrize("index", [False, True])
def test_parquet_reads_the_same(tmp_path: Path, index: bool) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "model": [f"m{i}" for i in range(50)],
            "type": rng.choice(["base", "chat"], 50),
            "FLOP": np.where(rng.random(50) < 0.2, np.nan, 10 ** rng.uniform(20, 24, 50)),
            "f32": rng.random(50).astype(np.float32),
            "i64": rng.integers(-5, 5, 50),
            "f64": np.where(rng.random(50) < 0.1, np.nan, rng.random(50)),
        }
    )
    if index:
        frame = frame.set_index("model")
    path = tmp_path / "s.parquet"
    frame.to_parquet(path, index=index)
    if index:
        assert arrow_grid(path) is None  # pandas restores the stored index; the rows do too
    assert_same(read(path, "arrow"), read(path, "rows"))


def test_parquet_text_scores_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pd.DataFrame({"model": ["a", "b"], "x": ["0.5", "45%"]}).to_parquet(path, index=False)
    assert arrow_grid(path) is not None
    fast = read(path, "arrow")
    assert_same(fast, read(path, "rows"))
    assert isinstance(fast, str) and "is a plain number, but row 3 has a percentage" in fast


def test_parquet_out_of_range_scores_keep_their_text(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pd.DataFrame({"model": ["a", "b"], "x": [0.5, 1e150]}).to_parquet(path, index=False)
    fast = read(path, "arrow")
    assert_same(fast, read(path, "rows"))
    assert isinstance(fast, str) and "1e+150 is beyond the supported range" in fast


def test_parquet_nullable_integers_read_missing_as_nan(tmp_path: Path) -> None:
    # The row tokenizer writes pandas' missing marker ('<NA>') and the reader refuses the
    # cell; split by pyarrow, a missing entry of a nullable integer column is missing.
    path = tmp_path / "s.parquet"
    frame = pd.DataFrame({"model": ["a", "b"], "x": pd.array([3, None], dtype="Int64")})
    frame.to_parquet(path, index=False)
    table = readers.read_scores(path)
    assert table.values[0, 0] == 3.0 and math.isnan(table.values[1, 0])


def _large_frame(n_models: int = 2_000, n_scores: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    values = np.round(rng.random((n_models, n_scores)), 6)
    values[rng.random(values.shape) < 0.1] = np.nan
    frame = pd.DataFrame(values, columns=[f"b{j}" for j in range(n_scores)])
    frame.insert(
        0, "FLOP", np.where(rng.random(n_models) < 0.1, np.nan, 10 ** rng.uniform(20, 24, n_models))
    )
    frame.insert(0, "model", [f"org/model-{i}" for i in range(n_models)])
    return frame


def _no_row_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file went to the row tokenizer")

    monkeypatch.setattr(readers, "read_rows", refuse)


def test_large_parquet_through_read_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Several row groups, read in several groups of columns: the row tokenizer's table.
    path = tmp_path / "large.parquet"
    _large_frame().to_parquet(path, index=False, row_group_size=700)
    slow = row_reader(path)
    monkeypatch.setattr(arrow, "PARQUET_GROUP_CELLS", 2_000 * 7)
    _no_row_tokenizer(monkeypatch)
    assert_same(readers.read_scores(path), slow)


def test_large_file_with_quirks_stays_with_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Text columns, repeated models, empty classes, an index column and percentages are
    # the reader's business, not a reason to split the file with the row tokenizer.
    frame = _large_frame()
    frame.insert(1, "licence", ["mit", "apache-2.0"] * 1_000)
    frame.insert(2, "type", ["base", "chat", ""] * 666 + ["base", "chat"])
    frame["pct"] = [f"{x:.1f}%" for x in range(2_000)]
    frame.loc[5, "model"] = frame.loc[4, "model"]
    path = tmp_path / "large.csv"
    frame.to_csv(path)  # with pandas' index column
    columns = readers.ColumnMap(text_columns="ignore", duplicates="mean", missing_class="chat")
    slow = row_reader(path, columns)
    assert len(slow.notes) == 3  # columns not audited (index, text), empty classes, repeated model
    _no_row_tokenizer(monkeypatch)
    with pytest.warns(InputNotice):
        fast = readers.read_scores(path, columns=columns)
    assert_same(fast, slow)


def test_batches_fill_column_by_column_without_tensor_conversion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow before 16 has no record batch -> tensor conversion with nulls.
    csv_path = tmp_path / "large.csv"
    _large_frame().to_csv(csv_path, index=False)
    parquet_path = tmp_path / "large.parquet"
    _large_frame().to_parquet(parquet_path, index=False, row_group_size=700)
    fast = [columnar(csv_path), columnar(parquet_path)]
    monkeypatch.setattr(arrow, "_tensor_conversion", lambda: False)
    for table, path in zip(fast, (csv_path, parquet_path), strict=True):
        assert_same(columnar(path), table)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_large_tables_beyond_the_row_and_column_limits_are_refused(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"large{suffix}"
    frame = _large_frame()
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    with pytest.raises(InputError, match="more than the 1999 a scores table may have"):
        readers.read_scores(path, columns=readers.ColumnMap(max_rows=1_999))
    with pytest.raises(InputError, match="more than the 41 a scores table may have"):
        readers.read_scores(path, columns=readers.ColumnMap(max_columns=41))


def test_file_size_limit_in_mebibytes_as_the_row_tokenizer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file over the limit in millions of bytes but within it in MiB (the row
    # tokenizer's unit) is read, and by pyarrow.
    path = tmp_path / "large.csv"
    _large_frame().to_csv(path, index=False)
    size = path.stat().st_size
    limit = size / 1e6 * 0.99
    assert size <= limit * 1024 * 1024
    slow = row_reader(path)
    _no_row_tokenizer(monkeypatch)
    assert_same(readers.read_scores(path, columns=readers.ColumnMap(max_file_mb=limit)), slow)


def test_the_matrix_is_column_major_without_gaps(tmp_path: Path) -> None:
    # Allocated for a bound on the rows (line breaks, here with blank lines at the end):
    # the audit uses a contiguous column-major matrix as it is, and copies anything else.
    frame = _large_frame()
    path = tmp_path / "large.csv"
    path.write_text(frame.to_csv(index=False) + "\n\n\n")
    table = readers.read_scores(path)
    assert table.values.flags.f_contiguous
    assert_same(table, row_reader(path))
