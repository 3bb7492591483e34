"""Results of a power analysis: interval width and verdict frequencies by panel size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safetywashing.decision import VERDICTS
from safetywashing.document import envelope
from safetywashing.results.base import Result

if TYPE_CHECKING:
    import pandas as pd

POWER_KIND = "safetywashing-power"


@dataclass(frozen=True)
class PowerRow:
    """Simulated behaviour of the audit at one panel size.

    Attributes
    ----------
    n_models : int
    true_correlation : float
        The capabilities correlation the audit estimates (population value), averaged
        over the panels (each panel draws its own capability loadings).
    mean_estimate : float
    mean_width : float
        Mean width of the interval.
    coverage : float
        Share of panels whose interval contains that panel's true value.
    verdicts : dict of str to float
        Share of panels with each verdict.
    """

    n_models: int
    true_correlation: float
    mean_estimate: float
    mean_width: float
    coverage: float
    verdicts: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "n_models": self.n_models,
            "true_correlation": self.true_correlation,
            "mean_estimate": self.mean_estimate,
            "mean_width": self.mean_width,
            "coverage": self.coverage,
            "verdicts": dict(self.verdicts),
        }


@dataclass(frozen=True, eq=False, repr=False)
class PowerResult(Result):
    """A power analysis: settings and one row per panel size."""

    rho: float
    panels: int
    n_resamples: int
    confidence: float
    threshold: float
    interval: str
    n_capability: int
    seed: int
    rows: tuple[PowerRow, ...]

    def settings(self) -> dict[str, Any]:
        """The settings of the simulation, JSON-ready."""
        return {
            "rho": self.rho,
            "panels": self.panels,
            "n_resamples": self.n_resamples,
            "confidence": self.confidence,
            "verdict_lines": [-self.threshold, self.threshold],
            "interval": self.interval,
            "n_capability": self.n_capability,
            "seed": self.seed,
        }

    def summary_lines(self) -> list[str]:
        """Settings and a line per panel size."""
        return [
            f"planted rho {self.rho:+.2f}, {self.panels} panels per size, "
            f"{self.n_resamples} resamples, seed {self.seed}",
            *(
                f"{row.n_models} models: width {row.mean_width:.3f}, coverage "
                f"{100 * row.coverage:.0f}%"
                for row in self.rows
            ),
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per panel size; a column per verdict's share."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "n_models": row.n_models,
                    "true_correlation": row.true_correlation,
                    "mean_estimate": row.mean_estimate,
                    "mean_width": row.mean_width,
                    "coverage": row.coverage,
                    **{f"p_{verdict}": row.verdicts.get(verdict, 0.0) for verdict in VERDICTS},
                }
                for row in self.rows
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document: envelope, settings and rows."""
        document = envelope(POWER_KIND, config=self.settings())
        document["settings"] = self.settings()
        document["rows"] = [row.to_dict() for row in self.rows]
        return document
