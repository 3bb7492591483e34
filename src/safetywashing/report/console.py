"""The readable terminal table of an audit (rich), at any width from 80 columns up.

Per class: a headline list of the safety benchmarks most entangled with capabilities
and most inverse, then a table grouped by area with one *decision* column (the paper's
reading of the point estimate, or, after a bootstrap, the verdict that respects the
interval) and a legend. Benchmark names are elided in the middle when the terminal is
narrow; numbers and decisions are never cut.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetywashing.audit.result import (
    CAPABILITY_SCORE,
    HEADLINE_SIZE,
    AuditResult,
    BenchmarkResult,
    ClassAudit,
)
from safetywashing.core.errors import InputError, suggestion
from safetywashing.report.numbers import signed
from safetywashing.report.reading import TableView, grouped_benchmarks, synthetic_banner
from safetywashing.report.text import escaped

_STYLE = {
    "inverse": "bold magenta",
    "low": "green",
    "moderate": "yellow",
    "high": "bold red",
    "n/a": "dim",
    "entangled": "bold red",
    "distinct": "green",
    "inconclusive": "yellow",
}
_DECISIONS = ("inconclusive", "entangled", "moderate", "distinct", "inverse", "high", "low")
#: Marks a capability benchmark (one of those forming the capability score).
CAPABILITY_MARK = "◆"
MIN_NAME_WIDTH = 12


def name_column_width(width: int, others: Sequence[Sequence[str]]) -> int:
    """The width left for a table's first (name) column once the other columns take
    their widest line, in a boxed table ``width`` characters wide (at least
    :data:`MIN_NAME_WIDTH`).

    Parameters
    ----------
    width : int
        The console's width.
    others : sequence of sequences of str
        Per other column, its header and cells (a header may hold several lines).

    Examples
    --------
    >>> name_column_width(80, [["n", "26"], ["capab.\\ncorr. %", "+81.2"]])
    61
    """
    fixed = [max(len(line) for text in column for line in text.split("\n")) for column in others]
    # Borders and padding: "│ " + " │ " between columns + " │" = 3 per column + 1.
    return max(MIN_NAME_WIDTH, width - sum(fixed) - 3 * (len(fixed) + 1) - 1)


def elide_middle(text: str, width: int) -> str:
    """``text`` shortened to ``width`` characters by an ellipsis in the middle.

    Examples
    --------
    >>> elide_middle("HarmBench-HumanJailbreaks-all", 16)
    'HarmBenc…aks-all'
    """
    text = escaped(text)  # a name's terminal escapes are shown, never acted on
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1 + 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def decision(result: AuditResult, audit_of_class: ClassAudit, b: BenchmarkResult) -> str:
    """The verdict when an interval was computed, else the paper's reading."""
    return b.verdict or audit_of_class.reading(b)


def headline(result: AuditResult, audit_of_class: ClassAudit, size: int = HEADLINE_SIZE) -> Text:
    """The most entangled and the most inverse safety benchmarks of a class, in two lines.

    The lists are :meth:`ClassAudit.headline`, which the HTML report and the notebook
    view show too.
    """
    found = audit_of_class.headline(size)

    def listed(items: tuple[BenchmarkResult, ...]) -> str:
        parts = []
        for b in items:
            interval = (
                f" [{signed(b.ci_low)}, {signed(b.ci_high)}]" if not math.isnan(b.ci_low) else ""
            )
            parts.append(f"{escaped(b.id)} {signed(b.capabilities_correlation)}{interval}")
        return "; ".join(parts) if parts else "none"

    text = Text()
    text.append("Most entangled with capabilities: ", style="bold")
    text.append(listed(found.entangled) + "\n")
    text.append("Most inverse (worse as capabilities grow): ", style="bold")
    text.append(listed(found.inverse))
    return text


def _select(audit_of_class: ClassAudit, view: TableView) -> list[tuple[str, list[BenchmarkResult]]]:
    groups = grouped_benchmarks(audit_of_class)
    if view.areas:
        wanted = {area.lower() for area in view.areas}
        known = [area for area, _ in groups]
        for area in view.areas:
            if area.lower() not in {k.lower() for k in known}:
                raise InputError(
                    f"No area '{area}' among the {audit_of_class.model_class} benchmarks"
                    f"{suggestion(area, known)}; the areas are {', '.join(known)}."
                )
        groups = [(area, members) for area, members in groups if area.lower() in wanted]
    if view.top is not None:
        chosen = {
            b.id
            for b in sorted(
                (b for _, members in groups for b in members if b.role == "safety"),
                key=lambda b: (
                    -abs(b.capabilities_correlation)
                    if not math.isnan(b.capabilities_correlation)
                    else math.inf
                ),
            )
            if b.correlated_with == CAPABILITY_SCORE
        }
        ordered = sorted(
            (b for _, members in groups for b in members if b.id in chosen),
            key=lambda b: -abs(b.capabilities_correlation),
        )[: view.top]
        keep = {b.id for b in ordered}
        groups = [
            (area, [b for b in members if b.id in keep])
            for area, members in groups
            if any(b.id in keep for b in members)
        ]
    return groups


