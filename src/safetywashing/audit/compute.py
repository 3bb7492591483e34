"""The audit: the Safetywashing method, end to end, on a score table.

This module is the one place that orchestrates the method (``DESIGN.md``, "The method"):

1. Analyse each model class (e.g. base, chat) separately unless asked to pool.
2. Standardize the capability benchmarks (ddof = 0) over the models with a capability
   score: those that have all of them and, with ``impute="pca"`` (the default), those
   whose gaps are imputed from the capability block alone; any other model with a gap
   is left out of the capability score, with a warning naming it (never misaligned).
3. PC1 of the Spearman correlation matrix of the capability benchmarks (Pearson or
   covariance on request); the sign makes the score rise with capability.
4. Each benchmark's capabilities correlation (Spearman by default) with the capability
   score, over the models that have both (pairwise deletion; n reported); a benchmark
   with a reference column is correlated with that column instead.
5. Each benchmark's and the capability score's correlation with training FLOP.

The result types live in :mod:`safetywashing.audit.result`; each class result keeps the
arrays prepared here (:class:`~safetywashing.audit.result.PreparedClass`) for the analyses
that refit them.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from safetywashing.audit.capability import (
    MIN_MODELS,
    capability_rows,
    check_range,
    covariance_to_correlation,
    first_component,
)
from safetywashing.audit.coverage import class_coverage
from safetywashing.audit.prepared import PreparedClass
from safetywashing.audit.result import (
    CAPABILITY_SCORE,
    AuditResult,
    BenchmarkResult,
    ClassAudit,
)
from safetywashing.core.config import AuditConfig
from safetywashing.core.errors import InputError, InputNotice, InputWarning, suggestion
from safetywashing.core.table import DEFAULT_CLASS, ScoreTable
from safetywashing.stats.correlation import correlate_columns_each, correlation
from safetywashing.stats.pca import (
    mean_offdiagonal,
    standardize,
)
from safetywashing.stats.ranks import snap_ties

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]

#: What :func:`audit` accepts as its data.
AuditInput: TypeAlias = "ScoreTable | pd.DataFrame | str | os.PathLike[str]"


def as_table(data: AuditInput) -> ScoreTable:
    """A :class:`ScoreTable` from a table, a pandas DataFrame, or a scores file path.

    Parameters
    ----------
    data : ScoreTable, pandas.DataFrame, str or path-like
        A DataFrame is wide (a ``model`` column or a named index, one column per
        benchmark) or long (``model``, ``benchmark``, ``score``); a path is read with
        :func:`~safetywashing.io.tables.readers.read_scores` (CSV, TSV, Parquet).

    Raises
    ------
    InputError
        For anything else, or for a table the readers refuse.
    """
    if isinstance(data, ScoreTable):
        return data
    if isinstance(data, str | os.PathLike):
        from safetywashing.io.tables.readers import read_scores

        return read_scores(os.fspath(data))
    if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
        from safetywashing.io.tables.readers import read_frame

        _check_cells(data)
        return read_frame(data)
    raise InputError(
        f"data is a {type(data).__name__}; give a ScoreTable, a pandas DataFrame or the path "
        "of a scores file",
        param="data",
    )


def _check_cells(frame: pd.DataFrame) -> None:
    """Refuse a cell no table can hold (a dict, a list) before the frame is read.

    Raises
    ------
    InputError
        Naming the column, the row and what the cell is.
    """
    for column in frame.columns:
        series = frame[column]
        if series.dtype != object:
            continue
        for position, value in enumerate(series.to_numpy()):
            try:
                hash(value)
            except TypeError:
                raise InputError(
                    f"data, row {position + 1}, column {str(column)!r}: the cell is a "
                    f"{type(value).__name__}, not a score or a name",
                    param="data",
                    remedy="give one number (or text, for a name column) per cell, e.g. by "
                    "expanding the column with pandas.json_normalize",
                ) from None


def audit(
    data: AuditInput,
    config: AuditConfig | None = None,
    /,
    **options: Any,
) -> AuditResult:
    """Run the Safetywashing audit on a score table.

    Parameters
    ----------
    data : ScoreTable, pandas.DataFrame, str or path-like
        Scores with benchmark roles (capability / safety / ignore) and model metadata;
        a DataFrame or a file path is read first (see :func:`as_table`).
    config : AuditConfig, optional
        All settings at once; or give them as keywords (not both).
    **options
        Fields of :class:`~safetywashing.core.config.AuditConfig`: ``capabilities``,
        ``method`` ("spearman", "pearson", "kendall"), ``matrix`` ("spearman",
        "pearson", "covariance"), ``model_class``, ``pool_classes``, ``preset`` (e.g.
        "paper": its capability benchmarks, areas and references), ``threshold`` (the
        decision line, 0.40), ``impute`` ("pca" fills capability gaps by iterative PCA
        of the capability block, never of safety columns; "none" leaves such models
        out), ``impute_rank``, ``min_observed``, ``impute_tolerance``,
        ``impute_max_iter``. Every imputed cell is recorded in the result.

    Returns
    -------
    AuditResult

    Raises
    ------
    InputError
        An unknown setting, no capability benchmarks, an unknown one, a constant or
        all-missing capability column, or fewer than 3 models with a capability score.

    Examples
    --------
    >>> from safetywashing import load_demo_panel
    >>> result = audit(load_demo_panel())
    >>> result.class_names
    ('base', 'chat')
    >>> 0.0 < result["chat"].variance_explained <= 1.0
    True
    """
    if config is not None and options:
        raise InputError(
            f"Both config and keyword settings ({', '.join(options)}) are given",
            param="config",
            remedy="put every setting in the AuditConfig, or give keywords only",
        )
    if config is not None and not isinstance(config, AuditConfig):
        raise InputError(
            f"config is a {type(config).__name__}, not an AuditConfig",
            param="config",
            remedy="build one with AuditConfig(...) or give the settings as keywords",
        )
    if config is None:
        config = AuditConfig.from_options(options)
    table = as_table(data)
    if config.preset is not None:
        from safetywashing.datasets.presets import get_preset

        chosen_preset = get_preset(config.preset)
        table = chosen_preset.apply(table)
        if config.capabilities is None:
            config = replace(config, capabilities=tuple(chosen_preset.capabilities))
    capability_ids = _capability_ids(table, config.capabilities)
    _check_capability_settings(config, len(capability_ids))
    if config.capabilities is not None:
        table = _with_capability_roles(table, capability_ids)
    if config.model_class is not None:
        groups = [(config.model_class, table.select_class(config.model_class))]
    elif config.pool_classes:
        groups = [("all" if len(table.classes()) > 1 else table.classes()[0], table)]
    else:
        groups = [(name, table.select_class(name)) for name in table.classes()]
    groups, class_notes = _classes_to_audit(groups)
    collected: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        classes = tuple(_audit_class(name, group, capability_ids, config) for name, group in groups)
    for item in caught:
        if issubclass(item.category, InputWarning):
            collected.append(str(item.message))
        warnings.warn_explicit(
            item.message, item.category, item.filename, item.lineno, source=item.source
        )
    for note in class_notes:
        warnings.warn(note, InputNotice, stacklevel=2)
    _, flipped = table.oriented()
    return AuditResult(
        config=config,
        classes=classes,
        flipped=flipped,
        sources=tuple((s.path, s.sha256) for s in table.sources),
        synthetic=table.synthetic,
        warnings=tuple(collected),
        notes=table.notes + tuple(class_notes),
        compute_kind=table.compute_kind,
    )


def _classes_to_audit(
    groups: list[tuple[str, ScoreTable]],
) -> tuple[list[tuple[str, ScoreTable]], list[str]]:
    """The classes to audit, and a note for each class left out or benchmark not audited.

    Among several classes, one with fewer than ``MIN_MODELS`` models is left out (a
    leaderboard's handful of "other" models must not end the run); a benchmark with no
    score for a class's models (a chat-only leaderboard in a base class) is not part of
    that class's audit. Each is said in a note naming the class.
    """
    notes: list[str] = []
    if len(groups) > 1:
        small = [(name, group) for name, group in groups if len(group.models) < MIN_MODELS]
        if len(small) < len(groups):
            for name, group in small:
                n = len(group.models)
                notes.append(
                    f"the class '{name}' is not audited: it has {n} model{'s' if n > 1 else ''} "
                    f"({', '.join(repr(m) for m in group.model_ids)}) and the method needs at "
                    f"least {MIN_MODELS} (analyse it with others using --pool)."
                )
            groups = [(name, group) for name, group in groups if len(group.models) >= MIN_MODELS]
    for name, group in groups:
        empty = np.asarray(np.isnan(group.values).all(axis=0), dtype=bool)
        unscored = [b.id for j, b in enumerate(group.benchmarks) if empty[j] and b.role != "ignore"]
        if unscored:
            kind = "" if name == DEFAULT_CLASS else f"the class '{name}': "
            many = len(unscored) > 1
            notes.append(
                f"{kind}{len(unscored)} benchmark{'s have' if many else ' has'} no score for "
                f"{'its' if kind else 'any'} models and {'are' if many else 'is'} not audited "
                f"({', '.join(repr(b) for b in unscored)})."
            )
    return groups, notes


def resolve_audit(source: AuditResult | AuditInput, options: dict[str, Any]) -> AuditResult:
    """The audit an analysis works on: ``source`` itself, or the audit of ``source``.

    Parameters
    ----------
    source : AuditResult, ScoreTable, pandas.DataFrame or path
        A finished audit, or data to audit with ``options``.
    options : dict
        Settings of :func:`~safetywashing.audit.compute.audit`; only with data.
    """
    if isinstance(source, AuditResult):
        if options:
            raise InputError(
                f"Audit settings ({', '.join(options)}) are given with a finished audit",
                param="source",
                remedy="pass the data instead of the result, or drop the settings",
            )
        return source
    return audit(source, **options)


def require_spearman(result: AuditResult, analysis: str, *, plural: bool = False) -> None:
    """Refuse an analysis that refits Spearman correlations for a non-Spearman audit.

    Parameters
    ----------
    result : AuditResult
    analysis : str
        What refuses, as the message names it ("the bootstrap").
    plural : bool, default False
        Whether ``analysis`` is plural ("the robustness variants").
    """
    if result.config.method != "spearman":
        raise InputError(
            f"{analysis[0].upper()}{analysis[1:]} support{'' if plural else 's'} the Spearman "
            f"correlation only; the audit used method={result.config.method!r}",
            param="method",
            remedy=f"audit with method='spearman' or do without {analysis}",
        )


def _check_capability_settings(config: AuditConfig, k: int) -> None:
    if k < 2:
        raise InputError(
            f"Only {k} capability benchmark is given; the capability score needs at least two",
            param="capabilities",
            remedy="name them with capabilities=[...]",
        )
    if config.impute == "pca" and config.impute_rank >= k:
        raise InputError(
            f"impute_rank={config.impute_rank} is not below the number of capability "
            f"benchmarks ({k})",
            param="impute_rank",
            remedy=f"use impute_rank=1 (it must be at most {k - 1})",
        )
    if config.min_observed is not None and config.min_observed > k:
        raise InputError(
            f"min_observed={config.min_observed} exceeds the {k} capability benchmarks",
            param="min_observed",
            remedy=f"lower min_observed (at most {k})",
        )


def _capability_ids(table: ScoreTable, requested: tuple[str, ...] | None) -> tuple[str, ...]:
    ids = table.benchmark_ids
    if requested is None:
        chosen = tuple(b.id for b in table.benchmarks if b.role == "capability")
        if not chosen:
            from safetywashing.datasets.presets import PAPER_CAPABILITIES

            if set(PAPER_CAPABILITIES) <= set(ids):
                raise InputError(
                    f"No capability benchmarks are given, and these scores hold the paper's "
                    f"{len(PAPER_CAPABILITIES)} capability benchmarks "
                    f"({', '.join(PAPER_CAPABILITIES)})",
                    param=("capabilities", "preset"),
                    remedy="use preset='paper' to take them (or name others with "
                    "capabilities=[...])",
                )
            raise InputError(
                "No capability benchmarks are given",
                param=("capabilities", "preset"),
                remedy="name them with capabilities=[...], use preset='paper', or set "
                "role=capability in the benchmark metadata file",
            )
        return chosen
    if not requested:
        raise InputError(
            "The list of capability benchmarks is empty",
            param="capabilities",
            remedy="name at least two with capabilities=[...]",
        )
    seen: set[str] = set()
    for name in requested:
        if name not in ids:
            raise InputError(
                f"Capability benchmark '{name}' is not a column of the scores"
                f"{suggestion(name, ids)}",
                param="capabilities",
                remedy="check the spelling in capabilities",
            )
        if name in seen:
            raise InputError(
                f"Capability benchmark '{name}' is listed twice in capabilities",
                param="capabilities",
                remedy="name each benchmark once",
            )
        seen.add(name)
    return tuple(requested)


def _with_capability_roles(table: ScoreTable, capability_ids: tuple[str, ...]) -> ScoreTable:
    chosen = set(capability_ids)
    return table.with_benchmarks(
        replace(b, role="capability")
        if b.id in chosen
        else (replace(b, role="safety") if b.role == "capability" else b)
        for b in table.benchmarks
    )


def _audit_class(
    name: str, table: ScoreTable, capability_ids: tuple[str, ...], config: AuditConfig
) -> ClassAudit:
    values, flipped = table.oriented()
    check_range(name, table, values)
    flipped_set = set(flipped)
    model_ids = table.model_ids
    kind = "" if name == DEFAULT_CLASS else f"{name} "
    capability_columns = [table.benchmark_index(b) for b in capability_ids]
    capability_block = values[:, capability_columns]
    for position, benchmark_id in enumerate(capability_ids):
        column = capability_block[:, position]
        present = column[~np.isnan(column)]
        if present.size == 0:
            raise InputError(
                f"Capability benchmark '{benchmark_id}' has no scores for the {kind}models; "
                "drop it from the capability benchmarks or add scores."
            )
    complete, capability_block, excluded, imputed_cells, run = capability_rows(
        name, model_ids, capability_ids, capability_block, config
    )
    if config.standardize == "available":  # every model that has the benchmark
        _, capability_mean, std = standardize(values[:, capability_columns])
        z_complete = (capability_block[complete] - capability_mean) / std
    else:
        z_complete, capability_mean, std = standardize(capability_block[complete])
    component = first_component(name, capability_ids, z_complete, config.matrix)
    scores = np.full(len(model_ids), np.nan)
    scores[complete] = component.scores
    mean_corr, std_corr = mean_offdiagonal(
        component.matrix
        if config.matrix != "covariance"
        else covariance_to_correlation(component.matrix)
    )
    flop = np.asarray(table.flop, dtype=np.float64)
    # Correlated as ranks, models with the same capability block tie whatever the order of
    # the columns (the stored scores are left as computed).
    compared = snap_ties(scores)
    score_compute, score_compute_n = correlation(compared, flop, config.method)

    # A benchmark with no score in this class (e.g. a chat-only leaderboard when auditing
    # base models from a combined table) is not part of this class's audit.
    has_scores = np.asarray(~np.isnan(values).all(axis=0), dtype=bool)
    reported = [j for j, b in enumerate(table.benchmarks) if b.role != "ignore" and has_scores[j]]
    # Every column reported (the usual case): the column-major scores themselves, the
    # layout that selecting the columns would give, without copying a large panel.
    reported_values = (
        values
        if len(reported) == values.shape[1] and values.flags.f_contiguous
        else values[:, reported]
    )
    (capability_r, capability_n), (compute_r, compute_n) = correlate_columns_each(
        [compared, flop], reported_values, config.method
    )
    results: list[BenchmarkResult] = []
    references: list[FloatArray | None] = []
    for position, column_index in enumerate(reported):
        info = table.benchmarks[column_index]
        r = float(capability_r[position])
        n = int(capability_n[position])
        correlated_with = CAPABILITY_SCORE
        references.append(None)
        if info.reference is not None:
            reference = values[:, table.benchmark_index(info.reference)]
            r, n = correlation(reference, values[:, column_index], config.method)
            correlated_with = info.reference
            references[-1] = reference
        results.append(
            BenchmarkResult(
                id=info.id,
                name=info.name,
                metric=info.metric,
                role=info.role,
                area=info.area or ("Capabilities" if info.role == "capability" else "Other"),
                direction=info.direction,
                flipped=info.id in flipped_set,
                correlated_with=correlated_with,
                n=n,
                capabilities_correlation=r,
                n_compute=int(compute_n[position]),
                compute_correlation=float(compute_r[position]),
                note=_why_missing(values[:, column_index], n, r),
            )
        )
    return ClassAudit(
        model_class=name,
        model_ids=model_ids,
        model_names=tuple(m.name for m in table.models),
        capability_benchmarks=capability_ids,
        capability_model_ids=tuple(model_ids[i] for i in np.flatnonzero(complete)),
        excluded_models=tuple(excluded),
        component=component,
        mean_capability_correlation=mean_corr,
        std_capability_correlation=std_corr,
        capability_scores=scores,
        score_compute_correlation=score_compute,
        score_compute_n=score_compute_n,
        benchmarks=tuple(results),
        prepared=PreparedClass(
            model_class=name,
            models=table.models,
            capability_benchmarks=capability_ids,
            capability=capability_block,
            scored=complete,
            capability_mean=capability_mean,
            capability_std=std,
            benchmark_ids=tuple(table.benchmarks[j].id for j in reported),
            targets=reported_values,
            references=tuple(references),
            flop=flop,
            matrix=config.matrix,
        ),
        imputed_cells=imputed_cells,
        coverage=class_coverage(
            table,
            capability_ids,
            imputed_cells=imputed_cells,
            excluded=excluded,
            impute=config.impute,
            rank=config.impute_rank if config.impute == "pca" else 0,
            min_observed=run[0],
            iterations=run[1],
            converged=run[2],
        ),
        rule=config.rule,
    )


def _why_missing(column: FloatArray, n: int, r: float) -> str:
    if not math.isnan(r):
        return ""
    present = column[~np.isnan(column)]
    if present.size == 0:
        return "no scores in this class"
    if n < MIN_MODELS:
        return f"only {n} models have both scores"
    if np.all(present == present[0]):
        return "same score for every model"
    return "correlation undefined"
