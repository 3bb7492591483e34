"""The column-wise reader gives the row reader's table, or declines.

Expected values come from the row reader itself (``io.wide.read_wide`` on the same
file): the column-wise reader is a faster way to the same table, never a second reading
of a file.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetywashing.core.errors import InputError
from safetywashing.core.table import BenchmarkInfo, ScoreTable
from safetywashing.io.tables import readers
from safetywashing.io.tables.columnar import read_wide_columnar
from safetywashing.io.tables.wide import read_wide


def row_reader(path: Path, columns: readers.ColumnMap = readers.DEFAULT_COLUMNS) -> ScoreTable:
    rows = readers.read_rows(path)
    header = [cell.strip() for cell in rows.header]
    source = readers.SourceFile(path=str(path), sha256=readers.file_sha256(path))
    return read_wide(path, header, rows.body, columns, (), source)


def assert_same(fast: ScoreTable, slow: ScoreTable) -> None:
    assert np.array_equal(fast.values, slow.values, equal_nan=True)
    assert np.array_equal(np.signbit(fast.values), np.signbit(slow.values))  # -0.0 stays
    # NaN != NaN inside the dataclasses, so compare the models by their text.
    assert repr(fast.models) == repr(slow.models)
    assert fast.benchmarks == slow.benchmarks
    assert fast.sources == slow.sources


def columnar(path: Path, columns: readers.ColumnMap = readers.DEFAULT_COLUMNS) -> ScoreTable:
    table = read_wide_columnar(path, columns, (), min_csv_bytes=0)
    assert table is not None, "the column-wise reader declined a plain file"
    return table


number_text = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.4g}"),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.3e}"),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["0.5", ".5", "5.", "-0", "+0.25", "1E-3", "007", " 0.5", "0.5 "]),
)
missing_text = st.sampled_from(["", "NA", "na", "NaN", "nan", "null", "None", "-", "?", "N/A"])
odd_text = st.sampled_from(["nA", "inf", "-Infinity", "1e400", "45%", "0,5", "1_000", "x", " "])


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
        row = [f"m{i}"]
        # Plain: compute above zero and a class in every cell (zero compute and empty
        # classes have the row reader's notes and policies, so the column reader declines).
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
        # Plain numbers are within the supported range (the row reader refuses beyond 1e100).
        st.one_of(number_text.filter(lambda t: abs(float(t)) <= 1e100), missing_text),
        plain=True,
    )
)
def test_plain_tables_read_the_same(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(text)
    assert_same(columnar(path), row_reader(path))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=wide_tables(st.one_of(number_text, missing_text, odd_text)))
def test_any_table_reads_the_same_or_is_declined(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(text)
    fast = read_wide_columnar(path, readers.DEFAULT_COLUMNS, (), min_csv_bytes=0)
    try:
        slow = row_reader(path)
    except InputError:
        assert fast is None
        return
    if fast is not None:
        assert_same(fast, slow)


@pytest.mark.parametrize(
    "text",
    [
        'model,a\n"m1",0.5\nm2,0.4\n',  # a quoted cell
        "model,a\nm1,45%\nm2,40%\n",  # percentages
        "model,a\nm1,0.5\n,\nm2,0.4\n",  # a blank row
        "model,a\nm1,0.5\nm1,0.4\n",  # a duplicate model
        "model,a\nm1,inf\nm2,0.4\n",  # an infinite score
        "model,a\nm1,0.5,0.1\nm2,0.4\n",  # a ragged row
        "model,a\nm1,0.5\nm2\n",  # a short row
        "model,a,a\nm1,0.5,0.1\n",  # a duplicate column
        "model,a,\nm1,0.5,\n",  # an unnamed trailing column
        "\nmodel,a\nm1,0.5\n",  # a leading blank line
        "model,benchmark,score\nm1,a,0.5\n",  # a long table
        "name,a\nm1,0.5\n",  # no model column
    ],
)
def test_declines_what_the_row_reader_must_handle(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(text)
    assert read_wide_columnar(path, readers.DEFAULT_COLUMNS, (), min_csv_bytes=0) is None


def test_small_files_go_to_the_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("model,a\nm1,0.5\nm2,0.4\n")
    assert read_wide_columnar(path, readers.DEFAULT_COLUMNS, ()) is None


def test_large_file_through_read_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = np.round(rng.random((2_000, 40)), 6)
    values[rng.random(values.shape) < 0.1] = np.nan
    frame = pd.DataFrame(values, columns=[f"b{j}" for j in range(40)])
    frame.insert(0, "FLOP", 10 ** rng.uniform(20, 24, 2_000))
    frame.insert(0, "model", [f"org/model-{i}" for i in range(2_000)])
    path = tmp_path / "large.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert path.stat().st_size > 1 << 19
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
    fast = read_wide_columnar(path, readers.DEFAULT_COLUMNS, ())
    rows = readers.read_rows(path)
    source = readers.SourceFile(path=str(path), sha256=readers.file_sha256(path))
    slow = read_wide(
        path, [c.strip() for c in rows.header], rows.body, readers.DEFAULT_COLUMNS, (), source
    )
    if index:
        assert fast is None  # pandas restores the stored index; the row reader handles it
    else:
        assert fast is not None
        assert_same(fast, slow)


def test_parquet_text_scores_are_declined(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pd.DataFrame({"model": ["a", "b"], "x": ["0.5", "45%"]}).to_parquet(path, index=False)
    assert read_wide_columnar(path, readers.DEFAULT_COLUMNS, ()) is None


def test_parquet_nullable_integers_read_missing_as_nan(tmp_path: Path) -> None:
    # The row reader stringifies pandas' missing marker ('<NA>') and refuses the cell;
    # read column-wise, a missing entry of a nullable integer column is a missing score.
    path = tmp_path / "s.parquet"
    frame = pd.DataFrame({"model": ["a", "b"], "x": pd.array([3, None], dtype="Int64")})
    frame.to_parquet(path, index=False)
    table = read_wide_columnar(path, readers.DEFAULT_COLUMNS, ())
    assert table is not None
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


def _no_row_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file went to the row reader")

    monkeypatch.setattr(readers, "read_rows", refuse)


def test_large_parquet_through_read_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Several row groups, read in several groups of columns: the row reader's table.
    import safetywashing.io.tables.columnar as columnar_module

    path = tmp_path / "large.parquet"
    _large_frame().to_parquet(path, index=False, row_group_size=700)
    slow = row_reader(path)
    monkeypatch.setattr(columnar_module, "PARQUET_GROUP_CELLS", 2_000 * 7)
    _no_row_reader(monkeypatch)
    assert_same(readers.read_scores(path), slow)


def test_batches_fill_column_by_column_without_tensor_conversion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow before 16 has no record batch -> tensor conversion with nulls.
    import safetywashing.io.tables.columnar as columnar_module

    csv_path = tmp_path / "large.csv"
    _large_frame().to_csv(csv_path, index=False)
    parquet_path = tmp_path / "large.parquet"
    _large_frame().to_parquet(parquet_path, index=False, row_group_size=700)
    fast = [columnar(csv_path), columnar(parquet_path)]
    monkeypatch.setattr(columnar_module, "_tensor_conversion", lambda: False)
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


def test_file_size_limit_in_mebibytes_as_the_row_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file over the limit in millions of bytes but within it in MiB (the row reader's
    # unit) is read, and column-wise.
    path = tmp_path / "large.csv"
    _large_frame().to_csv(path, index=False)
    size = path.stat().st_size
    limit = size / 1e6 * 0.99
    assert size <= limit * 1024 * 1024
    slow = row_reader(path)
    _no_row_reader(monkeypatch)
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
