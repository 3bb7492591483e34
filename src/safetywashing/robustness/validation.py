"""How well the audit survives missing capability scores: masking experiments.

Hide a share of the capability cells of a complete panel at random, audit the gappy
panel with imputation, and compare with the audit of the full panel. The accuracy test
and ``benchmarks/bench_imputation.py`` run this on the paper's data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit.compute import audit
from safetywashing.audit.result import AuditResult
from safetywashing.core.config import ImputeMethod
from safetywashing.core.document import field_values
from safetywashing.core.errors import InputWarning
from safetywashing.core.table import ScoreTable
from safetywashing.datasets.simulate import as_generator
from safetywashing.stats.correlation import correlation

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MaskingRun:
    """One masked audit compared with the full-data audit."""

    #: Share of capability cells hidden.
    fraction: float
    #: Seed of the mask.
    seed: int
    #: Cells hidden.
    n_masked: int
    #: Models with a capability score in both audits.
    n_scored: int
    #: Spearman correlation of the capability scores, masked vs full, over those models.
    score_spearman: float
    #: Median absolute change of the capabilities correlations of the non-capability benchmarks
    #: (those defined in both audits).
    median_abs_change: float
    #: Largest such change.
    max_abs_change: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return field_values(self)


def mask_cells(
    table: ScoreTable,
    benchmark_ids: Sequence[str],
    fraction: float,
    rng: np.random.Generator | int | None = None,
) -> tuple[ScoreTable, int]:
    """Hide ``round(fraction * cells)`` of the observed cells of some columns at random.

    Parameters
    ----------
    table : ScoreTable
    benchmark_ids : sequence of str
        Columns whose cells may be hidden.
    fraction : float
        Share of those columns' observed cells to hide, in [0, 1).
    rng : Generator, int or None

    Returns
    -------
    table : ScoreTable
        A copy with the chosen cells set to NaN.
    n_masked : int
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"The masked fraction must be in [0, 1); got {fraction}.")
    generator = as_generator(rng)
    values = np.array(table.values, dtype=np.float64)
    columns = np.array([table.benchmark_index(b) for b in benchmark_ids], dtype=np.intp)
    sub = values[:, columns]
    observed = np.argwhere(~np.isnan(sub))
    n_masked = round(fraction * len(observed))
    chosen = observed[generator.choice(len(observed), size=n_masked, replace=False)]
    sub[chosen[:, 0], chosen[:, 1]] = np.nan
    values[:, columns] = sub
    return replace(table, values=values), n_masked


def compare_audits(full: AuditResult, masked: AuditResult) -> tuple[int, float, float, float]:
    """Capability-score Spearman and capabilities-correlation changes, pooled over classes.

    Returns
    -------
    n_scored, score_spearman, median_abs_change, max_abs_change
    """
    spearmans: list[float] = []
    n_scored = 0
    changes: list[float] = []
    for full_class in full.classes:
        masked_class = masked[full_class.model_class]
        both = ~np.isnan(full_class.capability_scores) & ~np.isnan(masked_class.capability_scores)
        r, n = correlation(
            full_class.capability_scores[both], masked_class.capability_scores[both], "spearman"
        )
        spearmans.append(r)
        n_scored += n
        for result in full_class.benchmarks:
            if result.role == "capability":
                continue
            other = masked_class.benchmark(result.id).capabilities_correlation
            if not (math.isnan(other) or math.isnan(result.capabilities_correlation)):
                changes.append(abs(other - result.capabilities_correlation))
    change_array = np.asarray(changes) if changes else np.array([math.nan])
    return (
        n_scored,
        float(min(spearmans)),
        float(np.median(change_array)),
        float(np.max(change_array)),
    )


def masking_runs(
    table: ScoreTable,
    fractions: Sequence[float],
    seeds: Sequence[int],
    *,
    preset: str | None = None,
    capabilities: Sequence[str] | None = None,
    impute: ImputeMethod = "pca",
    impute_rank: int = 1,
    min_observed: int | None = None,
) -> list[MaskingRun]:
    """Audit the table once in full and once per (fraction, seed) with cells hidden.

    Parameters
    ----------
    table : ScoreTable
        A panel whose capability block is complete (or nearly so).
    fractions : sequence of float
        Shares of capability cells to hide.
    seeds : sequence of int
        One mask per seed and fraction.
    preset, capabilities
        As for :func:`~safetywashing.audit.compute.audit`.
    impute, impute_rank, min_observed
        Imputation of the masked audits.

    Returns
    -------
    list of MaskingRun
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        full = audit(table, preset=preset, capabilities=capabilities, impute="none")
        capability_ids = full.classes[0].capability_benchmarks
        runs: list[MaskingRun] = []
        for fraction in fractions:
            for seed in seeds:
                masked_table, n_masked = mask_cells(table, capability_ids, fraction, seed)
                masked = audit(
                    masked_table,
                    preset=preset,
                    capabilities=capabilities,
                    impute=impute,
                    impute_rank=impute_rank,
                    min_observed=min_observed,
                )
                n_scored, spearman, median_change, max_change = compare_audits(full, masked)
                runs.append(
                    MaskingRun(
                        fraction=float(fraction),
                        seed=int(seed),
                        n_masked=n_masked,
                        n_scored=n_scored,
                        score_spearman=spearman,
                        median_abs_change=median_change,
                        max_abs_change=max_change,
                    )
                )
    return runs
