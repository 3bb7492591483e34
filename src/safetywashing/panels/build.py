"""Building reference panels: from an audit, from a table, or the paper's own."""

from __future__ import annotations

import math
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any

from safetywashing.audit.compute import AuditInput, resolve_audit
from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.core.errors import InputError, InputWarning
from safetywashing.panels.model import Panel, PanelBenchmark, PanelClass, PanelModel, load_panel


def panel_from_audit(result: AuditResult, *, label: str) -> Panel:
    """Turn an audit into a panel.

    Parameters
    ----------
    result : AuditResult
        Model metadata and capability values come from its prepared classes.
    label : str
    """
    classes = [_panel_class(c) for c in result.classes]
    return Panel(
        label=label,
        classes=tuple(classes),
        config=result.config.to_dict(),
        sources=result.sources,
        synthetic=result.synthetic,
    )


def _panel_class(audit_of_class: ClassAudit) -> PanelClass:
    prepared = audit_of_class.prepared
    imputed: dict[str, list[str]] = {}
    for model, benchmark in audit_of_class.imputed_cells:
        imputed.setdefault(model, []).append(benchmark)
    models = [
        PanelModel(
            id=info.id,
            name=info.name,
            family=info.family,
            parameters=info.parameters,
            flop=info.flop,
            capability_score=float(score),
            capability_values=tuple(float(v) for v in values),
            imputed=tuple(imputed.get(info.id, ())),
        )
        for info, score, values in zip(
            prepared.models, audit_of_class.capability_scores, prepared.capability, strict=True
        )
    ]
    return PanelClass(
        model_class=audit_of_class.model_class,
        capability_benchmarks=audit_of_class.capability_benchmarks,
        mean=tuple(float(v) for v in prepared.capability_mean),
        std=tuple(float(v) for v in prepared.capability_std),
        loadings=tuple(float(v) for v in audit_of_class.loadings),
        variance_explained=audit_of_class.variance_explained,
        mean_capability_correlation=audit_of_class.mean_capability_correlation,
        score_compute_correlation=audit_of_class.score_compute_correlation,
        models=tuple(models),
        benchmarks=tuple(_panel_benchmark(b) for b in audit_of_class.benchmarks),
    )


def _panel_benchmark(outcome: BenchmarkResult) -> PanelBenchmark:
    """What a panel keeps of an audited benchmark: its fields of the same names."""
    return PanelBenchmark(**{f.name: getattr(outcome, f.name) for f in fields(PanelBenchmark)})


def build_panel(
    source: AuditResult | AuditInput,
    /,
    *,
    label: str | None = None,
    **audit_options: Any,
) -> Panel:
    """Audit a table (or take a finished audit) and keep what a later check needs.

    Parameters
    ----------
    source : AuditResult, ScoreTable, pandas.DataFrame or path
        A finished audit, or data to audit first with ``audit_options``.
    label : str, optional
        Defaults to the first input file's name.
    **audit_options
        Settings of :func:`~safetywashing.audit.compute.audit` (``capabilities``, ``preset``,
        ``model_class``, ``impute``, ...), when ``source`` is data.

    Returns
    -------
    Panel

    Examples
    --------
    >>> from safetywashing import load_demo_panel
    >>> panel = build_panel(load_demo_panel(), label="demo")
    >>> [c.model_class for c in panel.classes]
    ['base', 'chat']
    """
    result = resolve_audit(source, audit_options)
    name = label or (Path(result.sources[0][0]).stem if result.sources else "panel")
    return panel_from_audit(result, label=name)


PAPER_PANELS: dict[str, str] = {
    "paper-chat": "benchmarks_chat_models.csv",
    "paper-base": "benchmarks_base_models.csv",
}


def paper_panel(name: str) -> Panel:
    """A shipped reference panel, built offline from the packaged files.

    Parameters
    ----------
    name : {"paper-chat", "paper-base", "obsscaling-base", "obsscaling-instruct"}
        The paper's chat or base panel, or ObsScaling's base or instruct panel (see
        :mod:`safetywashing.datasets.panels`).
    """
    from safetywashing.datasets.panels import reference_table

    table, spec = reference_table(name)
    # The shipped panels are fixed reference data: what their audit worked around (a few
    # imputed capability cells) is recorded in the panel, not repeated to every user.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        return build_panel(
            table, label=name, preset=spec.preset, capabilities=spec.capabilities or None
        )


def resolve_panel(spec: str) -> Panel:
    """A panel from a shipped name (``paper-chat``, ``obsscaling-base``, ...) or a JSON file."""
    from safetywashing.datasets.panels import REFERENCE_PANELS

    if spec in REFERENCE_PANELS:
        return paper_panel(spec)
    panel = load_panel(spec)
    for panel_class in panel.classes:
        for model in panel_class.models:
            # NaN (null) is a model without a score (an audit without imputation writes
            # it); an infinite score has no rank and would move every correlation.
            if math.isinf(model.capability_score):
                raise InputError(
                    f"{spec}: model '{model.id}' of class '{panel_class.model_class}' has the "
                    f"capability score {model.capability_score}, not a finite number; "
                    "rebuild the panel with `safetywashing panel build`."
                )
    return panel
