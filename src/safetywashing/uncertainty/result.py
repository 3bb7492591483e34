"""Results of the uncertainty analysis: settings, per-class intervals and p-values."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.core.decision import DecisionRule
from safetywashing.core.document import finite, finite_list
from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_RESAMPLES
from safetywashing.core.result import ByClass, Result, position
from safetywashing.stats.intervals import INTERVAL_KINDS, IntervalKind
from safetywashing.stats.multiple import ADJUSTMENTS, RESOLUTION, Adjustment

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]

DEFAULT_RESAMPLES = 2000
CLUSTERS = ("family",)
#: Fewest clusters the family bootstrap accepts, and below how many it warns.
MIN_CLUSTERS = 4
WARN_CLUSTERS = 10
#: Share of degenerate resamples above which a benchmark's interval is flagged.
DEGENERATE_FLAG = 0.05
#: Valid replicates an interval needs in each tail (beyond its confidence level).
TAIL_REPLICATES = 5
#: Power behind "models needed to decide".
DECISION_POWER = 0.80

PERMUTATION_RULE = (
    f"Monte Carlo p-values (1 + b) / (1 + B); by default B is the larger of the "
    f"resamples and the count at which the smallest attainable adjusted p-value, "
    f"m c / (B + 1), is alpha / {RESOLUTION} (m tests in the family; c = 1 for bh and "
    f"holm, 1 + 1/2 + ... + 1/m for by)"
)


def minimum_valid(confidence: float) -> int:
    """Valid resamples an interval needs: :data:`TAIL_REPLICATES` in each tail.

    Examples
    --------
    >>> minimum_valid(0.95), minimum_valid(0.9)
    (200, 100)
    """
    return math.ceil(round(2 * TAIL_REPLICATES / (1.0 - confidence), 6))


def check_count(value: object, param: str, what: str, *, allow_zero: bool = False) -> int:
    """A positive whole number of resamples or permutations, or an :class:`InputError`.

    Parameters
    ----------
    value : object
        An int, or text from the command line.
    param : str
        The parameter that carries it, for the message ("n_resamples").
    what : str
        What is counted ("bootstrap resamples").
    allow_zero : bool, default False
        Zero switches the computation off (permutations).

    Examples
    --------
    >>> check_count("2000", "n_resamples", "bootstrap resamples")
    2000
    """
    text = str(value).strip()
    remedy = f"give a whole number such as {param}={DEFAULT_RESAMPLES}"
    if isinstance(value, bool):
        raise InputError(f"{param}={value} is not a number of {what}", param=param, remedy=remedy)
    try:
        number = int(text)
    except ValueError:
        raise InputError(
            f"{param}={text} is not a whole number of {what}", param=param, remedy=remedy
        ) from None
    if isinstance(value, float) and not float(value).is_integer():
        raise InputError(
            f"{param}={value} is not a whole number of {what}", param=param, remedy=remedy
        )
    if number == 0 and not allow_zero:
        raise InputError(
            f"{param}=0 asks for no {what}",
            param=param,
            remedy=f"give a positive number such as {param}={DEFAULT_RESAMPLES}, or leave it out",
        )
    if number < 0:
        raise InputError(f"{param}={number} is negative", param=param, remedy=remedy)
    if number > MAX_RESAMPLES:
        raise InputError(
            f"{param}={number} asks for more {what} than the {MAX_RESAMPLES} allowed",
            param=param,
            remedy=f"give at most {param}={MAX_RESAMPLES} ({param}={DEFAULT_RESAMPLES} is usual)",
        )
    return number


def require_complete_basis(result: AuditResult, what: str) -> None:
    """Refuse to refit an audit z-scored over available models when that basis matters.

    The refits (bootstrap resamples, leave-one-family-out) standardize over the models
    with a capability score. With ``standardize="available"`` and a model that has some
    capability benchmarks but no score, the audit's z-scores used more models, so a refit
    would not reproduce its estimate.

    Raises
    ------
    InputError
    """
    if result.config.standardize != "available":
        return
    for audit_of_class in result.classes:
        block = np.asarray(audit_of_class.prepared.capability)
        missing = np.isnan(block)
        if np.any(missing.any(axis=1) & ~missing.all(axis=1)):
            raise InputError(
                f"{what} refits the standardization over the models with a capability "
                "score, but standardize='available' z-scored over more models",
                param="standardize",
                remedy="use standardize='complete' (the default) for this analysis",
            )


def root_seed(seed: int | None) -> np.random.SeedSequence:
    """The root of every random stream: from ``seed``, or from entropy when it is None.

    Raises
    ------
    InputError
        When ``seed`` is not a whole number of at least 0.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InputError(
            f"seed={seed!r} is not a whole number of at least 0",
            param="seed",
            remedy="give a seed such as seed=1",
        )
    return np.random.SeedSequence(seed)


