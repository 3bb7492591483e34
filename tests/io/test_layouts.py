"""Leaderboard exports read with no flag: Open LLM Leaderboard v1/v2 and HELM tables.

The fixtures are built by ``fixtures/make_table_fixtures.py`` in the published layouts
(column names and order of the leaderboards' ``contents`` tables, HELM's exported
table) with synthetic numbers; expected values are read back from the frames that
script builds.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from safetywashing.audit.compute import audit
from safetywashing.cli.app import main
from safetywashing.core.table import ScoreTable
from safetywashing.io.tables.layouts import recognise
from safetywashing.io.tables.readers import ColumnMap, read_scores

FIXTURES = Path(__file__).parent / "fixtures"


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_table_fixtures", FIXTURES / "make_table_fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


MAKER = _maker()


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths: dict[str, Path] = MAKER.build_all(tmp_path_factory.mktemp("tables"))
    return paths


def _read(path: Path, columns: ColumnMap | None = None) -> tuple[ScoreTable, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_scores(path, columns=columns or ColumnMap())
    return table, [str(w.message) for w in caught]


@pytest.mark.parametrize("name", ["openllm_v2.csv", "openllm_v2.parquet"])
def test_open_llm_leaderboard_v2_reads_with_no_flag(tables: dict[str, Path], name: str) -> None:
    table, notices = _read(tables[name])
    frame = MAKER.openllm_v2()
    assert table.model_ids == tuple(frame["fullname"])
    assert table.benchmark_ids == tuple(MAKER.V2_BENCHMARKS)  # Raw twins, Average left out
    assert [b.role for b in table.benchmarks] == ["capability"] * 6
    np.testing.assert_allclose(table.values, frame[MAKER.V2_BENCHMARKS].to_numpy())
    assert table.compute_kind == "params"
    np.testing.assert_allclose(table.flop, frame["#Params (B)"].to_numpy() * 1e9)
    # Type "🟢 : pretrained" -> base, "💬 : chat models (...)" -> chat
    assert table.classes() == ("base", "chat")
    assert notices[0] == (
        f"{tables[name]}: read as an Open LLM Leaderboard v2 table (model id 'fullname', "
        "class from 'Type', compute = '#Params (B)' as parameters)."
    )
    # Every other column is said not audited, with its reason, in one note.
    assert len(notices) == 2 and notices[1].startswith(f"{tables[name]}: 27 columns not audited")
    note = table.notes[1]
    audited = {*table.benchmark_ids, "fullname", "Type", "#Params (B)"}
    assert all(f"'{column}'" in note for column in frame.columns if column not in audited)


def test_v2_table_audits_with_no_flag(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(tables["openllm_v2.csv"]), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document["classes"]) == {"base", "chat"}


def test_the_old_leaderboard_export_audits_with_one_set_of_flags(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tables["openllm_v1_export.csv"])
    assert main(["audit", path]) == 2
    # 8 rows have an empty Type; one is a second precision of a model, left out first
    assert "the class column 'Type' is empty in 7 rows" in capsys.readouterr().err
    flags = ["--missing-class", "chat", "--duplicates", "max", "--format", "json"]
    assert main(["audit", path, *flags]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    frame = MAKER.openllm_v1_export()
    n_models = frame["fullname"].nunique()
    assert sum(c["n_models"] for c in document["classes"].values()) == n_models
    notes = [line for line in captured.err.splitlines() if line.startswith("note: ")]
    # the layout, empty classes, 0 parameters, repeated models, the columns not audited
    assert len(notes) == 5
    # TruthfulQA is the safety benchmark of v1; the other five are capabilities.
    chat = document["classes"]["chat"]
    assert chat["capability_benchmarks"] == list(MAKER.V1_BENCHMARKS[:3] + MAKER.V1_BENCHMARKS[4:])
    assert "TruthfulQA" in chat["benchmarks"]


def test_duplicates_max_takes_the_best_cell_of_the_repeated_rows(
    tables: dict[str, Path],
) -> None:
    columns = ColumnMap(missing_class="chat", duplicates="max")
    table, _ = _read(tables["openllm_v1_export.csv"], columns)
    frame = MAKER.openllm_v1_export()
    expected = frame.groupby("fullname", sort=False)["MMLU"].max()  # pandas, independently
    np.testing.assert_allclose(table.column("MMLU"), expected.loc[list(table.model_ids)])
    zero = frame.loc[frame["#Params (B)"] == 0, "fullname"].unique()
    for model_id in zero:
        assert math.isnan(table.flop[table.model_ids.index(model_id)])


def test_helm_table_skips_its_metadata_rows_and_reads_directions(
    tables: dict[str, Path],
) -> None:
    table, notices = _read(tables["helm_core.csv"])
    assert len(table.models) == 39
    assert table.model_ids[0] == "synthetic-lab/helm-model-00"
    assert "Mean win rate" not in table.benchmark_ids
    roles = {b.id: b.role for b in table.benchmarks}
    assert roles["TruthfulQA - EM"] == "safety" and roles["BBQ - Bias (ambiguous)"] == "safety"
    assert roles["CivilComments - EM"] == "safety" and roles["MMLU - EM"] == "capability"
    directions = {b.id: b.direction for b in table.benchmarks}
    assert directions["BBQ - Bias (ambiguous)"] == "lower"  # the arrow row's "↓"
    assert directions["MMLU - EM"] == "higher"
    assert math.isnan(table.values[3, table.benchmark_ids.index("HellaSwag - EM")])  # "-"
    assert notices[0].endswith("read as a HELM leaderboard table (model id 'Model').")
    from safetywashing.core.errors import InputWarning

    with pytest.warns(InputWarning, match="'synthetic-lab/helm-model-03' .* imputed"):
        result = audit(table)  # the one "-" cell is a capability gap, imputed
    assert len(result.classes[0].model_ids) == 39


def test_the_188_model_table_audits_with_one_set_of_flags(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tables["leaderboard_188.csv"])
    capabilities = ",".join(
        b for b in MAKER.V1_BENCHMARKS + MAKER.V2_BENCHMARKS if b != "TruthfulQA"
    )
    flags = [
        "--model-column", "Model", "--family-column", "Model Family",
        "--class-column", "Instruct", "--params-column", "Params (B)", "--params-scale", "1e9",
        "--compute-column", "FLOP (1E21)", "--flop-scale", "1e21",
        "--text-columns", "ignore", "--capabilities", capabilities, "--format", "json",
    ]  # fmt: skip
    assert main(["audit", path, *flags]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert {name: c["n_models"] for name, c in document["classes"].items()} == {
        "base": 94,  # the fixture's Instruct flag: False on even rows
        "chat": 94,
    }
    assert [line for line in captured.err.splitlines() if line.startswith("note: ")] == [
        f"note: {path}: the class column 'Instruct' is a yes/no flag, read as chat (yes) or "
        "base (no).",
        f"note: {path}: 5 columns not audited (an unnamed index a program wrote: "
        "'column 1'; text, not scores (--text-columns ignore): 'Architecture', 'Hub License', "
        "'Precision' and 'Base Model').",
    ]


def test_recognition_needs_the_layouts_columns() -> None:
    assert recognise(["Model", "MMLU", "ARC-C"]) is None  # ObsScaling: read with flags
    assert recognise(["fullname", "eval_name", "ARC", "HellaSwag", "MMLU"]).name == "openllm-v1"  # type: ignore[union-attr]
    assert recognise(["Model/adapter", "Mean win rate", "MMLU - EM"]).name == "helm"  # type: ignore[union-attr]


def test_layout_none_reads_the_file_as_given(tables: dict[str, Path]) -> None:
    from safetywashing.core.errors import InputError

    with pytest.raises(InputError, match=r"has no model column 'model'"):
        read_scores(tables["openllm_v2.csv"], columns=ColumnMap(layout="none"))


def test_user_options_win_over_the_layout(tables: dict[str, Path]) -> None:
    columns = ColumnMap(model="eval_name", default_class="all", model_class="T")
    table, _ = _read(tables["openllm_v2.csv"], columns)
    assert table.model_ids[0].endswith("_float16")
    assert set(table.classes()) == {"🟢", "💬"}


def test_parameters_standing_in_for_compute_are_labelled_so(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 13, failure 6: tables and JSON said "FLOP" for a parameter count.
    path = str(tables["openllm_v2.csv"])
    assert main(["audit", path, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["compute"] == {"kind": "params", "label": "parameters"}
    assert main(["audit", path]) == 0
    out = capsys.readouterr().out
    assert "score vs params" in out and "params %" in out and "FLOP" not in out
    assert main(["audit", path, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "capability score vs parameters" in markdown and "n (params)" in markdown
    assert "FLOP" not in markdown


def test_the_paper_still_says_training_flop(
    paper_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(paper_dir / "benchmarks_chat_models.csv"), "--preset", "paper"]) == 0
    assert "│ FLOP % │" in capsys.readouterr().out.replace("┃", "│")
