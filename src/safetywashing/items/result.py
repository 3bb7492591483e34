"""Results of the item analysis: items ranked by entanglement, and a de-entangled subset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from safetywashing.core.document import envelope, field_values, finite, finite_list
from safetywashing.core.result import Result

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ITEMS_KIND = "safetywashing-items"
SUBSET_KIND = "safetywashing-item-subset"
ITEM_COLUMNS = (
    "rank",
    "item",
    "category",
    "kind",
    "n",
    "r",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "flag",
    "mean_score",
    "discrimination",
    "difficulty",
)


@dataclass(frozen=True, eq=False, repr=False)
class ItemAnalysis(Result):
    """Each item's capabilities correlation, its item-response fit, and the benchmark's."""

    benchmark: str
    #: Models with a capability score and item results, in the order of ``capability``.
    model_ids: tuple[str, ...]
    #: ndarray of shape (n_models,)
    capability: FloatArray
    item_ids: tuple[str, ...]
    categories: tuple[str, ...]
    #: ndarray of bool, shape (n_items,): Spearman for graded items; point-biserial (Pearson) for
    #: 0/1 items.
    graded: BoolArray
    #: ndarray of int, shape (n_items,)
    n: IntArray
    #: ndarray of shape (n_items,): r, ci_low, ci_high, p_value, q_value: Correlation, bootstrap
    #: percentile interval (NaN without a bootstrap), two-sided p-value of zero correlation
    #: (Fisher's z) and its Benjamini-Hochberg q-value.
    r: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    p_value: FloatArray
    q_value: FloatArray
    #: "entangled" (q < fdr, r > 0), "inverse" (q < fdr, r < 0), or "".
    flag: tuple[str, ...]
    #: ndarray of shape (n_items,): mean_score, discrimination, difficulty: Share of the maximum
    #: score, and the two-parameter logistic fit against the standardized capability score.
    mean_score: FloatArray
    discrimination: FloatArray
    difficulty: FloatArray
    #: Spearman correlation of the models' mean item score with the capability score.
    benchmark_correlation: float
    #: benchmark_ci_low, benchmark_ci_high: Its two-way bootstrap interval, resampling models and
    #: items (NaN without a bootstrap).
    benchmark_ci_low: float
    benchmark_ci_high: float
    #: Share of the variance of the models' mean score that the capability score explains linearly
    #: (squared Pearson correlation).
    variance_share: float
    #: Share of the item-level variance (summed over items) that the capability score explains
    #: linearly.
    item_variance_share: float
    fdr: float
    confidence: float
    n_resamples: int
    seed: int | None
    #: tuple of (str, int): Models that lack some items and how many items they have.
    coverage: tuple[tuple[str, int], ...] = ()
    #: Model names of the item table that the panel does not have.
    unmatched: tuple[str, ...] = ()
    panel: str = ""
    model_class: str = ""

    @property
    def order(self) -> IntArray:
        """Item positions from the most entangled (highest r) down; NaN last."""
        key = np.where(np.isnan(self.r), np.inf, -self.r)
        return np.argsort(key, kind="stable").astype(np.int64)

    def summary_lines(self) -> list[str]:
        flagged = sum(1 for f in self.flag if f == "entangled")
        inverse = sum(1 for f in self.flag if f == "inverse")
        interval = (
            ""
            if np.isnan(self.benchmark_ci_low)
            else f" ({self.confidence:.0%} interval over models and items "
            f"{self.benchmark_ci_low:+.3f} to {self.benchmark_ci_high:+.3f})"
        )
        return [
            f"{self.benchmark}: {len(self.item_ids)} items over {len(self.model_ids)} models",
            f"benchmark capabilities correlation {self.benchmark_correlation:+.3f}{interval}; the "
            f"capability score explains {self.variance_share:.1%} of the benchmark score's "
            f"variance and {self.item_variance_share:.1%} of the item-level variance",
            f"{flagged} items entangled, {inverse} inverse (Benjamini-Hochberg q < {self.fdr})",
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per item, ranked from the most entangled, with a fixed column order."""
        import pandas as pd

        order = self.order
        frame = pd.DataFrame(
            {
                "rank": np.arange(1, order.size + 1),
                "item": [self.item_ids[j] for j in order],
                "category": [self.categories[j] for j in order],
                "kind": ["graded" if self.graded[j] else "binary" for j in order],
                "n": self.n[order],
                "r": self.r[order],
                "ci_low": self.ci_low[order],
                "ci_high": self.ci_high[order],
                "p_value": self.p_value[order],
                "q_value": self.q_value[order],
                "flag": [self.flag[j] for j in order],
                "mean_score": self.mean_score[order],
                "discrimination": self.discrimination[order],
                "difficulty": self.difficulty[order],
            }
        )
        return frame[list(ITEM_COLUMNS)]

    def by_category(self) -> pd.DataFrame:
        """Per category: items, mean and median r, and how many are flagged."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "category": self.categories,
                "r": self.r,
                "entangled": np.asarray(self.flag) == "entangled",
            }
        )
        grouped = frame.groupby("category", sort=True)
        out = pd.DataFrame(
            {
                "items": grouped.size(),
                "mean_r": grouped["r"].mean(),
                "median_r": grouped["r"].median(),
                "entangled": grouped["entangled"].sum().astype(int),
            }
        ).reset_index()
        return out.sort_values("mean_r", ascending=False, kind="stable").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        document = envelope(
            ITEMS_KIND,
            config=field_values(self, "fdr confidence n_resamples seed panel model_class"),
        )
        frame = self.to_frame()
        document.update(
            {
                "benchmark": self.benchmark,
                "n_models": len(self.model_ids),
                "n_items": len(self.item_ids),
                "benchmark_correlation": finite(self.benchmark_correlation),
                "benchmark_ci_low": finite(self.benchmark_ci_low),
                "benchmark_ci_high": finite(self.benchmark_ci_high),
                "variance_share": finite(self.variance_share),
                "item_variance_share": finite(self.item_variance_share),
                "models": [
                    {"model": m, "capability_score": finite(c)}
                    for m, c in zip(self.model_ids, self.capability, strict=True)
                ],
                "coverage": [{"model": m, "items": c} for m, c in self.coverage],
                "unmatched": list(self.unmatched),
                "categories": [
                    {k: (finite(v) if isinstance(v, float) else v) for k, v in row.items()}
                    for row in _records(self.by_category())
                ],
                "items": [
                    {k: (finite(v) if isinstance(v, float) else v) for k, v in row.items()}
                    for row in _records(frame)
                ],
            }
        )
        return document


@dataclass(frozen=True, eq=False, repr=False)
class ItemSubset(Result):
    """A de-entangled subset of a benchmark's items and its cross-fitted validation.

    Attributes
    ----------
    test_correlation, train_correlation, test_reliability, test_full_correlation :
        ndarray of shape (n_folds,)
        Per cross-fitting fold: the correlation on the held-out models of the subset
        selected on the others, etc.
    n_selected_folds : ndarray of int, shape (n_folds,)
    n_repeats : int
    seed : int or None
    """

    benchmark: str
    #: All items, aligned with ``selected``.
    item_ids: tuple[str, ...]
    #: ndarray of bool, shape (n_items,): The subset selected on all models.
    selected: BoolArray
    #: correlation, full_correlation: Spearman correlation of the subset score (all items' score)
    #: with the capability score, on all models.
    correlation: float
    full_correlation: float
    reliability: float
    reliability_method: str
    band: float
    aim: float
    floor: float
    inside_band: bool
    meets_floor: bool
    train_correlation: FloatArray
    test_correlation: FloatArray
    test_reliability: FloatArray
    test_full_correlation: FloatArray
    n_selected_folds: IntArray
    n_repeats: int
    seed: int | None

    @property
    def kept(self) -> tuple[str, ...]:
        """Ids of the kept items."""
        return tuple(i for i, keep in zip(self.item_ids, self.selected, strict=True) if keep)

    @property
    def held_out_correlation(self) -> float:
        """Mean held-out correlation over the cross-fitting folds."""
        values = self.test_correlation[~np.isnan(self.test_correlation)]
        return float(values.mean()) if values.size else float("nan")

    @property
    def held_out_inside(self) -> float:
        """Share of folds whose held-out correlation lies inside the band."""
        values = self.test_correlation[~np.isnan(self.test_correlation)]
        return float(np.mean(np.abs(values) < self.band)) if values.size else float("nan")

    def summary_lines(self) -> list[str]:
        state = "inside" if self.inside_band else "outside"
        floor = "meets" if self.meets_floor else "is below"
        return [
            f"{self.benchmark}: keeps {int(self.selected.sum())} of {len(self.item_ids)} items",
            f"subset r {self.correlation:+.3f} (all items {self.full_correlation:+.3f}), "
            f"{state} the band |r| < {self.band:.2f}",
            f"held out (cross-fitted, {self.test_correlation.size} folds): mean r "
            f"{self.held_out_correlation:+.3f}, {self.held_out_inside:.0%} of folds inside",
            f"reliability ({self.reliability_method}) {self.reliability:.3f}, {floor} the "
            f"floor {self.floor:.2f}",
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per cross-fitting fold."""
        import pandas as pd

        return pd.DataFrame(
            {
                "fold": np.arange(1, self.test_correlation.size + 1),
                "n_selected": self.n_selected_folds,
                "train_r": self.train_correlation,
                "test_r": self.test_correlation,
                "test_all_items_r": self.test_full_correlation,
                "test_reliability": self.test_reliability,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        document = envelope(
            SUBSET_KIND,
            config={
                **field_values(self, "band aim floor"),
                "reliability": self.reliability_method,
                **field_values(self, "n_repeats seed"),
            },
        )
        document.update(
            {
                "benchmark": self.benchmark,
                "n_items": len(self.item_ids),
                "n_kept": int(self.selected.sum()),
                "correlation": finite(self.correlation),
                "full_correlation": finite(self.full_correlation),
                "reliability": finite(self.reliability),
                "inside_band": self.inside_band,
                "meets_floor": self.meets_floor,
                "cross_fit": {
                    "held_out_correlation": finite(self.held_out_correlation),
                    "held_out_inside_share": finite(self.held_out_inside),
                    "test_correlation": finite_list(self.test_correlation),
                    "train_correlation": finite_list(self.train_correlation),
                    "test_reliability": finite_list(self.test_reliability),
                    "test_full_correlation": finite_list(self.test_full_correlation),
                    "n_selected": [int(v) for v in self.n_selected_folds],
                },
                "kept": list(self.kept),
            }
        )
        return document


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()})
    return out
