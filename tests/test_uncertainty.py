"""The uncertainty analysis end to end: determinism, fields, bad input, coverage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from safetywashing.audit.compute import audit
from safetywashing.core.decision import DecisionRule
from safetywashing.core.errors import InputError, InputWarning
from safetywashing.core.parallel import SERIAL
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.simulate import simulate_panel
from safetywashing.report.tables import to_json
from safetywashing.uncertainty.compute import (
    audit_with_uncertainty,
    bootstrap_audit,
    bootstrap_with,
)
from safetywashing.uncertainty.result import UncertaintyResult
from safetywashing.uncertainty.settings import UncertaintySettings, check_count, parse_count


def test_same_seed_gives_byte_identical_json_whatever_the_chunking() -> None:
    table = load_demo_panel()
    result = audit(table)
    documents = [
        to_json(bootstrap_audit(result, n_resamples=700, seed=5, chunk_size=chunk).apply(result))
        for chunk in (64, 333, 700)
    ]
    assert documents[0] == documents[1] == documents[2]
    other = to_json(bootstrap_audit(result, n_resamples=700, seed=6).apply(result))
    assert other != documents[0]


def test_audit_json_gains_interval_pvalue_verdict_and_settings() -> None:
    result = audit_with_uncertainty(
        load_demo_panel(), uncertainty={"n_resamples": 300, "seed": 1, "interval": "bca"}
    )
    document = json.loads(to_json(result))
    settings = document["uncertainty"]["settings"]
    assert settings["n_resamples"] == 300 and settings["seed"] == 1
    assert settings["interval"] == "bca" and settings["confidence"] == 0.95
    entry = next(iter(document["classes"]["chat"]["benchmarks"].values()))
    assert {"ci_low", "ci_high", "p_value", "p_adjusted", "verdict"} <= entry.keys()
    chat = result["chat"]
    permutations = document["uncertainty"]["classes"]["chat"]["permutations"]
    assert permutations > 300  # sized to the adjustment, beyond the resamples
    for b in chat.benchmarks:
        assert b.ci_low <= b.capabilities_correlation <= b.ci_high or b.verdict == "inconclusive"
        assert b.verdict in ("entangled", "inverse", "distinct", "inconclusive")
        assert 1 / (permutations + 1) <= b.p_value <= 1
    safety = [b for b in chat.benchmarks if b.role != "capability"]
    assert all(b.p_adjusted >= b.p_value for b in safety)
    assert all(np.isnan(b.p_adjusted) for b in chat.benchmarks if b.role == "capability")


def test_verdicts_follow_the_chosen_interval_and_threshold() -> None:
    table = load_demo_panel()
    found = bootstrap_audit(table, n_resamples=300, seed=2, threshold=0.2)
    chat = found["chat"]
    from safetywashing.stats.intervals import verdict

    for j, v in enumerate(chat.verdicts):
        assert v == verdict(chat.percentile[0, j], chat.percentile[1, j], lower=-0.2, upper=0.2)


def test_planted_truth_gets_the_expected_verdicts() -> None:
    panel = simulate_panel(n_models=60, safety={"entangled": 0.95, "inverse": -0.95}, rng=4)
    found = bootstrap_audit(panel.table, n_resamples=400, seed=3).classes[0]
    verdicts = dict(zip(found.benchmark_ids, found.verdicts, strict=True))
    assert verdicts["entangled"] == "entangled" and verdicts["inverse"] == "inverse"


def test_cluster_bootstrap_by_family_runs_and_records_units() -> None:
    panel = simulate_panel(n_models=30, safety={"s": 0.5}, rng=8)
    found = bootstrap_audit(panel.table, n_resamples=200, seed=1, cluster="family")
    assert found.settings.cluster == "family"
    assert found.classes[0].n_units == 6  # the simulator's six families


def test_a_seed_is_recorded_when_none_is_given() -> None:
    found = bootstrap_audit(load_demo_panel(), n_resamples=50, permutations=0)
    assert isinstance(found.settings.seed, int)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            0,
            "n_resamples=0 asks for no bootstrap resamples; give a positive number such as "
            "n_resamples=2000, or leave it out.",
        ),
        (
            -5,
            "n_resamples=-5 is negative; give a whole number such as n_resamples=2000.",
        ),
        (
            "2.5",
            "n_resamples=2.5 is not a whole number of bootstrap resamples; give a whole "
            "number such as n_resamples=2000.",
        ),
        (
            2.5,
            "n_resamples=2.5 is not a whole number of bootstrap resamples; give a whole "
            "number such as n_resamples=2000.",
        ),
    ],
)
def test_bad_resample_counts(value: object, message: str) -> None:
    with pytest.raises(InputError) as caught:
        check_count(value, "n_resamples", "bootstrap resamples")
    assert str(caught.value) == message


def test_a_count_is_read_from_its_text_once_and_checked_by_the_settings() -> None:
    assert parse_count(" 2000 ", "n_resamples", "bootstrap resamples") == 2000
    assert parse_count("0", "n_resamples", "bootstrap resamples") == 0  # read, not checked
    with pytest.raises(InputError, match=r"^n_resamples=many is not a whole number"):
        parse_count("many", "n_resamples", "bootstrap resamples")
    with pytest.raises(InputError, match=r"^n_resamples=0 asks for no bootstrap resamples"):
        UncertaintySettings(n_resamples=0)
    assert UncertaintySettings(n_resamples=300, permutations=0).permutations == 0


def test_the_audit_carries_the_typed_uncertainty_and_writes_its_document() -> None:
    result = audit(load_demo_panel(), threshold=0.3)
    found = bootstrap_audit(result, n_resamples=300, seed=4, permutations=0)
    applied = found.apply()
    assert isinstance(applied.uncertainty, UncertaintyResult) and applied.uncertainty is found
    assert result.uncertainty is None  # the audit it was computed for is left as it was
    assert found.settings.rule == result.rule == DecisionRule(0.3)
    assert applied.to_dict()["uncertainty"] == found.to_dict()
    assert found.to_dict()["settings"]["verdict_lines"] == [-0.3, 0.3]
    chat = found["chat"]
    for j, benchmark in enumerate(chat.benchmark_ids):
        assert chat.degenerate(benchmark) == pytest.approx(1 - chat.valid_share[j], nan_ok=True)


def test_checked_settings_give_the_same_bytes_and_take_the_audits_rule() -> None:
    result = audit(load_demo_panel(), threshold=0.3)
    by_keywords = bootstrap_audit(result, n_resamples=300, seed=4, scheduler="serial")
    settings = UncertaintySettings(n_resamples=300, seed=4)  # the paper's rule by default
    checked = bootstrap_with(result, settings, SERIAL)
    assert checked.settings.rule == result.rule
    assert to_json(checked.apply()) == to_json(by_keywords.apply())


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1])
def test_confidence_outside_zero_one(confidence: float) -> None:
    with pytest.raises(InputError) as caught:
        UncertaintySettings(confidence=confidence)
    assert str(caught.value) == (
        f"confidence={confidence} is not strictly between 0 and 1; try confidence=0.95."
    )


def test_fewer_than_five_models_for_a_bootstrap() -> None:
    panel = simulate_panel(n_models=4, safety={"s": 0.5}, rng=1)
    with pytest.raises(InputError) as caught:
        bootstrap_audit(panel.table, n_resamples=100, seed=1)
    assert str(caught.value) == (
        "The bootstrap needs at least 5 models with a capability score; only 4 have one; "
        "add models or do without the bootstrap."
    )


def test_small_coverage_check_on_simulated_panels() -> None:
    # A fast, loose version of benchmarks/validate_coverage.py: 95% intervals should
    # contain the simulator's true value in most panels.
    hits = {"percentile": 0, "bca": 0}
    panels = 40
    for i in range(panels):
        panel = simulate_panel(n_models=30, safety={"s": (0.0, 0.5)[i % 2]}, rng=100 + i)
        truth = panel.true_capabilities_correlation["s"]
        found = bootstrap_audit(panel.table, n_resamples=300, seed=i, permutations=0).classes[0]
        j = found.benchmark_ids.index("s")
        for kind in hits:
            low, high = found.interval(kind)[:, j]  # type: ignore[arg-type]
            hits[kind] += int(low <= truth <= high)
    for kind, count in hits.items():
        assert 0.8 <= count / panels <= 1.0, kind


def _panel_with_capability_gaps():  # type: ignore[no-untyped-def]
    from dataclasses import replace

    table = simulate_panel(n_models=20, safety={"s1": 0.5, "s2": 0.0}, rng=3).table
    values = table.values.copy()
    values[0, 0] = values[5, 3] = values[9, 7] = np.nan  # three models, one gap each
    return replace(table, values=values)


@pytest.mark.filterwarnings("ignore::safetywashing.core.errors.InputWarning")
def test_bootstrap_refits_the_audit_estimate_when_gaps_were_imputed() -> None:
    # Regression: the refit used the raw capability block and dropped the three models
    # whose gaps the audit imputed, so its intervals surrounded a different estimate.
    table = _panel_with_capability_gaps()
    result = audit(table)  # impute="pca", the default
    chat = result.classes[0]
    assert len(chat.imputed_cells) == 3 and len(chat.capability_model_ids) == 20
    found = bootstrap_audit(result, n_resamples=100, seed=1, interval="bca").classes[0]
    expected = [b.capabilities_correlation for b in chat.benchmarks]  # the audit's own
    np.testing.assert_allclose(found.estimate, expected, rtol=0, atol=1e-12)


def test_family_resampling_errors_read_as_sentences_for_an_unclassed_panel() -> None:
    # Regression: the class name "all" of a table without classes was pasted in, giving
    # "but all model 'model-03' has none" and "at least 3 all model families".
    from dataclasses import replace

    table = simulate_panel(n_models=12, safety={"s": 0.5}, rng=3).table
    models = list(table.models)
    models[2] = replace(models[2], family="")
    with pytest.raises(InputError) as missing:
        bootstrap_audit(replace(table, models=tuple(models)), n_resamples=50, cluster="family")
    assert str(missing.value) == (
        "Resampling by family needs a family for every model, but model 'model-03' has "
        "none; add a family column (family_column) or drop cluster='family'."
    )
    two = tuple(replace(m, family="ab"[i % 2]) for i, m in enumerate(table.models))
    with pytest.raises(InputError) as few:
        bootstrap_audit(replace(table, models=two), n_resamples=50, cluster="family")
    assert str(few.value) == (
        "Resampling by family needs at least 4 model families; there are 2; drop cluster='family'."
    )


def test_a_benchmark_without_an_estimate_gets_no_interval_and_no_verdict() -> None:
    # Regression: with 2 models the estimate is undefined, yet resamples holding copies
    # of both gave replicates of exactly 1, a percentile interval [1, 1] and the verdict
    # "entangled".
    from dataclasses import replace

    table = simulate_panel(n_models=20, safety={"two": 0.9}, rng=3).table
    values = table.values.copy()
    values[2:, table.benchmark_index("two")] = np.nan
    table = replace(table, values=values)
    result = audit(table)
    assert np.isnan(result["all"].benchmark("two").capabilities_correlation)
    found = bootstrap_audit(result, n_resamples=500, seed=1)["all"]
    j = found.benchmark_ids.index("two")
    assert np.isnan(found.percentile[:, j]).all() and np.isnan(found.bca[:, j]).all()
    assert np.isnan(found.compute_interval[:, j]).all()
    assert found.verdicts[j] == ""


def test_a_benchmark_short_of_defined_resamples_is_named_with_its_count_and_the_fix() -> None:
    # 6 observed models: some resamples draw fewer than 3 distinct of them, so the
    # correlation is undefined there; at 95% an interval needs 200 defined resamples
    # (5 in each tail), so 200 resamples leave this benchmark without one.
    from dataclasses import replace

    table = simulate_panel(n_models=30, safety={"thin": 0.8}, rng=4).table
    values = table.values.copy()
    values[6:, table.benchmark_index("thin")] = np.nan
    result = audit(replace(table, values=values))
    with pytest.warns(InputWarning):
        uncertainty = bootstrap_audit(result, n_resamples=200, seed=1)
    found = uncertainty["all"]
    j = found.benchmark_ids.index("thin")
    defined = round(200 * float(found.valid_share[j]))
    assert 0 < defined < 200 and found.verdicts[j] == ""
    note = next(n for n in uncertainty.warnings if n.startswith("No interval or verdict"))
    assert note == (
        f"No interval or verdict for thin ({defined} of 200): too few resamples gave a "
        "defined correlation (the count beside each name), and an interval needs 200 (5 in "
        "each tail at 95%); more resamples give one."
    )


# -- the permutation draws shared by size, the jackknife only where BCa needs it -----------


def _former_permutation_counts(
    reference: np.ndarray, values: np.ndarray, n_permutations: int, seed: np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray]:
    """The permutation counts as computed before the draws were shared: one missing-value
    pattern at a time, each drawing and sorting its own keys (the reference)."""
    from safetywashing.stats.ranks import rank_average, rank_columns
    from safetywashing.stats.resample import DRAW_BLOCK, block_generator

    exceed = np.zeros(values.shape[1], dtype=np.int64)
    defined = np.zeros(values.shape[1], dtype=bool)
    retained = ~np.isnan(values) & ~np.isnan(reference)[:, None]
    patterns, inverse = np.unique(retained.T, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for g in range(patterns.shape[0]):
        members = np.flatnonzero(inverse == g)
        rows = np.flatnonzero(patterns[g])
        if rows.size < 3:
            continue
        middle = (rows.size + 1) / 2.0
        ref_ranks = rank_average(reference[rows]) - middle
        ranks = rank_columns(values[np.ix_(rows, members)]) - middle
        observed = np.abs(ref_ranks @ ranks)
        defined[members] = (np.abs(ref_ranks).sum() > 0) & (np.abs(ranks).sum(axis=0) > 0)
        for block in range(-(-n_permutations // DRAW_BLOCK)):
            generator = block_generator(seed, 1, block)
            order = np.argsort(generator.random((DRAW_BLOCK, rows.size)), axis=1)
            order = order[: min(DRAW_BLOCK, n_permutations - block * DRAW_BLOCK)]
            exceed[members] += (np.abs(ref_ranks[order] @ ranks) >= observed).sum(axis=0)
    return exceed, defined


def _gappy_values(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A reference and 40 columns with many missing-value patterns, several of one size,
    a pattern of two models, a constant column and a constant reference side."""
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=60)
    values = np.round(rng.normal(size=(60, 40)) + reference[:, None] * rng.uniform(-1, 1, 40), 1)
    values[rng.random(values.shape) < 0.1] = np.nan
    values[:, 5] = values[:, 6] = np.where(rng.random(60) < 0.2, np.nan, values[:, 5])
    values[2:, 7] = np.nan  # two models left
    values[:, 8] = 1.0
    reference[[3, 9]] = np.nan
    return reference, values


