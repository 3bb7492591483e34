"""Inside a benchmark: which items carry its capabilities correlation, and a subset without.

:func:`analyse_items` correlates every item of a benchmark with the capability score of
a reference panel (point-biserial for 0/1 items, Spearman for graded ones), with
bootstrap intervals over models, Benjamini-Hochberg flags, a two-parameter logistic fit
per item and the share of the benchmark's variance the capability score explains.
:func:`select_items` finds the largest subset whose score has a capabilities correlation
inside a band while keeping an internal reliability floor, validated by cross-fitting
over models. :func:`capability_for` places the item table's models on a panel.

Examples
--------
>>> from safetywashing.items.simulate import simulate_items
>>> from safetywashing.audit.compute import audit
>>> sim = simulate_items(n_models=30, n_items=200, rng=2)
>>> scores = audit(sim.panel.table).classes[0].capability_scores
>>> result = analyse_items(sim.values, scores, item_ids=sim.item_ids, benchmark="syn")
>>> result.r.shape
(200,)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields

import numpy as np
import numpy.typing as npt

from safetywashing.core.errors import InputError, name_list
from safetywashing.core.limits import MAX_REPEATS
from safetywashing.core.progress import ProgressCallback, report_to
from safetywashing.items.result import ItemAnalysis, ItemSubset
from safetywashing.items.table import ItemMatrix
from safetywashing.stats.correlation import correlation, pearson
from safetywashing.stats.irt import fit_2pl
from safetywashing.stats.items import (
    binary_columns,
    bootstrap_benchmark_correlation,
    bootstrap_item_correlations,
    fisher_p_values,
    item_correlations,
)
from safetywashing.stats.multiple import adjust
from safetywashing.stats.reliability import RELIABILITY_METHODS, ReliabilityMethod, row_means
from safetywashing.stats.subset import cross_fit, select_subset
from safetywashing.uncertainty.settings import check_count, root_seed

FloatArray = npt.NDArray[np.float64]

#: Fewest models with a capability score and item results the analysis accepts.
MIN_MODELS = 5


def capability_for(
    matrix: ItemMatrix,
    panel: object,
    *,
    model_class: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> tuple[FloatArray, tuple[str, ...], str]:
    """Each item-table model's capability score in a panel class (NaN if unmatched).

    Parameters
    ----------
    matrix : ItemMatrix
    panel : Panel
        A reference panel (:func:`safetywashing.panels.resolve_panel`).
    model_class : str, optional
        The panel class; default: the class that matches most models.
    aliases : mapping, optional
        Name in the item table -> panel model id.

    Returns
    -------
    scores : ndarray of shape (n_models,)
    unmatched : tuple of str
    model_class : str
    """
    from safetywashing.io.tables.names import match_names
    from safetywashing.panels.model import Panel

    if not isinstance(panel, Panel):
        raise TypeError("capability_for expects a Panel")
    classes = [panel[model_class]] if model_class is not None else list(panel.classes)
    best = None
    for part in classes:
        report = match_names(
            matrix.model_ids,
            part.model_ids,
            panel_names=[m.name for m in part.models],
            aliases=aliases,
        )
        if best is None or len(report.matches) > len(best[1].matches):
            best = (part, report)
    assert best is not None  # a panel has at least one class
    part, report = best
    by_id = {m.id: m.capability_score for m in part.models}
    mapping = report.mapping()
    scores = np.asarray(
        [by_id.get(mapping.get(name, ""), np.nan) for name in matrix.model_ids], dtype=np.float64
    )
    return scores, tuple(u.name for u in report.unmatched), part.model_class


def _usable(values: FloatArray, capability: FloatArray) -> np.ndarray:
    keep = ~np.isnan(capability) & (~np.isnan(values)).any(axis=1)
    if keep.sum() < MIN_MODELS:
        raise InputError(
            f"Only {int(keep.sum())} models have both item results and a capability score; "
            f"the item analysis needs at least {MIN_MODELS}",
            remedy="match more models to the panel (check the names, or give an alias file)",
        )
    return keep


def check_settings(*, n_resamples: int = 0, seed: int | None = None, n_repeats: int = 5) -> int:
    """Check the counts and the seed of the item analysis before any work; the resamples.

    Raises
    ------
    InputError
        For a negative count or seed, more than :data:`MAX_RESAMPLES` resamples, no
        halving or more than :data:`MAX_REPEATS` of them.
    """
    resamples = check_count(n_resamples, "n_resamples", "bootstrap resamples", allow_zero=True)
    root_seed(seed)
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 1:
        raise InputError(f"n_repeats={n_repeats} gives no cross-fitting", param="n_repeats")
    if n_repeats > MAX_REPEATS:
        raise InputError(
            f"n_repeats={n_repeats} asks for more halvings than the {MAX_REPEATS} allowed",
            param="n_repeats",
            remedy=f"give at most n_repeats={MAX_REPEATS} (n_repeats=5 is usual)",
        )
    return resamples


def analyse_items(
    values: npt.ArrayLike,
    capability: npt.ArrayLike,
    *,
    item_ids: Sequence[str] | None = None,
    model_ids: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    benchmark: str = "benchmark",
    n_resamples: int = 0,
    confidence: float = 0.95,
    fdr: float = 0.05,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    coverage: Sequence[tuple[str, int]] = (),
    unmatched: Sequence[str] = (),
    panel: str = "",
    model_class: str = "",
) -> ItemAnalysis:
    """Rank a benchmark's items by their capabilities correlation.

    Parameters
    ----------
    values : array_like of shape (n_models, n_items)
        Item scores (0/1 or graded), NaN where missing.
    capability : array_like of shape (n_models,)
        The capability score of each model; NaN leaves the model out.
    item_ids, model_ids, categories : sequence of str, optional
    benchmark : str
    n_resamples : int
        Bootstrap resamples of models for the intervals (0: none).
    confidence : float
    fdr : float
        False discovery rate of the flags (Benjamini-Hochberg over the items).
    seed : int, optional
        Fixes the bootstrap's resamples.
    progress : callable, optional
        ``progress(stage, done, total)``.

    Returns
    -------
    ItemAnalysis
    """
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(capability, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise InputError(
            f"values has shape {x.shape} and capability {y.shape}; give one capability score "
            "per row of values",
            param="capability",
        )
    n_resamples = check_settings(n_resamples=n_resamples, seed=seed)
    if not 0.0 < fdr < 1.0:
        raise InputError(f"fdr={fdr} is not a rate in (0, 1)", param="fdr", remedy="give fdr=0.05")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence={confidence} is not in (0, 1)", param="confidence")
    k = x.shape[1]
    ids = tuple(item_ids) if item_ids is not None else tuple(f"item-{j}" for j in range(k))
    models = (
        tuple(model_ids)
        if model_ids is not None
        else tuple(f"model-{i}" for i in range(x.shape[0]))
    )
    cats = tuple(categories) if categories is not None else ("",) * k
    if len(ids) != k or len(cats) != k or len(models) != x.shape[0]:
        raise InputError("item_ids, categories and model_ids must match the shape of values")
    keep = _usable(x, y)
    x, y = x[keep], y[keep]
    models = tuple(m for m, kept in zip(models, keep, strict=True) if kept)
    graded = ~binary_columns(x)
    r, n = item_correlations(x, y, graded)
    low = np.full(k, np.nan)
    high = np.full(k, np.nan)
    benchmark_interval = (float("nan"), float("nan"))
    if n_resamples:
        benchmark_interval = bootstrap_benchmark_correlation(
            x, y, n_resamples=n_resamples, confidence=confidence, seed=seed
        )
        low, high = bootstrap_item_correlations(
            x,
            y,
            graded,
            n_resamples=n_resamples,
            confidence=confidence,
            seed=seed,
            progress=report_to(progress, "bootstrap over models"),
        )
    p = fisher_p_values(r, n, spearman=graded)
    q = adjust(p, "bh")
    flag = tuple(
        ("entangled" if rj > 0 else "inverse") if (qj < fdr) else ""
        for rj, qj in zip(r, np.where(np.isnan(q), 1.0, q), strict=True)
    )
    present = ~np.isnan(x)
    maximum = np.where(present, x, -np.inf).max(axis=0)
    scale = np.where(np.isfinite(maximum) & (maximum > 0), maximum, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_score = np.where(present, x, 0.0).sum(axis=0) / present.sum(axis=0) / scale
    theta = (y - y.mean()) / y.std() if y.std() > 0 else y - y.mean()
    discrimination, difficulty, _ = fit_2pl(np.clip(x / scale, 0.0, 1.0), theta)
    total = row_means(x)
    benchmark_r, _ = correlation(total, y)
    both = ~np.isnan(total)
    linear = pearson(total[both], y[both])
    item_var = np.nanvar(x, axis=0)
    weights = np.where(np.isnan(r) | np.isnan(item_var), 0.0, item_var)
    share = (
        float((weights * np.nan_to_num(r) ** 2).sum() / weights.sum())
        if weights.sum() > 0
        else float("nan")
    )
    # The item-level share uses each item's own coefficient: for graded items the
    # Spearman coefficient stands in for the Pearson one.
    return ItemAnalysis(
        benchmark=benchmark,
        model_ids=models,
        capability=y,
        item_ids=ids,
        categories=cats,
        graded=graded,
        n=n,
        r=r,
        ci_low=low,
        ci_high=high,
        p_value=p,
        q_value=q,
        flag=flag,
        mean_score=mean_score,
        discrimination=discrimination,
        difficulty=difficulty,
        benchmark_correlation=benchmark_r,
        benchmark_ci_low=benchmark_interval[0],
        benchmark_ci_high=benchmark_interval[1],
        variance_share=float(linear**2) if not np.isnan(linear) else float("nan"),
        item_variance_share=share,
        fdr=fdr,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        coverage=tuple(coverage),
        unmatched=tuple(unmatched),
        panel=panel,
        model_class=model_class,
    )


def select_items(
    values: npt.ArrayLike,
    capability: npt.ArrayLike,
    *,
    item_ids: Sequence[str] | None = None,
    benchmark: str = "benchmark",
    band: float = 0.40,
    aim: float | None = None,
    floor: float = 0.70,
    reliability: ReliabilityMethod = "alpha",
    n_repeats: int = 5,
    seed: int | None = 0,
) -> ItemSubset:
    """The largest item subset whose score lies inside the band, validated by cross-fitting.

    Parameters
    ----------
    values : array_like of shape (n_models, n_items)
    capability : array_like of shape (n_models,)
    item_ids : sequence of str, optional
    benchmark : str
    band : float
        Target: the subset score's capabilities correlation in (-band, band); the
        paper's line is 0.40.
    aim : float, optional
        In-sample target of the selection (default half the band; see
        :func:`safetywashing.stats.subset.select_subset`).
    floor : float
        Least internal reliability of the subset.
    reliability : {"alpha", "split-half"}
    n_repeats : int
        Random halvings of the models for cross-fitting (each used both ways).
    seed : int, optional
        Fixes the halvings.

    Returns
    -------
    ItemSubset
    """
    if not 0.0 < band <= 1.0:
        raise InputError(f"band={band} is not in (0, 1]", param="band", remedy="give band=0.40")
    if aim is not None and not 0.0 < aim <= band:
        raise InputError(f"aim={aim} is not in (0, band]", param="aim")
    if not -1.0 <= floor <= 1.0:
        raise InputError(
            f"floor={floor} is not a reliability", param="floor", remedy="give floor=0.70"
        )
    if reliability not in RELIABILITY_METHODS:
        raise InputError(
            f"reliability='{reliability}' is not one of {name_list(RELIABILITY_METHODS)}",
            param="reliability",
        )
    check_settings(seed=seed, n_repeats=n_repeats)
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(capability, dtype=np.float64)
    keep = _usable(x, y)
    x, y = x[keep], y[keep]
    ids = tuple(item_ids) if item_ids is not None else tuple(f"item-{j}" for j in range(x.shape[1]))
    fit = select_subset(x, y, band=band, aim=aim, floor=floor, method=reliability)
    folds = cross_fit(
        x, y, n_repeats=n_repeats, seed=seed, band=band, aim=aim, floor=floor, method=reliability
    )
    held_out = (
        "train_correlation",
        "test_correlation",
        "test_reliability",
        "test_full_correlation",
    )
    return ItemSubset(
        benchmark=benchmark,
        item_ids=ids,
        reliability_method=reliability,
        band=band,
        aim=0.5 * band if aim is None else aim,
        floor=floor,
        n_selected_folds=folds.n_selected,
        n_repeats=n_repeats,
        seed=seed,
        # The selection on all models, and its cross-fitted check, as the kernels give them.
        **{f.name: getattr(fit, f.name) for f in fields(fit)},
        **{name: getattr(folds, name) for name in held_out},
    )
