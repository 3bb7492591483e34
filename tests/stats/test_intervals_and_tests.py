"""Intervals, verdicts, multiplicity adjustments, permutation p-values, partial correlation
and the one-factor model, each against an independent computation or scipy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from safetywashing.core.decision import DecisionRule
from safetywashing.stats.factor import one_factor
from safetywashing.stats.intervals import (
    bca_interval,
    jackknife_acceleration,
    percentile_interval,
    verdict,
)
from safetywashing.stats.multiple import adjust
from safetywashing.stats.partial import partial_spearman, residual_scores
from safetywashing.stats.permutation import permutation_pvalues


def test_percentile_interval_equals_numpy_quantile_and_skips_nan() -> None:
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(999, 3))
    draws[::7, 1] = np.nan
    low, high = percentile_interval(draws, 0.9)
    for j in range(3):
        column = draws[:, j][~np.isnan(draws[:, j])]
        assert low[j] == pytest.approx(np.quantile(column, 0.05), abs=1e-15)
        assert high[j] == pytest.approx(np.quantile(column, 0.95), abs=1e-15)


def test_bca_matches_an_independent_computation_with_scipy_norm() -> None:
    rng = np.random.default_rng(1)
    draws = rng.gamma(2.0, size=(4000, 1))
    estimate = np.array([1.7])
    jack = rng.gamma(2.0, size=(30, 1))
    low, high = bca_interval(draws, estimate, jack, 0.95)
    d = jack[:, 0].mean() - jack[:, 0]
    a = (d**3).sum() / (6 * (d**2).sum() ** 1.5)
    assert jackknife_acceleration(jack)[0] == pytest.approx(a)
    z0 = stats.norm.ppf((draws[:, 0] < 1.7).mean())
    ends = [
        stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))) for z in stats.norm.ppf([0.025, 0.975])
    ]
    assert low[0] == pytest.approx(np.quantile(draws[:, 0], ends[0]), rel=1e-12)
    assert high[0] == pytest.approx(np.quantile(draws[:, 0], ends[1]), rel=1e-12)


def test_bca_without_bias_or_acceleration_is_the_percentile_interval() -> None:
    draws = np.linspace(-1, 1, 2001)[:, None]
    jack = np.zeros((10, 1))
    bca = bca_interval(draws, np.array([0.0]), jack, 0.9)
    percentile = percentile_interval(draws, 0.9)
    np.testing.assert_allclose(np.ravel(bca), np.ravel(percentile), atol=1e-12)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.41, 0.9, "entangled"),
        (0.40, 0.9, "inconclusive"),  # touches the line: not entirely above
        (-0.9, -0.41, "inverse"),
        (-0.39, 0.39, "distinct"),
        (-0.5, 0.2, "inconclusive"),
        (math.nan, 0.2, ""),
    ],
)
def test_verdict_respects_the_interval(low: float, high: float, expected: str) -> None:
    assert verdict(low, high, lower=-0.40, upper=0.40) == expected
    assert DecisionRule(0.40).verdict(low, high) == expected


def test_verdict_lines_are_configurable() -> None:
    assert verdict(0.35, 0.6, lower=-0.3, upper=0.3) == "entangled"


def test_benjamini_hochberg_equals_scipy_and_holm_an_independent_computation() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=25) ** 3
    np.testing.assert_allclose(adjust(p, "bh"), stats.false_discovery_control(p), atol=1e-15)
    order = np.argsort(p)
    holm = np.empty(25)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (25 - rank) * p[index]))
        holm[index] = running
    np.testing.assert_allclose(adjust(p, "holm"), holm, atol=1e-15)
    with_nan = adjust([0.01, math.nan, 0.04], "bh")
    assert math.isnan(with_nan[1]) and with_nan[0] == pytest.approx(0.02)


def test_permutation_pvalue_approaches_the_exact_enumeration() -> None:
    reference = np.array([1.0, 2, 3, 4, 5, 6, 7])
    column = np.array([2.0, 1, 4, 3, 7, 5, 6])
    observed = abs(stats.spearmanr(reference, column).statistic)
    exact = np.mean(
        [
            abs(stats.spearmanr(reference, column[list(perm)]).statistic) >= observed - 1e-12
            for perm in itertools.permutations(range(7))
        ]
    )
    p = permutation_pvalues(reference, column[:, None], 20000, np.random.SeedSequence(4))[0]
    assert p == pytest.approx(exact, abs=0.01)


def test_permutation_pvalues_handle_gaps_and_constants() -> None:
    rng = np.random.default_rng(5)
    reference = rng.normal(size=12)
    columns = np.column_stack([reference + rng.normal(size=12), np.ones(12), rng.normal(size=12)])
    columns[[1, 4], 2] = np.nan
    p = permutation_pvalues(reference, columns, 999, np.random.SeedSequence(1))
    assert 0 < p[0] <= 1 and math.isnan(p[1]) and 0 < p[2] <= 1
    assert p[0] >= 1 / 1000


def test_partial_spearman_equals_correlation_of_rank_residuals() -> None:
    rng = np.random.default_rng(6)
    c = rng.normal(size=40)
    x = c + rng.normal(size=40)
    y = c + rng.normal(size=40)
    x[3] = np.nan
    r, n = partial_spearman(x, y, c)
    keep = ~np.isnan(x)
    rx, ry, rc = (stats.rankdata(v[keep]) for v in (x, y, c))
    design = np.column_stack([np.ones(n), rc])
    ex = rx - design @ np.linalg.lstsq(design, rx, rcond=None)[0]
    ey = ry - design @ np.linalg.lstsq(design, ry, rcond=None)[0]
    assert n == 39
    assert r == pytest.approx(np.corrcoef(ex, ey)[0, 1], abs=1e-12)


def test_residual_scores_are_uncorrelated_with_the_capability_score() -> None:
    rng = np.random.default_rng(7)
    score = rng.normal(size=30)
    values = np.column_stack([score * 2 + rng.normal(size=30), rng.normal(size=30)])
    values[0, 1] = np.nan
    residuals = residual_scores(values, score)
    for j in range(2):
        keep = ~np.isnan(residuals[:, j])
        assert abs(np.corrcoef(residuals[keep, j], score[keep])[0, 1]) < 1e-12
    assert math.isnan(residuals[0, 1])


def test_one_factor_recovers_planted_loadings() -> None:
    rng = np.random.default_rng(8)
    factor = rng.normal(size=3000)
    planted = np.array([0.9, 0.8, 0.7, 0.6])
    x = np.outer(factor, planted) + rng.normal(size=(3000, 4)) * np.sqrt(1 - planted**2)
    fit = one_factor((x - x.mean(0)) / x.std(0))
    assert fit.converged
    np.testing.assert_allclose(fit.loadings, planted, atol=0.03)
    assert np.corrcoef(fit.scores, factor)[0, 1] > 0.9


@pytest.mark.filterwarnings("error")
def test_a_column_without_finite_replicates_is_nan_without_warnings() -> None:
    # Regression: numpy warned (invalid value in subtract, mean of empty slice) on stderr.
    draws = np.column_stack([np.linspace(-1, 1, 11), np.full(11, np.nan)])
    jack = np.column_stack([np.linspace(0, 1, 5), np.full(5, np.nan)])
    low, high = percentile_interval(draws, 0.9)
    assert np.isnan([low[1], high[1]]).all() and np.isfinite([low[0], high[0]]).all()
    low, high = bca_interval(draws, np.array([0.0, np.nan]), jack, 0.9)
    assert np.isnan([low[1], high[1]]).all() and np.isfinite([low[0], high[0]]).all()
    assert jackknife_acceleration(jack)[1] == 0.0
