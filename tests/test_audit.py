"""The audit on constructed and simulated panels: alignment, gaps, classes, recovery."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetywashing.audit.compute import AuditResult, audit
from safetywashing.core.errors import InputError, InputWarning
from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.simulate import simulate_panel


def panel(seed: int = 3, n_models: int = 20) -> ScoreTable:
    return simulate_panel(
        n_models=n_models,
        n_capability=5,
        safety={"entangled": 0.9, "distinct": 0.0, "inverse": -0.9},
        rng=seed,
    ).table


def quiet_audit(table: ScoreTable, **options: object) -> AuditResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        return audit(table, **options)  # type: ignore[arg-type]


def test_demo_panel_recovers_the_planted_classification() -> None:
    # Planted loadings are in the demo metadata ("planted" column): > +0.6 entangled,
    # |rho| <= 0.05 distinct, < -0.6 inverse. The audit must read each one the same way.
    table = load_demo_panel()
    planted = {
        "syn_ethics_qa": 1, "syn_truthfulness_mc": 1, "syn_adversarial_nli": 1,
        "syn_oversight_qa": 1, "syn_chat_preference": 1,
        "syn_bias_ambiguous": 0, "syn_stereotype_pairs": 0, "syn_calibration_error": 0,
        "syn_power_seeking": 0, "syn_jailbreak_success": 0,
        "syn_sycophancy_resistance": -1, "syn_hazard_bio_unlearning": -1,
        "syn_hazard_cyber_unlearning": -1, "syn_deception_avoidance": -1,
        "syn_harmful_compliance": -1,
    }  # fmt: skip
    result = audit(table)
    assert result.synthetic
    for audit_of_class in result.classes:
        for benchmark, sign in planted.items():
            r = audit_of_class.benchmark(benchmark).capabilities_correlation
            if sign == 1:
                assert r >= 0.40, benchmark
            elif sign == -1:
                assert r <= -0.40, benchmark
            else:
                assert -0.40 < r < 0.40, benchmark


def test_lower_is_safer_columns_are_negated_and_recorded() -> None:
    result = audit(load_demo_panel())
    assert set(result.flipped) == {
        "syn_calibration_error", "syn_jailbreak_success", "syn_harmful_compliance",
    }  # fmt: skip
    assert result["chat"].benchmark("syn_harmful_compliance").flipped
    document = result.to_dict()
    assert document["orientation"]["negated"] == list(result.flipped)


def test_recovers_planted_sign_on_larger_simulations() -> None:
    for seed in range(5):
        table = simulate_panel(n_models=60, safety={"up": 0.8, "down": -0.8}, rng=seed).table
        result = audit(table)["all"]
        assert result.benchmark("up").capabilities_correlation > 0.5
        assert result.benchmark("down").capabilities_correlation < -0.5


def test_shuffled_rows_with_a_gap_give_the_same_results() -> None:
    table = panel()
    values = np.array(table.values)
    values[4, 2] = np.nan  # a capability gap: model 4 must be left out, not misaligned
    gapped = replace(table, values=values)
    order = np.random.default_rng(0).permutation(len(table.models))
    shuffled = gapped.select_models(order)
    with pytest.warns(InputWarning, match="'model-05'.*left out of the capability score"):
        first = audit(gapped, impute="none")["all"]
    with pytest.warns(InputWarning, match="'model-05'"):
        second = audit(shuffled, impute="none")["all"]
    assert first.excluded_models == (("model-05", "missing capability benchmark capability_03"),)
    assert math.isnan(first.score_of("model-05"))
    for model in table.model_ids:
        a, b = first.score_of(model), second.score_of(model)
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-12)
    for x, y in zip(first.benchmarks, second.benchmarks, strict=True):
        assert x.capabilities_correlation == pytest.approx(y.capabilities_correlation, abs=1e-12)
        assert x.n == y.n


def test_excluded_model_scores_are_computed_without_it() -> None:
    # Dropping a model with a gap must equal auditing the table without that model.
    table = panel()
    values = np.array(table.values)
    values[0, 0] = np.nan
    with_gap = quiet_audit(replace(table, values=values), impute="none")["all"]
    without = audit(table.select_models(range(1, len(table.models))))["all"]
    for model in without.model_ids:
        assert with_gap.score_of(model) == pytest.approx(without.score_of(model), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 7)), max_size=15))
def test_complete_case_keeps_models_aligned_for_any_missing_pattern(
    cells: list[tuple[int, int]],
) -> None:
    table = panel()
    values = np.array(table.values)
    for row, column in cells:
        values[row, column] = np.nan
    gapped = replace(table, values=values)
    complete = ~np.isnan(values[:, :5]).any(axis=1)
    if complete.sum() < 3:
        with pytest.raises(InputError, match="needs at least 3"):
            quiet_audit(gapped, impute="none")
        return
    result = quiet_audit(gapped, impute="none")["all"]
    scores = np.array([result.score_of(m) for m in table.model_ids])
    assert np.array_equal(np.isnan(scores), ~complete)
    reference = audit(table.select_models(np.flatnonzero(complete)))["all"]
    for model in reference.model_ids:
        assert result.score_of(model) == pytest.approx(reference.score_of(model), abs=1e-10)
    for benchmark in result.benchmarks:
        column = values[:, table.benchmark_index(benchmark.id)]
        assert benchmark.n == int((complete & ~np.isnan(column)).sum())


def test_imputation_is_invariant_to_row_order() -> None:
    table = panel()
    values = np.array(table.values)
    values[4, 2] = np.nan
    values[7, 0] = np.nan
    gapped = replace(table, values=values)
    order = np.random.default_rng(1).permutation(len(table.models))
    first = quiet_audit(gapped)["all"]
    second = quiet_audit(gapped.select_models(order))["all"]
    assert not first.excluded_models
    for model in table.model_ids:
        assert first.score_of(model) == pytest.approx(second.score_of(model), abs=1e-8)


def test_classes_are_analysed_separately_and_pooled_on_request() -> None:
    table = load_demo_panel()
    separate = audit(table)
    assert separate.class_names == ("base", "chat")
    chat_only = audit(table.select_class("chat"))
    assert separate["chat"].score_of("chat-model-16") == chat_only["chat"].score_of("chat-model-16")
    pooled = audit(table, pool_classes=True)
    assert pooled.class_names == ("all",)
    assert len(pooled["all"].model_ids) == 30
    assert audit(table, model_class="base").class_names == ("base",)


def test_reference_column_is_used_instead_of_the_capability_score() -> None:
    table = panel()
    infos = [
        replace(b, reference="capability_01") if b.id == "distinct" else b for b in table.benchmarks
    ]
    result = audit(table.with_benchmarks(infos))["all"]
    row = result.benchmark("distinct")
    assert row.correlated_with == "capability_01"
    expected = np.corrcoef(
        np.argsort(np.argsort(table.column("capability_01"))),
        np.argsort(np.argsort(table.column("distinct"))),
    )[0, 1]  # Spearman without ties, by hand
    assert row.capabilities_correlation == pytest.approx(expected, abs=1e-12)


def test_constant_safety_column_reports_nan_with_a_reason() -> None:
    table = panel()
    values = np.array(table.values)
    values[:, table.benchmark_index("distinct")] = 0.5
    row = audit(replace(table, values=values))["all"].benchmark("distinct")
    assert math.isnan(row.capabilities_correlation)
    assert row.note == "same score for every model"


@pytest.mark.parametrize("method", ["pearson", "kendall"])
def test_other_correlation_methods(method: str) -> None:
    import scipy.stats

    table = panel()
    result = audit(table, method=method)["all"]  # type: ignore[arg-type]
    scores = np.array([result.score_of(m) for m in table.model_ids])
    reference = scipy.stats.pearsonr if method == "pearson" else scipy.stats.kendalltau
    expected = reference(scores, table.column("entangled"))[0]
    assert result.benchmark("entangled").capabilities_correlation == pytest.approx(expected)


def test_json_document_has_the_contracted_fields_and_no_nan_token() -> None:
    table = panel()
    values = np.array(table.values)
    values[:, table.benchmark_index("distinct")] = 0.5  # forces a NaN correlation
    result = audit(replace(table, values=values))
    text = json.dumps(result.to_dict(), allow_nan=False)
    document = json.loads(text)
    assert document["schema_version"] == "1.0"
    klass = document["classes"]["all"]
    for key in (
        "capability_benchmarks", "loadings", "eigenvalues", "variance_explained", "models",
        "benchmarks", "score_compute_correlation",
    ):  # fmt: skip
        assert key in klass
    entry = klass["benchmarks"]["distinct"]
    assert entry["capabilities_correlation"] is None
    for key in ("compute_correlation", "n", "role", "area", "direction"):
        assert key in entry


def test_to_frame_has_one_row_per_class_and_benchmark() -> None:
    result = audit(load_demo_panel())
    frame = result.to_frame()
    assert len(frame) == 2 * 27
    assert list(frame.columns[:3]) == ["model_class", "benchmark", "name"]


@pytest.mark.parametrize("threshold", [0.40, 0.80])
def test_to_frame_has_the_reading_the_table_shows(threshold: float) -> None:
    # Before: no reading column; a user re-derived low/moderate/high/inverse by hand.
    from safetywashing.audit.result import BENCHMARK_COLUMNS
    from safetywashing.report.console import decision

    result = audit(load_demo_panel(), threshold=threshold)
    frame = result.to_frame()
    assert list(frame.columns) == BENCHMARK_COLUMNS
    position = BENCHMARK_COLUMNS.index("capabilities_correlation")
    assert BENCHMARK_COLUMNS[position + 1] == "reading"
    for c in result.classes:
        assert c.rule == result.rule  # the audit's line, not the paper's default
        part = c.to_frame()
        assert list(part.columns) == BENCHMARK_COLUMNS
        # The word the console's decision column prints (no interval: the reading).
        assert part["reading"].tolist() == [decision(result, c, b) for b in c.benchmarks]
        # And the decision rule's reading, worked out here from the raw columns.
        high = c.mean_capability_correlation
        for r, word in zip(part["capabilities_correlation"], part["reading"], strict=True):
            expected = (
                "inverse" if r <= -threshold else "low" if r < threshold
                else "high" if r >= high else "moderate"
            )  # fmt: skip
            assert word == expected, (r, word)
    assert set(frame["reading"]) <= {"inverse", "low", "moderate", "high"}
    if threshold == 0.40:  # the demo's planted benchmarks give every word at the paper's line
        assert set(frame["reading"]) == {"inverse", "low", "moderate", "high"}


# -- errors ---------------------------------------------------------------------------------


def tiny_table(n_models: int, constant: bool = False) -> ScoreTable:
    values = np.arange(n_models * 3, dtype=float).reshape(n_models, 3) ** 1.5
    if constant:
        values[:, 1] = 1.0
    return ScoreTable(
        values=values,
        models=tuple(ModelInfo(id=f"m{i}") for i in range(n_models)),
        benchmarks=(
            BenchmarkInfo(id="a", role="capability"),
            BenchmarkInfo(id="b", role="capability"),
            BenchmarkInfo(id="s"),
        ),
    )


def test_too_few_models_is_an_error() -> None:
    with pytest.raises(InputError, match=r"Only 2 models have every capability benchmark"):
        audit(tiny_table(2))
    table = tiny_table(4)
    values = np.array(table.values)
    values[1:3, 0] = np.nan
    with pytest.raises(InputError, match=r"Only 2 models have every capability benchmark"):
        quiet_audit(replace(table, values=values), impute="none")


def test_constant_capability_column_is_an_error() -> None:
    with pytest.raises(InputError, match="'b' has the same score for every model"):
        audit(tiny_table(5, constant=True))


def test_all_missing_capability_column_is_an_error() -> None:
    table = tiny_table(5)
    values = np.array(table.values)
    values[:, 0] = np.nan
    with pytest.raises(InputError, match="'a' has no scores for the models"):
        audit(replace(table, values=values))


def test_no_capability_benchmarks_is_an_error() -> None:
    table = tiny_table(5)
    table = table.with_benchmarks(replace(b, role="safety") for b in table.benchmarks)
    with pytest.raises(InputError, match="No capability benchmarks are given"):
        audit(table)


def test_unknown_capability_suggests_close_matches() -> None:
    with pytest.raises(InputError, match=r"'mmlu_x' .* \(did you mean 'mmlu'\?\)"):
        audit(_renamed(), capabilities=["mmlu_x", "capability_02"])


def _renamed() -> ScoreTable:
    table = panel()
    benchmarks = tuple(
        replace(b, id="mmlu") if b.id == "capability_01" else b for b in table.benchmarks
    )
    return replace(table, benchmarks=benchmarks)


def test_unknown_class_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="No model has class 'instruct'; the classes present"):
        audit(load_demo_panel(), model_class="instruct")


def test_models_with_the_same_capability_block_tie_whatever_the_column_order() -> None:
    # Found by benchmarks/fuzz.py (seed 25): two models with identical capability scores
    # got scores differing in the last bit with the column order, and Spearman read them as
    # ranked, so the capabilities correlations changed when the file's columns were shuffled.
    rng = np.random.default_rng(7)
    n, k = 5, 12
    block = rng.uniform(0.2, 0.9, size=(n, k))
    block[4] = block[1]  # model m4 has model m1's capabilities (apart, as BLAS blocks rows)
    safety = rng.uniform(size=(n, 1))
    names = [f"c{j}" for j in range(k)]
    frame = pd.DataFrame(np.hstack([block, safety]), columns=[*names, "s"])
    frame.insert(0, "model", [f"m{i}" for i in range(n)])
    found = set()
    for seed in range(10):
        order = list(np.random.default_rng(seed).permutation(names))
        result = audit(frame[["model", *order, "s"]], capabilities=order)["all"]
        found.add(result.benchmark("s").capabilities_correlation)
    assert len(found) == 1
