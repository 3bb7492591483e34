"""One decision rule: the line that reads a capabilities correlation as low or high.

The paper reads a capabilities correlation below 0.40 as low (signed: a negative one
counts as low). The same line decides the point-estimate reading, the verdict that
respects a bootstrap interval, and the robustness zones, so one object holds it and
every analysis takes it from the audit's configuration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from safetywashing.core.errors import InputError
from safetywashing.stats.intervals import VERDICTS, verdict

#: The paper's line: a capabilities correlation below it is low.
PAPER_THRESHOLD = 0.40

READINGS = ("inverse", "low", "moderate", "high")
__all__ = ["PAPER_THRESHOLD", "READINGS", "VERDICTS", "DecisionRule"]


@dataclass(frozen=True)
class DecisionRule:
    """Lines at ``-threshold`` and ``+threshold`` that read capabilities correlations.

    Parameters
    ----------
    threshold : float, default 0.40
        In (0, 1]; the paper's line is 0.40.

    Examples
    --------
    >>> rule = DecisionRule(0.4)
    >>> rule.reading(0.3, high=0.7), rule.zone(0.5), rule.verdict(-0.2, 0.3)
    ('low', 'entangled', 'distinct')
    """

    threshold: float = PAPER_THRESHOLD

    def __post_init__(self) -> None:
        value = self.threshold
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(
                f"threshold={value!r} is not a number",
                param="threshold",
                remedy="give a correlation in (0, 1], e.g. threshold=0.40 (the paper's line)",
            )
        if not (0.0 < float(value) <= 1.0):
            raise InputError(
                f"threshold={value} is outside (0, 1]",
                param="threshold",
                remedy="give a correlation such as threshold=0.40 (the paper's line)",
            )

    @property
    def lower(self) -> float:
        """The line below which a correlation is inverse."""
        return -float(self.threshold)

    @property
    def upper(self) -> float:
        """The line above which a correlation is entangled (at or above: not low)."""
        return float(self.threshold)

    def is_low(self, correlation: float) -> bool | None:
        """The paper's reading: below the line (signed) is low; None when undefined."""
        if math.isnan(correlation):
            return None
        return correlation < self.upper

    def reading(self, correlation: float, *, high: float) -> str:
        """The paper's reading of a point estimate.

        Parameters
        ----------
        correlation : float
        high : float
            At or above this the correlation is as high as capability benchmarks
            correlate with each other (the class's mean pairwise capability correlation).

        Returns
        -------
        str
            "n/a", "inverse" (at or below the lower line), "low", "moderate" or "high".
        """
        if math.isnan(correlation):
            return "n/a"
        if correlation <= self.lower:
            return "inverse"
        if correlation < self.upper:
            return "low"
        if correlation >= high:
            return "high"
        return "moderate"

    def zone(self, correlation: float) -> str:
        """Zone of a point estimate: "entangled", "inverse", "distinct", or "" if undefined."""
        if math.isnan(correlation):
            return ""
        if correlation > self.upper:
            return "entangled"
        if correlation < self.lower:
            return "inverse"
        return "distinct"

    def verdict(self, low: float, high: float) -> str:
        """Reading of an interval ``[low, high]`` against the lines.

        Returns
        -------
        str
            "entangled" (entirely above the upper line), "inverse" (entirely below the
            lower line: the property worsens as capabilities grow), "distinct" (entirely
            inside the lines), "inconclusive" (it crosses a line), or "" when undefined.
        """
        return verdict(low, high, lower=self.lower, upper=self.upper)
