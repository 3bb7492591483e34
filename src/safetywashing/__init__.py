"""safetywashing: does an AI safety benchmark measure safety, or mostly capabilities?

The package implements the meta-analysis of Ren et al., "Safetywashing: Do AI Safety
Benchmarks Actually Measure Safety Progress?" (arXiv 2407.21792): a capability score is
the first principal component of a panel of capability benchmarks, and a safety
benchmark's *capabilities correlation* is its Spearman correlation with that score.

Everything a user needs is importable from here; the analyses beyond the audit load on
first use, so ``import safetywashing`` stays light.

Examples
--------
>>> import safetywashing as sw
>>> result = sw.audit(sw.load_demo_panel())
>>> result["chat"].benchmark("syn_ethics_qa").capabilities_correlation > 0.4
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from safetywashing._version import __version__
from safetywashing.audit.compute import audit
from safetywashing.audit.prepared import PreparedClass
from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.core.config import AuditConfig
from safetywashing.core.decision import DecisionRule
from safetywashing.core.errors import InputError, InputWarning, UnknownNameError
from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.simulate import SafetySpec, SimulatedPanel, simulate_panel
from safetywashing.io.tables.readers import (
    ColumnMap,
    apply_benchmark_metadata,
    read_benchmark_info,
    read_frame,
    read_scores,
)

if TYPE_CHECKING:
    from safetywashing.io.frameworks import read_results as ingest
    from safetywashing.io.tables.new_scores import read_new_scores
    from safetywashing.panels import Panel, build_panel, check, load_panel, resolve_panel
    from safetywashing.power.compute import PowerResult, power_analysis
    from safetywashing.report.figures import make_figure as figure
    from safetywashing.report.html import write_html_report as write_report
    from safetywashing.robustness.compute import RobustnessResult, robustness_audit
    from safetywashing.uncertainty.compute import UncertaintyResult, bootstrap_audit

# Name -> (module, attribute), imported on first use.
_LAZY: dict[str, tuple[str, str]] = {
    "bootstrap_audit": ("safetywashing.uncertainty.compute", "bootstrap_audit"),
    "UncertaintyResult": ("safetywashing.uncertainty.compute", "UncertaintyResult"),
    "robustness_audit": ("safetywashing.robustness.compute", "robustness_audit"),
    "RobustnessResult": ("safetywashing.robustness.compute", "RobustnessResult"),
    "power_analysis": ("safetywashing.power.compute", "power_analysis"),
    "PowerResult": ("safetywashing.power.compute", "PowerResult"),
    "check": ("safetywashing.panels", "check"),
    "build_panel": ("safetywashing.panels", "build_panel"),
    "load_panel": ("safetywashing.panels", "load_panel"),
    "resolve_panel": ("safetywashing.panels", "resolve_panel"),
    "Panel": ("safetywashing.panels", "Panel"),
    "read_new_scores": ("safetywashing.io.tables.new_scores", "read_new_scores"),
    "ingest": ("safetywashing.io.frameworks", "read_results"),
    "write_report": ("safetywashing.report.html", "write_html_report"),
    "figure": ("safetywashing.report.figures", "make_figure"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'safetywashing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AuditConfig",
    "AuditResult",
    "BenchmarkInfo",
    "BenchmarkResult",
    "ClassAudit",
    "ColumnMap",
    "DecisionRule",
    "InputError",
    "InputWarning",
    "ModelInfo",
    "Panel",
    "PowerResult",
    "PreparedClass",
    "RobustnessResult",
    "SafetySpec",
    "ScoreTable",
    "SimulatedPanel",
    "UncertaintyResult",
    "UnknownNameError",
    "__version__",
    "apply_benchmark_metadata",
    "audit",
    "bootstrap_audit",
    "build_panel",
    "check",
    "figure",
    "ingest",
    "load_demo_panel",
    "load_panel",
    "power_analysis",
    "read_benchmark_info",
    "read_frame",
    "read_new_scores",
    "read_scores",
    "resolve_panel",
    "robustness_audit",
    "simulate_panel",
    "write_report",
]
