"""Coverage: which models have which benchmarks, and what was dropped or imputed, and why.

A coverage report is computed once per model class by the audit and carried in its
result (``ClassAudit.coverage``); the reports (console, JSON, Markdown) only print it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from safetywashing.core.table import ScoreTable

ModelStatus = Literal["complete", "imputed", "excluded"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ModelCoverage:
    """One model's coverage within a class."""

    id: str
    #: {"complete", "imputed", "excluded"}: Whether the model has every capability benchmark, had
    #: gaps filled, or was left out of the capability score.
    status: ModelStatus
    #: Capability benchmarks the model has a score on.
    n_capability: int
    #: Capability benchmarks it lacks.
    missing_capability: tuple[str, ...]
    #: Capability benchmarks whose value was imputed for it.
    imputed: tuple[str, ...]
    #: Other reported benchmarks (safety, and the like) it has a score on.
    n_other: int
    #: Other reported benchmarks in the table.
    n_other_total: int
    #: Why the model was left out (empty unless excluded).
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "status": self.status,
            "n_capability": self.n_capability,
            "missing_capability": list(self.missing_capability),
            "imputed": list(self.imputed),
            "n_other": self.n_other,
            "n_other_total": self.n_other_total,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class BenchmarkCoverage:
    """How many models of a class have a score on one benchmark."""

    id: str
    role: str
    #: Models with a score.
    n_observed: int
    #: Models without one.
    missing_models: tuple[str, ...]
    #: Cells filled by imputation (capability benchmarks only).
    n_imputed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "role": self.role,
            "n_observed": self.n_observed,
            "missing_models": list(self.missing_models),
            "n_imputed": self.n_imputed,
        }


@dataclass(frozen=True)
class ClassCoverage:
    """Coverage of one model class: per model, per benchmark, and the imputation run."""

    n_models: int
    capability_benchmarks: tuple[str, ...]
    #: In table order.
    models: tuple[ModelCoverage, ...]
    #: Every reported benchmark (not ignored, scored for some model of the class), in table order.
    benchmarks: tuple[BenchmarkCoverage, ...]
    #: {"none", "pca"}: The imputation setting.
    impute: str
    #: Rank of the imputation (0 when none).
    rank: int
    #: Fewest observed capability benchmarks a model needs to be imputed.
    min_observed: int
    #: Iterations of the imputation (0 when nothing was imputed).
    iterations: int
    #: Whether the imputation converged (True when nothing was imputed).
    converged: bool

    @property
    def n_imputed_cells(self) -> int:
        """Capability cells filled by imputation."""
        return sum(len(m.imputed) for m in self.models)

    def models_with(self, status: ModelStatus) -> tuple[ModelCoverage, ...]:
        """Models with the given status."""
        return tuple(m for m in self.models if m.status == status)

    @property
    def incomplete_benchmarks(self) -> tuple[BenchmarkCoverage, ...]:
        """Benchmarks that some model of the class lacks."""
        return tuple(b for b in self.benchmarks if b.missing_models)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "n_models": self.n_models,
            "imputation": {
                "method": self.impute,
                "rank": self.rank,
                "min_observed": self.min_observed,
                "iterations": self.iterations,
                "converged": self.converged,
                "n_imputed_cells": self.n_imputed_cells,
            },
            "counts": {
                "complete": len(self.models_with("complete")),
                "imputed": len(self.models_with("imputed")),
                "excluded": len(self.models_with("excluded")),
            },
            "models": {m.id: m.to_dict() for m in self.models},
            "benchmarks": {b.id: b.to_dict() for b in self.benchmarks},
        }


def class_coverage(
    table: ScoreTable,
    capability_ids: Sequence[str],
    *,
    imputed_cells: Sequence[tuple[str, str]] = (),
    excluded: Sequence[tuple[str, str]] = (),
    impute: str = "none",
    rank: int = 0,
    min_observed: int = 0,
    iterations: int = 0,
    converged: bool = True,
) -> ClassCoverage:
    """Compute the coverage of one class's table.

    Parameters
    ----------
    table : ScoreTable
        The models of one class.
    capability_ids : sequence of str
        The capability benchmarks.
    imputed_cells : sequence of (model, benchmark)
        Cells the audit filled.
    excluded : sequence of (model, reason)
        Models the audit left out of the capability score.
    impute, rank, min_observed, iterations, converged
        The imputation settings and run, for the record.

    Returns
    -------
    ClassCoverage
    """
    values = table.values
    present = ~np.isnan(values)
    capability_set = set(capability_ids)
    capability_columns = [table.benchmark_index(b) for b in capability_ids]
    # As in the audit, a benchmark without a single score in this class is not reported.
    scored = np.asarray(present.any(axis=0), dtype=bool)
    reported = [j for j, b in enumerate(table.benchmarks) if b.role != "ignore" and scored[j]]
    other_columns = [j for j in reported if table.benchmarks[j].id not in capability_set]
    imputed_by_model: dict[str, list[str]] = {}
    for model, benchmark in imputed_cells:
        imputed_by_model.setdefault(model, []).append(benchmark)
    imputed_by_benchmark: dict[str, int] = {}
    for _, benchmark in imputed_cells:
        imputed_by_benchmark[benchmark] = imputed_by_benchmark.get(benchmark, 0) + 1
    reasons = dict(excluded)
    model_ids = table.model_ids
    # Whole-matrix counts first, then one cheap pass per model and per benchmark: the
    # cost stays linear in models x benchmarks.
    capability_present = present[:, capability_columns]
    n_capability = capability_present.sum(axis=1)
    n_other = present[:, other_columns].sum(axis=1)
    gaps = np.flatnonzero(n_capability < len(capability_ids))
    missing_of: dict[int, tuple[str, ...]] = {
        int(row): tuple(
            capability_ids[int(position)] for position in np.flatnonzero(~capability_present[row])
        )
        for row in gaps
    }
    # Python ints up front: indexing a numpy array one model at a time costs more than
    # the rest of the loop.
    n_capability_of = n_capability.tolist()
    n_other_of = n_other.tolist()
    models: list[ModelCoverage] = []
    for row, model in enumerate(model_ids):
        status: ModelStatus
        if model in reasons:
            status = "excluded"
        elif imputed_by_model.get(model):
            status = "imputed"
        else:
            status = "complete"
        models.append(
            ModelCoverage(
                id=model,
                status=status,
                n_capability=n_capability_of[row],
                missing_capability=missing_of.get(row, ()),
                imputed=tuple(imputed_by_model.get(model, ())),
                n_other=n_other_of[row],
                n_other_total=len(other_columns),
                reason=reasons.get(model, ""),
            )
        )
    n_observed = present.sum(axis=0)
    id_array = np.array(model_ids, dtype=object)
    benchmarks = tuple(
        BenchmarkCoverage(
            id=table.benchmarks[j].id,
            role=table.benchmarks[j].role,
            n_observed=int(n_observed[j]),
            missing_models=tuple(id_array[~present[:, j]].tolist()),
            n_imputed=imputed_by_benchmark.get(table.benchmarks[j].id, 0),
        )
        for j in reported
    )
    return ClassCoverage(
        n_models=len(table.models),
        capability_benchmarks=tuple(capability_ids),
        models=tuple(models),
        benchmarks=benchmarks,
        impute=impute,
        rank=rank,
        min_observed=min_observed,
        iterations=iterations,
        converged=converged,
    )