@dataclass(frozen=True)
class UncertaintySettings:
    """Settings of the uncertainty analysis, recorded in the output.

    Attributes
    ----------
    n_resamples : int
        Bootstrap resamples (default 2000).
    confidence : float
        Interval coverage, in (0, 1) (default 0.95).
    seed : int
        Root seed of every random stream (recorded even when drawn from entropy).
    interval : {"percentile", "bca"}
        Which interval fills ``ci_low``/``ci_high`` and the verdict; both are reported.
    cluster : str or None
        ``"family"`` resamples whole model families; None resamples models.
    permutations : int or None
        Permutations per p-value; 0 computes none; None (the default) sizes them to the
        adjustment (see :data:`PERMUTATION_RULE`; the count used is in each class).
    adjustment : {"bh", "by", "holm"}
        Which adjusted p-value fills ``p_adjusted``; all three are reported.
    threshold : float
        The audit's decision line: verdicts use the lines at -threshold and +threshold.
    alpha : float
        Level of the tests (default 0.05): permutation counts are sized to reach it after
        adjustment, and the equivalence test ("distinct") is read at it.
    """

    n_resamples: int = DEFAULT_RESAMPLES
    confidence: float = 0.95
    seed: int = 0
    interval: IntervalKind = "percentile"
    cluster: str | None = None
    permutations: int | None = None
    adjustment: Adjustment = "bh"
    threshold: float = DecisionRule().threshold
    alpha: float = 0.05

    def __post_init__(self) -> None:
        check_count(self.n_resamples, "n_resamples", "bootstrap resamples")
        if self.permutations is not None:
            check_count(self.permutations, "permutations", "permutations", allow_zero=True)
        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0.0 < alpha < 1.0:
            raise InputError(
                f"alpha={alpha} is not strictly between 0 and 1",
                param="alpha",
                remedy="try alpha=0.05",
            )
        confidence = self.confidence
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not 0.0 < confidence < 1.0
        ):
            raise InputError(
                f"confidence={confidence} is not strictly between 0 and 1",
                param="confidence",
                remedy="try confidence=0.95",
            )
        for name, value, allowed in (
            ("interval", self.interval, INTERVAL_KINDS),
            ("adjustment", self.adjustment, ADJUSTMENTS),
        ):
            if value not in allowed:
                raise InputError(f"{name}={value!r} is not one of {', '.join(allowed)}", param=name)
        if self.cluster is not None and self.cluster not in CLUSTERS:
            raise InputError(
                f"cluster={self.cluster!r} is not one of {', '.join(CLUSTERS)}",
                param="cluster",
                remedy="resample whole families with cluster='family', or leave it out",
            )
        DecisionRule(self.threshold)

    @property
    def rule(self) -> DecisionRule:
        """The decision rule behind the verdicts."""
        return DecisionRule(self.threshold)

    def to_dict(self) -> dict[str, Any]:
        """Settings as a JSON-ready dict."""
        return {
            "method": "bootstrap over models, whole pipeline refit per resample",
            "n_resamples": self.n_resamples,
            "confidence": self.confidence,
            "seed": self.seed,
            "interval": self.interval,
            "cluster": self.cluster,
            "permutations": self.permutations,
            "permutation_rule": PERMUTATION_RULE,
            "adjustment": self.adjustment,
            "alpha": self.alpha,
            "verdict_lines": [self.rule.lower, self.rule.upper],
            "min_valid_resamples": minimum_valid(self.confidence),
        }


