"""A de-entangled subset of items, and its validation by cross-fitting over models.

:func:`select_subset` removes items in order of their capabilities correlation (in the
direction of the subset score's correlation) until the subset score, each model's mean
over the kept items, has a Spearman correlation with the capability score inside the
band, and reports the subset's internal reliability against the floor. Removing the
most entangled items first keeps the most items for a given band.

:func:`cross_fit` validates the *procedure*: it splits the models in halves, selects on
one half and measures the subset's correlation on the other (both ways, over several
random splits), so that a subset tuned to the noise of its own models shows up as a
held-out correlation outside the band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetywashing.stats.correlation import correlation
from safetywashing.stats.items import item_correlations
from safetywashing.stats.reliability import ReliabilityMethod, reliability, row_means

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SubsetFit:
    """One selection: which items are kept and how the kept set scores."""

    #: ndarray of bool, shape (n_items,)
    selected: BoolArray
    #: Spearman correlation of the subset score with the capability score.
    correlation: float
    #: The same for all items.
    full_correlation: float
    reliability: float
    inside_band: bool
    meets_floor: bool


def subset_correlation(values: FloatArray, capability: FloatArray, selected: BoolArray) -> float:
    """Spearman correlation of the subset score (row mean of kept items) with capability."""
    if not selected.any():
        return float("nan")
    r, _ = correlation(row_means(values[:, selected]), capability)
    return r


def select_subset(
    values: npt.ArrayLike,
    capability: npt.ArrayLike,
    *,
    band: float = 0.40,
    aim: float | None = None,
    floor: float = 0.70,
    method: ReliabilityMethod = "alpha",
    min_items: int = 2,
    step: float = 0.01,
) -> SubsetFit:
    """Keep the most items whose subset score has ``|r| < band`` with the capability score.

    Parameters
    ----------
    values : array_like of shape (n_models, n_items)
        Item scores, NaN where missing.
    capability : array_like of shape (n_models,)
    band : float
        The target band: the subset score's Spearman correlation must lie in
        (-band, band). The paper's line for "low" is 0.40.
    aim : float, optional
        Items are removed until the in-sample ``|r|`` is below ``aim`` (default half the
        band), which leaves room for the sampling error of new models.
    floor : float
        Least internal reliability the subset must keep.
    method : {"alpha", "split-half"}
        Reliability coefficient.
    min_items : int
        Stop (unsuccessfully) rather than keep fewer items.
    step : float
        Share of the kept items removed per round (at least one).

    Returns
    -------
    SubsetFit
    """
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(capability, dtype=np.float64)
    target = 0.5 * band if aim is None else aim
    r_item, _ = item_correlations(x, y)
    selected = ~np.isnan(r_item)
    full = subset_correlation(x, y, selected)
    current = full
    while selected.sum() > min_items and not np.isnan(current) and abs(current) >= target:
        kept = np.flatnonzero(selected)
        order = kept[np.argsort(-np.sign(current) * r_item[kept], kind="stable")]
        drop = max(1, int(step * kept.size))
        drop = min(drop, kept.size - min_items)
        selected[order[:drop]] = False
        current = subset_correlation(x, y, selected)
    rel = reliability(x[:, selected], method) if selected.sum() >= 2 else float("nan")
    return SubsetFit(
        selected=selected,
        correlation=current,
        full_correlation=full,
        reliability=rel,
        inside_band=bool(not np.isnan(current) and abs(current) < band),
        meets_floor=bool(not np.isnan(rel) and rel >= floor),
    )


@dataclass(frozen=True)
class CrossFit:
    """Held-out figures of the selection procedure, one entry per (split, direction)."""

    repeat: IntArray
    #: n_train, n_test: Models on each side.
    n_train: IntArray
    n_test: IntArray
    n_selected: IntArray
    #: train_correlation, test_correlation: The subset's correlation on the models it was selected
    #: on, and on the others.
    train_correlation: FloatArray
    test_correlation: FloatArray
    test_reliability: FloatArray
    #: All items' correlation on the held-out models, for comparison.
    test_full_correlation: FloatArray
    selections: tuple[BoolArray, ...]


def cross_fit(
    values: npt.ArrayLike,
    capability: npt.ArrayLike,
    *,
    n_repeats: int = 5,
    seed: int | None = 0,
    band: float = 0.40,
    aim: float | None = None,
    floor: float = 0.70,
    method: ReliabilityMethod = "alpha",
) -> CrossFit:
    """Select on half the models, measure on the other half; both ways, ``n_repeats`` times.

    Only models with a capability score take part; the halves differ in size by at
    most one. The seed fixes the splits.
    """
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(capability, dtype=np.float64)
    usable = np.flatnonzero(~np.isnan(y))
    generator = np.random.default_rng(seed)
    rows: list[tuple[int, int, int, int, float, float, float, float]] = []
    selections: list[BoolArray] = []
    for repeat in range(n_repeats):
        shuffled = generator.permutation(usable)
        half = shuffled.size // 2
        for train, test in ((shuffled[:half], shuffled[half:]), (shuffled[half:], shuffled[:half])):
            fit = select_subset(x[train], y[train], band=band, aim=aim, floor=floor, method=method)
            held = subset_correlation(x[test], y[test], fit.selected)
            everything = subset_correlation(x[test], y[test], np.ones(x.shape[1], dtype=bool))
            rel = (
                reliability(x[test][:, fit.selected], method)
                if fit.selected.sum() >= 2
                else float("nan")
            )
            rows.append(
                (
                    repeat,
                    train.size,
                    test.size,
                    int(fit.selected.sum()),
                    fit.correlation,
                    held,
                    rel,
                    everything,
                )
            )
            selections.append(fit.selected)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 8
    return CrossFit(
        repeat=np.asarray(columns[0], dtype=np.int64),
        n_train=np.asarray(columns[1], dtype=np.int64),
        n_test=np.asarray(columns[2], dtype=np.int64),
        n_selected=np.asarray(columns[3], dtype=np.int64),
        train_correlation=np.asarray(columns[4], dtype=np.float64),
        test_correlation=np.asarray(columns[5], dtype=np.float64),
        test_reliability=np.asarray(columns[6], dtype=np.float64),
        test_full_correlation=np.asarray(columns[7], dtype=np.float64),
        selections=tuple(selections),
    )