def test_shared_permutation_draws_give_the_former_counts() -> None:
    from safetywashing.stats.permutation import permutation_counts, permutation_plan

    n = 2 * 1024 + 33
    seed = np.random.SeedSequence(21)
    tests = [_gappy_values(1), _gappy_values(2), (np.arange(60.0) % 7, _gappy_values(3)[1])]
    plan = permutation_plan(tests)
    sizes = [size for size, _ in plan.by_size]
    assert len(sizes) < sum(len(p) for _, p in plan.by_size)  # some draws are shared
    shared = plan.counts(n, seed, blocks=range(3))
    for test, (reference, values) in enumerate(tests):
        exceed, defined = _former_permutation_counts(reference, values, n, seed)
        np.testing.assert_array_equal(shared[test], exceed)
        np.testing.assert_array_equal(plan.defined[test], defined)
        alone = permutation_counts(reference, values, n, seed)
        np.testing.assert_array_equal(alone[0], exceed)
    assert not plan.defined[0][7] and not plan.defined[0][8]


@pytest.mark.filterwarnings("ignore::safetywashing.core.errors.InputWarning")
@pytest.mark.parametrize("which", ["paper chat", "simulated with gaps"])
def test_class_pvalues_are_the_former_pvalues(which: str) -> None:
    from safetywashing.core.parallel import resolve_scheduler
    from safetywashing.io.tables.readers import read_scores
    from safetywashing.stats.permutation import pvalues_from_counts
    from safetywashing.uncertainty.engine import class_pvalues

    if which == "paper chat":
        from pathlib import Path

        path = Path(__file__).resolve().parents[1] / (
            "src/safetywashing/datasets/reference/safetywashing-paper/benchmarks_chat_models.csv"
        )
        result = audit(read_scores(path), preset="paper")
    else:
        safety = {f"s{j}": (j % 5 - 2) / 3 for j in range(24)}
        result = audit(
            simulate_panel(n_models=45, safety=safety, missing_fraction=0.2, rng=4).table
        )
    chat = result.classes[0]
    data = chat.prepared
    n = 3 * 1024 + 1
    seed = np.random.SeedSequence(8, spawn_key=(3,))
    expected = np.full(data.targets.shape[1], np.nan)
    for j, ref in enumerate(data.references):
        reference = chat.capability_scores if ref is None else ref
        exceed, defined = _former_permutation_counts(
            np.asarray(reference, dtype=np.float64), data.targets[:, [j]], n, seed
        )
        expected[j] = pvalues_from_counts(exceed, defined, n)[0]
    for scheduler in ("serial", "threads"):
        found = class_pvalues(chat, n, seed, resolve_scheduler(scheduler, 2), lambda *_: None)
        np.testing.assert_array_equal(found, expected)
    assert np.isfinite(expected).sum() > 10


