"""The result of an audit: per benchmark, per model class, and for the whole table.

Every class result carries a :class:`~safetywashing.audit.prepared.PreparedClass`: the
arrays the audit prepared, which the later analyses read from the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from safetywashing._version import __version__
from safetywashing.audit.coverage import ClassCoverage
from safetywashing.audit.prepared import PreparedClass
from safetywashing.core.config import AuditConfig
from safetywashing.core.decision import DecisionRule
from safetywashing.core.document import envelope, field_values, finite, finite_list
from safetywashing.core.errors import UnknownNameError
from safetywashing.core.result import ByClass, Result, position
from safetywashing.core.table import COMPUTE_LABELS
from safetywashing.stats.pca import CapabilityComponent

if TYPE_CHECKING:
    import pandas as pd

    # Only an annotation: the uncertainty analysis builds on the audit, never the reverse.
    from safetywashing.uncertainty.result import UncertaintyResult

FloatArray = npt.NDArray[np.float64]

CAPABILITY_SCORE = "capability score"
AUDIT_KIND = "safetywashing-audit"
#: How many benchmarks each list of a class's headline names at most.
HEADLINE_SIZE = 5


@dataclass(frozen=True, eq=False, repr=False)
class BenchmarkResult(Result):
    """One benchmark's correlations within one model class."""

    #: id, name, metric, role, area, direction: From the benchmark metadata.
    id: str
    name: str
    metric: str
    role: str
    area: str
    direction: str
    #: True when the column was negated because lower raw scores are safer.
    flipped: bool
    #: ``"capability score"`` or the id of the benchmark's reference column.
    correlated_with: str
    #: Models used for the capabilities correlation.
    n: int
    #: Correlation with the capability score (or the reference column); NaN when undefined (fewer
    #: than 3 models, or a constant column).
    capabilities_correlation: float
    #: Models used for the compute correlation.
    n_compute: int
    #: Correlation with training FLOP; NaN when undefined.
    compute_correlation: float
    #: Why a value is missing, if it is.
    note: str = ""
    #: ci_low, ci_high: Confidence interval of the capabilities correlation; NaN when not computed.
    ci_low: float = math.nan
    ci_high: float = math.nan
    #: p_value, p_adjusted: Permutation p-value and its multiplicity-adjusted value; NaN when not
    #: computed.
    p_value: float = math.nan
    p_adjusted: float = math.nan
    #: Reading that respects the interval ("entangled", "distinct", "inverse", "inconclusive");
    #: empty when no interval was computed.
    verdict: str = ""

    def is_low(self, rule: DecisionRule | None = None) -> bool | None:
        """The paper's reading under ``rule`` (default: the paper's 0.40 line)."""
        return (rule or DecisionRule()).is_low(self.capabilities_correlation)

    def summary_lines(self) -> list[str]:
        """One line: the benchmark, its correlation and n."""
        interval = (
            f" [{self.ci_low:+.3f}, {self.ci_high:+.3f}] {self.verdict}"
            if not math.isnan(self.ci_low)
            else ""
        )
        return [
            f"{self.id}: r={self.capabilities_correlation:+.3f} with {self.correlated_with} "
            f"(n={self.n}){interval}; compute r={self.compute_correlation:+.3f} "
            f"(n={self.n_compute})"
        ]

    def to_frame(self) -> pd.DataFrame:
        """This benchmark as a one-row table."""
        import pandas as pd

        return pd.DataFrame([{"benchmark": self.id, **self.to_dict()}])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None): every field but the id, which keys it."""
        return {**field_values(self, skip="id"), "verdict": self.verdict or None}


@dataclass(frozen=True)
class Headline:
    """A class's safety benchmarks most entangled with capabilities and most inverse.

    What the terminal table, the HTML report and the notebook view print first; every
    one of them takes it from :meth:`ClassAudit.headline`.
    """

    #: The decision line T of the audit.
    threshold: float
    #: Safety benchmarks whose capabilities correlation is at least +T, highest first.
    entangled: tuple[BenchmarkResult, ...]
    #: Those at or below -T (the property worsens as capabilities grow), lowest first.
    inverse: tuple[BenchmarkResult, ...]


@dataclass(frozen=True, eq=False, repr=False)
class ClassAudit(Result):
    """The audit of one model class (or of the pooled models)."""

    model_class: str
    #: Every model of the class, in table order.
    model_ids: tuple[str, ...]
    #: Display names, aligned with ``model_ids``.
    model_names: tuple[str, ...]
    capability_benchmarks: tuple[str, ...]
    #: Models with a capability score: those with every capability benchmark, and those whose gaps
    #: were imputed.
    capability_model_ids: tuple[str, ...]
    #: tuple of (str, str): Models left out of the capability score, with the reason.
    excluded_models: tuple[tuple[str, str], ...]
    #: Loadings, eigenvalues, the decomposed matrix and the variance shares.
    component: CapabilityComponent
    #: mean_capability_correlation, std_capability_correlation: Mean and population standard
    #: deviation of the pairwise correlations among the capability benchmarks (of the decomposed
    #: matrix; Spearman by default).
    mean_capability_correlation: float
    std_capability_correlation: float
    #: ndarray of shape (n_models,): Capability score per model of ``model_ids``; NaN for excluded
    #: models.
    capability_scores: FloatArray
    score_compute_correlation: float
    score_compute_n: int
    #: Every benchmark whose role is not "ignore" and that has scores in this class, in table order.
    benchmarks: tuple[BenchmarkResult, ...]
    #: The arrays behind the numbers, for the analyses that refit them.
    prepared: PreparedClass
    #: tuple of (str, str): (model, capability benchmark) cells filled by imputation.
    imputed_cells: tuple[tuple[str, str], ...] = ()
    #: Which models have which benchmarks, and what was dropped or imputed.
    coverage: ClassCoverage | None = None
    #: The audit's decision line, which reads each capabilities correlation (the ``reading`` column
    #: of :meth:`to_frame`); the paper's 0.40 by default.
    rule: DecisionRule = field(default_factory=DecisionRule)

    @property
    def loadings(self) -> FloatArray:
        """PC1 loadings, aligned with ``capability_benchmarks``."""
        return self.component.loadings

    @property
    def variance_explained(self) -> float:
        """The paper's "variance explained": top eigenvalue / trace of the matrix."""
        return self.component.eigenvalue_share

    @property
    def flop(self) -> FloatArray:
        """Training FLOP per model of ``model_ids``; NaN where unknown."""
        return self.prepared.flop

    @property
    def capability_block(self) -> FloatArray:
        """Oriented capability scores per model, imputed cells filled (see PreparedClass)."""
        return self.prepared.capability

    @property
    def capability_mean(self) -> FloatArray:
        """Means of the capability benchmarks over the scored models."""
        return self.prepared.capability_mean

    @property
    def capability_std(self) -> FloatArray:
        """Population standard deviations of the capability benchmarks (scored models)."""
        return self.prepared.capability_std

    def benchmark(self, benchmark_id: str) -> BenchmarkResult:
        """The result of one benchmark; raises :class:`UnknownNameError` if absent."""
        for result in self.benchmarks:
            if result.id == benchmark_id:
                return result
        raise UnknownNameError(
            "benchmark",
            benchmark_id,
            [b.id for b in self.benchmarks],
            where=f"the {self.model_class} audit",
            remedy=(
                f"check the spelling, or whether the {self.model_class} models have scores "
                "on it or its role is ignore"
            ),
        )

    def __getitem__(self, benchmark_id: str) -> BenchmarkResult:
        return self.benchmark(benchmark_id)

    def score_of(self, model_id: str) -> float:
        """Capability score of one model (NaN if it was left out)."""
        row = position("model", model_id, self.model_ids, where=f"the {self.model_class} audit")
        return float(self.capability_scores[row])

    def summary_lines(self) -> list[str]:
        """The class in one headline and its counts."""
        return [
            f"{self.model_class}: {len(self.capability_model_ids)} of {len(self.model_ids)} "
            f"models scored; PC1 explains {100 * self.variance_explained:.1f}% "
            f"({len(self.capability_benchmarks)} capability benchmarks)",
            f"{len(self.benchmarks)} benchmarks; score vs FLOP "
            f"{self.score_compute_correlation:+.3f} (n={self.score_compute_n})",
        ]

    def reading(self, benchmark: BenchmarkResult) -> str:
        """The paper's reading of a benchmark's capabilities correlation in this class.

        Parameters
        ----------
        benchmark : BenchmarkResult
            One of this class's benchmarks.

        Returns
        -------
        str
            "inverse", "low", "moderate" or "high" under :attr:`rule`, with the class's
            mean pairwise capability correlation as the bar for "high"; "n/a" when the
            correlation is undefined.

        Examples
        --------
        >>> from safetywashing.audit.compute import audit
        >>> from safetywashing.datasets import load_demo_panel
        >>> chat = audit(load_demo_panel())["chat"]
        >>> chat.reading(chat["syn_hazard_bio_unlearning"])
        'inverse'
        """
        return self.rule.reading(
            benchmark.capabilities_correlation, high=self.mean_capability_correlation
        )

    def safety_ranked(self) -> list[BenchmarkResult]:
        """Safety benchmarks correlated with the capability score, highest correlation first.

        Calibration rows (correlated with their own task's accuracy, not the score) and
        undefined correlations are left out.
        """
        ranked = [
            b
            for b in self.benchmarks
            if b.role == "safety"
            and b.correlated_with == CAPABILITY_SCORE
            and not math.isnan(b.capabilities_correlation)
        ]
        return sorted(ranked, key=lambda b: -b.capabilities_correlation)

    def headline(self, size: int = HEADLINE_SIZE) -> Headline:
        """The ``size`` most entangled and most inverse safety benchmarks under :attr:`rule`.

        Parameters
        ----------
        size : int, default 5
            Most benchmarks in each list.

        Returns
        -------
        Headline

        Examples
        --------
        >>> from safetywashing.audit.compute import audit
        >>> from safetywashing.datasets import load_demo_panel
        >>> found = audit(load_demo_panel())["chat"].headline(size=2)
        >>> [b.id for b in found.inverse]
        ['syn_hazard_bio_unlearning', 'syn_harmful_compliance']
        """
        ranked = self.safety_ranked()
        entangled = [b for b in ranked if b.capabilities_correlation >= self.rule.upper]
        inverse = [b for b in reversed(ranked) if b.capabilities_correlation <= self.rule.lower]
        return Headline(
            threshold=self.rule.upper,
            entangled=tuple(entangled[:size]),
            inverse=tuple(inverse[:size]),
        )

    def _html_above_table(self) -> str:
        """The headline lists, between the notebook view's summary and its table."""
        from safetywashing.audit.notebook import headline_html

        return headline_html(self)

    def records(self) -> list[dict[str, Any]]:
        """One dict per benchmark, keys as in :data:`BENCHMARK_COLUMNS`, raw values."""
        return [
            {
                "model_class": self.model_class,
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
                "reading": self.reading(b),
                "ci_low": b.ci_low,
                "ci_high": b.ci_high,
                "p_value": b.p_value,
                "p_adjusted": b.p_adjusted,
                "verdict": b.verdict,
                "n_compute": b.n_compute,
                "compute_correlation": b.compute_correlation,
                "note": b.note,
            }
            for b in self.benchmarks
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per benchmark, columns as in :data:`BENCHMARK_COLUMNS`, raw values."""
        import pandas as pd

        return pd.DataFrame(self.records(), columns=BENCHMARK_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of this class's results (NaN as None)."""
        component = self.component
        return {
            "n_models": len(self.model_ids),
            "capability_benchmarks": list(self.capability_benchmarks),
            "loadings": dict(
                zip(self.capability_benchmarks, finite_list(component.loadings), strict=True)
            ),
            "eigenvalues": finite_list(component.eigenvalues),
            "variance_explained": finite(component.eigenvalue_share),
            "projected_variance_share": finite(component.projected_variance_share),
            "sign_rule": component.sign_rule,
            "mean_capability_correlation": finite(self.mean_capability_correlation),
            "std_capability_correlation": finite(self.std_capability_correlation),
            "models": {
                model: finite(score)
                for model, score in zip(self.model_ids, self.capability_scores, strict=True)
            },
            "model_names": dict(zip(self.model_ids, self.model_names, strict=True)),
            "excluded_models": [
                {"model": model, "reason": reason} for model, reason in self.excluded_models
            ],
            "score_compute_correlation": finite(self.score_compute_correlation),
            "score_compute_n": self.score_compute_n,
            "benchmarks": {result.id: result.to_dict() for result in self.benchmarks},
            "imputed_cells": [
                {"model": model, "benchmark": benchmark} for model, benchmark in self.imputed_cells
            ],
            "standardization": {
                benchmark: {"mean": finite(mean), "std": finite(std)}
                for benchmark, mean, std in zip(
                    self.capability_benchmarks,
                    self.capability_mean,
                    self.capability_std,
                    strict=True,
                )
            },
            "coverage": self.coverage.to_dict() if self.coverage is not None else None,
        }


@dataclass(frozen=True, eq=False, repr=False)
class AuditResult(ByClass[ClassAudit]):
    """The audit of a score table: one :class:`ClassAudit` per model class."""

    config: AuditConfig
    classes: tuple[ClassAudit, ...]
    #: Benchmarks negated because lower raw scores are safer.
    flipped: tuple[str, ...]
    #: tuple of (str, str): Input files and their SHA-256.
    sources: tuple[tuple[str, str], ...]
    #: True when the input was a simulated panel.
    synthetic: bool
    #: Everything the audit worked around, one sentence each.
    warnings: tuple[str, ...] = field(default=())
    #: Remarks carried from reading the input.
    notes: tuple[str, ...] = field(default=())
    #: Package version that produced the result.
    version: str = __version__
    #: The bootstrap and permutation analysis whose intervals and verdicts fill the benchmarks, when
    #: one was run (see :meth:`UncertaintyResult.apply
    #: <safetywashing.uncertainty.result.UncertaintyResult.apply>`); its settings and per-class
    #: details are written to JSON only then.
    uncertainty: UncertaintyResult | None = None
    #: What the compute correlations use: ``flop`` (training FLOP, the paper's), or a stand-in read
    #: with ``--compute-kind``: ``params``, ``tokens``.
    compute_kind: str = "flop"

    @property
    def compute_label(self) -> str:
        """What the compute correlations use: "training FLOP", "parameters", ..."""
        return COMPUTE_LABELS.get(self.compute_kind, (self.compute_kind,))[0]

    @property
    def compute_short(self) -> str:
        """Short column label of the compute figures: "FLOP", "params", "tokens"."""
        return COMPUTE_LABELS.get(self.compute_kind, (self.compute_kind, self.compute_kind))[1]

    lookup_where = "this audit"

    @property
    def rule(self) -> DecisionRule:
        """The decision rule of the audit (from its configuration)."""
        return self.config.rule

    def summary_lines(self) -> list[str]:
        """A headline per class."""
        head = (
            f"{len(self.classes)} class{'es' if len(self.classes) != 1 else ''} "
            f"({', '.join(self.class_names)}); {self.config.method} correlations, line at "
            f"{self.config.threshold:.2f}"
            + ("; with bootstrap intervals" if self.uncertainty is not None else "")
            + ("; SYNTHETIC" if self.synthetic else "")
        )
        return [head, *(line for c in self.classes for line in c.summary_lines()[:1])]

    def _repr_html_(self) -> str:
        """A compact summary per class for notebooks (escaped)."""
        from safetywashing.audit.notebook import audit_summary_html

        return audit_summary_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The versioned, JSON-ready document (NaN as None); see ``docs/schema.md``."""
        document = envelope(
            AUDIT_KIND, config=self.config.to_dict(), sources=self.sources, version=self.version
        )
        document.update(
            {
                "synthetic": self.synthetic,
                "orientation": {"negated": list(self.flipped)},
                "compute": {"kind": self.compute_kind, "label": self.compute_label},
                "warnings": list(self.warnings),
                "notes": list(self.notes),
                "classes": {c.model_class: c.to_dict() for c in self.classes},
            }
        )
        if self.uncertainty is not None:
            document["uncertainty"] = self.uncertainty.to_dict()
        return document

    def benchmark_records(self) -> list[dict[str, Any]]:
        """One dict per (class, benchmark), keys as in :data:`BENCHMARK_COLUMNS`, raw values."""
        return [record for c in self.classes for record in c.records()]

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
    "reading",
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
