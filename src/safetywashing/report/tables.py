"""Machine- and human-readable tables of an audit: JSON, CSV, Markdown."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any, TextIO

from safetywashing.audit.result import BENCHMARK_COLUMNS, SCORE_COLUMNS, AuditResult
from safetywashing.io.tables.cells import spreadsheet_safe
from safetywashing.report import jsontext
from safetywashing.report.latex import code_span, escape_markdown
from safetywashing.report.numbers import format_number
from safetywashing.report.reading import grouped_benchmarks, synthetic_banner
from safetywashing.uncertainty.settings import DEGENERATE_FLAG


def to_json(result: AuditResult, *, indent: int | None = 2) -> str:
    """The versioned JSON document of an audit; NaN is written as null.

    ``allow_nan=False`` guarantees that no bare ``NaN`` token can reach the output. The
    indented text comes from :func:`.jsontext.dumps` (the standard library's bytes,
    faster on large panels).
    """
    if indent is None:
        return json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False) + "\n"
    return jsontext.dumps(result.to_dict(), indent=indent, end="\n")


def write_json(result: AuditResult, stream: TextIO) -> None:
    """Write :func:`to_json`'s text (indented) to ``stream``, without building it whole."""
    jsontext.dump(result.to_dict(), stream, indent=2, end="\n")


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_safe(name) for name in header])
    for row in rows:
        writer.writerow(
            [
                ""
                if isinstance(v, float) and math.isnan(v)
                else spreadsheet_safe(v)
                if isinstance(v, str)
                else v
                for v in row
            ]
        )
    return buffer.getvalue()


def _records_csv(records: list[dict[str, Any]], columns: list[str], synthetic: bool) -> str:
    rows = [[record[column] for column in columns] + [synthetic] for record in records]
    return _csv_text([*columns, "synthetic"], rows)


def benchmarks_csv(result: AuditResult) -> str:
    """One row per (class, benchmark), raw values; empty cell where undefined."""
    return _records_csv(result.benchmark_records(), BENCHMARK_COLUMNS, result.synthetic)


def scores_csv(result: AuditResult) -> str:
    """Capability score per (class, model); empty for models left out."""
    return _records_csv(result.score_records(), SCORE_COLUMNS, result.synthetic)


def loadings_csv(result: AuditResult) -> str:
    """PC1 loading per (class, capability benchmark)."""
    rows = [
        [c.model_class, benchmark, float(loading), result.synthetic]
        for c in result.classes
        for benchmark, loading in zip(c.capability_benchmarks, c.loadings, strict=True)
    ]
    return _csv_text(["model_class", "benchmark", "loading", "synthetic"], rows)


def markdown_summary(result: AuditResult) -> str:
    """A Markdown report: headline numbers and one table per class, grouped by area."""
    lines: list[str] = ["# Safetywashing audit", ""]
    banner = synthetic_banner(result)
    if banner:
        lines += [f"> **{banner}**", ""]
    config = result.config
    lines += [
        f"Capabilities correlation: {config.method.capitalize()} correlation with the "
        f"capability score (PC1 of the {config.matrix.capitalize()} matrix of the capability "
        f"benchmarks). The paper reads below {config.threshold:.2f} as low. "
        "Values in percent.",
        "",
    ]
    for audit_of_class in result.classes:
        component = audit_of_class.component
        high = audit_of_class.mean_capability_correlation
        lines += [
            f"## {escape_markdown(audit_of_class.model_class)} models",
            "",
            f"- models: {len(audit_of_class.model_ids)} "
            f"({len(audit_of_class.capability_model_ids)} with every capability benchmark)",
            f"- capability benchmarks: {len(audit_of_class.capability_benchmarks)}",
            f"- variance explained by PC1 (top eigenvalue share): "
            f"{format_number(component.eigenvalue_share)}",
            f"- share of standardized variance the score captures: "
            f"{format_number(component.projected_variance_share)}",
            f"- mean (std) pairwise capability correlation: {format_number(high)} "
            f"({format_number(audit_of_class.std_capability_correlation)})",
            f"- capability score vs {result.compute_label}: "
            f"{format_number(audit_of_class.score_compute_correlation)} "
            f"(n={audit_of_class.score_compute_n})",
        ]
        for model, reason in audit_of_class.excluded_models:
            lines.append(f"- left out of the capability score: {escape_markdown(model)} ({reason})")
        lines.append("")
        if audit_of_class.coverage is not None:
            from safetywashing.report.coverage import coverage_markdown

            lines += coverage_markdown(audit_of_class.coverage)
        with_interval = any(b.verdict for b in audit_of_class.benchmarks)
        degenerate = _degenerate_shares(result, audit_of_class.model_class)
        lines += [
            "| area | benchmark | n | capabilities corr. | reading | compute corr. | "
            f"n ({result.compute_short}) |" + (" interval | verdict |" if with_interval else ""),
            "|---|---|---:|---:|---|---:|---:|" + ("---:|---|" if with_interval else ""),
        ]
        for area, members in grouped_benchmarks(audit_of_class):
            for b in members:
                against = (
                    ""
                    if b.correlated_with == "capability score"
                    else (f" (vs {escape_markdown(b.correlated_with)})")
                )
                flip = " (negated)" if b.flipped else ""
                lines.append(
                    f"| {escape_markdown(area)} | {escape_markdown(b.name)}{flip}{against} | "
                    f"{b.n} | {format_number(b.capabilities_correlation)} | "
                    f"{audit_of_class.reading(b)} "
                    f"| {format_number(b.compute_correlation)} | {b.n_compute} |"
                    + (
                        f" {format_number(b.ci_low)} to {format_number(b.ci_high)} | {b.verdict}"
                        + _degenerate_note(degenerate.get(b.id))
                        + " |"
                        if with_interval
                        else ""
                    )
                )
        lines.append("")
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {escape_markdown(w)}" for w in result.warnings] + [""]
    lines += ["## Provenance", ""]
    for path, digest in result.sources:
        lines.append(f"- {code_span(path)} sha256 {code_span(digest)}")
    lines.append(f"- safetywashing {result.version}")
    return "\n".join(lines) + "\n"


def _degenerate_shares(result: AuditResult, model_class: str) -> dict[str, float]:
    """Share of degenerate resamples per benchmark, from the uncertainty of the class."""
    if result.uncertainty is None:
        return {}
    found = result.uncertainty[model_class]
    return {
        benchmark: share
        for benchmark, share in zip(
            found.benchmark_ids, found.degenerate_share.tolist(), strict=True
        )
        if not math.isnan(share)
    }


def _degenerate_note(share: float | None) -> str:
    """A flag on the verdict when many resamples were degenerate (their share)."""
    if share is None or share <= DEGENERATE_FLAG:
        return ""
    return f" ({100 * share:.1f}% of resamples degenerate)"
