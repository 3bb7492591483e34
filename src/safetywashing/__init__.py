"""safetywashing: does an AI safety benchmark measure safety, or mostly capabilities?

The package implements the meta-analysis of Ren et al., "Safetywashing: Do AI Safety
Benchmarks Actually Measure Safety Progress?" (arXiv 2407.21792): a capability score is
the first principal component of a panel of capability benchmarks, and a safety
benchmark's *capabilities correlation* is its Spearman correlation with that score.

Examples
--------
>>> from safetywashing import audit, load_demo_panel
>>> result = audit(load_demo_panel())
>>> result["chat"].benchmark("syn_ethics_qa").capabilities_correlation > 0.4
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from safetywashing.audit import AuditConfig, AuditResult, BenchmarkResult, ClassAudit, audit
from safetywashing.datasets import load_demo_panel
from safetywashing.errors import InputError, InputWarning
from safetywashing.io.readers import (
    ColumnMap,
    apply_benchmark_metadata,
    read_benchmark_info,
    read_scores,
)
from safetywashing.simulate import SafetySpec, SimulatedPanel, simulate_panel
from safetywashing.table import BenchmarkInfo, ModelInfo, ScoreTable

__all__ = [
    "AuditConfig",
    "AuditResult",
    "BenchmarkInfo",
    "BenchmarkResult",
    "ClassAudit",
    "ColumnMap",
    "InputError",
    "InputWarning",
    "ModelInfo",
    "SafetySpec",
    "ScoreTable",
    "SimulatedPanel",
    "__version__",
    "apply_benchmark_metadata",
    "audit",
    "load_demo_panel",
    "read_benchmark_info",
    "read_scores",
    "simulate_panel",
]
