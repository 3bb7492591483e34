"""Reading the tables people really have (issue 13, failures 1-7).

Each test builds a small file of the shape that failed and checks the reader's answer:
the error sentence (file, rows or columns, the fix) or what the option did. Expected
numbers are computed here from the cells written (numpy mean and max over the repeated
rows).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from safetywashing.cli.app import main
from safetywashing.core.errors import InputError, InputWarning, name_list
from safetywashing.io.tables.readers import ColumnMap, read_scores


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_quietly(path: Path, columns: ColumnMap | None = None) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_scores(path, columns=columns or ColumnMap())
    return table, [str(w.message) for w in caught if issubclass(w.category, InputWarning)]


# -- 1. an unnamed index column (pandas' to_csv) -------------------------------------------


def test_pandas_index_column_is_left_out_with_a_notice(tmp_path: Path) -> None:
    frame = pd.DataFrame({"model": ["m1", "m2", "m3"], "a": [0.1, 0.2, 0.3], "b": [1, 2, 3]})
    path = tmp_path / "pandas.csv"
    frame.to_csv(path)  # header ",model,a,b", rows "0,m1,0.1,1"
    assert path.read_text().startswith(",model,a,b")
    table, notices = read_quietly(path)
    assert table.model_ids == ("m1", "m2", "m3")  # type: ignore[attr-defined]
    assert table.benchmark_ids == ("a", "b")  # type: ignore[attr-defined]
    assert notices == [
        f"{path}: 1 column not audited (an unnamed index a program wrote: 'column 1')."
    ]


def test_pandas_index_read_back_as_unnamed_is_also_an_index(tmp_path: Path) -> None:
    # pandas.read_csv then to_csv(index=False) names the old index "Unnamed: 0".
    path = write(tmp_path, "twice.csv", "Unnamed: 0,model,a\n0,m1,0.1\n1,m2,0.2\n")
    table, _ = read_quietly(path)
    assert table.benchmark_ids == ("a",)  # type: ignore[attr-defined]


def test_an_unnamed_index_of_unique_ids_is_the_model_id(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [0.1, 0.2]}, index=["org/m1", "org/m2"])
    path = tmp_path / "ids.csv"
    frame.to_csv(path)
    table, notices = read_quietly(path)
    assert table.model_ids == ("org/m1", "org/m2")  # type: ignore[attr-defined]
    assert "taken as the model id" in notices[0]


def test_an_integer_index_is_not_taken_as_model_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "noid.csv", ",a,b\n0,0.1,1\n1,0.2,2\n")
    with pytest.raises(InputError, match=r"noid.csv has no model column 'model'; name the"):
        read_scores(path)


def test_ignore_column_with_an_empty_name_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", ",model,a\n0,m1,0.1\n1,m2,0.2\n")
    table, _ = read_quietly(path, ColumnMap(ignore=("",)))
    assert table.benchmark_ids == ("a",)  # type: ignore[attr-defined]


def test_an_unnamed_column_elsewhere_is_still_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "mid.csv", "model,,a\nm1,3,0.1\n")
    with pytest.raises(InputError, match=r"mid.csv: column 2 of the header has no name"):
        read_scores(path)


# -- 2. rows above and under the header ----------------------------------------------------

TITLED = """Benchmark results, exported 2024-07-01
(scores in percent)
model,a,b
,description of a,description of b
,accuracy,accuracy
,higher,higher
,5-shot,0-shot
m1,10,20
m2,30,40
"""


def test_header_row_and_skip_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "titled.csv", TITLED)
    table = read_scores(path, columns=ColumnMap(header_row=3, skip_rows=4))
    assert table.model_ids == ("m1", "m2")
    assert table.values.tolist() == [[10, 20], [30, 40]]


def test_skipped_rows_may_have_fewer_cells(tmp_path: Path) -> None:
    # A units row under the header is not a row of the table: its width is not checked,
    # and a short row below it still is.
    path = write(tmp_path, "units.csv", "model,a,b\n(units),%\nm1,10,20\nm2,30,40\n")
    table = read_scores(path, columns=ColumnMap(skip_rows=1))
    assert table.values.tolist() == [[10, 20], [30, 40]]
    path = write(tmp_path, "short.csv", "model,a,b\n(units),%\nm1,10\nm2,30,40\n")
    with pytest.raises(InputError, match=r"short.csv, row 3: 2 cells for 3 header columns"):
        read_scores(path, columns=ColumnMap(skip_rows=1))


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (ColumnMap(header_row=30), r"titled.csv: line 30 \(--header-row\) is past its end \(9\)"),
        (ColumnMap(header_row=3, skip_rows=6), r"--skip-rows 6 skips every one of its 6 rows"),
        (
            ColumnMap(header_row=3),
            r"titled.csv: the first 4 rows under the header hold text \(rows 4-7\), not scores; "
            r"skip them with --skip-rows 4",
        ),
    ],
)
def test_header_and_skip_errors(tmp_path: Path, columns: ColumnMap, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_scores(write(tmp_path, "titled.csv", TITLED), columns=columns)


def test_option_values_are_checked() -> None:
    with pytest.raises(InputError, match=r"--skip-rows must be 0 or more; got -1"):
        ColumnMap(skip_rows=-1)
    with pytest.raises(InputError, match=r"--header-row counts lines from 1"):
        ColumnMap(header_row=0)
    with pytest.raises(InputError, match=r"--duplicates must be one of error, first"):
        ColumnMap(duplicates="best")  # type: ignore[arg-type]


# -- 3. duplicate model ids ------------------------------------------------------------------

DUPS = """model,precision,a,b
x,float16,1,10
y,float16,2,
x,bfloat16,3,30
z,float16,4,40
y,bfloat16,6,60
w,float16,5,50
"""


def test_duplicates_are_refused_with_the_count_and_examples(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_scores(write(tmp_path, "dups.csv", DUPS), columns=ColumnMap(ignore=("precision",)))
    assert str(caught.value) == (
        f"{tmp_path / 'dups.csv'}: 2 models appear on more than one row ('x' in rows 2, 4; "
        "'y' in rows 3, 6); keep one row per model, choose with --duplicates "
        "first|last|mean|max, or build the id from several columns with --model-column a,b."
    )


@pytest.mark.parametrize(
    ("policy", "x_row", "y_row"),
    [
        ("first", [1, 10], [2, math.nan]),
        ("last", [3, 30], [6, 60]),
        # numpy.nanmean / nanmax of the two rows, cell by cell
        ("mean", [2, 20], [4, 60]),
        ("max", [3, 30], [6, 60]),
    ],
)
def test_duplicate_policies(
    tmp_path: Path, policy: str, x_row: list[float], y_row: list[float]
) -> None:
    path = write(tmp_path, "dups.csv", DUPS)
    table, notices = read_quietly(
        path,
        ColumnMap(duplicates=policy, ignore=("precision",)),  # type: ignore[arg-type]
    )
    assert table.model_ids == ("x", "y", "z", "w")  # type: ignore[attr-defined]
    np.testing.assert_array_equal(table.values[0], x_row)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(table.values[1], y_row)  # type: ignore[attr-defined]
    assert notices == [
        f"{path}: 2 models on more than one row, "
        + {
            "first": "kept the first row of each",
            "last": "kept the last row of each",
            "mean": "averaged their scores cell by cell",
            "max": "kept the highest score of each cell",
        }[policy]
        + f" (--duplicates {policy}): 'x' and 'y'.",
        f"{path}: 1 column not audited (ignored (--ignore-column): 'precision').",
    ]


def test_model_id_from_several_columns(tmp_path: Path) -> None:
    table, _ = read_quietly(write(tmp_path, "dups.csv", DUPS), ColumnMap(model="model,precision"))
    assert table.model_ids[:3] == ("x:float16", "y:float16", "x:bfloat16")  # type: ignore[attr-defined]
    assert table.benchmark_ids == ("a", "b")  # type: ignore[attr-defined]


def test_model_id_from_several_columns_names_the_missing_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no model column 'precison' \(did you mean 'precision'"):
        read_scores(write(tmp_path, "d.csv", DUPS), columns=ColumnMap(model="model,precison"))


# -- 4. text columns, all named at once ------------------------------------------------------

TEXTY = """model,licence,arch,a,date,b,flag
m1,mit,llama,0.1,2024-01-01,1,True
m2,apache,mistral,0.2,2024-02-01,2,False
m3,mit,llama,0.3,2024-03-01,3,True
"""


def test_text_columns_are_listed_in_one_message(tmp_path: Path) -> None:
    path = write(tmp_path, "texty.csv", TEXTY)
    with pytest.raises(InputError) as caught:
        read_scores(path)
    assert str(caught.value) == (
        f"{path}: 3 columns hold text, not scores ('licence', 'arch' and 'flag'); "
        "skip them all with --text-columns ignore (or name each with --ignore-column)."
    )


def test_text_columns_ignored_with_one_notice(tmp_path: Path) -> None:
    path = write(tmp_path, "texty.csv", TEXTY)
    table, notices = read_quietly(path, ColumnMap(text_columns="ignore"))
    assert table.benchmark_ids == ("a", "b")  # type: ignore[attr-defined]
    # 'date' is named as a model fact, so it is not a text column to refuse.
    assert notices == [
        f"{path}: 4 columns not audited (named as a date, and not numbers: 'date'; text, not "
        "scores (--text-columns ignore): 'licence', 'arch' and 'flag')."
    ]


def test_a_stray_word_in_a_score_column_is_still_located(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.csv", "model,a\nm1,0.1\nm2,oops\nm3,0.3\n")
    with pytest.raises(InputError, match=r"typo.csv, row 3 \(model 'm2'\), column 'a': 'oops'"):
        read_scores(path, columns=ColumnMap(text_columns="ignore"))


# -- 5. an empty class cell ------------------------------------------------------------------

CLASSES = "model,type,a\nm1,base,1\nm2,,2\nm3,chat,3\nm4,,4\n"


def test_an_empty_class_cell_is_an_error_naming_the_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "cls.csv", CLASSES)
    with pytest.raises(InputError) as caught:
        read_scores(path)
    assert str(caught.value) == (
        f"{path}: the class column 'type' is empty in 2 rows (rows 3, 5); fill in the class "
        "(e.g. base or chat) or give those rows one with --missing-class NAME."
    )


def test_missing_class_fills_the_empty_cells(tmp_path: Path) -> None:
    table, notices = read_quietly(
        write(tmp_path, "cls.csv", CLASSES), ColumnMap(missing_class="chat")
    )
    assert [m.model_class for m in table.models] == ["base", "chat", "chat", "chat"]  # type: ignore[attr-defined]
    assert "2 rows with an empty 'type' cell given the class 'chat'" in notices[0]


def test_no_class_column_still_gives_the_default_class(tmp_path: Path) -> None:
    table = read_scores(write(tmp_path, "n.csv", "model,a\nm1,1\n"))
    assert table.models[0].model_class == "all"


# -- 6. compute columns labelled by what they hold -------------------------------------------

COMPUTE = "model,#Params (B),a\nm1,7,1\nm2,0,2\nm3,-1,3\nm4,13,4\n"


def test_compute_kind_and_nonpositive_values(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", COMPUTE)
    columns = ColumnMap(flop="#Params (B)", flop_scale=1e9, compute_kind="params")
    table, notices = read_quietly(path, columns)
    assert table.compute_kind == "params"  # type: ignore[attr-defined]
    flop = table.flop  # type: ignore[attr-defined]
    assert flop[0] == 7e9 and flop[3] == 13e9
    assert math.isnan(flop[1]) and math.isnan(flop[2])
    assert notices == [
        f"{path}: 2 models have zero or negative '#Params (B)' (parameters), read as unknown "
        "and left out of the compute correlations: 'm2' and 'm3'."
    ]


def test_the_paper_files_still_say_flop(paper_dir: Path) -> None:
    assert read_scores(paper_dir / "benchmarks_chat_models.csv").compute_kind == "flop"


# -- 7. notices: one line with a count, all names in the notes -------------------------------


def test_a_notice_shows_three_names_and_the_notes_keep_all(tmp_path: Path) -> None:
    rows = "".join(f"m{i},,{i}\n" for i in range(40))
    path = write(tmp_path, "many.csv", "model,type,a\n" + rows)
    table, notices = read_quietly(path, ColumnMap(missing_class="chat"))
    assert len(notices) == 1
    assert notices[0].endswith(
        "'m0', 'm1', 'm2' and 37 more (all in the output's notes; --verbose lists them)."
    )
    assert table.notes == (  # type: ignore[attr-defined]
        f"{path}: 40 rows with an empty 'type' cell given the class 'chat' (--missing-class): "
        + name_list([f"m{i}" for i in range(40)], limit=None)
        + ".",
    )


# -- the command line ---------------------------------------------------------------------


def test_cli_flags_reach_the_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(7)
    latent = rng.normal(size=12)
    frame = pd.DataFrame(
        {
            "model": [f"m{i}" for i in range(12)] + ["m0"],
            "licence": ["mit"] * 13,
            "type": ["base", ""] * 6 + ["base"],
            "params": [1, 2, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1],
            **{b: np.append(latent + rng.normal(scale=0.3, size=12), 9.0) for b in "abc"},
        }
    )
    path = tmp_path / "cli.csv"
    frame.to_csv(path)
    args = ["audit", str(path), "--capabilities", "a,b", "--format", "json"]
    assert main(args) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}: 1 column holds text")
    args += ["--text-columns", "ignore", "--missing-class", "chat", "--duplicates", "first"]
    args += ["--compute-column", "params", "--compute-kind", "params"]
    assert main(args) == 0
    err = capsys.readouterr().err.splitlines()
    # the columns not audited (index, text), empty classes, 0 params, repeated models
    assert len([line for line in err if line.startswith("note: ")]) == 4
    assert main([*args, "--flop-column", "params"]) == 2
    assert "--compute-column and --flop-column both name the compute column" in (
        capsys.readouterr().err
    )
