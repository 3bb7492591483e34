"""The settings of an audit: one frozen object, checked when it is made.

Errors name the Python parameter and the remedy (``method='x' is not one of ...``); the
command line says the same with its flags.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from safetywashing.core.decision import PAPER_THRESHOLD, DecisionRule
from safetywashing.core.errors import InputError, suggestion
from safetywashing.stats.correlation import CORRELATION_METHODS, CorrelationMethod
from safetywashing.stats.impute import DEFAULT_MAX_ITER, DEFAULT_TOLERANCE
from safetywashing.stats.pca import MatrixKind

#: Over which models a capability benchmark is z-scored: those with a capability score
#: (every capability benchmark, observed or imputed) or every model that has it.
StandardizeBasis = Literal["complete", "available"]
STANDARDIZE_BASES: tuple[StandardizeBasis, ...] = get_args(StandardizeBasis)
#: The covariance of z-scores is their Pearson matrix, so the audit offers these two.
AuditMatrix = Literal["spearman", "pearson"]
AUDIT_MATRICES: tuple[AuditMatrix, ...] = get_args(AuditMatrix)

#: The default first (the command line lists them in this order).
ImputeMethod = Literal["pca", "none"]
#: Alphabetical, as the messages list them.
IMPUTE_METHODS: tuple[ImputeMethod, ...] = tuple(sorted(get_args(ImputeMethod)))


@dataclass(frozen=True)
class AuditConfig:
    """Settings of one audit, recorded in its result.

    Examples
    --------
    >>> AuditConfig(preset="paper").rule.threshold
    0.4
    >>> AuditConfig(method="spearmann")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safetywashing.core.errors.InputError: method='spearmann' is not one of ... 'pearson'?).
    """

    #: Capability benchmarks; None means the benchmarks whose role is "capability".
    capabilities: tuple[str, ...] | None = None
    #: {"spearman", "pearson", "kendall"}: Correlation used for capabilities and compute
    #: correlations.
    method: CorrelationMethod = "spearman"
    #: {"spearman", "pearson"}: Matrix whose top eigenvector defines the capability score. (A
    #: covariance matrix of z-scores is the Pearson matrix; the covariance of the unstandardized
    #: scores is a robustness variant.)
    matrix: MatrixKind = "spearman"
    #: Analyse only this class; None analyses every class.
    model_class: str | None = None
    #: Analyse all models together instead of one class at a time.
    pool_classes: bool = False
    #: Name of the preset applied to the table (e.g. ``"paper"``).
    preset: str | None = None
    #: The decision line in (0, 1] (the paper's 0.40): correlations below it read as low, and
    #: bootstrap verdicts and robustness zones use the lines at -t and +t. Checked once, when the
    #: config is made, by its :attr:`rule`.
    threshold: float = PAPER_THRESHOLD
    #: {"pca", "none"}: How models with missing capability scores are handled: "pca" fills the gaps
    #: by iterative PCA of the capability block; "none" leaves such models out (complete-case, the
    #: paper's computation). On complete data both agree.
    impute: ImputeMethod = "pca"
    #: Rank of the imputation's PCA; below the number of capability benchmarks.
    impute_rank: int = 1
    #: Fewest observed capability benchmarks a model needs to be imputed; None means a quarter of
    #: the capability benchmarks, rounded up (at least 2).
    min_observed: int | None = None
    #: impute_tolerance, impute_max_iter: Convergence tolerance and iteration cap of the imputation.
    impute_tolerance: float = DEFAULT_TOLERANCE
    impute_max_iter: int = DEFAULT_MAX_ITER
    #: {"complete", "available"}: Basis of the z-scores: the models with a capability score (the
    #: default, and the basis the bootstrap refits), or every model that has the benchmark.
    standardize: StandardizeBasis = "complete"
    #: The decision rule at ``threshold`` (not a parameter: made from it), which every analysis of
    #: the audit reads.
    rule: DecisionRule = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.capabilities is not None:
            given: object = self.capabilities
            if isinstance(given, str) or not isinstance(given, Sequence):
                raise InputError(
                    f"capabilities={given!r} is not a list of benchmark names",
                    param="capabilities",
                    remedy="give a list such as capabilities=['mmlu', 'gsm8k', 'bbh']",
                )
            wrong = next((name for name in given if not isinstance(name, str)), None)
            if wrong is not None:
                raise InputError(
                    f"capabilities={list(given)!r} holds {wrong!r} (of type "
                    f"{type(wrong).__name__}), not a benchmark name",
                    param="capabilities",
                    remedy="give the names of the columns as text, such as "
                    "capabilities=['mmlu', 'gsm8k', 'bbh']",
                )
            object.__setattr__(self, "capabilities", tuple(self.capabilities))
        _one_of("method", self.method, CORRELATION_METHODS)
        _one_of("matrix", self.matrix, AUDIT_MATRICES)
        _one_of("impute", self.impute, IMPUTE_METHODS)
        _one_of("standardize", self.standardize, STANDARDIZE_BASES)
        if self.model_class is not None and self.pool_classes:
            raise InputError(
                f"model_class={self.model_class!r} and pool_classes both choose the models",
                param=("model_class", "pool_classes"),
                remedy="give one of them",
            )
        object.__setattr__(self, "rule", DecisionRule(self.threshold))
        _whole("impute_rank", self.impute_rank, minimum=1)
        if self.min_observed is not None:
            _whole("min_observed", self.min_observed, minimum=1)
        _whole("impute_max_iter", self.impute_max_iter, minimum=1)
        tolerance = self.impute_tolerance
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not math.isfinite(tolerance)
            or not tolerance > 0
        ):
            raise InputError(
                f"impute_tolerance={tolerance!r} is not a positive number",
                param="impute_tolerance",
                remedy=f"give a small positive number such as impute_tolerance={DEFAULT_TOLERANCE}",
            )
        if self.impute == "none" and (self.impute_rank != 1 or self.min_observed is not None):
            raise InputError(
                "impute='none' leaves models with gaps out, so impute_rank and min_observed "
                "do not apply",
                param=("impute", "impute_rank", "min_observed"),
                remedy="drop them or use impute='pca'",
            )

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> AuditConfig:
        """A config from keyword options; an unknown keyword is an :class:`InputError`."""
        known = [item.name for item in fields(cls) if item.init]
        for name in options:
            if name not in known:
                raise InputError(
                    f"{name!r} is not a setting of the audit{suggestion(name, known)}",
                    remedy=f"the settings are {', '.join(known)}",
                )
        return cls(**options)

    def to_dict(self) -> dict[str, Any]:
        """Settings as a JSON-ready dict (``low_threshold`` repeats ``threshold``)."""
        return {
            "capabilities": list(self.capabilities) if self.capabilities is not None else None,
            "method": self.method,
            "matrix": self.matrix,
            "model_class": self.model_class,
            "pool_classes": self.pool_classes,
            "preset": self.preset,
            "low_threshold": self.threshold,
            "threshold": self.threshold,
            "impute": self.impute,
            "impute_rank": self.impute_rank,
            "min_observed": self.min_observed,
            "standardize": self.standardize,
            "impute_tolerance": self.impute_tolerance,
            "impute_max_iter": self.impute_max_iter,
        }


def _one_of(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError(
            f"{name}={value!r} is not one of {', '.join(allowed)}{suggestion(str(value), allowed)}",
            param=name,
        )


def _whole(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(
            f"{name}={value!r} is not a whole number",
            param=name,
            remedy=f"give a whole number of at least {minimum}",
        )
    if value < minimum:
        raise InputError(
            f"{name}={value} is below {minimum}",
            param=name,
            remedy=f"give a whole number of at least {minimum}",
        )