def test_the_jackknife_runs_only_where_bca_needs_it() -> None:
    panel = simulate_panel(n_models=60, safety={"s": 0.5}, rng=7).table
    result = audit(panel)
    stages: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        stages.append(stage)

    cheap = bootstrap_audit(result, n_resamples=240, seed=1, permutations=0, progress=progress)
    assert np.isfinite(cheap.classes[0].bca).any() and "jackknife (all)" in stages
    stages.clear()
    costly = bootstrap_audit(result, n_resamples=200, seed=1, permutations=0, progress=progress)
    assert np.isnan(costly.classes[0].bca).all() and "jackknife (all)" not in stages
    asked = bootstrap_audit(result, n_resamples=200, seed=1, permutations=0, interval="bca")
    assert np.isfinite(asked.classes[0].bca).any()
    assert asked.classes[0].verdicts != () and np.array_equal(
        asked.classes[0].percentile, costly.classes[0].percentile, equal_nan=True
    )


def _as_floats(outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: np.asarray(value, dtype=np.float64) for key, value in outputs.items()}


def test_chunked_jackknife_gives_the_one_batch_bytes() -> None:
    from safetywashing.core.parallel import resolve_scheduler
    from safetywashing.stats.resample import jackknife_counts
    from safetywashing.uncertainty.engine import class_plan, run_jackknife

    result = audit(simulate_panel(n_models=40, safety={"a": 0.4, "b": -0.2}, rng=2).table)
    plan = class_plan(result.classes[0])
    # Stacked chunks hold every output as floats ("valid" too), so compare float bytes.
    whole = _as_floats(plan.evaluate(jackknife_counts(plan.n_models)))
    clusters = np.arange(40) % 9
    by_family = _as_floats(plan.evaluate(jackknife_counts(plan.n_models, clusters)))
    for scheduler, chunk in (("serial", 7), ("threads", 3), ("threads", None)):
        runner = resolve_scheduler(scheduler, 2)
        found = run_jackknife(plan, runner, chunk_size=chunk)
        assert all(found[key].tobytes() == whole[key].tobytes() for key in whole)
        found = run_jackknife(plan, runner, clusters=clusters, chunk_size=chunk)
        assert all(found[key].tobytes() == by_family[key].tobytes() for key in whole)
