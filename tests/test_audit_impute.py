"""Imputation and coverage inside the audit."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from safetywashing.audit.compute import audit
from safetywashing.core.errors import InputError, InputWarning
from safetywashing.core.table import ScoreTable
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.io.tables.readers import read_scores
from safetywashing.report import tables
from safetywashing.report.latex import escape_markdown
from safetywashing.stats.impute import impute_pca
from safetywashing.stats.pca import capability_component, standardize


def _datasets() -> Path:
    folder = reference_root()
    if not (folder / "safetywashing-paper").is_dir():
        pytest.skip(f"reference datasets not found at {folder}")
    return folder


def _with_gaps(table: ScoreTable, cells: list[tuple[int, str]]) -> ScoreTable:
    values = np.array(table.values)
    for row, benchmark in cells:
        values[row, table.benchmark_index(benchmark)] = np.nan
    return replace(table, values=values)


@pytest.mark.parametrize("kind", ["chat", "base"])
def test_complete_paper_data_gives_identical_numbers_with_or_without_imputation(kind: str) -> None:
    table = read_scores(_datasets() / "safetywashing-paper" / f"benchmarks_{kind}_models.csv")
    imputed = audit(table, preset="paper")
    complete_case = audit(table, preset="paper", impute="none")
    for a, b in zip(imputed.classes, complete_case.classes, strict=True):
        assert np.array_equal(a.capability_scores, b.capability_scores)
        assert [r.capabilities_correlation for r in a.benchmarks] == [
            r.capabilities_correlation for r in b.benchmarks
        ]
        assert a.imputed_cells == ()
        assert a.coverage is not None and a.coverage.n_imputed_cells == 0
    # The paper's Table (README of the reference data): PC1 variance explained.
    expected = {"chat": 0.708, "base": 0.783}[kind]
    assert imputed.classes[0].variance_explained == pytest.approx(expected, abs=5e-4)


def test_gaps_are_imputed_from_the_capability_block_only() -> None:
    table = load_demo_panel().select_class("chat")
    capability_ids = tuple(b.id for b in table.benchmarks if b.role == "capability")
    gappy = _with_gaps(table, [(0, capability_ids[0]), (3, capability_ids[2])])
    with pytest.warns(InputWarning, match="has 1 imputed capability value"):
        result = audit(gappy)
    chat = result["chat"]
    assert chat.imputed_cells == (
        (table.model_ids[0], capability_ids[0]),
        (table.model_ids[3], capability_ids[2]),
    )
    assert len(chat.capability_model_ids) == len(table.models)
    # Independent computation: impute the capability block alone, then PC1 as usual.
    block = gappy.values[:, [gappy.benchmark_index(b) for b in capability_ids]]
    completed = impute_pca(block).completed
    z, _, _ = standardize(completed)
    np.testing.assert_allclose(chat.capability_scores, capability_component(z).scores)
    # Safety columns cannot influence the capability scores: scramble them all.
    values = np.array(gappy.values)
    safety = [j for j, b in enumerate(gappy.benchmarks) if b.role == "safety"]
    values[:, safety] = np.random.default_rng(0).normal(size=(len(table.models), len(safety)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        scrambled = audit(replace(gappy, values=values))["chat"]
    np.testing.assert_allclose(scrambled.capability_scores, chat.capability_scores)


def test_none_leaves_gappy_models_out_and_min_observed_excludes_sparse_models() -> None:
    table = load_demo_panel().select_class("base")
    capability_ids = [b.id for b in table.benchmarks if b.role == "capability"]
    sparse = [(1, b) for b in capability_ids[:10]]  # 2 of 12 left: below the default 3
    gappy = _with_gaps(table, [(0, capability_ids[4]), *sparse])
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        complete_case = audit(gappy, impute="none")["base"]
        imputed = audit(gappy)["base"]
        strict = audit(gappy, min_observed=12)["base"]
        lenient = audit(gappy, min_observed=2)["base"]
    assert [m for m, _ in complete_case.excluded_models] == list(table.model_ids[:2])
    assert [m for m, _ in imputed.excluded_models] == [table.model_ids[1]]
    assert "has 2 of 12; imputation needs at least 3" in imputed.excluded_models[0][1]
    assert np.isnan(imputed.score_of(table.model_ids[1]))
    assert not np.isnan(imputed.score_of(table.model_ids[0]))
    assert len(strict.excluded_models) == 2
    assert lenient.excluded_models == ()
    assert len(lenient.imputed_cells) == 11
    coverage = imputed.coverage
    assert coverage is not None
    statuses = {m.id: m.status for m in coverage.models}
    assert statuses[table.model_ids[0]] == "imputed"
    assert statuses[table.model_ids[1]] == "excluded"
    assert statuses[table.model_ids[2]] == "complete"
    assert coverage.min_observed == 3
    by_benchmark = {b.id: b for b in coverage.benchmarks}
    # Model 1 lacks this benchmark too but is left out, so only model 0's cell is filled.
    assert by_benchmark[capability_ids[4]].n_imputed == 1
    assert by_benchmark[capability_ids[4]].missing_models == table.model_ids[:2]


def test_exclusion_warning_names_the_model() -> None:
    table = load_demo_panel().select_class("base")
    capability_ids = [b.id for b in table.benchmarks if b.role == "capability"]
    gappy = _with_gaps(table, [(2, b) for b in capability_ids[:10]])
    with pytest.warns(InputWarning, match=f"Model '{table.model_ids[2]}' \\(base\\) is left out"):
        audit(gappy)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"impute": "mean"}, "impute='mean' is not one of none, pca."),
        ({"impute_rank": 0}, "impute_rank=0 is below 1; give a whole number of at least 1."),
        ({"min_observed": 0}, "min_observed=0 is below 1; give a whole number of at least 1."),
        (
            {"min_observed": 13},
            "min_observed=13 exceeds the 12 capability benchmarks; lower min_observed "
            "(at most 12).",
        ),
        (
            {"impute_rank": 12},
            "impute_rank=12 is not below the number of capability benchmarks (12); use "
            "impute_rank=1 (it must be at most 11).",
        ),
        # Refused whether or not the table has gaps (it was accepted silently without them).
        ({"impute_rank": 20}, "impute_rank=20 is not below the number of capability"),
    ],
)
def test_bad_imputation_settings(kwargs: dict[str, object], message: str) -> None:
    table = load_demo_panel()
    capability = next(b.id for b in table.benchmarks if b.role == "capability")
    gappy = _with_gaps(table, [(0, capability)])
    with pytest.raises(InputError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        audit(gappy, **kwargs)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_json_and_markdown_carry_the_coverage() -> None:
    table = load_demo_panel()
    capability = next(b.id for b in table.benchmarks if b.role == "capability")
    gappy = _with_gaps(table, [(0, capability)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        result = audit(gappy)
    document = json.loads(tables.to_json(result))
    first = document["classes"]["base"]
    model = table.model_ids[0]
    assert first["imputed_cells"] == [{"model": model, "benchmark": capability}]
    assert first["coverage"]["models"][model]["status"] == "imputed"
    assert first["coverage"]["imputation"]["n_imputed_cells"] == 1
    assert document["config"]["impute"] == "pca"
    assert set(first["standardization"]) == set(first["capability_benchmarks"])
    summary = tables.markdown_summary(result)
    assert "### Coverage" in summary
    # Names are escaped as in every Markdown table ('_' -> '\_').
    assert f"| {model} | imputed | 11 of 12 | {escape_markdown(capability)} |" in summary


@pytest.mark.filterwarnings("ignore::safetywashing.core.errors.InputWarning")
def test_capability_column_missing_in_every_kept_model_is_named_as_missing() -> None:
    # Regression: a capability column observed only in a model that is left out (or in
    # one kept model) was reported as having "the same score for every model".
    from safetywashing.datasets.simulate import simulate_panel

    table = simulate_panel(n_models=12, safety={"s": 0.5}, rng=3).table
    first = table.benchmark_ids[0]
    values = np.array(table.values)
    values[1:, 0] = np.nan  # only model 0 has the first capability benchmark ...
    gappy = replace(table, values=values)
    with pytest.raises(InputError) as one:
        audit(gappy)
    assert str(one.value) == (
        f"Capability benchmark '{first}' has the same score for every model that has it "
        "(1 of 12), so it carries no information; drop it from the capability benchmarks."
    )
    values = np.array(values)
    values[0, 1:12] = np.nan  # ... and model 0 has no other, so it is left out
    with pytest.raises(InputError) as none:
        audit(replace(table, values=values))
    assert str(none.value) == (
        f"Capability benchmark '{first}' has no scores for the 11 models with at least 3 "
        "of the 12 capability benchmarks, so it cannot be imputed; drop it from the "
        "capability benchmarks or add scores."
    )


def test_coverage_reports_the_benchmarks_the_class_audit_reports() -> None:
    # Regression: a benchmark with no score in a class (e.g. a chat-only leaderboard in
    # a combined table) is left out of that class's audit, but coverage still listed it
    # and counted it in every model's n_other_total.
    from safetywashing.datasets.simulate import simulate_panel

    table = simulate_panel(
        n_models=20, safety={"both": 0.5, "chat_only": 0.5}, classes=("base", "chat"), rng=2
    ).table
    values = np.array(table.values)
    base_rows = [i for i, m in enumerate(table.models) if m.model_class == "base"]
    values[base_rows, table.benchmark_index("chat_only")] = np.nan
    result = audit(replace(table, values=values))
    for model_class in ("base", "chat"):
        audit_of_class = result[model_class]
        coverage = audit_of_class.coverage
        assert coverage is not None
        reported = [b.id for b in audit_of_class.benchmarks]
        assert [b.id for b in coverage.benchmarks] == reported
        others = len([b for b in audit_of_class.benchmarks if b.role != "capability"])
        assert {m.n_other_total for m in coverage.models} == {others}
    assert "chat_only" not in [b.id for b in result["base"].benchmarks]
