"""Planted truth: the item ranking finds the entangled items, the subset holds out of sample.

The simulator (:mod:`safetywashing.items.simulate`) plants which items load on the
capability factor; the capability score comes from auditing the simulated panel's
capability benchmarks, as a user's would.
"""

from __future__ import annotations

import numpy as np
import pytest

from safetywashing.audit.compute import audit
from safetywashing.core.errors import InputError
from safetywashing.items.analysis import analyse_items, select_items
from safetywashing.items.simulate import SimulatedItems, simulate_items
from safetywashing.stats.ranks import rank_average


def _auc(score: np.ndarray, truth: np.ndarray) -> float:
    # Mann-Whitney form of the area under the ROC curve.
    ranks = rank_average(score)
    positives, negatives = truth.sum(), (~truth).sum()
    return float((ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _capability(sim: SimulatedItems) -> np.ndarray:
    part = audit(sim.panel.table).classes[0]
    assert tuple(part.model_ids) == sim.model_ids
    return np.asarray(part.capability_scores)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ranking_recovers_planted_entangled_items(seed: int) -> None:
    # 30 models x 500 items, 30% graded, 5% of cells missing: AUC >= 0.9 (issue 15).
    sim = simulate_items(
        n_models=30, n_items=500, graded_fraction=0.3, missing_fraction=0.05, rng=seed
    )
    result = analyse_items(sim.values, _capability(sim), item_ids=sim.item_ids)
    assert _auc(result.r, sim.entangled) >= 0.9
    flagged = np.asarray(result.flag) == "entangled"
    # The flags control the false discovery rate at 5%; allow sampling slack.
    assert flagged.sum() > 0
    assert (flagged & ~sim.entangled).sum() / flagged.sum() <= 0.15


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cross_fitted_subset_is_inside_the_band_on_held_out_models(seed: int) -> None:
    sim = simulate_items(
        n_models=30, n_items=500, graded_fraction=0.3, missing_fraction=0.05, rng=seed
    )
    subset = select_items(sim.values, _capability(sim), item_ids=sim.item_ids, seed=seed)
    assert subset.inside_band and subset.meets_floor
    # Held out: the mean over 10 folds of the correlation on the models the subset was
    # not selected on (each fold holds 15 models, so single folds are noisy).
    assert abs(subset.held_out_correlation) < subset.band
    # The subset drops entangled items far more than distinct ones.
    kept = subset.selected
    assert kept[~sim.entangled].mean() > 0.9
    assert kept[sim.entangled].mean() < 0.8


def test_a_benchmark_without_entangled_items_keeps_everything() -> None:
    sim = simulate_items(n_models=30, n_items=200, entangled_fraction=0.0, rng=5)
    subset = select_items(sim.values, _capability(sim))
    assert subset.full_correlation == pytest.approx(subset.correlation)
    assert subset.selected.all()


def test_variance_shares_and_item_view() -> None:
    sim = simulate_items(n_models=40, n_items=300, rng=7)
    result = analyse_items(
        sim.values,
        _capability(sim),
        item_ids=sim.item_ids,
        categories=sim.categories,
        n_resamples=100,
        seed=3,
    )
    assert 0 <= result.item_variance_share <= result.variance_share <= 1
    frame = result.to_frame()
    assert list(frame["rank"]) == list(range(1, 301))
    assert frame["r"].is_monotonic_decreasing
    # Entangled items discriminate: larger 2PL slopes than distinct ones (planted).
    assert np.median(result.discrimination[sim.entangled]) > 2 * np.median(
        np.abs(result.discrimination[~sim.entangled])
    )
    inside = (result.ci_low <= result.r) & (result.r <= result.ci_high)
    assert inside.mean() > 0.95
    assert set(result.by_category()["category"]) == set(sim.categories)


def test_too_few_models_is_one_sentence() -> None:
    with pytest.raises(InputError, match="at least 5"):
        analyse_items(np.ones((4, 3)), np.arange(4.0))
    with pytest.raises(InputError, match=r"band=1\.5"):
        select_items(np.ones((10, 3)), np.arange(10.0), band=1.5)
