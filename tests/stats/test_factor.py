"""The one-factor model against scikit-learn's FactorAnalysis (maximum likelihood)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import FactorAnalysis

from safetywashing.audit.compute import audit
from safetywashing.io.tables.readers import read_scores
from safetywashing.robustness.compute import robustness_audit
from safetywashing.stats.factor import one_factor
from safetywashing.stats.pca import standardize


def _sklearn(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    fit = FactorAnalysis(n_components=1, tol=1e-10, max_iter=10_000).fit(z)
    loadings, scores = fit.components_[0], fit.transform(z)[:, 0]
    sign = np.sign(np.corrcoef(scores, z.mean(axis=1))[0, 1])
    return sign * loadings, fit.noise_variance_, sign * scores


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_factor_equals_scikit_learns_factor_analysis(seed: int) -> None:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=40)
    loadings = rng.uniform(0.4, 0.95, size=8)
    x = np.outer(latent, loadings) + rng.normal(size=(40, 8)) * np.sqrt(1 - loadings**2)
    z, _, _ = standardize(x)
    fit = one_factor(z)
    expected_loadings, expected_psi, expected_scores = _sklearn(z)
    assert fit.converged
    np.testing.assert_allclose(fit.loadings, expected_loadings, atol=1e-6)
    np.testing.assert_allclose(fit.uniqueness, expected_psi, atol=1e-6)
    np.testing.assert_allclose(fit.scores, expected_scores, atol=1e-6)


def test_the_one_factor_variant_on_the_papers_chat_panel_is_scikit_learns(
    paper_dir: Path,
) -> None:
    # Before: Thurstone scores z R^-1 lambda from an ill-conditioned R (condition number
    # 558) gave MMLU a weight of -0.36 and LMSYS 0.686; a maximum-likelihood factor model
    # (scikit-learn) gives 0.468.
    result = audit(read_scores(paper_dir / "benchmarks_chat_models.csv"), preset="paper")
    chat = result["chat"]
    z, _, _ = standardize(np.asarray(chat.prepared.capability))
    assert np.linalg.cond(np.corrcoef(z, rowvar=False)) == pytest.approx(558, abs=1)
    _, _, scores = _sklearn(z)
    from safetywashing.stats.correlation import correlate_columns

    expected, _ = correlate_columns(scores, np.asarray(chat.prepared.targets))
    found = robustness_audit(result)["chat"]
    variant = found.variant("measure: one-factor model")
    by_score = np.array([r is None for r in chat.prepared.references])
    np.testing.assert_allclose(variant[by_score], expected[by_score], atol=1e-6)
    assert variant[found.index("LMSYS_Chatbot_Arena")] == pytest.approx(0.468, abs=5e-4)
    fit = one_factor(z)
    assert np.all(fit.loadings / fit.uniqueness > 0)  # no benchmark weighs negatively
