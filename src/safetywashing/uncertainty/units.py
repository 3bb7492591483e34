"""What a refit resamples: models or whole model families, and the basis it needs.

A bootstrap needs :data:`MIN_BOOTSTRAP_MODELS` scored models per class; resampling by
family needs a family for every model and at least :data:`MIN_CLUSTERS` families, and
fewer than :data:`WARN_CLUSTERS` draw a warning. The refits (bootstrap resamples,
leave-one-family-out) standardize over the models with a capability score, which
:func:`require_complete_basis` checks the audit did too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.core.errors import InputError
from safetywashing.core.table import DEFAULT_CLASS
from safetywashing.uncertainty.settings import MIN_CLUSTERS, WARN_CLUSTERS, Cluster

IntArray = npt.NDArray[np.int64]

MIN_BOOTSTRAP_MODELS = 5

__all__ = [
    "MIN_BOOTSTRAP_MODELS",
    "among",
    "cluster_ids",
    "require_complete_basis",
    "require_models",
    "resampled_units",
]


def among(model_class: str) -> str:
    """`` among the chat models`` for a message, or nothing for the one default class."""
    return "" if model_class == DEFAULT_CLASS else f" among the {model_class} models"


def require_complete_basis(result: AuditResult, what: str) -> None:
    """Refuse to refit an audit z-scored over available models when that basis matters.

    The refits (bootstrap resamples, leave-one-family-out) standardize over the models
    with a capability score. With ``standardize="available"`` and a model that has some
    capability benchmarks but no score, the audit's z-scores used more models, so a refit
    would not reproduce its estimate.

    Raises
    ------
    InputError
    """
    if result.config.standardize != "available":
        return
    for audit_of_class in result.classes:
        block = np.asarray(audit_of_class.prepared.capability)
        missing = np.isnan(block)
        if np.any(missing.any(axis=1) & ~missing.all(axis=1)):
            raise InputError(
                f"{what} refits the standardization over the models with a capability "
                "score, but standardize='available' z-scored over more models",
                param="standardize",
                remedy="use standardize='complete' (the default) for this analysis",
            )


def require_models(audit_of_class: ClassAudit) -> None:
    """Refuse a class with fewer than :data:`MIN_BOOTSTRAP_MODELS` scored models."""
    name = audit_of_class.model_class
    n_scored = len(audit_of_class.capability_model_ids)
    if n_scored < MIN_BOOTSTRAP_MODELS:
        raise InputError(
            f"The bootstrap needs at least {MIN_BOOTSTRAP_MODELS} models with a capability "
            f"score{among(name)}; only {n_scored} "
            f"ha{'s' if n_scored == 1 else 've'} one",
            param="n_resamples",
            remedy="add models or do without the bootstrap",
        )


def cluster_ids(families: Sequence[str], model_ids: Sequence[str], model_class: str) -> IntArray:
    """Number model families 0..G-1; every model must have one."""
    kind = "" if model_class == DEFAULT_CLASS else f"{model_class} "
    for model, family in zip(model_ids, families, strict=True):
        if not family:
            raise InputError(
                f"Resampling by family needs a family for every model, but {kind}"
                f"model '{model}' has none",
                param=("cluster", "family_column"),
                remedy="add a family column (family_column) or drop cluster='family'",
            )
    names = sorted(set(families))
    return np.array([names.index(f) for f in families], dtype=np.int64)


def resampled_units(
    audit_of_class: ClassAudit, cluster: Cluster | None, notes: list[str]
) -> tuple[IntArray | None, float]:
    """The family of each model (None: models are resampled) and the widening factor.

    With ``cluster="family"``, the replicates' deviations are widened by
    ``sqrt(G / (G - 1))`` for G families; too few families are refused, and a warning
    for a few is added to ``notes``.
    """
    if cluster is None:
        return None, 1.0
    name = audit_of_class.model_class
    clusters = cluster_ids(audit_of_class.prepared.families, audit_of_class.model_ids, name)
    groups = int(clusters.max()) + 1
    if groups < MIN_CLUSTERS:
        raise InputError(
            f"Resampling by family needs at least {MIN_CLUSTERS} model families{among(name)}; "
            f"there are {groups}",
            param="cluster",
            remedy="drop cluster='family'",
        )
    scale = math.sqrt(groups / (groups - 1))
    if groups < WARN_CLUSTERS:
        measured = (
            " (a 95% percentile interval covered about 90% with 4 families, and with "
            "6 families that were in fact independent)"
            if groups <= 6
            else ""
        )
        notes.append(
            f"Resampling by family{among(name)} with only {groups} families: the intervals "
            f"are widened by sqrt(G/(G-1)) = {scale:.3f}, "
            f"but cluster-bootstrap coverage is approximate below {WARN_CLUSTERS} "
            f"families{measured}; see benchmarks/validate_coverage.py."
        )
    return clusters, scale
