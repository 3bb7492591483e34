"""Real files read as they come (issue 23): one test per numbered failure.

The fixtures are built by ``fixtures/make_table_fixtures.py`` in the published layouts
and quirks (two precisions per model, ``❓ other``, emoji headers, unit-suffixed cells,
a BOM, ``NA``) with synthetic numbers; expected values come from the frames that script
builds, with pandas. Each test fails on the code before the issue (5adea0d), whose
behaviour is named in its comment.
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

from safetywashing.cli.app import main
from safetywashing.core.errors import InputError
from safetywashing.core.table import ScoreTable
from safetywashing.io.tables.readers import ColumnMap, read_scores

FIXTURES = Path(__file__).parent / "fixtures"


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_table_fixtures_23", FIXTURES / "make_table_fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


MAKER = _maker()


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths: dict[str, Path] = MAKER.build_all(tmp_path_factory.mktemp("exports"))
    return paths


def _read(path: Path, columns: ColumnMap | None = None) -> tuple[ScoreTable, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_scores(path, columns=columns or ColumnMap())
    return table, [str(w.message) for w in caught]


def _notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("note: ")]


# -- 1. the v2 export reads and audits with no flag -------------------------------------------


def test_v2_export_keeps_the_row_of_the_highest_precision(tables: dict[str, Path]) -> None:
    # Before: "45 models appear on more than one row".
    table, notices = _read(tables["openllm_v2_export.csv"])
    frame = MAKER.openllm_v2_export()
    assert table.model_ids == tuple(frame["fullname"].unique())
    kept = frame[frame["Precision"] == "bfloat16"].set_index("fullname")  # pandas, independently
    np.testing.assert_allclose(table.values, kept.loc[list(table.model_ids), MAKER.V2_BENCHMARKS])
    repeated = (frame["fullname"].value_counts() > 1).sum()
    assert f"{repeated} models listed at several 'Precision' values" in notices[1]
    assert "other" in table.classes()  # '❓ other' has a short class name like the others


def test_v2_export_audits_with_no_flag_and_says_which_class_it_leaves_out(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "Only 2 ❓ other models have at least 2 of the 6 capability benchmarks".
    assert main(["audit", str(tables["openllm_v2_export.csv"]), "--format", "json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert set(document["classes"]) == {"base", "chat", "fine-tuned", "merge", "multimodal"}
    left_out = [note for note in document["notes"] if note.startswith("the class 'other'")]
    assert left_out == [
        "the class 'other' is not audited: it has 2 models ('synthetic-org-0/v2-export-007', "
        "'synthetic-org-3/v2-export-031') and the method needs at least 3 (analyse it with "
        "others using --pool)."
    ]
    assert f"note: {left_out[0]}" in _notes(captured.err)


def test_the_precision_default_gives_way_to_the_users_choice(tables: dict[str, Path]) -> None:
    table, _ = _read(tables["openllm_v2_export.csv"], ColumnMap(model="fullname,Precision"))
    assert len(table.models) == len(MAKER.openllm_v2_export())
    table, _ = _read(tables["openllm_v2_export.csv"], ColumnMap(duplicates="last"))
    frame = MAKER.openllm_v2_export().drop_duplicates("fullname", keep="last")
    np.testing.assert_allclose(table.column("BBH"), frame["BBH"])


# -- 2. model facts are not audited as benchmarks unless named --------------------------------


def test_columns_named_as_model_facts_are_not_audited(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: '#Params (B)', 'FLOPs (1E21)' and 'Pretraining Data Size (T)' were audited.
    path = str(tables["scaling_laws.csv"])
    flags = ["--model-column", "Model", "--family-column", "Model Family"]
    flags += ["--capabilities", "MMLU,ARC-C,HellaSwag,Winogrande,GSM8K,XWinograd"]
    assert main(["audit", path, *flags, "--format", "json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    audited = set(document["classes"]["all"]["benchmarks"])
    assert audited == set(MAKER.SCALING_BENCHMARKS)
    expected = (
        f"{path}: 3 columns not audited (named as parameters: '#Params (B)'; named as FLOP: "
        "'FLOPs (1E21)'; named as tokens: 'Pretraining Data Size (T)'; a column named as a "
        "model fact is audited only if named, with --capabilities or a role in --benchmarks)."
    )
    assert document["notes"] == [expected]
    assert _notes(captured.err) == [f"note: {expected}"]


def test_a_column_named_as_a_model_fact_is_audited_when_named(tables: dict[str, Path]) -> None:
    table, _ = _read(tables["leaderboard_v1_table.csv"], ColumnMap(duplicates="first"))
    roles = {b.id: b.role for b in table.benchmarks}
    assert roles["Average ⬆️"] == roles["Hub ❤️"] == roles["#Params (B)"] == "ignore"
    from safetywashing.audit.compute import audit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = audit(table, capabilities=("ARC", "HellaSwag", "MMLU", "#Params (B)"))
    assert "#Params (B)" in result.classes[0].capability_benchmarks


@pytest.mark.parametrize(
    ("name", "columns", "facts"),
    [
        ("openllm_v2_export.csv", ColumnMap(), {"fullname", "Type", "#Params (B)"}),
        ("helm_core.csv", ColumnMap(), {"Model"}),
        (
            "scaling_laws.csv",
            ColumnMap(model="Model", family="Model Family"),
            {"Model", "Model Family"},
        ),
        ("leaderboard_188.csv", ColumnMap(model="Model", text_columns="ignore"), {"Model"}),
    ],
)
def test_every_column_ends_in_one_place(
    tables: dict[str, Path], name: str, columns: ColumnMap, facts: set[str]
) -> None:
    # Audited, a model fact, or named in the one note of the columns not audited.
    import pandas as pd

    table, _ = _read(tables[name], columns)
    header = [str(c) for c in pd.read_csv(tables[name], nrows=0, encoding="utf-8-sig").columns]
    notes = [n for n in table.notes if " not audited (" in n]
    assert len(notes) == 1
    audited = {b.id for b in table.benchmarks if b.role != "ignore"}
    for column in header:
        shown = "column 1" if column.startswith("Unnamed") else column
        places = [column in audited, column in facts, f"'{shown}'" in notes[0]]
        assert sum(places) == 1, (column, places)


# -- 3. columns a class has no score for are said per class ----------------------------------


def test_chat_only_columns_are_named_for_the_base_class(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: 'Arena-Elo' and 'MTBench' vanished from the base class with no note.
    path = str(tables["chat_only.csv"])
    assert main(["audit", path, "--capabilities", ",".join(MAKER.CHAT_CAPABILITIES)]) == 0
    assert _notes(capsys.readouterr().err) == [
        "note: the class 'base': 2 benchmarks have no score for its models and are not "
        "audited ('Arena-Elo', 'MTBench')."
    ]


# -- 4. no --skip-rows advice that would drop the models ---------------------------------------


def test_unit_suffixed_columns_are_text_columns_not_rows_to_skip(tables: dict[str, Path]) -> None:
    # Before: "the first 457 rows under the header hold text (rows 2-458), not scores; skip
    # them with --skip-rows 457", and --text-columns ignore did not get past it.
    path = tables["unit_suffix_477.csv"]
    with pytest.raises(InputError) as caught:
        read_scores(path)
    assert str(caught.value) == (
        f"{path}: 2 columns hold text, not scores ('Size' and 'Context'); skip them all with "
        "--text-columns ignore (or name each with --ignore-column)."
    )
    table, _ = _read(path, ColumnMap(text_columns="ignore"))
    assert len(table.models) == 477
    assert table.benchmark_ids == tuple(MAKER.V1_BENCHMARKS)


def test_rows_of_units_under_the_header_are_still_found(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "model,a,b\nunit,%,%\nwhat,acc,acc\nhow,EM,F1\nm1,1,2\nm2,3,4\nm3,5,7\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"first 3 rows .* skip them with --skip-rows 3\."):
        read_scores(path)


# -- 5. and 6. repeated models: class conflicts, compute notes by model, 0.0/1.0 flags ---------


def test_merged_rows_that_disagree_on_the_class_are_named(tables: dict[str, Path]) -> None:
    # Before: the first row's class was taken silently; the 0.0/1.0 flag was not read as
    # yes/no and the zero-parameter note counted rows.
    columns = ColumnMap(
        model_class="Instruct",
        duplicates="mean",
        flop="#Params (B)",
        flop_scale=1e9,
        compute_kind="params",
    )
    table, notices = _read(tables["leaderboard_v1_table.csv"], columns)
    frame = MAKER.leaderboard_v1_table()
    assert set(table.classes()) == {"base", "chat"}
    conflicts = [
        m for m, group in frame.groupby("model", sort=False) if group["Instruct"].nunique() > 1
    ]
    conflict_note = next(n for n in table.notes if "disagree on the class" in n)
    assert conflict_note.startswith(
        f"{tables['leaderboard_v1_table.csv']}: {len(conflicts)} of them have rows that disagree"
    )
    assert all(f"'{m}'" in conflict_note for m in conflicts)
    zero = frame.loc[frame["#Params (B)"] == 0, "model"]
    zero_note = next(n for n in table.notes if "zero or negative" in n)
    assert f": {zero.nunique()} models have zero" in zero_note
    assert len(zero) > zero.nunique()  # the fixture has them on repeated rows
    assert zero_note.count(f"'{zero.iloc[0]}'") == 1
    assert any("is a yes/no flag" in n for n in notices)


# -- 7. a second table of model facts ---------------------------------------------------------


def test_model_facts_from_their_own_file(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: no --models option.
    path = str(tables["scaling_scores.csv"])
    flags = ["--models", str(tables["model_properties.csv"]), "--model-column", "Model"]
    flags += ["--params-column", "#Params (B)", "--params-scale", "1e9"]
    flags += ["--flop-column", "FLOPs (1E21)", "--flop-scale", "1e21"]
    flags += ["--capabilities", "MMLU,ARC-C,HellaSwag,Winogrande,GSM8K,XWinograd"]
    assert main(["audit", path, *flags, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["classes"]["all"]["score_compute_n"] == 188
    facts = MAKER.model_properties().set_index("model")
    table, _ = _read(
        tables["scaling_scores.csv"],
        ColumnMap(
            model="Model",
            models=str(tables["model_properties.csv"]),
            flop="FLOPs (1E21)",
            flop_scale=1e21,
            family="family",
        ),
    )
    np.testing.assert_allclose(table.flop, facts.loc[list(table.model_ids), "FLOPs (1E21)"] * 1e21)
    assert [m.family for m in table.models] == list(facts.loc[list(table.model_ids), "family"])
    assert table.notes[-1].startswith("model facts from ")


def test_a_fact_that_disagrees_with_the_scores_is_refused(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("model,family,a,b\nm1,llama,1,2\nm2,qwen,3,4\n", encoding="utf-8")
    facts = tmp_path / "facts.csv"
    facts.write_text("model,family,FLOP\nm1,mistral,1e21\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"gives the model 'm1' family 'mistral'"):
        read_scores(scores, columns=ColumnMap(models=str(facts)))
    facts.write_text("model,family,FLOP\nm1,llama,1e21\n", encoding="utf-8")
    table, notices = _read(scores, ColumnMap(models=str(facts)))
    assert table.flop[0] == 1e21 and math.isnan(table.flop[1])
    assert notices == [
        f"model facts from {facts} for 1 of the 2 models.",
        f"1 model has no row in {facts}: 'm2'.",
    ]