@dataclass(frozen=True, eq=False, repr=False)
class ClassUncertainty(Result):
    """Bootstrap and permutation results of one model class.

    Attributes
    ----------
    model_class : str
    benchmark_ids : tuple of str
        Aligned with every per-benchmark array (the audit's benchmark order).
    estimate : ndarray of shape (J,)
        Full-data capabilities correlations.
    percentile, bca : ndarray of shape (2, J)
        Interval ends (low, high) of each kind.
    p_value, p_bh, p_by, p_holm : ndarray of shape (J,)
        Permutation p-values and their adjusted values, adjusted within each test family
        (capability benchmarks are in none and get NaN).
    test_family : tuple of str
        Per benchmark: ``"capability score"`` (tested against the capability score),
        ``"reference"`` (a calibration benchmark tested against its own reference
        column: a family of its own), or ``""`` (a capability benchmark: not tested).
    permutations : int
        Permutations behind each p-value in this class.
    verdicts : tuple of str
        Empty where the estimate is undefined or fewer than the minimum of valid
        resamples (:func:`minimum_valid`) gave a replicate.
    compute_interval : ndarray of shape (2, J)
        Percentile interval of each compute correlation.
    variance_explained : ndarray of shape (3,)
        Estimate, low, high (percentile) of the top eigenvalue share.
    score_compute : ndarray of shape (3,)
        Estimate, low, high (percentile) of the capability score vs FLOP.
    n_valid : int
        Resamples that gave a capability score (others had a constant capability column
        or fewer than 3 distinct models and are left out).
    n_units : int
        Models (or families) resampled.
    valid_share : ndarray of shape (J,)
        Share of resamples in which the benchmark's correlation was defined; the
        interval is conditional on these (the others were degenerate: fewer than 3
        distinct models, a constant column). NaN where the estimate is undefined.
    p_equivalence : ndarray of shape (J,)
        Bootstrap TOST p-value that the correlation lies inside the lines (distinct).
    models_needed : ndarray of shape (J,)
        For an inconclusive benchmark, the models with which its interval would decide
        (entangled, inverse or distinct, as the estimate points) with 80% chance, if the
        estimate were the truth (Fisher-z approximation, :mod:`safetywashing.stats.fisher`);
        NaN otherwise or beyond reach.
    cluster_scale : float
        Factor the cluster bootstrap's deviations were widened by (1 without clusters).
    replicates : ndarray of shape (B, J) or None
        Bootstrap replicates of the capabilities correlations, when kept.
    """

    model_class: str
    benchmark_ids: tuple[str, ...]
    estimate: FloatArray
    percentile: FloatArray
    bca: FloatArray
    p_value: FloatArray
    p_bh: FloatArray
    p_by: FloatArray
    p_holm: FloatArray
    test_family: tuple[str, ...]
    permutations: int
    verdicts: tuple[str, ...]
    compute_interval: FloatArray
    variance_explained: FloatArray
    score_compute: FloatArray
    n_valid: int
    n_units: int
    valid_share: FloatArray
    p_equivalence: FloatArray
    models_needed: FloatArray
    cluster_scale: float = 1.0
    replicates: FloatArray | None = None

    def adjusted(self, method: Adjustment) -> FloatArray:
        """Adjusted p-values (J,) of one method."""
        return {"bh": self.p_bh, "by": self.p_by, "holm": self.p_holm}[method]

    @property
    def degenerate_share(self) -> FloatArray:
        """Share of resamples (J,) without a defined correlation (NaN: no estimate)."""
        return np.asarray(1.0 - self.valid_share, dtype=np.float64)

    def flagged(self) -> list[str]:
        """Benchmarks whose interval rests on fewer than 95% of the resamples."""
        share = self.degenerate_share
        return [b for j, b in enumerate(self.benchmark_ids) if share[j] > DEGENERATE_FLAG]

    def interval(self, kind: IntervalKind) -> FloatArray:
        """Interval ends (2, J) of one kind."""
        return self.percentile if kind == "percentile" else self.bca

    def index(self, benchmark_id: str) -> int:
        """Position of a benchmark in the per-benchmark arrays."""
        return position(
            "benchmark",
            benchmark_id,
            self.benchmark_ids,
            where=f"the {self.model_class} uncertainty",
        )

    def summary_lines(self) -> list[str]:
        """What was resampled, how many resamples counted, and what was decided."""
        counts = {v: self.verdicts.count(v) for v in ("entangled", "inverse", "distinct")}
        undecided = [j for j, v in enumerate(self.verdicts) if v == "inconclusive"]
        needed = self.models_needed[undecided] if undecided else np.array([])
        needed = needed[np.isfinite(needed)]
        line = (
            f"{self.model_class}: {len(self.benchmark_ids)} benchmarks, {self.n_units} units "
            f"resampled, {self.n_valid} valid resamples, {self.permutations} permutations; "
            + ", ".join(f"{n} {v}" for v, n in counts.items())
            + f", {len(undecided)} inconclusive"
        )
        if needed.size:
            line += f" (median {np.median(needed):.0f} models would decide one with 80% power)"
        return [line]

    def to_frame(self) -> pd.DataFrame:
        """One row per benchmark: estimate, both intervals, p-values, verdict."""
        import pandas as pd

        return pd.DataFrame(
            {
                "model_class": self.model_class,
                "benchmark": list(self.benchmark_ids),
                "estimate": self.estimate,
                "percentile_low": self.percentile[0],
                "percentile_high": self.percentile[1],
                "bca_low": self.bca[0],
                "bca_high": self.bca[1],
                "p_value": self.p_value,
                "p_bh": self.p_bh,
                "p_by": self.p_by,
                "p_holm": self.p_holm,
                "test_family": list(self.test_family),
                "verdict": list(self.verdicts),
                "p_equivalence": self.p_equivalence,
                "models_needed": self.models_needed,
                "degenerate_share": self.degenerate_share,
                "flag": [
                    "degenerate resamples" if d > DEGENERATE_FLAG else ""
                    for d in self.degenerate_share
                ],
                "compute_low": self.compute_interval[0],
                "compute_high": self.compute_interval[1],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        return {
            "n_valid_resamples": self.n_valid,
            "n_resampled_units": self.n_units,
            "permutations": self.permutations,
            "cluster_scale": self.cluster_scale,
            "variance_explained": _triple(self.variance_explained),
            "score_compute_correlation": _triple(self.score_compute),
            "benchmarks": {
                benchmark: {
                    "percentile": _pair(self.percentile[:, j]),
                    "bca": _pair(self.bca[:, j]),
                    "p_value": finite(self.p_value[j]),
                    "p_bh": finite(self.p_bh[j]),
                    "p_by": finite(self.p_by[j]),
                    "p_holm": finite(self.p_holm[j]),
                    "test_family": self.test_family[j] or None,
                    "p_equivalence": finite(self.p_equivalence[j]),
                    "models_needed": finite(self.models_needed[j]),
                    "degenerate_share": finite(self.degenerate_share[j]),
                    "compute_interval": _pair(self.compute_interval[:, j]),
                }
                for j, benchmark in enumerate(self.benchmark_ids)
            },
        }


@dataclass(frozen=True, eq=False, repr=False)
class UncertaintyResult(ByClass[ClassUncertainty]):
    """Uncertainty of every class of an audit.

    Attributes
    ----------
    settings : UncertaintySettings
    classes : tuple of ClassUncertainty
    audit : AuditResult
        The audit these uncertainties belong to.
    warnings : tuple of str
        What the analysis could not do as asked (too few permutations or clusters,
        degenerate resamples), one sentence each; :meth:`apply` adds them to the audit's.
    """

    settings: UncertaintySettings
    classes: tuple[ClassUncertainty, ...]
    audit: AuditResult
    warnings: tuple[str, ...] = ()

    lookup_where = "this uncertainty"

    def summary_lines(self) -> list[str]:
        """Settings and a line per class."""
        s = self.settings
        permutations = "sized" if s.permutations is None else str(s.permutations)
        return [
            f"{s.n_resamples} resamples, {100 * s.confidence:g}% {s.interval} intervals, "
            f"{permutations} permutations ({s.adjustment} at alpha {s.alpha:g}), seed {s.seed}",
            *(line for c in self.classes for line in c.summary_lines()),
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: settings and per-class details."""
        return {
            "settings": self.settings.to_dict(),
            "warnings": list(self.warnings),
            "classes": {c.model_class: c.to_dict() for c in self.classes},
        }

    def apply(self, result: AuditResult | None = None) -> AuditResult:
        """The audit with ``ci_low``, ``ci_high``, ``p_value``, ``p_adjusted``, ``verdict``.

        Parameters
        ----------
        result : AuditResult, optional
            The audit these uncertainties were computed for (the default); another
            audit is refused.
        """
        if result is None:
            result = self.audit
        elif result is not self.audit:
            raise InputError(
                "These uncertainties were computed for another audit",
                param="result",
                remedy="call apply() without an argument, or bootstrap this audit",
            )
        classes: list[ClassAudit] = []
        for audit_of_class in result.classes:
            found = self[audit_of_class.model_class]
            low, high = found.interval(self.settings.interval)
            adjusted = found.adjusted(self.settings.adjustment)
            benchmarks: list[BenchmarkResult] = []
            for j, b in enumerate(audit_of_class.benchmarks):
                benchmarks.append(
                    replace(
                        b,
                        ci_low=float(low[j]),
                        ci_high=float(high[j]),
                        p_value=float(found.p_value[j]),
                        p_adjusted=float(adjusted[j]),
                        verdict=found.verdicts[j],
                    )
                )
            classes.append(replace(audit_of_class, benchmarks=tuple(benchmarks)))
        return replace(
            result,
            classes=tuple(classes),
            uncertainty=self.to_dict(),
            warnings=(*result.warnings, *self.warnings),
        )


def _pair(values: FloatArray) -> list[float | None]:
    return finite_list(values)


def _triple(values: FloatArray) -> dict[str, float | None]:
    return {"estimate": finite(values[0]), "low": finite(values[1]), "high": finite(values[2])}
