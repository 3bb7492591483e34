"""The readable terminal table of an audit (rich)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetywashing.report.reading import grouped_benchmarks, reading, synthetic_banner
from safetywashing.results import AuditResult, ClassAudit

_READING_STYLE = {
    "inverse": "bold magenta",
    "low": "green",
    "moderate": "yellow",
    "high": "bold red",
    "n/a": "dim",
}


_VERDICT_STYLE = {
    "entangled": "bold red",
    "inverse": "bold magenta",
    "distinct": "green",
    "inconclusive": "yellow",
}


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:+.1f}"


def class_table(result: AuditResult, audit_of_class: ClassAudit) -> Table:
    """A rich table of one class's benchmarks, grouped by area."""
    component = audit_of_class.component
    config = result.config
    high = audit_of_class.mean_capability_correlation
    title = (
        f"{audit_of_class.model_class} models: {len(audit_of_class.capability_model_ids)} of "
        f"{len(audit_of_class.model_ids)} with a capability score; "
        f"PC1 explains {100 * component.eigenvalue_share:.1f}% "
        f"({len(audit_of_class.capability_benchmarks)} capability benchmarks); "
        f"score vs {result.compute_short} {_percent(audit_of_class.score_compute_correlation)}% "
        f"(n={audit_of_class.score_compute_n})"
    )
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("benchmark", overflow="fold", min_width=18)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("capab. corr. %", justify="right", no_wrap=True)
    table.add_column("reading", no_wrap=True)
    table.add_column(f"{result.compute_short} corr. %", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    with_interval = any(b.verdict for b in audit_of_class.benchmarks)
    if with_interval:
        confidence = (result.uncertainty or {}).get("settings", {}).get("confidence", 0.95)
        table.add_column(f"{100 * confidence:g}% interval", justify="right", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
    groups = grouped_benchmarks(audit_of_class)
    for group_position, (area, members) in enumerate(groups):
        table.add_row(Text(area, style="bold underline"), *([""] * (7 if with_interval else 5)))
        for position, b in enumerate(members):
            label = reading(b.capabilities_correlation, low=config.threshold, high=high)
            name = Text("  " + b.id)
            if b.flipped:
                name.append(" (negated)", style="dim")
            if b.correlated_with != "capability score":
                name.append(f" vs {b.correlated_with}", style="dim")
            table.add_row(
                name,
                str(b.n),
                _percent(b.capabilities_correlation),
                Text(label, style=_READING_STYLE[label]),
                _percent(b.compute_correlation),
                str(b.n_compute),
                *(
                    (
                        f"{_percent(b.ci_low)} .. {_percent(b.ci_high)}",
                        Text(b.verdict, style=_VERDICT_STYLE.get(b.verdict, "")),
                    )
                    if with_interval
                    else ()
                ),
                end_section=position == len(members) - 1 and group_position < len(groups) - 1,
            )
    return table


def print_audit(result: AuditResult, console: Console) -> None:
    """Print every class's table, the headline reading, and warnings."""
    banner = synthetic_banner(result)
    if banner:
        console.print(Text(banner, style="bold yellow"))
    for audit_of_class in result.classes:
        console.print(class_table(result, audit_of_class))
        if audit_of_class.coverage is not None:
            from safetywashing.report.coverage import coverage_sentence, coverage_table

            console.print(Text(coverage_sentence(audit_of_class.coverage), style="dim"))
            gaps = coverage_table(audit_of_class.coverage, audit_of_class.model_class)
            if gaps is not None:
                console.print(gaps)
        console.print(
            Text(
                f"Reading: below {result.config.threshold:.2f} is low (the paper's line; "
                "negative counts as low); 'high' means at least the mean pairwise correlation "
                "among capability benchmarks "
                f"({100 * audit_of_class.mean_capability_correlation:.1f}%).",
                style="dim",
            )
        )
        console.print()
