"""The closed-form interval of a correlation in Fisher's z scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from safetywashing.stats.fisher import correlation_interval


@pytest.mark.parametrize(
    ("method", "factor", "offset"),
    # Fieller, Hartley and Pearson (1957): var(atanh r) = factor / (n - offset).
    [("pearson", 1.0, 3), ("spearman", 1.06, 3), ("kendall", 0.437, 4)],
)
def test_the_interval_is_the_written_out_formula(method: str, factor: float, offset: int) -> None:
    r, n, confidence = 0.62, 23, 0.9
    half = stats.norm.ppf(0.95) * math.sqrt(factor / (n - offset))
    expected = (math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
    assert correlation_interval(r, n, confidence, method) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("r", "n"), [(math.nan, 20), (1.0, 20), (-1.0, 20), (0.5, 3)])
def test_no_interval_where_it_is_undefined(r: float, n: int) -> None:
    low, high = correlation_interval(r, n)
    assert math.isnan(low) and math.isnan(high)


def test_spearman_intervals_cover_about_95_percent_of_simulated_panels() -> None:
    # Bivariate normal panels of 30 models at rho = 0.5; the population Spearman
    # correlation is (6 / pi) asin(rho / 2) (Pearson 1907). 2,000 panels: the coverage
    # has a standard error of about 0.5 points.
    rng = np.random.default_rng(7)
    rho, n, panels = 0.5, 30, 2000
    truth = 6 / math.pi * math.asin(rho / 2)
    covered = 0
    for _ in range(panels):
        x = rng.standard_normal(n)
        y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)
        r = float(stats.spearmanr(x, y).statistic)
        low, high = correlation_interval(r, n)
        covered += low <= truth <= high
    assert 0.93 <= covered / panels <= 0.97
