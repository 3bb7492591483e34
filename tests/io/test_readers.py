"""Readers: wide and long tables, CSV/TSV/Parquet, metadata, and the errors they raise."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from safetywashing.core.errors import InputError
from safetywashing.io.tables.readers import (
    ColumnMap,
    apply_benchmark_metadata,
    read_benchmark_info,
    read_scores,
)

WIDE = """model,name,type,FLOP,model_size,alpha,beta,gamma
m1,Model One,base,1e22,7e9,0.1,0.5,
m2,Model Two,chat,,13e9,0.2,NA,0.3
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_wide_csv_with_paper_metadata_columns(tmp_path: Path) -> None:
    table = read_scores(write(tmp_path, "s.csv", WIDE))
    assert table.model_ids == ("m1", "m2")
    assert table.benchmark_ids == ("alpha", "beta", "gamma")
    assert table.models[0].name == "Model One" and table.models[1].model_class == "chat"
    assert table.models[0].flop == 1e22 and math.isnan(table.models[1].flop)
    assert np.isnan(table.values[0, 2]) and np.isnan(table.values[1, 1])
    assert len(table.sources[0].sha256) == 64


def test_tsv_and_parquet_read_the_same(tmp_path: Path) -> None:
    csv_table = read_scores(write(tmp_path, "s.csv", WIDE))
    tsv_table = read_scores(write(tmp_path, "s.tsv", WIDE.replace(",", "\t")))
    frame = csv_table.to_frame().reset_index()
    parquet = tmp_path / "s.parquet"
    frame.to_parquet(parquet)
    parquet_table = read_scores(parquet)
    for other in (tsv_table, parquet_table):
        np.testing.assert_array_equal(other.values, csv_table.values)
        assert other.benchmark_ids == csv_table.benchmark_ids


def test_long_table(tmp_path: Path) -> None:
    text = "model,benchmark,score,stderr\nm1,a,0.5,0.01\nm1,b,0.7,\nm2,a,0.4,\nm1,a,0.5,\n"
    table = read_scores(write(tmp_path, "long.csv", text))
    assert table.model_ids == ("m1", "m2")
    assert table.values[0].tolist() == [0.5, 0.7]
    assert table.values[1, 0] == 0.4 and np.isnan(table.values[1, 1])


def test_obsscaling_file_reads_with_flags_alone(datasets_dir: Path) -> None:
    path = datasets_dir / "obsscaling" / "base_llm_benchmark_eval.csv"
    columns = ColumnMap(
        model="Model",
        family="Model Family",
        flop="FLOPs (1E21)",
        flop_scale=1e21,
        parameters="Model Size (B)",
        parameters_scale=1e9,
        ignore=("Pretraining Data Size (T)",),
    )
    table = read_scores(path, columns=columns)
    assert len(table.models) == 148
    assert "MMLU" in table.benchmark_ids and "Model Family" not in table.benchmark_ids
    llama = table.models[table.model_ids.index("meta-llama/Llama-2-7b-hf")]
    assert llama.family == "Llama-2"
    assert llama.flop == pytest.approx(84.0e21)  # 84.0 in units of 1E21 (the file)
    assert llama.parameters == pytest.approx(7e9)


def test_metadata_file_with_roles_areas_directions(tmp_path: Path) -> None:
    scores = read_scores(write(tmp_path, "s.csv", WIDE))
    info = write(
        tmp_path,
        "info.csv",
        "benchmark,role,area,direction,reference\nalpha,capability,,,\n"
        "beta,capability,,,\ngamma,safety,Bias,lower is safer,alpha\n",
    )
    table = apply_benchmark_metadata(scores, read_benchmark_info(info))
    gamma = table.benchmarks[2]
    assert (gamma.role, gamma.area, gamma.direction, gamma.reference) == (
        "safety", "Bias", "lower", "alpha",
    )  # fmt: skip
    values, flipped = table.oriented()
    assert flipped == ("gamma",)
    assert values[1, 2] == -0.3


