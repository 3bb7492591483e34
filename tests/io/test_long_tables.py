"""Long tables keep their model classes and metadata; a TSV named .csv is read as TSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.core.errors import InputError
from safetywashing.io.tables.readers import read_scores


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _long(rows: list[str], header: str = "model,type,benchmark,score") -> str:
    return header + "\n" + "\n".join(rows) + "\n"


def test_a_class_column_in_a_long_table_is_honoured(tmp_path: Path) -> None:
    # Before, base and chat models were pooled into one class "all".
    rows = [f"{m},{kind},{b},{i + j}" for i, (m, kind) in enumerate(
        [("a", "base"), ("b", "base"), ("c", "chat"), ("d", "chat")]
    ) for j, b in enumerate("xy")]  # fmt: skip
    table = read_scores(_write(tmp_path / "long.csv", _long(rows)))
    assert table.classes() == ("base", "chat")
    assert [m.model_class for m in table.models] == ["base", "base", "chat", "chat"]


def test_long_table_metadata_reads_flop_and_names(tmp_path: Path) -> None:
    text = _long(
        ["a,Model A,1e22,x,0.5", "a,Model A,1e22,y,0.6", "b,Model B,,x,0.7"],
        header="model,name,FLOP,benchmark,score",
    )
    table = read_scores(_write(tmp_path / "long.csv", text))
    assert [m.name for m in table.models] == ["Model A", "Model B"]
    assert table.models[0].flop == 1e22 and table.models[1].flop != table.models[1].flop


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _long(["a,x,1,q"], header="model,benchmark,score,kind"),
            r"long\.csv: column 'kind' of this long table is neither model, benchmark, score",
        ),
        (
            _long(["a,x,1,2"], header="model,benchmark,score,score"),
            r"long\.csv: column 3 and column 4 are both named 'score'; give every column",
        ),
        (
            _long(["a,base,x,1", "a,chat,y,2"]),
            r"long\.csv, row 3: model 'a' has model class 'chat' here but 'base' in row 2; give "
            r"each model one value\.",
        ),
    ],
)
def test_long_table_mistakes_are_one_sentence(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_scores(_write(tmp_path / "long.csv", text))


def test_an_ignored_column_of_a_long_table_is_skipped(tmp_path: Path) -> None:
    from safetywashing.io.tables.readers import ColumnMap

    path = _write(tmp_path / "long.csv", _long(["a,x,1,q"], header="model,benchmark,score,kind"))
    table = read_scores(path, columns=ColumnMap(ignore=("kind",)))
    assert table.benchmark_ids == ("x",)


def test_a_tab_separated_file_named_csv_is_read_as_tsv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "has no model column 'model'", though the real problem was the delimiter.
    # a and b correlate (with r = 0 the first component of two benchmarks is not unique).
    rows = "".join(f"m{i}\t{i}\t{2 * i % 5 + i}\t{i % 3}\n" for i in range(6))
    path = _write(tmp_path / "scores.csv", "model\ta\tb\tc\n" + rows)
    table = read_scores(path)
    assert table.benchmark_ids == ("a", "b", "c") and len(table.models) == 6
    assert main(["audit", str(path), "--capabilities", "a,b", "--format", "csv"]) == 0


@pytest.mark.parametrize(
    ("rows", "row", "here", "there"),
    [
        # The repeated (model, benchmark) row with another class comes last ...
        (["m1,base,a,0.5", "m1,base,b,0.6", "m1,chat,a,0.5"], 4, "chat", "base"),
        # ... or first: before, only this order was refused (row order changed the result).
        (["m1,chat,a,0.5", "m1,base,b,0.6", "m1,base,a,0.5"], 3, "base", "chat"),
    ],
)
def test_a_repeated_row_with_another_class_is_refused_in_any_order(
    tmp_path: Path, rows: list[str], row: int, here: str, there: str
) -> None:
    path = _write(tmp_path / "long.csv", _long(rows))
    with pytest.raises(InputError) as caught:
        read_scores(path)
    assert str(caught.value) == (
        f"{path}, row {row}: model 'm1' has model class '{here}' here but '{there}' in row 2; "
        "give each model one value."
    )
