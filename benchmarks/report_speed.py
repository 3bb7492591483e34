"""Time the presentation layer against the audit itself, on the paper's data.

Prints seconds and ratios measured side by side in one run: the audit, the LaTeX and
Markdown tables, the standard figures rendered as PNG and PDF, and the HTML report.

    uv run python benchmarks/report_speed.py [path/to/benchmarks_chat_models_compute.csv]
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(action: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    from safetywashing.audit.compute import audit
    from safetywashing.io.tables.readers import read_scores
    from safetywashing.report.figures import figure_files
    from safetywashing.report.html import html_report
    from safetywashing.report.latex import latex_tables, markdown_tables

    default = (
        Path(
            os.environ.get(
                "SAFETYWASHING_DATASETS",
                Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets",
            )
        )
        / "safetywashing-paper"
        / "benchmarks_chat_models_compute.csv"
    )
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    table = read_scores(path)
    warnings.simplefilter("ignore")
    audit_seconds, result = _timed(lambda: audit(table, preset="paper"))
    rows = [("audit", audit_seconds)]
    rows.append(
        (
            "latex + markdown tables",
            _timed(lambda: (latex_tables(result), markdown_tables(result)))[0],
        )
    )
    rows.append(("standard figures, png + pdf", _timed(lambda: figure_files(result), 1)[0]))
    seconds, page = _timed(lambda: html_report(result, table=table), 1)
    rows.append(("html report", seconds))
    print(f"{path.name}: {len(table.models)} models x {len(table.benchmarks)} columns")
    print(f"{'step':<30} {'seconds':>8} {'x audit':>9}")
    for name, value in rows:
        print(f"{name:<30} {value:8.3f} {value / audit_seconds:9.1f}")
    print(f"html report size: {len(page.encode()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
