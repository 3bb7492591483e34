"""Settings of the uncertainty analysis: what a bootstrap is asked for, checked once.

:class:`UncertaintySettings` is the one place where the counts, the levels and the
choices of the analysis are validated. The command line turns its flags into one
(:func:`parse_count` reads the text of a count, once), and
:func:`~safetywashing.uncertainty.compute.bootstrap_audit` builds one from its keywords.
The decision line is the audit's: the settings carry the audit's rule as it is
(:attr:`safetywashing.audit.result.AuditResult.rule`, checked when the audit's
configuration was made), not a threshold of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from safetywashing.core.decision import DecisionRule
from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_RESAMPLES
from safetywashing.stats.intervals import INTERVAL_KINDS, IntervalKind
from safetywashing.stats.multiple import ADJUSTMENTS, RESOLUTION, Adjustment

__all__ = [
    "CLUSTERS",
    "DECISION_POWER",
    "DEFAULT_RESAMPLES",
    "DEGENERATE_FLAG",
    "JACKKNIFE_SHARE",
    "MIN_CLUSTERS",
    "PERMUTATION_RULE",
    "TAIL_REPLICATES",
    "WARN_CLUSTERS",
    "Cluster",
    "UncertaintySettings",
    "check_count",
    "minimum_valid",
    "needs_jackknife",
    "parse_count",
    "root_seed",
]

DEFAULT_RESAMPLES = 2000
#: Units of resampling other than the model.
Cluster = Literal["family"]
CLUSTERS: tuple[Cluster, ...] = get_args(Cluster)
#: Fewest clusters the family bootstrap accepts, and below how many it warns.
MIN_CLUSTERS = 4
WARN_CLUSTERS = 10
#: Share of degenerate resamples above which a benchmark's interval is flagged.
DEGENERATE_FLAG = 0.05
#: Valid replicates an interval needs in each tail (beyond its confidence level).
TAIL_REPLICATES = 5
#: Power behind "models needed to decide".
DECISION_POWER = 0.80
#: With the percentile interval, the BCa interval is still given beside it while its
#: jackknife (one refit per resampled unit) costs at most this share of the bootstrap.
JACKKNIFE_SHARE = 0.25

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


def needs_jackknife(interval: IntervalKind, n_units: int, n_resamples: int) -> bool:
    """Whether the BCa interval, and so its jackknife, is computed.

    Always when BCa decides the verdicts; beside the percentile interval only while the
    jackknife's ``n_units`` refits are at most :data:`JACKKNIFE_SHARE` of the
    ``n_resamples`` (a panel of 30 models and 2,000 resamples: yes; 2,000 models: no,
    the jackknife would double the cost of the bootstrap).

    Examples
    --------
    >>> needs_jackknife("percentile", 30, 2000), needs_jackknife("percentile", 2000, 2000)
    (True, False)
    >>> needs_jackknife("bca", 2000, 2000)
    True
    """
    return interval == "bca" or n_units <= JACKKNIFE_SHARE * n_resamples


def _count_remedy(param: str) -> str:
    return f"give a whole number such as {param}={DEFAULT_RESAMPLES}"


def parse_count(text: str, param: str, what: str) -> int:
    """The whole number a count's text holds (``"2000"``), or an :class:`InputError`.

    Only reads the number; :func:`check_count` (run by the settings) decides whether it
    is an allowed count.

    Examples
    --------
    >>> parse_count(" 2000 ", "n_resamples", "bootstrap resamples")
    2000
    """
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        raise InputError(
            f"{param}={stripped} is not a whole number of {what}",
            param=param,
            remedy=_count_remedy(param),
        ) from None


def check_count(value: object, param: str, what: str, *, allow_zero: bool = False) -> int:
    """A positive whole number of resamples or permutations, or an :class:`InputError`.

    Parameters
    ----------
    value : object
        An int (a whole float or a count's text are read as one).
    param : str
        The parameter that carries it, for the message ("n_resamples").
    what : str
        What is counted ("bootstrap resamples").
    allow_zero : bool, default False
        Zero switches the computation off (permutations).

    Examples
    --------
    >>> check_count(2000, "n_resamples", "bootstrap resamples")
    2000
    """
    remedy = _count_remedy(param)
    if isinstance(value, bool):
        raise InputError(f"{param}={value} is not a number of {what}", param=param, remedy=remedy)
    if isinstance(value, float) and not value.is_integer():
        raise InputError(
            f"{param}={value} is not a whole number of {what}", param=param, remedy=remedy
        )
    number = parse_count(str(value), param, what) if not isinstance(value, int) else value
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


def _level(name: str, value: object, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
        raise InputError(
            f"{name}={value} is not strictly between 0 and 1",
            param=name,
            remedy=f"try {name}={example}",
        )


@dataclass(frozen=True)
class UncertaintySettings:
    """Settings of the uncertainty analysis, recorded in the output.

    Examples
    --------
    >>> UncertaintySettings(n_resamples=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safetywashing.core.errors.InputError: n_resamples=0 asks for no bootstrap resamples; ...
    """

    #: Bootstrap resamples (default 2000).
    n_resamples: int = DEFAULT_RESAMPLES
    #: Interval coverage, in (0, 1) (default 0.95).
    confidence: float = 0.95
    #: Root seed of every random stream (recorded even when drawn from entropy; see :meth:`drawn`).
    seed: int = 0
    #: {"percentile", "bca"}: Which interval fills ``ci_low``/``ci_high`` and the verdict; both are
    #: reported.
    interval: IntervalKind = "percentile"
    #: {"family"} or None: ``"family"`` resamples whole model families; None resamples models.
    cluster: Cluster | None = None
    #: Permutations per p-value; 0 computes none; None (the default) sizes them to the adjustment
    #: (see :data:`PERMUTATION_RULE`; the count used is in each class).
    permutations: int | None = None
    #: {"bh", "by", "holm"}: Which adjusted p-value fills ``p_adjusted``; all three are reported.
    adjustment: Adjustment = "bh"
    #: Level of the tests (default 0.05): permutation counts are sized to reach it after adjustment,
    #: and the equivalence test ("distinct") is read at it.
    alpha: float = 0.05
    #: The decision rule behind the verdicts: the audit's (the paper's 0.40 line by default;
    #: :func:`~safetywashing.uncertainty.compute.bootstrap_audit` records the rule of the audit it
    #: bootstraps).
    rule: DecisionRule = field(default_factory=DecisionRule)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "n_resamples", check_count(self.n_resamples, "n_resamples", "bootstrap resamples")
        )
        if self.permutations is not None:
            object.__setattr__(
                self,
                "permutations",
                check_count(self.permutations, "permutations", "permutations", allow_zero=True),
            )
        _level("alpha", self.alpha, "0.05")
        _level("confidence", self.confidence, "0.95")
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

    @classmethod
    def drawn(cls, seed: int | None, **settings: Any) -> UncertaintySettings:
        """Settings whose seed is ``seed``, or drawn from entropy (and recorded) when None."""
        root = root_seed(seed)
        return cls(seed=int(root.entropy) if seed is None else seed, **settings)  # type: ignore[arg-type]

    @property
    def root(self) -> np.random.SeedSequence:
        """The root of every random stream of the analysis."""
        return np.random.SeedSequence(self.seed)

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
