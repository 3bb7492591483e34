"""The capability component: invariants in the manner of scikit-learn's PCA tests."""

from __future__ import annotations

import numpy as np
import pytest

from safetywashing.stats.pca import capability_component, mean_offdiagonal, standardize


def latent_panel(rng: np.random.Generator, n: int = 30, k: int = 6) -> np.ndarray:
    latent = rng.normal(size=n)
    return latent[:, None] * 0.8 + rng.normal(size=(n, k)) * 0.6


def test_standardize_uses_population_std(rng: np.random.Generator) -> None:
    data = rng.normal(size=(10, 3))
    z, _, std = standardize(data)
    np.testing.assert_allclose(std, data.std(axis=0, ddof=0))
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1)


def test_standardize_ignores_missing_values() -> None:
    z, mean, _ = standardize(np.array([[1.0], [np.nan], [3.0]]))
    assert mean[0] == 2.0
    assert np.isnan(z[1, 0]) and z[0, 0] == -1.0


@pytest.mark.parametrize("kind", ["spearman", "pearson", "covariance"])
def test_scores_are_z_times_loadings_and_loadings_are_unit(
    rng: np.random.Generator, kind: str
) -> None:
    z, _, _ = standardize(latent_panel(rng))
    component = capability_component(z, kind=kind)  # type: ignore[arg-type]
    np.testing.assert_allclose(component.scores, z @ component.loadings)
    assert np.linalg.norm(component.loadings) == pytest.approx(1.0)
    assert np.all(np.diff(component.eigenvalues) <= 1e-12)


def test_pearson_eigenvalue_share_equals_projected_variance_share(
    rng: np.random.Generator,
) -> None:
    # For the Pearson matrix of z-scores, var(z @ v) = v' R v = lambda_1, so both agree.
    z, _, _ = standardize(latent_panel(rng))
    component = capability_component(z, kind="pearson")
    assert component.eigenvalue_share == pytest.approx(component.projected_variance_share)
    assert component.eigenvalue_share == pytest.approx(component.eigenvalues[0] / z.shape[1])


def test_permuting_models_permutes_scores(rng: np.random.Generator) -> None:
    z, _, _ = standardize(latent_panel(rng))
    order = rng.permutation(z.shape[0])
    original = capability_component(z)
    permuted = capability_component(z[order])
    np.testing.assert_allclose(permuted.scores, original.scores[order], atol=1e-12)


def test_negating_the_data_keeps_scores_rising_with_capability(rng: np.random.Generator) -> None:
    # Negating every benchmark reverses which models are capable; the sign rule must
    # follow the data, so the scores flip with it.
    z, _, _ = standardize(latent_panel(rng))
    original = capability_component(z)
    flipped = capability_component(-z)
    np.testing.assert_allclose(flipped.scores, -original.scores, atol=1e-12)


def test_sign_rule_survives_mixed_loadings() -> None:
    # Three benchmarks track capability; one large-variance benchmark runs against it. The
    # paper's largest-loading rule could invert the score; the mean-z rule keeps it rising.
    rng = np.random.default_rng(7)
    latent = np.sort(rng.normal(size=40))
    data = np.column_stack([latent + 0.1 * rng.normal(size=40) for _ in range(3)] + [-latent])
    z, _, _ = standardize(data)
    component = capability_component(z)
    assert component.sign_rule == "mean-z"
    assert np.corrcoef(component.scores, z.mean(axis=1))[0, 1] > 0


def test_mean_offdiagonal_is_population_std() -> None:
    matrix = np.array([[1.0, 0.2, 0.4], [0.2, 1.0, 0.6], [0.4, 0.6, 1.0]])
    mean, std = mean_offdiagonal(matrix)
    assert mean == pytest.approx(0.4)
    assert std == pytest.approx(np.std([0.2, 0.4, 0.6]))


@pytest.mark.parametrize("value", [0.1, 0.3, 0.7, 1e-300, 123456.789])
def test_standardize_treats_a_rounded_constant_column_as_constant(value: float) -> None:
    # 0.1 is not exact in binary: numpy's std of three copies is about 1e-17, not 0.
    column = np.array([[value, 1.0], [value, 2.0], [value, 4.0]])
    z, _, std = standardize(column)
    assert std[0] == 0.0 and np.isnan(z[:, 0]).all()
    assert std[1] > 0 and np.isfinite(z[:, 1]).all()