def test_papers_metadata_file_is_a_catalogue(paper_dir: Path) -> None:
    # benchmarks_info.csv lists benchmarks absent from the score files and has no role
    # column: it is accepted, its rows for metadata columns are skipped.
    metadata = read_benchmark_info(paper_dir / "benchmarks_info.csv")
    assert not metadata.declares_roles
    assert "FLOP" not in metadata.infos
    assert metadata.infos["sycophancy"].metric == "Non-sycophantic answer (↑)"
    table = apply_benchmark_metadata(
        read_scores(paper_dir / "benchmarks_chat_models.csv"), metadata
    )
    assert table.benchmarks[table.benchmark_index("wmdp_bio")].name == "WMDP Biological Split"


# -- bad input: one sentence naming the file, the place and the fix ---------------------------


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.csv", "", r"empty.csv is empty; give a table with a header row"),
        ("blank.csv", "\n\n", r"blank.csv is empty"),
        ("header.csv", "model,a,b\n", r"header.csv has a header but no rows; add one row"),
        (
            "text.csv",
            "model,a,b\nm1,0.1,high\n",
            r"text.csv, row 2 \(model 'm1'\), column 'b': 'high' is not a number; write a number",
        ),
        (
            "dupmodel.csv",
            "model,a\nm1,0.1\nm2,0.2\nm1,0.3\n",
            r"dupmodel.csv: 1 model appears on more than one row \('m1' in rows 2, 4\); keep one "
            "row per model, choose with --duplicates first",
        ),
        (
            "dupcol.csv",
            "model,a,b,a\nm1,1,2,3\n",
            r"dupcol.csv: the column 'a' appears twice in the header \(columns 2 and 4\)",
        ),
        (
            "nomodel.csv",
            "Model,a\nm1,1\n",
            r"nomodel.csv has no model column 'model' \(did you mean 'Model'\?\); name the "
            r"model-id column with --model-column",
        ),
        (
            "longdup.csv",
            "model,benchmark,score\nm1,a,0.1\nm1,a,0.2\n",
            r"longdup.csv, row 3: model 'm1' on benchmark 'a' already has a different score",
        ),
        (
            "inf.csv",
            "model,a\nm1,inf\n",
            r"inf.csv, row 2 \(model 'm1'\), column 'a': infinite score",
        ),
        (
            "ragged.csv",
            "model,a\nm1,1,2\n",
            r"ragged.csv, row 2: 3 cells for 2 header columns",
        ),
    ],
)
def test_bad_score_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_scores(write(tmp_path, name, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere.csv: no such file; check the path"):
        read_scores(tmp_path / "nothere.csv")


def test_binary_file_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError, match=r"scores.csv is not UTF-8 text"):
        read_scores(path)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        read_scores(tmp_path)


def test_unknown_explicit_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"has no column 'FLOPs' for the flop \(did you mean"):
        read_scores(write(tmp_path, "s.csv", WIDE), columns=ColumnMap(flop="FLOPs"))


def test_metadata_naming_absent_benchmark_is_an_error(tmp_path: Path) -> None:
    scores = read_scores(write(tmp_path, "s.csv", WIDE))
    info = write(tmp_path, "info.csv", "benchmark,role\nalpha,capability\ndelta,safety\n")
    with pytest.raises(
        InputError, match=r"info.csv describes benchmark 'delta', which is not a column"
    ):
        apply_benchmark_metadata(scores, read_benchmark_info(info))


def test_metadata_bad_role_and_direction(tmp_path: Path) -> None:
    bad_role = write(tmp_path, "r.csv", "benchmark,role\nalpha,capabilty\n")
    with pytest.raises(InputError, match=r"r.csv, row 2, column 'role': 'capabilty' is not a"):
        read_benchmark_info(bad_role)
    bad_direction = write(tmp_path, "d.csv", "benchmark,direction\nalpha,sideways\n")
    with pytest.raises(InputError, match=r"d.csv, row 2, column 'direction': 'sideways'"):
        read_benchmark_info(bad_direction)


