"""Reading and writing: score tables, benchmark metadata, results."""

from __future__ import annotations

from safetywashing.io.tables.readers import (
    ColumnMap,
    apply_benchmark_metadata,
    read_benchmark_info,
    read_scores,
)

__all__ = ["ColumnMap", "apply_benchmark_metadata", "read_benchmark_info", "read_scores"]
