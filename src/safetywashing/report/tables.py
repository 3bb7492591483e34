"""Machine- and human-readable tables of an audit: JSON, CSV, Markdown."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from safetywashing.audit import AuditResult
from safetywashing.report.reading import grouped_benchmarks, reading, synthetic_banner


def to_json(result: AuditResult, *, indent: int | None = 2) -> str:
    """The versioned JSON document of an audit; NaN is written as null.

    ``allow_nan=False`` guarantees that no bare ``NaN`` token can reach the output.
    """
    return json.dumps(result.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
    return buffer.getvalue()


BENCHMARK_COLUMNS = [
    "model_class",
    "benchmark",
    "name",
    "area",
    "role",
    "metric",
    "direction",
    "flipped",
    "correlated_with",
    "n",
    "capabilities_correlation",
    "n_compute",
    "compute_correlation",
    "note",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "verdict",
]


def benchmarks_csv(result: AuditResult) -> str:
    """One row per (class, benchmark), raw values; empty cell where undefined."""
    rows = [
        [
            c.model_class,
            b.id,
            b.name,
            b.area,
            b.role,
            b.metric,
            b.direction,
            b.flipped,
            b.correlated_with,
            b.n,
            b.capabilities_correlation,
            b.n_compute,
            b.compute_correlation,
            b.note,
            b.ci_low,
            b.ci_high,
            b.p_value,
            b.p_adjusted,
            b.verdict,
        ]
        for c in result.classes
        for b in c.benchmarks
    ]
    return _csv_text(BENCHMARK_COLUMNS, rows)


def scores_csv(result: AuditResult) -> str:
    """Capability score per (class, model); empty for models left out."""
    rows = [
        [c.model_class, model, name, score, flop]
        for c in result.classes
        for model, name, score, flop in zip(
            c.model_ids, c.model_names, c.capability_scores, c.flop, strict=True
        )
    ]
    return _csv_text(["model_class", "model", "name", "capability_score", "flop"], rows)


def loadings_csv(result: AuditResult) -> str:
    """PC1 loading per (class, capability benchmark)."""
    rows = [
        [c.model_class, benchmark, loading]
        for c in result.classes
        for benchmark, loading in zip(c.capability_benchmarks, c.loadings, strict=True)
    ]
    return _csv_text(["model_class", "benchmark", "loading"], rows)


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:.1f}"


def _escape_markdown(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def markdown_summary(result: AuditResult) -> str:
    """A Markdown report: headline numbers and one table per class, grouped by area."""
    lines: list[str] = ["# Safetywashing audit", ""]
    banner = synthetic_banner(result)
    if banner:
        lines += [f"> **{banner}**", ""]
    config = result.config
    lines += [
        f"Capabilities correlation: {config.method.capitalize()} correlation with the "
        f"capability score (PC1 of the {config.matrix} matrix of the capability "
        f"benchmarks). The paper reads below {config.low_threshold:.2f} as low. "
        "Values in percent.",
        "",
    ]
    for audit_of_class in result.classes:
        component = audit_of_class.component
        high = audit_of_class.mean_capability_correlation
        lines += [
            f"## {_escape_markdown(audit_of_class.model_class)} models",
            "",
            f"- models: {len(audit_of_class.model_ids)} "
            f"({len(audit_of_class.capability_model_ids)} with every capability benchmark)",
            f"- capability benchmarks: {len(audit_of_class.capability_benchmarks)}",
            f"- variance explained by PC1 (top eigenvalue share): "
            f"{_percent(component.eigenvalue_share)}",
            f"- share of standardized variance the score captures: "
            f"{_percent(component.projected_variance_share)}",
            f"- mean (std) pairwise capability correlation: {_percent(high)} "
            f"({_percent(audit_of_class.std_capability_correlation)})",
            f"- capability score vs training FLOP: "
            f"{_percent(audit_of_class.score_compute_correlation)} "
            f"(n={audit_of_class.score_compute_n})",
        ]
        for model, reason in audit_of_class.excluded_models:
            lines.append(
                f"- left out of the capability score: {_escape_markdown(model)} ({reason})"
            )
        with_interval = any(b.verdict for b in audit_of_class.benchmarks)
        lines += [
            "",
            "| area | benchmark | n | capabilities corr. | reading | compute corr. | n (FLOP) |"
            + (" interval | verdict |" if with_interval else ""),
            "|---|---|---:|---:|---|---:|---:|" + ("---:|---|" if with_interval else ""),
        ]
        for area, members in grouped_benchmarks(audit_of_class):
            for b in members:
                against = (
                    ""
                    if b.correlated_with == "capability score"
                    else (f" (vs {_escape_markdown(b.correlated_with)})")
                )
                flip = " (negated)" if b.flipped else ""
                lines.append(
                    f"| {_escape_markdown(area)} | {_escape_markdown(b.name)}{flip}{against} | "
                    f"{b.n} | {_percent(b.capabilities_correlation)} | "
                    f"{reading(b.capabilities_correlation, low=config.low_threshold, high=high)} "
                    f"| {_percent(b.compute_correlation)} | {b.n_compute} |"
                    + (
                        f" {_percent(b.ci_low)} to {_percent(b.ci_high)} | {b.verdict} |"
                        if with_interval
                        else ""
                    )
                )
        lines.append("")
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {_escape_markdown(w)}" for w in result.warnings] + [""]
    lines += ["## Provenance", ""]
    for path, digest in result.sources:
        lines.append(f"- `{path}` sha256 `{digest}`")
    lines.append(f"- safetywashing {result.version}")
    return "\n".join(lines) + "\n"
