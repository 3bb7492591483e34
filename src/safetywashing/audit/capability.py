"""The capability block of one model class: which models get a score, and PC1.

:func:`capability_rows` chooses the models that get a capability score (those with every
capability benchmark, or with enough of them to impute the rest from the capability block
alone) and completes their block; :func:`first_component` is PC1 of the standardized block,
with every numerical failure turned into an error that names its cause.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from safetywashing.core.config import AuditConfig
from safetywashing.core.errors import InputError, InputWarning
from safetywashing.core.limits import MAX_MAGNITUDE
from safetywashing.core.table import DEFAULT_CLASS, ScoreTable
from safetywashing.stats.impute import impute_pca
from safetywashing.stats.pca import CapabilityComponent, capability_component, standardize

FloatArray = npt.NDArray[np.float64]

#: The fewest models the method works on.
MIN_MODELS = 3

#: Two largest eigenvalues closer than this (relative) are a tie: PC1 is not unique.
TIE_TOLERANCE = 1e-9


def capability_rows(
    name: str,
    model_ids: tuple[str, ...],
    capability_ids: tuple[str, ...],
    block: FloatArray,
    config: AuditConfig,
) -> tuple[
    npt.NDArray[np.bool_],
    FloatArray,
    list[tuple[str, str]],
    tuple[tuple[str, str], ...],
    tuple[int, int, bool],
]:
    """Choose the models that get a capability score and complete their block.

    Returns the row mask, the block (imputed where allowed), the excluded models with
    reasons, the imputed cells, and (min_observed, iterations, converged).
    """
    k = len(capability_ids)
    kind = "" if name == DEFAULT_CLASS else f"{name} "
    observed = (~np.isnan(block)).sum(axis=1)
    imputing = config.impute == "pca"
    if imputing:
        # Default: a quarter of the capability benchmarks, at least 2 (from the
        # error-vs-threshold curve in benchmarks/bench_imputation.py).
        minimum = config.min_observed if config.min_observed is not None else max(2, -(-k // 4))
        keep = observed >= minimum
    else:
        minimum = k
        keep = observed == k
    excluded: list[tuple[str, str]] = []
    for row in np.flatnonzero(~keep):
        missing = [capability_ids[j] for j in np.flatnonzero(np.isnan(block[row]))]
        reason = f"missing capability benchmark{'s' if len(missing) > 1 else ''} " + ", ".join(
            missing
        )
        if imputing:
            reason += f" (has {int(observed[row])} of {k}; imputation needs at least {minimum})"
        excluded.append((model_ids[row], reason))
        warnings.warn(
            f"Model '{model_ids[row]}' ({name}) is left out of the capability score: {reason}.",
            InputWarning,
            stacklevel=4,
        )
    n_kept = int(keep.sum())
    if n_kept < MIN_MODELS:
        which = (
            f"at least {minimum} of the {k} capability benchmarks"
            if imputing and minimum < k
            else "every capability benchmark"
        )
        raise InputError(
            f"Only {n_kept} {kind}model{'s' if n_kept != 1 else ''} "
            f"ha{'ve' if n_kept != 1 else 's'} {which}; the method needs at least {MIN_MODELS} "
            "(add models or drop capability benchmarks with gaps)."
        )
    kept = block[keep]
    _, _, std = standardize(kept)
    kept_observed = (~np.isnan(kept)).sum(axis=0)
    for position, benchmark_id in enumerate(capability_ids):
        if kept_observed[position] == 0:
            raise InputError(
                f"Capability benchmark '{benchmark_id}' has no scores for the {n_kept} "
                f"{kind}models with at least {minimum} of the {k} capability benchmarks, so "
                "it cannot be imputed; drop it from the capability benchmarks or add scores."
            )
        if not std[position] > 0:
            some = (
                ""
                if kept_observed[position] == n_kept
                else f" that has it ({int(kept_observed[position])} of {n_kept})"
            )
            raise InputError(
                f"Capability benchmark '{benchmark_id}' has the same score for every {kind}"
                f"model{some}, so it carries no information; drop it from the capability "
                "benchmarks."
            )
    if not imputing or not np.isnan(kept).any():
        return keep, block, excluded, (), (minimum, 0, True)
    run = impute_pca(
        kept,
        rank=config.impute_rank,
        tolerance=config.impute_tolerance,
        max_iter=config.impute_max_iter,
    )
    completed = np.array(block, dtype=np.float64)
    completed[keep] = run.completed
    kept_rows = np.flatnonzero(keep)
    cells: list[tuple[str, str]] = []
    for local_row, column in zip(*np.nonzero(run.missing), strict=True):
        cells.append((model_ids[kept_rows[local_row]], capability_ids[column]))
    per_model: dict[str, list[str]] = {}
    for model, benchmark in cells:
        per_model.setdefault(model, []).append(benchmark)
    for model, filled in per_model.items():
        warnings.warn(
            f"Model '{model}' ({name}) has {len(filled)} imputed capability "
            f"value{'s' if len(filled) > 1 else ''} ({', '.join(filled)}), filled by rank-"
            f"{config.impute_rank} iterative PCA of the capability benchmarks.",
            InputWarning,
            stacklevel=4,
        )
    if not run.converged:
        warnings.warn(
            f"The imputation of the {name} capability benchmarks stopped after "
            f"{run.iterations} iterations without converging (last relative change "
            f"{run.change:.2e}); raise the iteration cap (impute_max_iter) or use "
            "impute='none' (--impute none).",
            InputWarning,
            stacklevel=4,
        )
    return keep, completed, excluded, tuple(cells), (minimum, run.iterations, run.converged)


def first_component(
    name: str, capability_ids: tuple[str, ...], z: FloatArray, matrix: str
) -> CapabilityComponent:
    """PC1 of the standardized block; a numerical failure is an error naming its cause."""
    kind = "" if name == DEFAULT_CLASS else f"{name} "
    cause = ""
    component = None
    if not np.isfinite(z).all():
        cause = "their standardized scores are not finite"
    else:
        try:
            with np.errstate(all="ignore"):
                component = capability_component(z, kind=matrix)  # type: ignore[arg-type]
        except np.linalg.LinAlgError as error:
            cause = f"the eigen-decomposition failed ({error})"
        else:
            values = component.eigenvalues
            if not (
                np.isfinite(component.matrix).all()
                and np.isfinite(component.loadings).all()
                and np.isfinite(component.scores).all()
            ):
                cause = f"their {matrix} matrix or its first component is not finite"
            elif values.size > 1 and values[0] - values[1] <= TIE_TOLERANCE * abs(values[0]):
                # A tie for the largest eigenvalue: any unit vector of its plane is a first
                # component, and which one comes out depends on the order of the rows.
                cause = (
                    f"the two largest eigenvalues of their {matrix} matrix are equal "
                    f"({values[0]:.4g} and {values[1]:.4g}), so the first component is not "
                    "unique"
                )
    if component is None or cause:
        raise InputError(
            f"The capability score of the {kind}models cannot be computed: {cause} "
            f"(capability benchmarks {', '.join(capability_ids)}); check those columns for "
            "extreme or near-constant values, or add models."
        )
    return component


def check_range(name: str, table: ScoreTable, values: FloatArray) -> None:
    """Refuse a score or compute figure outside the documented range, naming the cell."""
    for label, column_values, ids in (
        ("score", values, table.benchmark_ids),
        ("training compute", np.asarray(table.flop, dtype=np.float64)[:, None], ("compute",)),
    ):
        # The extremes ignoring NaN first: no temporary the size of the panel unless a
        # cell is out of range, and then only to name it.
        highest = np.fmax.reduce(column_values, axis=None)
        lowest = np.fmin.reduce(column_values, axis=None)
        if not (highest > MAX_MAGNITUDE or lowest < -MAX_MAGNITUDE):
            continue
        with np.errstate(invalid="ignore"):
            bad = ~(np.isnan(column_values) | (np.abs(column_values) <= MAX_MAGNITUDE))
        if bad.any():
            row, column = (int(i[0]) for i in np.nonzero(bad))
            raise InputError(
                f"Model '{table.model_ids[row]}' ({name}), {label} '{ids[column]}': "
                f"{column_values[row, column]:g} is beyond the supported range (a finite "
                f"value of magnitude at most {MAX_MAGNITUDE:.0e}); fix the cell or rescale "
                "the column."
            )


def covariance_to_correlation(covariance: FloatArray) -> FloatArray:
    scale = np.sqrt(np.diag(covariance))
    return np.asarray(covariance / np.outer(scale, scale), dtype=np.float64)
