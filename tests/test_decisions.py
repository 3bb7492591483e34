"""Decisions a researcher can stand behind: tests that can reject, families of tests,
degenerate resamples, equivalence and "how many models would settle it", clusters.

Counts on the paper's chat panel (26 models, 178 benchmarks: 12 capability, 154 tested
against the capability score, 12 calibration benchmarks against their own task) come
from ``benchmarks_chat_models.csv`` and the paper preset.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from safetywashing.audit.compute import audit
from safetywashing.audit.result import AuditResult
from safetywashing.core.errors import InputError, InputWarning
from safetywashing.core.table import ScoreTable
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.simulate import simulate_panel
from safetywashing.io.tables.readers import read_scores
from safetywashing.stats.multiple import adjust, permutations_needed, smallest_adjusted
from safetywashing.uncertainty.compute import bootstrap_audit
from safetywashing.uncertainty.result import UncertaintyResult


@pytest.fixture(scope="module")
def chat(paper_dir: Path) -> AuditResult:
    return audit(read_scores(paper_dir / "benchmarks_chat_models.csv"), preset="paper")


@pytest.fixture(scope="module")
def chat_found(chat: AuditResult) -> UncertaintyResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)  # machiavelli-games, tested below
        return bootstrap_audit(chat, seed=1)  # every setting at its default


# -- finding 1: permutations sized to the adjustment ------------------------------------------


def test_holm_and_bh_can_both_reject_on_the_papers_chat_panel_by_default(
    chat_found: UncertaintyResult,
) -> None:
    # Before: 2,000 permutations, smallest p 1/2001, smallest Holm value 166/2001 = 0.083.
    found = chat_found["chat"]
    assert found.test_family.count("capability score") == 154
    assert found.permutations >= permutations_needed(154, 0.05, "bh")
    assert found.permutations + 1 >= 10 * 154 / 0.05  # the documented rule, by hand
    assert np.nanmin(found.p_holm) <= 0.05 / 10
    assert int((found.p_holm <= 0.05).sum()) > 0
    assert int((found.p_bh <= 0.05).sum()) > 0


def test_an_explicit_count_too_small_for_the_adjustment_draws_a_warning() -> None:
    demo = audit(load_demo_panel())
    family = sum(b.role != "capability" for b in demo["chat"].benchmarks)
    with pytest.warns(InputWarning, match=r"permutations=20 cannot reject at alpha=0.05"):
        found = bootstrap_audit(demo, n_resamples=200, permutations=20, seed=1)
    assert found["chat"].permutations == 20
    assert smallest_adjusted(20, family, "holm") == pytest.approx(family / 21)
    assert any("permutations=20" in w for w in found.apply().warnings)


def test_by_equals_scipy_and_its_permutation_count_grows_with_the_harmonic_sum() -> None:
    p = np.random.default_rng(3).uniform(size=40) ** 3
    expected = stats.false_discovery_control(p, method="by")  # scipy, independent
    np.testing.assert_allclose(adjust(p, "by"), expected, rtol=1e-12)
    harmonic = sum(1 / i for i in range(1, 155))
    assert permutations_needed(154, 0.05, "by") == math.ceil(10 * 154 * harmonic / 0.05) - 1
    assert smallest_adjusted(permutations_needed(154, 0.05, "by"), 154, "by") <= 0.005


def test_adjust_by_reaches_the_audit_json() -> None:
    found = bootstrap_audit(load_demo_panel(), n_resamples=200, seed=2, adjustment="by")
    result = found.apply()
    chat = found["chat"]
    adjusted = [b.p_adjusted for b in result["chat"].benchmarks]
    np.testing.assert_array_equal(adjusted, chat.p_by)
    assert result.uncertainty is found  # the typed result, whose fields the reports read
    assert result.uncertainty.settings.adjustment == "by"
    assert result.to_dict()["uncertainty"]["settings"]["adjustment"] == "by"


# -- finding 8: calibration rows are a family of their own -------------------------------------


def test_calibration_rows_are_adjusted_as_their_own_family(chat_found: UncertaintyResult) -> None:
    found = chat_found["chat"]
    family = np.array(found.test_family)
    calibration = family == "reference"
    assert calibration.sum() == 12  # the paper preset's rmsce_* and brier_* rows
    for method in ("bh", "by", "holm"):
        np.testing.assert_array_equal(
            found.adjusted(method)[calibration],
            adjust(found.p_value[calibration], method),
        )
        score = family == "capability score"
        np.testing.assert_array_equal(
            found.adjusted(method)[score],
            adjust(found.p_value[score], method),
        )
    assert np.isnan(found.p_bh[family == ""]).all()


# -- finding 9: degenerate resamples and a minimum resample count -------------------------------


def _three_valued_panel() -> ScoreTable:
    table = simulate_panel(n_models=20, safety={"few": 0.5, "many": 0.5}, rng=11).table
    values = table.values.copy()
    column = table.benchmark_index("few")
    values[:, column] = 0.0
    values[[2, 7], column] = 1.0  # three distinct values, two of them rare
    values[11, column] = 2.0
    return replace(table, values=values)


def test_degenerate_resamples_are_counted_flagged_and_reported() -> None:
    result = audit(_three_valued_panel())
    with pytest.warns(InputWarning, match=r"Degenerate resamples .*: few \("):
        found = bootstrap_audit(result, n_resamples=400, seed=1, permutations=0)
    klass = found.classes[0]
    j, k = klass.index("few"), klass.index("many")
    # Independent count: a resample is degenerate for "few" when it draws fewer than 3
    # distinct values of it (the audit's rule); compare with the share reported.
    share = float(klass.degenerate_share[j])
    assert 0.05 < share < 0.9 and klass.degenerate_share[k] == 0.0
    frame = klass.to_frame().set_index("benchmark")
    assert frame.loc["few", "flag"] == "degenerate resamples" and frame.loc["many", "flag"] == ""
    document = found.to_dict()
    entry = document["classes"][klass.model_class]["benchmarks"]["few"]
    assert entry["degenerate_share"] == pytest.approx(share)
    applied = found.apply()
    assert any("few (" in w for w in applied.warnings)
    from safetywashing.report.tables import markdown_summary

    lines = markdown_summary(applied).splitlines()
    row = next(line for line in lines if " few |" in line)
    assert f"({100 * share:.1f}% of resamples degenerate)" in row
    other = next(line for line in lines if " many |" in line)
    assert "degenerate" not in other


def test_the_share_of_degenerate_resamples_matches_an_independent_count() -> None:
    table = _three_valued_panel()
    result = audit(table)
    found = bootstrap_audit(result, n_resamples=300, seed=4, permutations=0, keep_replicates=True)
    klass = found.classes[0]
    assert klass.replicates is not None
    j = klass.index("few")
    expected = float(np.isnan(klass.replicates[:, j]).mean())
    assert float(klass.degenerate_share[j]) == expected


def test_one_resample_gives_no_interval_and_no_verdict() -> None:
    # Before: --bootstrap 1 returned an interval and a verdict.
    with pytest.warns(InputWarning, match=r"n_resamples=1 gives no intervals or verdicts"):
        found = bootstrap_audit(load_demo_panel(), n_resamples=1, seed=1, permutations=0)
    chat = found["chat"]
    assert np.isnan(chat.percentile).all() and np.isnan(chat.bca).all()
    assert set(chat.verdicts) == {""}
    assert found.to_dict()["settings"]["min_valid_resamples"] == 200  # 5 per 2.5% tail


# -- finding 3: an equivalence test and the models that would decide ----------------------------


def test_inconclusive_benchmarks_say_how_many_models_would_decide_them(
    chat_found: UncertaintyResult,
) -> None:
    found = chat_found["chat"]
    inconclusive = [j for j, v in enumerate(found.verdicts) if v == "inconclusive"]
    assert len(inconclusive) > 100  # the issue: 133 of 178
    needed = found.models_needed[inconclusive]
    assert np.isfinite(needed).mean() > 0.9
    assert np.nanmin(needed) > 26  # more than the panel has, or it would be decided
    decided = [j for j, v in enumerate(found.verdicts) if v in ("entangled", "inverse")]
    assert np.isnan(found.models_needed[decided]).all()
    # Closed form for an estimate above the line (the far line's tail is negligible):
    # n = 3 + 1.06 (z_0.975 + z_0.80)^2 / (atanh r - atanh 0.4)^2.
    j = next(j for j in inconclusive if found.estimate[j] > 0.6)
    r = float(found.estimate[j])
    gap = math.atanh(r) - math.atanh(0.4)
    closed = 3 + 1.06 * (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 / gap**2
    assert found.models_needed[j] == math.ceil(closed)


def test_a_truly_distinct_benchmark_passes_the_equivalence_test() -> None:
    panel = simulate_panel(n_models=300, safety={"distinct": 0.0, "entangled": 0.9}, rng=5)
    found = bootstrap_audit(panel.table, n_resamples=400, seed=5, permutations=0).classes[0]
    j, k = found.index("distinct"), found.index("entangled")
    assert found.verdicts[j] == "distinct" and found.p_equivalence[j] < 0.05
    assert found.p_equivalence[k] == 1.0  # every replicate above the line
    # TOST at alpha is the 1 - 2 alpha percentile interval inside the lines.
    ninety = bootstrap_audit(
        panel.table, n_resamples=400, seed=5, permutations=0, confidence=0.9
    ).classes[0]
    inside = ninety.percentile[0, j] > -0.4 and ninety.percentile[1, j] < 0.4
    assert inside == (found.p_equivalence[j] < 0.05)


# -- finding 2: clusters -----------------------------------------------------------------------


def test_the_family_bootstrap_refuses_three_families_and_warns_under_ten() -> None:
    table = simulate_panel(n_models=24, safety={"s": 0.5}, rng=3).table
    three = tuple(replace(m, family="abc"[i % 3]) for i, m in enumerate(table.models))
    with pytest.raises(InputError, match="at least 4 model families; there are 3"):
        bootstrap_audit(replace(table, models=three), n_resamples=200, cluster="family")
    with pytest.warns(InputWarning, match=r"only 6 families: the intervals are widened"):
        found = bootstrap_audit(table, n_resamples=200, seed=1, cluster="family")
    assert found.classes[0].cluster_scale == pytest.approx(math.sqrt(6 / 5))
    twelve = tuple(replace(m, family=f"f{i % 12}") for i, m in enumerate(table.models))
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        found = bootstrap_audit(
            replace(table, models=twelve), n_resamples=200, seed=1, cluster="family"
        )
    assert found.classes[0].cluster_scale == pytest.approx(math.sqrt(12 / 11))


def test_the_small_g_widening_is_sqrt_g_over_g_minus_1_in_fisher_z() -> None:
    from safetywashing.stats.intervals import expand_replicates

    rng = np.random.default_rng(8)
    draws = np.tanh(rng.normal(0.5, 0.2, size=(5000, 1)))
    estimate = np.array([math.tanh(0.5)])
    wide = expand_replicates(draws, estimate, math.sqrt(6 / 5))
    spread = np.std(np.arctanh(wide)) / np.std(np.arctanh(draws))
    assert spread == pytest.approx(math.sqrt(6 / 5), rel=1e-9)
    assert np.all(np.abs(wide) < 1)


def test_calibration_partials_hold_their_own_reference_fixed() -> None:
    # Before: the headline correlation used the reference column, the partials the score.
    from safetywashing.robustness.compute import robustness_audit
    from safetywashing.stats.partial import partial_spearman

    table = simulate_panel(n_models=30, safety={"calibration": 0.3, "s": 0.5}, rng=21).table
    benchmarks = tuple(
        replace(b, reference="capability_01") if b.id == "calibration" else b
        for b in table.benchmarks
    )
    result = audit(replace(table, benchmarks=benchmarks))
    found = robustness_audit(result).classes[0]
    prepared = result.classes[0].prepared
    j = found.benchmark_ids.index("calibration")
    target = prepared.targets[:, j]
    reference = prepared.references[j]
    assert reference is not None
    flop = prepared.flop
    assert found.partial_capability[j] == partial_spearman(target, reference, flop)[0]
    assert found.partial_compute[j] == partial_spearman(target, flop, reference)[0]
    k = found.benchmark_ids.index("s")
    scores = result.classes[0].capability_scores
    assert found.partial_capability[k] == partial_spearman(prepared.targets[:, k], scores, flop)[0]


# -- finding 7: the default --min-observed keeps models that imputation serves well -----------


def test_the_default_min_observed_keeps_every_model_on_masked_paper_data(
    paper_dir: Path,
) -> None:
    # Before (default: half, 6 of 12): masks hiding 20% of the chat capability cells left
    # a model out, and the capabilities correlations moved more than with imputation
    # (benchmarks/bench_imputation.py prints the curve).
    from safetywashing.robustness.validation import masking_runs

    table = read_scores(paper_dir / "benchmarks_chat_models.csv")
    runs = masking_runs(table, [0.2], list(range(10)), preset="paper")
    assert [r.n_scored for r in runs] == [26] * 10
    assert float(np.median([r.median_abs_change for r in runs])) < 0.02


# -- finding 10: the standardization basis is a setting, recorded in the JSON ------------------


def test_standardize_available_z_scores_over_every_model_that_has_the_benchmark() -> None:
    table = simulate_panel(n_models=24, safety={"s": 0.5}, rng=9).table
    values = table.values.copy()
    values[[0, 3, 8], [1, 4, 7]] = np.nan  # three models with one capability gap each
    gappy = replace(table, values=values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        complete = audit(gappy, impute="none")
        available = audit(gappy, impute="none", standardize="available")
    assert complete.to_dict()["config"]["standardize"] == "complete"
    assert available.to_dict()["config"]["standardize"] == "available"
    block = np.asarray(gappy.values[:, :12])
    kept = ~np.isnan(block).any(axis=1)
    # Independently: the loadings are rank-based (unchanged); the z-scores use every
    # model's observed cells.
    loadings = complete.classes[0].loadings
    np.testing.assert_allclose(available.classes[0].loadings, loadings, atol=1e-12)
    z = (block - np.nanmean(block, axis=0)) / np.nanstd(block, axis=0)
    np.testing.assert_allclose(
        available.classes[0].capability_scores[kept], z[kept] @ loadings, atol=1e-10
    )
    moved = np.abs(available.classes[0].capability_scores - complete.classes[0].capability_scores)
    assert np.nanmax(moved) > 1e-3
    with pytest.raises(InputError, match="standardize='available' z-scored over more models"):
        bootstrap_audit(available, n_resamples=200)
    full = simulate_panel(n_models=24, safety={"s": 0.5}, rng=9).table  # no gaps: same basis
    assert bootstrap_audit(audit(full, standardize="available"), n_resamples=200, seed=1)
