"""The arrays an audit prepared for one model class, kept on its result.

The audit orients the scores (negating lower-is-safer columns), chooses and completes
the capability block (imputed cells filled), and lines up references, FLOP and
families. The bootstrap, the robustness checks, panels, figures and reports read these
arrays from the result, so nothing downstream replays the audit's preparation of the
table, and a result cannot be paired with a table it did not come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from safetywashing.core.document import finite_list
from safetywashing.core.result import Result, position
from safetywashing.core.table import ModelInfo

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False, repr=False)
class PreparedClass(Result):
    """One class's data as the audit prepared it: what every later analysis needs."""

    model_class: str
    #: Every model of the class, in table order (id, name, family, parameters, FLOP).
    models: tuple[ModelInfo, ...]
    capability_benchmarks: tuple[str, ...]
    #: ndarray of shape (n, k): Oriented capability scores, imputed cells filled; NaN only in the
    #: rows of models left out of the capability score.
    capability: FloatArray
    #: ndarray of bool, shape (n,): Models with a capability score.
    scored: BoolArray
    #: ndarray of shape (k,): capability_mean, capability_std: Standardization of the capability
    #: benchmarks over the scored models.
    capability_mean: FloatArray
    capability_std: FloatArray
    #: The reported benchmarks, aligned with the class result's ``benchmarks``.
    benchmark_ids: tuple[str, ...]
    #: ndarray of shape (n, J): Their oriented scores (lower-is-safer columns negated).
    targets: FloatArray
    #: tuple of (ndarray of shape (n,) or None): Per reported benchmark, the oriented reference
    #: column it is correlated with, or None when it is correlated with the capability score.
    references: tuple[FloatArray | None, ...]
    #: ndarray of shape (n,): Training FLOP; NaN where unknown.
    flop: FloatArray
    #: {"spearman", "pearson", "covariance"}: The matrix of the capability component.
    matrix: str

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Model ids, in table order."""
        return tuple(m.id for m in self.models)

    @property
    def families(self) -> tuple[str, ...]:
        """Model families ("" where unknown), aligned with ``models``."""
        return tuple(m.family for m in self.models)

    def target(self, benchmark_id: str) -> FloatArray:
        """Oriented scores of one reported benchmark, aligned with ``models``."""
        column = position(
            "benchmark", benchmark_id, self.benchmark_ids, where=f"the {self.model_class} audit"
        )
        return self.targets[:, column]

    def summary_lines(self) -> list[str]:
        """Shapes of the prepared arrays."""
        n, k = self.capability.shape
        return [
            f"{self.model_class}: {n} models ({int(self.scored.sum())} scored), {k} capability "
            f"benchmarks, {len(self.benchmark_ids)} reported benchmarks"
        ]

    def to_frame(self) -> pd.DataFrame:
        """Models x (capability benchmarks, reported benchmarks), oriented values."""
        import pandas as pd

        frame = pd.DataFrame(
            np.hstack([self.capability, self.targets]),
            index=pd.Index(self.model_ids, name="model"),
            columns=[*(f"capability:{b}" for b in self.capability_benchmarks), *self.benchmark_ids],
        )
        return frame.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """Oriented values per model (NaN as None)."""
        return {
            "models": list(self.model_ids),
            "capability_benchmarks": list(self.capability_benchmarks),
            "capability": [finite_list(row) for row in self.capability],
            "benchmarks": list(self.benchmark_ids),
            "targets": [finite_list(row) for row in self.targets],
            "flop": finite_list(self.flop),
        }