def test_metadata_reference_must_exist(tmp_path: Path) -> None:
    scores = read_scores(write(tmp_path, "s.csv", WIDE))
    info = write(tmp_path, "i.csv", "benchmark,reference\ngamma,alpah\n")
    with pytest.raises(InputError, match=r"names reference column 'alpah'.*did you mean 'alpha'"):
        apply_benchmark_metadata(scores, read_benchmark_info(info))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom-crlf.csv", "\ufeffmodel,a,b\r\nm1,0.1,2\r\nm2,0.3,4\r\n"),
        ("quoted.csv", 'model,a,"b"\n"m1","0.1",2\nm2,0.3,"4"\n'),
        ("semicolon.csv", "model;a;b\nm1;0.1;2\nm2;0.3;4\n"),
        ("trailing.csv", "model,a,b,,\nm1,0.1,2,,\nm2,0.3,4,,\n"),
        ("blank-lines.csv", "\nmodel,a,b\n\nm1,0.1,2\n\n\nm2,0.3,4\n\n"),
        ("percent.csv", "model,a,b\nm1,10%,2\nm2,30%,4\n"),
    ],
    ids=["bom-crlf", "quoted", "semicolon", "trailing-empty-columns", "blank-lines", "percent"],
)
def test_spreadsheet_exports_read_alike(tmp_path: Path, name: str, content: str) -> None:
    # Expected: the plain table model,a,b / m1,0.1,2 / m2,0.3,4 that every variant encodes.
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))
    table = read_scores(path)
    assert table.model_ids == ("m1", "m2")
    assert table.benchmark_ids == ("a", "b")
    np.testing.assert_allclose(table.values, [[0.1, 2.0], [0.3, 4.0]])


def test_nan_strings_are_missing(tmp_path: Path) -> None:
    table = read_scores(write(tmp_path, "s.csv", "model,a,b\nm1,NaN,1\nm2,n/a,2\nm3,null,3\n"))
    assert np.isnan(table.values[:, 0]).all()
    assert table.values[:, 1].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            # Blank lines count as rows, as in a spreadsheet: 'x' is on the file's row 5.
            "blank.csv",
            "model,a\n\nm1,1\n\nm2,x\n",
            r"blank.csv, row 5 \(model 'm2'\), column 'a': 'x' is not a number",
        ),
        (
            "blankdup.csv",
            "model,a\nm1,1\n\nm1,2\n",
            r"blankdup.csv: 1 model appears on more than one row \('m1' in rows 2, 4\)",
        ),
        (
            "longblank.csv",
            "model,benchmark,score\nm1,a,0.1\n\nm1,a,0.2\n",
            r"longblank.csv, row 4: model 'm1' on benchmark 'a' already has a different score "
            r"in row 2",
        ),
        (
            "decimalcomma.csv",
            'model,a\nm1,"0,5"\n',
            r"decimalcomma.csv, row 2 \(model 'm1'\), column 'a': '0,5' is not a number \(a "
            r"decimal comma\? write 0.5, not 0,5\)",
        ),
        (
            "mixedpercent.csv",
            "model,a\nm1,45%\nm2,50\n",
            r"mixedpercent.csv, row 2 \(model 'm1'\), column 'a': '45%' is a percentage, but "
            r"row 3 has a plain number \('50'\); write every score of 'a' the same way",
        ),
        (
            "longpercent.csv",
            "model,benchmark,score\nm1,a,0.4\nm2,b,40%\nm2,a,45%\n",
            r"longpercent.csv, row 2 \(model 'm1', benchmark 'a'\), column 'score': '0.4' is a "
            r"plain number, but row 4 has a percentage \('45%'\)",
        ),
        (
            "quote.csv",
            'model,a\nm1,1\nm2,"2\n',
            r"quote.csv, line 3: not valid CSV \(unexpected end of data\); check the quotes",
        ),
        (
            # Used to end in an IndexError traceback.
            "commas.csv",
            ",,,\n , \n",
            r"commas.csv has only empty cells; give a header row and one row per model",
        ),
        (
            "unnamed.csv",
            "model,a,\nm1,1,7\n",
            r"unnamed.csv: column 3 of the header has no name; name every column",
        ),
    ],
)
def test_bad_cells_are_located_by_the_spreadsheet_row(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        read_scores(write(tmp_path, name, text))


def test_metadata_rows_are_numbered_like_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "info.csv", "benchmark,role\n\nalpha,capability\n\nbeta,capabilty\n")
    with pytest.raises(InputError, match=r"info.csv, row 5, column 'role': 'capabilty'"):
        read_benchmark_info(path)
