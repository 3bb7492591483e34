"""The audit: the Safetywashing method, end to end, on a :class:`ScoreTable`.

This module is the one place that orchestrates the method (``DESIGN.md``, "The method"):

1. Analyse each model class (e.g. base, chat) separately unless asked to pool.
2. Standardize the capability benchmarks (ddof = 0) over the models with a capability
   score: those that have all of them and, with ``impute="pca"`` (the default), those
   whose gaps are imputed from the capability block alone; any other model with a gap
   is left out of the capability score, with a warning naming it (never misaligned).
3. PC1 of the Spearman correlation matrix of the capability benchmarks (Pearson or
   covariance on request); the sign makes the score rise with capability.
4. Each benchmark's capabilities correlation (Spearman by default) with the capability
   score, over the models that have both (pairwise deletion; n reported); a benchmark
   with a reference column is correlated with that column instead.
5. Each benchmark's and the capability score's correlation with training FLOP.

Results are frozen dataclasses holding raw, unrounded values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from safetywashing import __version__
from safetywashing.coverage import ClassCoverage, class_coverage
from safetywashing.errors import InputError, InputWarning, suggestion
from safetywashing.stats.correlation import (
    CORRELATION_METHODS,
    CorrelationMethod,
    correlate_columns,
    correlation,
)
from safetywashing.stats.impute import DEFAULT_MAX_ITER, DEFAULT_TOLERANCE, impute_pca
from safetywashing.stats.pca import (
    MATRIX_KINDS,
    CapabilityComponent,
    MatrixKind,
    capability_component,
    mean_offdiagonal,
    standardize,
)
from safetywashing.table import COMPUTE_LABELS, DEFAULT_CLASS, ScoreTable

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]

SCHEMA_VERSION = "1.0"
MIN_MODELS = 3
LOW_CORRELATION = 0.40
CAPABILITY_SCORE = "capability score"
ImputeMethod = Literal["none", "pca"]
IMPUTE_METHODS: tuple[ImputeMethod, ...] = ("none", "pca")


@dataclass(frozen=True)
class AuditConfig:
    """Settings of one audit, recorded in its result.

    Attributes
    ----------
    capabilities : tuple of str or None
        Capability benchmarks; None means the benchmarks whose role is "capability".
    method : {"spearman", "pearson", "kendall"}
        Correlation used for capabilities and compute correlations.
    matrix : {"spearman", "pearson", "covariance"}
        Matrix whose top eigenvector defines the capability score.
    model_class : str or None
        Analyse only this class; None analyses every class.
    pool_classes : bool
        Analyse all models together instead of one class at a time.
    preset : str or None
        Name of the preset applied to the table, for the record.
    low_threshold : float
        Correlations below this are read as "low" (the paper's 0.40).
    impute : {"pca", "none"}
        How models with missing capability scores are handled: "pca" fills the gaps by
        iterative PCA of the capability block; "none" leaves such models out
        (complete-case, the paper's computation). On complete data both agree.
    impute_rank : int
        Rank of the imputation's PCA.
    min_observed : int or None
        Fewest observed capability benchmarks a model needs to be imputed; None means
        half of the capability benchmarks, rounded up (at least 2).
    impute_tolerance, impute_max_iter : float, int
        Convergence tolerance and iteration cap of the imputation.
    """

    capabilities: tuple[str, ...] | None = None
    method: CorrelationMethod = "spearman"
    matrix: MatrixKind = "spearman"
    model_class: str | None = None
    pool_classes: bool = False
    preset: str | None = None
    low_threshold: float = LOW_CORRELATION
    impute: ImputeMethod = "pca"
    impute_rank: int = 1
    min_observed: int | None = None
    impute_tolerance: float = DEFAULT_TOLERANCE
    impute_max_iter: int = DEFAULT_MAX_ITER

    def __post_init__(self) -> None:
        _check_impute_settings(self)
        if self.method not in CORRELATION_METHODS:
            raise InputError(
                f"The correlation method must be one of {', '.join(CORRELATION_METHODS)}; "
                f"got '{self.method}'."
            )
        if self.matrix not in MATRIX_KINDS:
            raise InputError(
                f"The capability matrix must be one of {', '.join(MATRIX_KINDS)}; "
                f"got '{self.matrix}'."
            )
        if not -1.0 <= self.low_threshold <= 1.0:
            raise InputError(
                f"The low-correlation threshold must be in [-1, 1]; got {self.low_threshold}."
            )

    def to_dict(self) -> dict[str, Any]:
        """Settings as a JSON-ready dict."""
        return {
            "capabilities": list(self.capabilities) if self.capabilities is not None else None,
            "method": self.method,
            "matrix": self.matrix,
            "model_class": self.model_class,
            "pool_classes": self.pool_classes,
            "preset": self.preset,
            "low_threshold": self.low_threshold,
            "impute": self.impute,
            "impute_rank": self.impute_rank,
            "min_observed": self.min_observed,
            "impute_tolerance": self.impute_tolerance,
            "impute_max_iter": self.impute_max_iter,
        }


@dataclass(frozen=True)
class BenchmarkResult:
    """One benchmark's correlations within one model class.

    Attributes
    ----------
    id, name, metric, role, area, direction : str
        From the benchmark metadata.
    flipped : bool
        True when the column was negated because lower raw scores are safer.
    correlated_with : str
        ``"capability score"`` or the id of the benchmark's reference column.
    n : int
        Models used for the capabilities correlation.
    capabilities_correlation : float
        Correlation with the capability score (or the reference column); NaN when
        undefined (fewer than 3 models, or a constant column).
    n_compute : int
        Models used for the compute correlation.
    compute_correlation : float
        Correlation with training FLOP; NaN when undefined.
    note : str
        Why a value is missing, if it is.
    ci_low, ci_high : float
        Confidence interval of the capabilities correlation; NaN when not computed.
    p_value, p_adjusted : float
        Permutation p-value and its multiplicity-adjusted value; NaN when not computed.
    verdict : str
        Reading that respects the interval ("entangled", "distinct", "inverse",
        "inconclusive"); empty when no interval was computed.
    """

    id: str
    name: str
    metric: str
    role: str
    area: str
    direction: str
    flipped: bool
    correlated_with: str
    n: int
    capabilities_correlation: float
    n_compute: int
    compute_correlation: float
    note: str = ""
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    p_adjusted: float = math.nan
    verdict: str = ""

    def is_low(self, threshold: float = LOW_CORRELATION) -> bool | None:
        """The paper's reading: below ``threshold`` (signed) is low; None if undefined."""
        if math.isnan(self.capabilities_correlation):
            return None
        return self.capabilities_correlation < threshold

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        return {
            "name": self.name,
            "metric": self.metric,
            "role": self.role,
            "area": self.area,
            "direction": self.direction,
            "flipped": self.flipped,
            "correlated_with": self.correlated_with,
            "n": self.n,
            "capabilities_correlation": _json_float(self.capabilities_correlation),
            "n_compute": self.n_compute,
            "compute_correlation": _json_float(self.compute_correlation),
            "note": self.note,
            "ci_low": _json_float(self.ci_low),
            "ci_high": _json_float(self.ci_high),
            "p_value": _json_float(self.p_value),
            "p_adjusted": _json_float(self.p_adjusted),
            "verdict": self.verdict or None,
        }


@dataclass(frozen=True)
class ClassAudit:
    """The audit of one model class (or of the pooled models).

    Attributes
    ----------
    model_class : str
    model_ids : tuple of str
        Every model of the class, in table order.
    model_names : tuple of str
        Display names, aligned with ``model_ids``.
    capability_benchmarks : tuple of str
    capability_model_ids : tuple of str
        Models with a capability score: those with every capability benchmark, and
        those whose gaps were imputed.
    excluded_models : tuple of (str, str)
        Models left out of the capability score, with the reason.
    component : CapabilityComponent
        Loadings, eigenvalues, the decomposed matrix and the variance shares.
    mean_capability_correlation, std_capability_correlation : float
        Mean and population standard deviation of the pairwise correlations among the
        capability benchmarks (of the decomposed matrix; Spearman by default).
    capability_scores : ndarray of shape (n_models,)
        Capability score per model of ``model_ids``; NaN for excluded models.
    flop : ndarray of shape (n_models,)
        Training FLOP per model; NaN where unknown.
    score_compute_correlation : float
    score_compute_n : int
    benchmarks : tuple of BenchmarkResult
        Every benchmark whose role is not "ignore", in table order.
    imputed_cells : tuple of (str, str)
        (model, capability benchmark) cells filled by imputation.
    coverage : ClassCoverage or None
        Which models have which benchmarks, and what was dropped or imputed.
    capability_mean, capability_std : ndarray of shape (k,) or None
        Standardization of the capability benchmarks (over the models with a score,
        imputed values included), aligned with ``capability_benchmarks``.
    capability_block : ndarray of shape (n_models, k) or None
        Oriented capability scores per model of ``model_ids``, imputed cells filled
        (gaps of left-out models stay NaN).
    """

    model_class: str
    model_ids: tuple[str, ...]
    model_names: tuple[str, ...]
    capability_benchmarks: tuple[str, ...]
    capability_model_ids: tuple[str, ...]
    excluded_models: tuple[tuple[str, str], ...]
    component: CapabilityComponent
    mean_capability_correlation: float
    std_capability_correlation: float
    capability_scores: FloatArray
    flop: FloatArray
    score_compute_correlation: float
    score_compute_n: int
    benchmarks: tuple[BenchmarkResult, ...]
    imputed_cells: tuple[tuple[str, str], ...] = ()
    coverage: ClassCoverage | None = None
    capability_mean: FloatArray | None = None
    capability_std: FloatArray | None = None
    capability_block: FloatArray | None = None

    @property
    def loadings(self) -> FloatArray:
        """PC1 loadings, aligned with ``capability_benchmarks``."""
        return self.component.loadings

    @property
    def variance_explained(self) -> float:
        """The paper's "variance explained": top eigenvalue / trace of the matrix."""
        return self.component.eigenvalue_share

    def benchmark(self, benchmark_id: str) -> BenchmarkResult:
        """The result of one benchmark; raises :class:`InputError` if absent."""
        for result in self.benchmarks:
            if result.id == benchmark_id:
                return result
        ids = [b.id for b in self.benchmarks]
        raise InputError(
            f"Benchmark '{benchmark_id}' is not in the {self.model_class} audit"
            f"{suggestion(benchmark_id, ids)}; check the spelling, or whether the "
            f"{self.model_class} models have scores on it or its role is ignore."
        )

    def score_of(self, model_id: str) -> float:
        """Capability score of one model (NaN if it was left out)."""
        return float(self.capability_scores[self.model_ids.index(model_id)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of this class's results (NaN as None)."""
        component = self.component
        return {
            "n_models": len(self.model_ids),
            "capability_benchmarks": list(self.capability_benchmarks),
            "loadings": dict(
                zip(self.capability_benchmarks, _json_list(component.loadings), strict=True)
            ),
            "eigenvalues": _json_list(component.eigenvalues),
            "variance_explained": _json_float(component.eigenvalue_share),
            "projected_variance_share": _json_float(component.projected_variance_share),
            "sign_rule": component.sign_rule,
            "mean_capability_correlation": _json_float(self.mean_capability_correlation),
            "std_capability_correlation": _json_float(self.std_capability_correlation),
            "models": {
                model: _json_float(score)
                for model, score in zip(self.model_ids, self.capability_scores, strict=True)
            },
            "model_names": dict(zip(self.model_ids, self.model_names, strict=True)),
            "excluded_models": [
                {"model": model, "reason": reason} for model, reason in self.excluded_models
            ],
            "score_compute_correlation": _json_float(self.score_compute_correlation),
            "score_compute_n": self.score_compute_n,
            "benchmarks": {result.id: result.to_dict() for result in self.benchmarks},
            "imputed_cells": [
                {"model": model, "benchmark": benchmark} for model, benchmark in self.imputed_cells
            ],
            "standardization": (
                {
                    benchmark: {"mean": _json_float(mean), "std": _json_float(std)}
                    for benchmark, mean, std in zip(
                        self.capability_benchmarks,
                        self.capability_mean,
                        self.capability_std,
                        strict=True,
                    )
                }
                if self.capability_mean is not None and self.capability_std is not None
                else None
            ),
            "coverage": self.coverage.to_dict() if self.coverage is not None else None,
        }


@dataclass(frozen=True)
class AuditResult:
    """The audit of a score table: one :class:`ClassAudit` per model class.

    Attributes
    ----------
    config : AuditConfig
    classes : tuple of ClassAudit
    flipped : tuple of str
        Benchmarks negated because lower raw scores are safer.
    sources : tuple of (str, str)
        Input files and their SHA-256.
    synthetic : bool
        True when the input was a simulated panel.
    warnings : tuple of str
        Everything the audit worked around, one sentence each.
    notes : tuple of str
        Remarks carried from reading the input.
    version : str
        Package version that produced the result.
    uncertainty : dict or None
        Settings and details of the bootstrap and permutation analysis, when one was
        run (see :mod:`safetywashing.uncertainty`); written to JSON only then.
    compute_kind : str
        What the compute correlations use: ``flop`` (training FLOP, the paper's), or a
        stand-in read with ``--compute-kind``: ``params``, ``tokens``.
    """

    config: AuditConfig
    classes: tuple[ClassAudit, ...]
    flipped: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]
    synthetic: bool
    warnings: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    version: str = __version__
    uncertainty: dict[str, Any] | None = None
    compute_kind: str = "flop"

    def __getitem__(self, model_class: str) -> ClassAudit:
        for audit_of_class in self.classes:
            if audit_of_class.model_class == model_class:
                return audit_of_class
        known = ", ".join(c.model_class for c in self.classes)
        raise KeyError(f"No class '{model_class}' in this audit; the classes are {known}.")

    @property
    def compute_label(self) -> str:
        """What the compute correlations use: "training FLOP", "parameters", ..."""
        return COMPUTE_LABELS.get(self.compute_kind, (self.compute_kind,))[0]

    @property
    def compute_short(self) -> str:
        """Short column label of the compute figures: "FLOP", "params", "tokens"."""
        return COMPUTE_LABELS.get(self.compute_kind, (self.compute_kind, self.compute_kind))[1]

    @property
    def class_names(self) -> tuple[str, ...]:
        """Names of the analysed classes, in order."""
        return tuple(c.model_class for c in self.classes)

    def to_dict(self) -> dict[str, Any]:
        """The versioned, JSON-ready document (NaN as None); see ``docs/schema.md``."""
        document = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "safetywashing", "version": self.version},
            "synthetic": self.synthetic,
            "config": self.config.to_dict(),
            "provenance": {
                "inputs": [{"path": path, "sha256": digest} for path, digest in self.sources],
            },
            "orientation": {"negated": list(self.flipped)},
            "compute": {"kind": self.compute_kind, "label": self.compute_label},
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "classes": {c.model_class: c.to_dict() for c in self.classes},
        }
        if self.uncertainty is not None:
            document["uncertainty"] = self.uncertainty
        return document

    def _repr_html_(self) -> str:
        """Compact HTML summary shown by Jupyter (see ``report.html.repr_html``)."""
        from safetywashing.report.html import repr_html

        return repr_html(self)

    def benchmark_records(self) -> list[dict[str, Any]]:
        """One dict per (class, benchmark), keys as in :data:`BENCHMARK_COLUMNS`, raw values."""
        return [
            {
                "model_class": c.model_class,
                "benchmark": b.id,
                "name": b.name,
                "area": b.area,
                "role": b.role,
                "metric": b.metric,
                "direction": b.direction,
                "flipped": b.flipped,
                "correlated_with": b.correlated_with,
                "n": b.n,
                "capabilities_correlation": b.capabilities_correlation,
                "ci_low": b.ci_low,
                "ci_high": b.ci_high,
                "p_value": b.p_value,
                "p_adjusted": b.p_adjusted,
                "verdict": b.verdict,
                "n_compute": b.n_compute,
                "compute_correlation": b.compute_correlation,
                "note": b.note,
            }
            for c in self.classes
            for b in c.benchmarks
        ]

    def score_records(self) -> list[dict[str, Any]]:
        """One dict per (class, model), keys as in :data:`SCORE_COLUMNS`, raw values."""
        return [
            {
                "model_class": c.model_class,
                "model": model,
                "name": name,
                "capability_score": float(score),
                "flop": float(flop),
            }
            for c in self.classes
            for model, name, score, flop in zip(
                c.model_ids, c.model_names, c.capability_scores, c.flop, strict=True
            )
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per (class, benchmark), columns in a fixed order, raw values."""
        import pandas as pd

        return pd.DataFrame(self.benchmark_records(), columns=BENCHMARK_COLUMNS)

    def scores_frame(self) -> pd.DataFrame:
        """Capability score per (class, model)."""
        import pandas as pd

        return pd.DataFrame(self.score_records(), columns=SCORE_COLUMNS)


BENCHMARK_COLUMNS = [
    "model_class",
    "benchmark",
    "name",
    "area",
    "role",
    "metric",
    "direction",
    "flipped",
    "correlated_with",
    "n",
    "capabilities_correlation",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "verdict",
    "n_compute",
    "compute_correlation",
    "note",
]
SCORE_COLUMNS = ["model_class", "model", "name", "capability_score", "flop"]


def _json_float(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _json_list(values: npt.ArrayLike) -> list[float | None]:
    return [_json_float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


# -- the method ----------------------------------------------------------------------------


def audit(
    table: ScoreTable,
    *,
    capabilities: Sequence[str] | None = None,
    method: CorrelationMethod = "spearman",
    matrix: MatrixKind = "spearman",
    model_class: str | None = None,
    pool_classes: bool = False,
    preset: str | None = None,
    low_threshold: float = LOW_CORRELATION,
    impute: ImputeMethod = "pca",
    impute_rank: int = 1,
    min_observed: int | None = None,
) -> AuditResult:
    """Run the Safetywashing audit on a score table.

    Parameters
    ----------
    table : ScoreTable
        Scores with benchmark roles (capability / safety / ignore) and model metadata.
    capabilities : sequence of str, optional
        Capability benchmarks; by default those whose role is "capability".
    method : {"spearman", "pearson", "kendall"}, default "spearman"
        Correlation for capabilities and compute correlations.
    matrix : {"spearman", "pearson", "covariance"}, default "spearman"
        Matrix whose top eigenvector is the capability component.
    model_class : str, optional
        Analyse only this class of models.
    pool_classes : bool, default False
        Analyse all models together (the paper analyses each class separately).
    preset : str, optional
        Apply a named preset (e.g. ``"paper"``) to the table first.
    low_threshold : float, default 0.40
        The paper's line below which a correlation is read as low.
    impute : {"pca", "none"}, default "pca"
        "pca" fills missing capability cells by iterative PCA of the capability block
        (never of the safety columns) so that a model with a gap keeps its capability
        score; "none" leaves it out (complete-case). Without gaps both give the same
        numbers. Every imputed cell is recorded in the result.
    impute_rank : int, default 1
        Rank of the imputation (1 = the capability component itself).
    min_observed : int, optional
        A model with fewer observed capability benchmarks is left out, with a warning
        naming it; by default half of them, rounded up.

    Returns
    -------
    AuditResult

    Raises
    ------
    InputError
        No capability benchmarks, an unknown one, a constant or all-missing capability
        column, or fewer than 3 models with every capability benchmark.

    Examples
    --------
    >>> from safetywashing import load_demo_panel
    >>> result = audit(load_demo_panel())
    >>> result.class_names
    ('base', 'chat')
    >>> 0.0 < result["chat"].variance_explained <= 1.0
    True
    """
    if preset is not None:
        from safetywashing.datasets.presets import get_preset

        chosen_preset = get_preset(preset)
        table = chosen_preset.apply(table)
        if capabilities is None:
            capabilities = chosen_preset.capabilities
    config = AuditConfig(
        capabilities=tuple(capabilities) if capabilities is not None else None,
        method=method,
        matrix=matrix,
        model_class=model_class,
        pool_classes=pool_classes,
        preset=preset,
        low_threshold=low_threshold,
        impute=impute,
        impute_rank=impute_rank,
        min_observed=min_observed,
    )
    capability_ids = _capability_ids(table, config.capabilities)
    if capabilities is not None:
        table = _with_capability_roles(table, capability_ids)
    if model_class is not None:
        groups = [(model_class, table.select_class(model_class))]
    elif pool_classes:
        groups = [("all" if len(table.classes()) > 1 else table.classes()[0], table)]
    else:
        groups = [(name, table.select_class(name)) for name in table.classes()]
    collected: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        classes = tuple(_audit_class(name, group, capability_ids, config) for name, group in groups)
    for item in caught:
        if issubclass(item.category, InputWarning):
            collected.append(str(item.message))
        warnings.warn_explicit(
            item.message, item.category, item.filename, item.lineno, source=item.source
        )
    _, flipped = table.oriented()
    return AuditResult(
        config=config,
        classes=classes,
        flipped=flipped,
        sources=tuple((s.path, s.sha256) for s in table.sources),
        synthetic=table.synthetic,
        warnings=tuple(collected),
        notes=table.notes,
        compute_kind=table.compute_kind,
    )


def _capability_ids(table: ScoreTable, requested: tuple[str, ...] | None) -> tuple[str, ...]:
    ids = table.benchmark_ids
    if requested is None:
        chosen = tuple(b.id for b in table.benchmarks if b.role == "capability")
        if not chosen:
            raise InputError(
                "No capability benchmarks are given; name them with --capabilities a,b,c, "
                "use --preset paper, or set role=capability in the benchmark metadata file."
            )
        return chosen
    if not requested:
        raise InputError(
            "The list of capability benchmarks is empty; name at least two with "
            "--capabilities a,b,c."
        )
    seen: set[str] = set()
    for name in requested:
        if name not in ids:
            raise InputError(
                f"Capability benchmark '{name}' is not a column of the scores"
                f"{suggestion(name, ids)}; check the spelling in --capabilities."
            )
        if name in seen:
            raise InputError(
                f"Capability benchmark '{name}' is listed twice; name each benchmark once."
            )
        seen.add(name)
    return tuple(requested)


def _with_capability_roles(table: ScoreTable, capability_ids: tuple[str, ...]) -> ScoreTable:
    from dataclasses import replace

    chosen = set(capability_ids)
    return table.with_benchmarks(
        replace(b, role="capability")
        if b.id in chosen
        else (replace(b, role="safety") if b.role == "capability" else b)
        for b in table.benchmarks
    )


def _audit_class(
    name: str, table: ScoreTable, capability_ids: tuple[str, ...], config: AuditConfig
) -> ClassAudit:
    if len(capability_ids) < 2:
        raise InputError(
            f"Only {len(capability_ids)} capability benchmark is given; the capability score "
            "needs at least two (name them with --capabilities)."
        )
    values, flipped = table.oriented()
    flipped_set = set(flipped)
    model_ids = table.model_ids
    kind = "" if name == DEFAULT_CLASS else f"{name} "
    capability_columns = [table.benchmark_index(b) for b in capability_ids]
    capability_block = values[:, capability_columns]
    for position, benchmark_id in enumerate(capability_ids):
        column = capability_block[:, position]
        present = column[~np.isnan(column)]
        if present.size == 0:
            raise InputError(
                f"Capability benchmark '{benchmark_id}' has no scores for the {kind}models; "
                "drop it from the capability benchmarks or add scores."
            )
    complete, capability_block, excluded, imputed_cells, run = _capability_rows(
        name, model_ids, capability_ids, capability_block, config
    )
    z_complete, capability_mean, std = standardize(capability_block[complete])
    component = capability_component(z_complete, kind=config.matrix)
    scores = np.full(len(model_ids), np.nan)
    scores[complete] = component.scores
    mean_corr, std_corr = mean_offdiagonal(
        component.matrix
        if config.matrix != "covariance"
        else _covariance_to_correlation(component.matrix)
    )
    flop = table.flop
    score_compute, score_compute_n = correlation(scores, flop, config.method)

    # A benchmark with no score in this class (e.g. a chat-only leaderboard when auditing
    # base models from a combined table) is not part of this class's audit.
    has_scores = np.asarray(~np.isnan(values).all(axis=0), dtype=bool)
    reported = [j for j, b in enumerate(table.benchmarks) if b.role != "ignore" and has_scores[j]]
    reported_values = values[:, reported]
    capability_r, capability_n = correlate_columns(scores, reported_values, config.method)
    compute_r, compute_n = correlate_columns(flop, reported_values, config.method)
    results: list[BenchmarkResult] = []
    for position, column_index in enumerate(reported):
        info = table.benchmarks[column_index]
        r = float(capability_r[position])
        n = int(capability_n[position])
        correlated_with = CAPABILITY_SCORE
        if info.reference is not None:
            reference = values[:, table.benchmark_index(info.reference)]
            r, n = correlation(reference, values[:, column_index], config.method)
            correlated_with = info.reference
        results.append(
            BenchmarkResult(
                id=info.id,
                name=info.name,
                metric=info.metric,
                role=info.role,
                area=info.area or ("Capabilities" if info.role == "capability" else "Other"),
                direction=info.direction,
                flipped=info.id in flipped_set,
                correlated_with=correlated_with,
                n=n,
                capabilities_correlation=r,
                n_compute=int(compute_n[position]),
                compute_correlation=float(compute_r[position]),
                note=_why_missing(values[:, column_index], n, r),
            )
        )
    return ClassAudit(
        model_class=name,
        model_ids=model_ids,
        model_names=tuple(m.name for m in table.models),
        capability_benchmarks=capability_ids,
        capability_model_ids=tuple(model_ids[i] for i in np.flatnonzero(complete)),
        excluded_models=tuple(excluded),
        component=component,
        mean_capability_correlation=mean_corr,
        std_capability_correlation=std_corr,
        capability_scores=scores,
        flop=flop,
        score_compute_correlation=score_compute,
        score_compute_n=score_compute_n,
        benchmarks=tuple(results),
        imputed_cells=imputed_cells,
        coverage=class_coverage(
            table,
            capability_ids,
            imputed_cells=imputed_cells,
            excluded=excluded,
            impute=config.impute,
            rank=config.impute_rank if config.impute == "pca" else 0,
            min_observed=run[0],
            iterations=run[1],
            converged=run[2],
        ),
        capability_mean=capability_mean,
        capability_std=std,
        capability_block=capability_block,
    )


def _check_impute_settings(config: AuditConfig) -> None:
    if config.impute not in IMPUTE_METHODS:
        raise InputError(
            f"The imputation must be one of {', '.join(IMPUTE_METHODS)}; got '{config.impute}'."
        )
    if config.impute_rank < 1:
        raise InputError(f"The imputation rank must be at least 1; got {config.impute_rank}.")
    if config.min_observed is not None and config.min_observed < 1:
        raise InputError(
            "The minimum of observed capability benchmarks must be at least 1; "
            f"got {config.min_observed}."
        )
    if not config.impute_tolerance > 0 or config.impute_max_iter < 1:
        raise InputError(
            "The imputation tolerance must be positive and its iteration cap at least 1; "
            f"got {config.impute_tolerance} and {config.impute_max_iter}."
        )


def _capability_rows(
    name: str,
    model_ids: tuple[str, ...],
    capability_ids: tuple[str, ...],
    block: FloatArray,
    config: AuditConfig,
) -> tuple[
    npt.NDArray[np.bool_],
    FloatArray,
    list[tuple[str, str]],
    tuple[tuple[str, str], ...],
    tuple[int, int, bool],
]:
    """Choose the models that get a capability score and complete their block.

    Returns the row mask, the block (imputed where allowed), the excluded models with
    reasons, the imputed cells, and (min_observed, iterations, converged).
    """
    k = len(capability_ids)
    kind = "" if name == DEFAULT_CLASS else f"{name} "
    observed = (~np.isnan(block)).sum(axis=1)
    imputing = config.impute == "pca"
    if imputing:
        minimum = config.min_observed if config.min_observed is not None else max(2, -(-k // 2))
        if minimum > k:
            raise InputError(
                f"The minimum of observed capability benchmarks ({minimum}) exceeds the "
                f"{k} capability benchmarks; lower --min-observed."
            )
        keep = observed >= minimum
    else:
        minimum = k
        keep = observed == k
    excluded: list[tuple[str, str]] = []
    for row in np.flatnonzero(~keep):
        missing = [capability_ids[j] for j in np.flatnonzero(np.isnan(block[row]))]
        reason = f"missing capability benchmark{'s' if len(missing) > 1 else ''} " + ", ".join(
            missing
        )
        if imputing:
            reason += f" (has {int(observed[row])} of {k}; imputation needs at least {minimum})"
        excluded.append((model_ids[row], reason))
        warnings.warn(
            f"Model '{model_ids[row]}' ({name}) is left out of the capability score: {reason}.",
            InputWarning,
            stacklevel=4,
        )
    n_kept = int(keep.sum())
    if n_kept < MIN_MODELS:
        which = (
            f"at least {minimum} of the {k} capability benchmarks"
            if imputing and minimum < k
            else "every capability benchmark"
        )
        raise InputError(
            f"Only {n_kept} {kind}model{'s' if n_kept != 1 else ''} "
            f"ha{'ve' if n_kept != 1 else 's'} {which}; the method needs at least {MIN_MODELS} "
            "(add models or drop capability benchmarks with gaps)."
        )
    kept = block[keep]
    _, _, std = standardize(kept)
    kept_observed = (~np.isnan(kept)).sum(axis=0)
    for position, benchmark_id in enumerate(capability_ids):
        if kept_observed[position] == 0:
            raise InputError(
                f"Capability benchmark '{benchmark_id}' has no scores for the {n_kept} "
                f"{kind}models with at least {minimum} of the {k} capability benchmarks, so "
                "it cannot be imputed; drop it from the capability benchmarks or add scores."
            )
        if not std[position] > 0:
            some = (
                ""
                if kept_observed[position] == n_kept
                else f" that has it ({int(kept_observed[position])} of {n_kept})"
            )
            raise InputError(
                f"Capability benchmark '{benchmark_id}' has the same score for every {kind}"
                f"model{some}, so it carries no information; drop it from the capability "
                "benchmarks."
            )
    if not imputing or not np.isnan(kept).any():
        return keep, block, excluded, (), (minimum, 0, True)
    if config.impute_rank >= k:
        raise InputError(
            f"The imputation rank ({config.impute_rank}) must be below the number of capability "
            f"benchmarks ({k}); lower --impute-rank."
        )
    run = impute_pca(
        kept,
        rank=config.impute_rank,
        tolerance=config.impute_tolerance,
        max_iter=config.impute_max_iter,
    )
    completed = np.array(block, dtype=np.float64)
    completed[keep] = run.completed
    kept_rows = np.flatnonzero(keep)
    cells: list[tuple[str, str]] = []
    for local_row, column in zip(*np.nonzero(run.missing), strict=True):
        cells.append((model_ids[kept_rows[local_row]], capability_ids[column]))
    per_model: dict[str, list[str]] = {}
    for model, benchmark in cells:
        per_model.setdefault(model, []).append(benchmark)
    for model, filled in per_model.items():
        warnings.warn(
            f"Model '{model}' ({name}) has {len(filled)} imputed capability "
            f"value{'s' if len(filled) > 1 else ''} ({', '.join(filled)}), filled by rank-"
            f"{config.impute_rank} iterative PCA of the capability benchmarks.",
            InputWarning,
            stacklevel=4,
        )
    if not run.converged:
        warnings.warn(
            f"The imputation of the {name} capability benchmarks stopped after "
            f"{run.iterations} iterations without converging (last relative change "
            f"{run.change:.2e}); raise the iteration cap or use --impute none.",
            InputWarning,
            stacklevel=4,
        )
    return keep, completed, excluded, tuple(cells), (minimum, run.iterations, run.converged)


def _covariance_to_correlation(covariance: FloatArray) -> FloatArray:
    scale = np.sqrt(np.diag(covariance))
    return np.asarray(covariance / np.outer(scale, scale), dtype=np.float64)


def _why_missing(column: FloatArray, n: int, r: float) -> str:
    if not math.isnan(r):
        return ""
    present = column[~np.isnan(column)]
    if present.size == 0:
        return "no scores in this class"
    if n < MIN_MODELS:
        return f"only {n} models have both scores"
    if np.all(present == present[0]):
        return "same score for every model"
    return "correlation undefined"
