"""Result types: frozen dataclasses of raw values, with ``to_frame`` and ``to_dict``."""

from safetywashing.results.audit import (
    BENCHMARK_COLUMNS,
    CAPABILITY_SCORE,
    HEADLINE_SIZE,
    SCORE_COLUMNS,
    AuditResult,
    BenchmarkResult,
    ClassAudit,
    Headline,
)
from safetywashing.results.base import Result
from safetywashing.results.prepared import PreparedClass

__all__ = [
    "BENCHMARK_COLUMNS",
    "CAPABILITY_SCORE",
    "HEADLINE_SIZE",
    "SCORE_COLUMNS",
    "AuditResult",
    "BenchmarkResult",
    "ClassAudit",
    "Headline",
    "PreparedClass",
    "Result",
]
