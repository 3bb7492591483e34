"""Results of a power analysis: power, verdict chances and interval width by panel size."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from safetywashing.core.decision import VERDICTS
from safetywashing.core.document import envelope, field_values, finite
from safetywashing.core.result import Result

if TYPE_CHECKING:
    import pandas as pd

POWER_KIND = "safetywashing-power"


@dataclass(frozen=True)
class PowerRow:
    """Simulated behaviour of the audit at one panel size."""

    n_models: int
    #: The capabilities correlation the audit estimates (population value), averaged over the panels
    #: (each panel draws its own capability loadings).
    true_correlation: float
    mean_estimate: float
    #: Share of panels in which the two-sided level-alpha test rejects a zero capabilities
    #: correlation: power in the conventional sense.
    power: float
    #: Mean width of the interval.
    mean_width: float
    #: Share of panels whose interval contains that panel's true value.
    coverage: float
    #: Share of panels with each verdict (entangled, inverse, distinct, inconclusive).
    verdicts: dict[str, float]

    def reading(self, *, alpha: float, confidence: float, threshold: float) -> str:
        """One sentence: what a panel of this size can show."""
        v = self.verdicts
        width = (
            f"; the {100 * confidence:g}% interval is {self.mean_width:.2f} wide on average"
            if not math.isnan(self.mean_width)
            else ""
        )
        return (
            f"With {self.n_models} models, a true capabilities correlation of "
            f"{self.true_correlation:+.2f} is detected as non-zero (alpha {alpha:g}) in "
            f"{100 * self.power:.0f}% of panels, shown entangled (above +{threshold:.2f}) in "
            f"{100 * v['entangled']:.0f}%, distinct (inside ±{threshold:.2f}) in "
            f"{100 * v['distinct']:.0f}% and inverse in {100 * v['inverse']:.0f}%{width}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        return {
            "n_models": self.n_models,
            "true_correlation": finite(self.true_correlation),
            "mean_estimate": finite(self.mean_estimate),
            "power": self.power,
            "mean_width": finite(self.mean_width),
            "coverage": self.coverage,
            "verdicts": dict(self.verdicts),
        }


@dataclass(frozen=True, eq=False, repr=False)
class PowerResult(Result):
    """A power analysis: settings and one row per panel size.

    ``engine`` says how each simulated panel was read: ``"fisher"`` (Fisher-z test and
    interval of the simulated estimate) or ``"bootstrap"`` (the audit's bootstrap
    interval and permutation test).
    """

    rho: float
    panels: int
    n_resamples: int
    confidence: float
    threshold: float
    interval: str
    n_capability: int
    seed: int
    rows: tuple[PowerRow, ...]
    alpha: float = 0.05
    engine: str = "fisher"

    def settings(self) -> dict[str, Any]:
        """The settings of the simulation, JSON-ready."""
        return {
            **field_values(self, "rho panels engine n_resamples confidence alpha"),
            "verdict_lines": [-self.threshold, self.threshold],
            **field_values(self, "interval n_capability seed"),
        }

    def readings(self) -> list[str]:
        """One sentence per panel size."""
        return [
            row.reading(alpha=self.alpha, confidence=self.confidence, threshold=self.threshold)
            for row in self.rows
        ]

    def summary_lines(self) -> list[str]:
        """Settings and a sentence per panel size."""
        return [
            f"planted rho {self.rho:+.2f}, {self.panels} panels per size ({self.engine}), "
            f"seed {self.seed}",
            *self.readings(),
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per panel size; a column per verdict's share; the reading."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    **{f.name: getattr(row, f.name) for f in fields(row) if f.name != "verdicts"},
                    **{f"p_{verdict}": row.verdicts.get(verdict, 0.0) for verdict in VERDICTS},
                    "reading": reading,
                }
                for row, reading in zip(self.rows, self.readings(), strict=True)
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document: envelope, settings and rows."""
        document = envelope(POWER_KIND, config=self.settings())
        document["settings"] = self.settings()
        document["rows"] = [
            {**row.to_dict(), "reading": reading}
            for row, reading in zip(self.rows, self.readings(), strict=True)
        ]
        return document
