"""Batched bootstrap kernels against the straightforward loop and scipy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from tests.reference import bootstrap_loop

from safetywashing.audit.compute import audit
from safetywashing.datasets.panels import reference_root
from safetywashing.datasets.simulate import simulate_panel
from safetywashing.io.tables.readers import read_scores
from safetywashing.stats.bootstrap import (
    DRAW_BLOCK,
    counts_from_indices,
    draw_counts,
    jackknife_counts,
    make_plan,
    rank_operator,
)
from safetywashing.stats.pca import capability_component, standardize


def _datasets() -> Path:
    return reference_root()


def _chat_plan_and_data():  # type: ignore[no-untyped-def]
    path = _datasets() / "safetywashing-paper" / "benchmarks_chat_models_compute.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    table = read_scores(path)
    result = audit(table, preset="paper")
    chat = result["chat"]
    data = chat.prepared
    plan = make_plan(
        data.capability,
        data.targets,
        reference_loadings=chat.loadings,
        references=data.references,
        flop=data.flop,
    )
    return chat, data, plan


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.sampled_from([0.0, 1.0, 2.0, float("nan")]), st.floats(-5, 5)),
        min_size=2,
        max_size=12,
    ),
    data=st.data(),
)
def test_ranks_from_counts_equal_scipy_average_ranks_of_the_materialised_sample(
    values: list[float], data: st.DataObject
) -> None:
    x = np.array(values)
    counts = np.array(data.draw(st.lists(st.integers(0, 3), min_size=x.size, max_size=x.size)))
    retained = ~np.isnan(x)
    ranks = (counts @ rank_operator(x[:, None], retained)).reshape(x.size) + 0.5 * retained
    index = np.repeat(np.arange(x.size), counts)
    index = index[retained[index]]
    if index.size == 0:
        return
    expected = stats.rankdata(x[index], method="average")
    np.testing.assert_array_equal(ranks[index], expected)


def test_full_data_counts_reproduce_the_audit_exactly() -> None:
    chat, _, plan = _chat_plan_and_data()
    full = plan.evaluate(np.ones((1, plan.n_models)))
    expected = np.array([b.capabilities_correlation for b in chat.benchmarks])
    np.testing.assert_allclose(full["capabilities"][0], expected, atol=1e-15, equal_nan=True)
    compute = np.array([b.compute_correlation for b in chat.benchmarks])
    np.testing.assert_allclose(full["compute"][0], compute, atol=1e-15, equal_nan=True)
    assert full["variance_explained"][0] == pytest.approx(chat.variance_explained, abs=1e-15)
    assert full["score_compute"][0] == pytest.approx(chat.score_compute_correlation, abs=1e-15)


def test_batched_refit_agrees_with_the_straightforward_loop_on_paper_data() -> None:
    chat, data, plan = _chat_plan_and_data()
    counts = draw_counts(np.random.SeedSequence(7), 0, 25, n_models=plan.n_models)
    fast = plan.evaluate(counts)["capabilities"]
    slow = bootstrap_loop(
        data.capability,
        data.targets,
        counts,
        reference_loadings=chat.loadings,
        references=data.references,
    )
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(slow))
    np.testing.assert_allclose(fast, slow, atol=1e-12, equal_nan=True)


def test_batched_refit_agrees_with_the_loop_with_gaps_and_ties() -> None:
    panel = simulate_panel(
        n_models=14, safety={"a": 0.6, "b": -0.3, "c": 0.0}, rng=3, missing_fraction=0.25
    )
    table = panel.table
    values, _ = table.oriented()
    values = np.round(values, 2)  # ties within columns
    capability = values[:, :12].copy()
    capability[2, 4] = np.nan  # a model without a capability score
    targets = values[:, 12:]
    z, _, _ = standardize(capability[~np.isnan(capability).any(axis=1)])
    loadings = capability_component(z).loadings
    plan = make_plan(capability, targets, reference_loadings=loadings)
    counts = draw_counts(np.random.SeedSequence(11), 0, 40, n_models=14)
    fast = plan.evaluate(counts)
    slow = bootstrap_loop(capability, targets, counts, reference_loadings=loadings)
    ok = fast["valid"].astype(bool)
    np.testing.assert_allclose(fast["capabilities"][ok], slow[ok], atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("kind", ["pearson", "covariance"])
def test_other_matrix_kinds_match_capability_component_on_the_materialised_sample(
    kind: str,
) -> None:
    panel = simulate_panel(n_models=20, safety={"s": 0.5}, rng=5)
    values, _ = panel.table.oriented()
    capability, targets = values[:, :12], values[:, 12:]
    z, _, _ = standardize(capability)
    reference = capability_component(z, kind=kind).loadings  # type: ignore[arg-type]
    plan = make_plan(capability, targets, reference_loadings=reference, kind=kind)  # type: ignore[arg-type]
    counts = draw_counts(np.random.SeedSequence(2), 0, 10, n_models=20)
    fast = plan.evaluate(counts)
    for b in range(10):
        index = np.repeat(np.arange(20), counts[b].astype(int))
        zb, _, _ = standardize(capability[index])
        component = capability_component(zb, kind=kind)  # type: ignore[arg-type]
        loadings = component.loadings * (1 if component.loadings @ reference >= 0 else -1)
        r = stats.spearmanr((zb * loadings).sum(axis=1), targets[index, 0]).statistic
        assert fast["capabilities"][b, 0] == pytest.approx(r, abs=1e-12)
        assert fast["variance_explained"][b] == pytest.approx(component.eigenvalue_share, abs=1e-12)


def test_counts_do_not_depend_on_how_the_stream_is_cut() -> None:
    seed = np.random.SeedSequence(123)
    whole = draw_counts(seed, 0, 2 * DRAW_BLOCK + 17, n_models=9)
    pieces = np.vstack(
        [
            draw_counts(seed, a, b, n_models=9)
            for a, b in [(0, 5), (5, 1500), (1500, 2 * DRAW_BLOCK + 17)]
        ]
    )
    np.testing.assert_array_equal(whole, pieces)
    assert np.all(whole.sum(axis=1) == 9)


def test_cluster_counts_draw_whole_families() -> None:
    clusters = np.array([0, 0, 1, 1, 1, 2, 3])
    counts = draw_counts(np.random.SeedSequence(1), 0, 200, n_models=7, clusters=clusters)
    for row in counts:
        for family in range(4):
            members = row[clusters == family]
            assert np.all(members == members[0])  # every model of a drawn family, equally often
    draws_per_family = counts[:, [0, 2, 5, 6]].sum(axis=1)
    assert np.all(draws_per_family == 4)  # G families drawn with replacement


def test_counts_from_indices_and_jackknife() -> None:
    np.testing.assert_array_equal(
        counts_from_indices([[0, 0, 2], [1, 1, 1]], 3), [[2, 0, 1], [0, 3, 0]]
    )
    np.testing.assert_array_equal(jackknife_counts(3), [[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    np.testing.assert_array_equal(jackknife_counts(3, np.array([0, 1, 1])), [[0, 1, 1], [1, 0, 0]])


def test_degenerate_resamples_are_marked_invalid() -> None:
    panel = simulate_panel(n_models=8, safety={"s": 0.5}, rng=9)
    values, _ = panel.table.oriented()
    plan = make_plan(values[:, :12], values[:, 12:], reference_loadings=np.ones(12) / np.sqrt(12))
    counts = np.zeros((2, 8))
    counts[0, [0, 1]] = 4  # two distinct models only
    counts[1] = 1
    out = plan.evaluate(counts)
    assert out["valid"].tolist() == [False, True]
    assert np.isnan(out["capabilities"][0, 0]) and np.isfinite(out["capabilities"][1, 0])


def test_copies_of_two_models_give_no_correlation() -> None:
    # Regression: the kernel required 3 *draws*, so a resample holding copies of only two
    # models that have a benchmark gave it a correlation of exactly +-1, where the audit
    # (fewer than 3 models) and scipy on the distinct pairs give none.
    panel = simulate_panel(n_models=8, safety={"s": 0.5}, rng=9)
    values, _ = panel.table.oriented()
    targets = values[:, 12:].copy()
    targets[2:, 0] = np.nan  # only models 0 and 1 have the benchmark
    z, _, _ = standardize(values[:, :12])
    loadings = capability_component(z).loadings
    plan = make_plan(values[:, :12], targets, reference_loadings=loadings, flop=panel.table.flop)
    counts = np.array([[3.0, 2, 1, 1, 1, 0, 0, 0]])  # 5 copies of the two models
    out = plan.evaluate(counts)
    assert out["valid"][0]
    assert np.isnan(out["capabilities"][0, 0]) and np.isnan(out["compute"][0, 0])
    slow = bootstrap_loop(values[:, :12], targets, counts, reference_loadings=loadings)
    assert np.isnan(slow[0, 0])


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, (12, 3), elements=st.sampled_from([0.0, -0.0, 1.0, 2.5])),
    arrays(np.bool_, 12, elements=st.booleans()),
)
def test_duplicate_rows_equal_the_pairwise_search(x: np.ndarray, complete: np.ndarray) -> None:
    from safetywashing.stats.bootstrap import duplicate_rows

    expected = np.arange(12)
    for i in range(12):  # the straightforward definition
        for j in range(i):
            if complete[i] and complete[j] and np.array_equal(x[i], x[j]):
                expected[i] = expected[j]
                break
    assert duplicate_rows(x, complete).tolist() == expected.tolist()


def _both_kernels(
    monkeypatch: pytest.MonkeyPatch, *args: object, **kwargs: object
) -> tuple[object, object]:
    import safetywashing.stats.bootstrap as bootstrap

    monkeypatch.setattr(bootstrap, "COUNTS_KERNEL_MAX_MODELS", 1 << 30)
    counting = make_plan(*args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(bootstrap, "OPERATOR_BYTES", 0)
    sorting = make_plan(*args, **kwargs)  # type: ignore[arg-type]
    assert counting.kernel == "counts" and sorting.kernel == "sorted"  # type: ignore[attr-defined]
    return counting, sorting


def _assert_same_bytes(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and a[key].tobytes() == b[key].tobytes(), key


def test_sorted_kernel_gives_the_same_bytes_on_paper_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat, data, _ = _chat_plan_and_data()
    counting, sorting = _both_kernels(
        monkeypatch,
        data.capability,
        data.targets,
        reference_loadings=chat.loadings,
        references=data.references,
        flop=data.flop,
    )
    n = data.capability.shape[0]
    counts = draw_counts(np.random.SeedSequence(5), 0, 60, n_models=n)
    for batch in (counts, np.ones((1, n)), jackknife_counts(n)):
        _assert_same_bytes(counting.evaluate(batch), sorting.evaluate(batch))  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["spearman", "pearson"])
def test_sorted_kernel_gives_the_same_bytes_with_gaps_ties_and_any_batch(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    import safetywashing.stats.bootstrap as bootstrap

    panel = simulate_panel(
        n_models=30, safety={"a": 0.6, "b": -0.3, "c": 0.0}, rng=4, missing_fraction=0.2
    )
    values, _ = panel.table.oriented()
    values = np.round(values, 1)  # many ties
    capability = values[:, :12].copy()
    capability[3, 2] = np.nan
    targets = values[:, 12:]
    flop = np.round(np.random.default_rng(0).normal(size=30), 1)
    flop[5] = np.nan
    z, _, _ = standardize(capability[~np.isnan(capability).any(axis=1)])
    loadings = capability_component(z).loadings
    counting, sorting = _both_kernels(
        monkeypatch, capability, targets, reference_loadings=loadings, kind=kind, flop=flop
    )
    counts = draw_counts(np.random.SeedSequence(9), 0, 200, n_models=30)
    expected = counting.evaluate(counts)  # type: ignore[attr-defined]
    _assert_same_bytes(expected, sorting.evaluate(counts))  # type: ignore[attr-defined]
    monkeypatch.setattr(bootstrap, "SORTED_BATCH_CELLS", 30 * 12 * 7)  # batches of 7
    _assert_same_bytes(expected, sorting.evaluate(counts))  # type: ignore[attr-defined]