def class_table(
    result: AuditResult,
    audit_of_class: ClassAudit,
    *,
    width: int = 110,
    view: TableView | None = None,
) -> Table:
    """A rich table of one class's benchmarks, grouped by area, that fits ``width``."""
    view = view or TableView()
    component = audit_of_class.component
    with_interval = any(b.verdict for b in audit_of_class.benchmarks)
    groups = _select(audit_of_class, view)
    rows = [b for _, members in groups for b in members]
    title = escaped(
        f"{audit_of_class.model_class} models: {len(audit_of_class.capability_model_ids)} of "
        f"{len(audit_of_class.model_ids)} with a capability score; "
        f"PC1 explains {100 * component.eigenvalue_share:.1f}% "
        f"({len(audit_of_class.capability_benchmarks)} capability benchmarks); "
        f"score vs {result.compute_short} {signed(audit_of_class.score_compute_correlation)}% "
        f"(n={audit_of_class.score_compute_n})"
    )
    cells = [
        (
            b,
            signed(b.capabilities_correlation)
            + (f" [{signed(b.ci_low)}, {signed(b.ci_high)}]" if with_interval else ""),
            decision(result, audit_of_class, b),
        )
        for b in rows
    ]
    corr_header = "capab. corr. %\n[interval]" if with_interval else "capab. corr. %"
    compute_header = f"{result.compute_short} %"
    decisions = [d for _, _, d in cells]
    name_width = name_column_width(
        width,
        [
            ["n", *(str(b.n) for b in rows)],
            ["capab. corr. %", *(c for _, c, _ in cells)],
            ["decision", *decisions],
            [compute_header, *(signed(b.compute_correlation) for b in rows)],
            ["n", *(str(b.n_compute) for b in rows)],
        ],
    )
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("benchmark", no_wrap=True, max_width=name_width, overflow="ellipsis")
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column(Text(corr_header), justify="right", no_wrap=True)
    table.add_column("decision", no_wrap=True, min_width=max(map(len, ["decision", *decisions])))
    table.add_column(compute_header, justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    by_id = {b.id: (corr, label) for b, corr, label in cells}
    for group_position, (area, members) in enumerate(groups):
        table.add_row(Text(elide_middle(area, name_width), style="bold underline"), *[""] * 5)
        for position, b in enumerate(members):
            corr, label = by_id[b.id]
            suffix = ""
            if b.flipped:
                suffix += " (negated)"
            if b.correlated_with != CAPABILITY_SCORE:
                suffix += f" vs {b.correlated_with}"
            mark = f"{CAPABILITY_MARK} " if b.role == "capability" else "  "
            full = b.id + suffix
            name = Text(mark + elide_middle(full, name_width - len(mark)))
            table.add_row(
                name,
                str(b.n),
                Text(corr),
                Text(label, style=_STYLE.get(label, "")),
                signed(b.compute_correlation),
                str(b.n_compute),
                end_section=position == len(members) - 1 and group_position < len(groups) - 1,
            )
    return table


def legend(result: AuditResult, audit_of_class: ClassAudit) -> str:
    """What the decision words mean, and the marks."""
    threshold = result.rule.upper
    high = 100 * audit_of_class.mean_capability_correlation
    if any(b.verdict for b in audit_of_class.benchmarks):
        words = (
            f"Decision (the interval against ±{threshold:.2f}): entangled = entirely above "
            f"+{threshold:.2f}; inverse = entirely below -{threshold:.2f}; distinct = entirely "
            "inside; inconclusive = crosses a line."
        )
    else:
        words = (
            f"Decision (the paper's reading): low = below {threshold:.2f} (negative counts as "
            f"low); inverse = at or below -{threshold:.2f}; high = at least the mean pairwise "
            f"correlation among capability benchmarks ({high:.1f}%); moderate = between. "
            "Add --bootstrap N for verdicts that respect an interval."
        )
    short = result.compute_short
    return f"{words} {CAPABILITY_MARK} = capability benchmark. {short} % = correlation with {short}"


def print_audit(result: AuditResult, console: Console, *, view: TableView | None = None) -> None:
    """Print the headline, every class's table, its legend, and coverage."""
    banner = synthetic_banner(result)
    if banner:
        console.print(Text(banner, style="bold yellow"))
    for audit_of_class in result.classes:
        console.print(Text(escaped(f"{audit_of_class.model_class} models"), style="bold"))
        console.print(headline(result, audit_of_class))
        console.print(class_table(result, audit_of_class, width=console.width, view=view))
        console.print(Text(legend(result, audit_of_class), style="dim"))
        if audit_of_class.coverage is not None:
            from safetywashing.report.coverage import coverage_sentence, coverage_table

            console.print(Text(coverage_sentence(audit_of_class.coverage), style="dim"))
            gaps = coverage_table(audit_of_class.coverage, audit_of_class.model_class)
            if gaps is not None:
                console.print(gaps)
        console.print()


def areas_of(result: AuditResult) -> Sequence[str]:
    """Every area of the audit, for messages."""
    return sorted({area for c in result.classes for area, _ in grouped_benchmarks(c)})
