"""The simulator: reproducible, shapes right, planted truth recoverable."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safetywashing.core.errors import InputError
from safetywashing.datasets.simulate import (
    SafetySpec,
    population_capabilities_correlation,
    simulate_panel,
)


def test_same_seed_same_panel() -> None:
    first = simulate_panel(n_models=12, safety={"s": 0.5}, rng=4).table
    second = simulate_panel(n_models=12, safety={"s": 0.5}, rng=4).table
    np.testing.assert_array_equal(first.values, second.values)
    assert first.synthetic


def test_shapes_classes_and_missing_cells() -> None:
    panel = simulate_panel(
        n_models=40, n_capability=6, safety={"a": 0.2, "b": -0.3}, missing_fraction=0.25,
        classes=("base", "chat"), rng=1,
    )  # fmt: skip
    table = panel.table
    assert table.values.shape == (40, 8)
    assert table.classes() == ("base", "chat")
    assert not np.isnan(table.values[:, :6]).any()  # capability cells stay complete
    assert 0.1 < np.isnan(table.values[:, 6:]).mean() < 0.4


def test_population_correlation_matches_a_large_sample() -> None:
    # With 20,000 models the sample Spearman correlation with the PC1 score is within
    # sampling error (~0.01) of the population value the simulator reports.
    from safetywashing.audit.compute import audit

    panel = simulate_panel(n_models=20_000, n_capability=6, safety={"s": 0.5}, rng=9)
    sample = audit(panel.table)["all"].benchmark("s").capabilities_correlation
    assert sample == pytest.approx(panel.true_capabilities_correlation["s"], abs=0.02)


def test_population_correlation_limits() -> None:
    loadings = np.full(50, 0.99)
    # A nearly perfect capability score: Spearman of a normal pair, (6/pi) asin(rho/2).
    expected = 6 / math.pi * math.asin(0.6 / 2)
    assert population_capabilities_correlation(loadings, 0.6) == pytest.approx(expected, abs=1e-3)
    assert population_capabilities_correlation(loadings, 0.0) == 0.0


def test_lower_is_safer_spec_is_written_reversed() -> None:
    panel = simulate_panel(n_models=50, safety=[SafetySpec("risk", 0.9, direction="lower")], rng=2)
    raw = panel.table.column("risk")
    assert np.corrcoef(raw, panel.latent)[0, 1] < -0.5
    assert panel.table.benchmarks[-1].direction == "lower"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_models": 2}, "at least 3 models"),
        ({"missing_fraction": 1.0}, r"missing_fraction must be in \[0, 1\)"),
        ({"safety": {"s": 1.5}}, r"Safety loading of 's' must be in \[-1, 1\]"),
    ],
)
def test_bad_settings(options: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        simulate_panel(**options)  # type: ignore[arg-type]


def test_capability_loadings_outside_minus_one_one_are_refused() -> None:
    # Regression: a loading above 1 gave sqrt(1 - a**2) = NaN, a silently empty column.
    with pytest.raises(InputError) as caught:
        simulate_panel(n_models=5, capability_loadings=[1.2, 0.5], rng=1)
    assert (
        str(caught.value) == "Capability loadings must be correlations in [-1, 1]; got [1.2, 0.5]."
    )
