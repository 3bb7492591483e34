"""A checked benchmark in words: a paragraph for a paper, a LaTeX row, tables."""

from __future__ import annotations

import json
import math
from functools import partial

from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetywashing.panels.result import CheckResult
from safetywashing.report.latex import escape_latex, escape_markdown, latex_percent
from safetywashing.report.numbers import format_number
from safetywashing.report.text import escaped

# The check's numbers: "45.2%", "n/a" when undefined.
_percent = partial(format_number, missing="n/a", suffix="%")


def _interval_text(result: CheckResult) -> str:
    """``-10.0% to 35.5%``."""
    return f"{_percent(result.ci_low)} to {_percent(result.ci_high)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _interval_label(result: CheckResult) -> str:
    """``95% interval`` (the level where the result records it)."""
    if math.isnan(result.confidence):
        return "interval"
    return f"{100 * result.confidence:g}% interval"


def check_reading(result: CheckResult) -> str:
    """The paper's reading of the new benchmark's capabilities correlation."""
    return result.reading


def paragraph(result: CheckResult) -> str:
    """A short plain-language paragraph ready to paste into a paper."""
    label = check_reading(result)
    interval = (
        f" ({_interval_label(result)} {_interval_text(result)})"
        if not math.isnan(result.ci_low)
        else ""
    )
    meaning = {
        "high": "as high as capability benchmarks correlate with one another, so its scores "
        "largely track general capabilities",
        "moderate": "above the paper's low line but below the correlation among capability "
        "benchmarks themselves, so its scores partly track general capabilities",
        "low": "below the paper's line for a low correlation, so its scores are not mainly "
        "explained by general capabilities",
        "inverse": "strongly negative, so the property it measures worsens as general "
        "capabilities grow",
        "n/a": "undefined on these models",
    }[label]
    text = (
        f"Following Ren et al. (2024), we computed the capabilities correlation of "
        f"{result.benchmark}: the Spearman correlation between its scores and a capability "
        f"score (the first principal component of {result.model_class} models' standard "
        f"capability benchmarks) over the {result.n} models it shares with the "
        f"{result.panel} reference panel. It is {_percent(result.capabilities_correlation)}"
        f"{interval}, which is {meaning}"
        f" (the capability benchmarks correlate at {_percent(result.mean_capability_correlation)} "
        "on average). "
    )
    if result.verdict:
        text += f"The interval-based verdict is '{result.verdict}'. "
    text += (
        f"It ranks {_ordinal(result.rank)} of {result.n_ranked} benchmarks in the panel by "
        f"capabilities correlation. Its correlation with training compute is "
        f"{_percent(result.compute_correlation)} (n = {result.n_compute})."
    )
    return text


def latex_row(result: CheckResult) -> str:
    """One booktabs row: benchmark & n & capabilities corr. & [interval &] compute corr."""
    number = latex_percent
    cells = [
        escape_latex(result.benchmark),
        str(result.n),
        number(result.capabilities_correlation),
    ]
    if not math.isnan(result.ci_low):
        cells.append(f"[{number(result.ci_low)}, {number(result.ci_high)}]")
    cells += [number(result.compute_correlation), str(result.n_compute)]
    return " & ".join(cells) + r" \\"


def latex_table(result: CheckResult) -> str:
    """A complete booktabs table of the check (its one row, with a header and caption)."""
    with_interval = not math.isnan(result.ci_low)
    columns = "lr" + ("rl" if with_interval else "r") + "rr"
    header = ["Benchmark", "$n$", "Capabilities corr. (\\%)"]
    if with_interval:
        header.append("Interval")
    header += ["Compute corr. (\\%)", "$n$"]
    caption = (
        f"Capabilities correlation of {escape_latex(result.benchmark)} against the "
        f"{escape_latex(result.panel)} reference panel ({escape_latex(result.model_class)} "
        "models): Spearman correlation with the capability score (Ren et al., 2024)."
    )
    return "\n".join(
        [
            "% requires \\usepackage{booktabs}",
            "\\begin{table}[t]",
            "\\centering",
            f"\\caption{{{caption}}}",
            f"\\begin{{tabular}}{{{columns}}}",
            "\\toprule",
            " & ".join(header) + r" \\",
            "\\midrule",
            latex_row(result),
            "\\bottomrule",
            "\\end{tabular}",
            "\\end{table}",
            "",
        ]
    )


def check_markdown(result: CheckResult) -> str:
    """Markdown: the numbers, the matching report, the paragraph and the LaTeX row."""
    lines = [
        f"# {escape_markdown(result.benchmark)} against the {escape_markdown(result.panel)} panel "
        f"({escape_markdown(result.model_class)} models)",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| capabilities correlation | {_percent(result.capabilities_correlation)} |",
    ]
    if not math.isnan(result.ci_low):
        lines.append(f"| {_interval_label(result)} | {_interval_text(result)} |")
        lines.append(f"| interval method | {escape_markdown(result.interval_method)} |")
    if result.verdict:
        lines.append(f"| verdict | {escape_markdown(result.verdict)} |")
    lines += [
        f"| reading | {escape_markdown(check_reading(result))} |",
        f"| n | {result.n} |",
        f"| compute correlation | {_percent(result.compute_correlation)} "
        f"(n = {result.n_compute}) |",
        f"| rank in panel | {result.rank} of {result.n_ranked} |",
        f"| models matched | {result.n_matched} of {result.panel_models} panel models |",
        "",
        "## Paragraph",
        "",
        escape_markdown(paragraph(result)),
        "",
        "## LaTeX row",
        "",
        "```latex",
        latex_row(result),
        "```",
        "",
    ]
    lines += matching_markdown(result)
    return "\n".join(lines) + "\n"


def matching_markdown(result: CheckResult) -> list[str]:
    """Markdown lines listing every name that matched by normalization or alias, or not."""
    lines = ["## Model names", ""]
    indirect = [m for m in result.matching.matches if m.how != "exact"]
    exact = len(result.matching.matches) - len(indirect)
    lines.append(f"{exact} names matched exactly.")
    lines.append("")
    if indirect:
        lines += ["| name | panel model | how |", "|---|---|---|"]
        lines += [
            f"| {escape_markdown(m.name)} | {escape_markdown(m.panel_id)} | {m.how} |"
            for m in indirect
        ]
        lines.append("")
    if result.matching.unmatched:
        lines += ["Not matched (left out):", "", "| name | closest panel models |", "|---|---|"]
        for u in result.matching.unmatched:
            note = " (ambiguous)" if u.ambiguous else ""
            lines.append(
                f"| {escape_markdown(u.name)}{note} | {escape_markdown(', '.join(u.closest))} |"
            )
        lines.append("")
    return lines


def check_json(result: CheckResult) -> str:
    """The JSON document of a check, with the paragraph and the LaTeX row."""
    document = result.to_dict()
    document["reading"] = check_reading(result)
    document["paragraph"] = paragraph(result)
    document["latex_row"] = latex_row(result)
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def print_check(result: CheckResult, console: Console) -> None:
    """A rich table of the check, the unmatched names, the paragraph and the LaTeX row.

    Names come from the user's files, so every line is plain text (no markup) with
    control and invisible characters shown as escapes (:func:`.console.escaped`).
    """
    table = Table(
        title=Text(
            escaped(f"{result.benchmark} vs the {result.panel} panel ({result.model_class} models)")
        ),
        title_justify="left",
    )
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [("capabilities correlation", _percent(result.capabilities_correlation))]
    if not math.isnan(result.ci_low):
        rows.append((_interval_label(result), _interval_text(result)))
    if result.verdict:
        rows.append(("verdict", result.verdict))
    rows += [
        ("reading", check_reading(result)),
        ("n", str(result.n)),
        ("compute correlation", f"{_percent(result.compute_correlation)} (n={result.n_compute})"),
        ("rank in panel", f"{result.rank} of {result.n_ranked}"),
    ]
    for label, neighbour in (("just above", result.above), ("just below", result.below)):
        if neighbour is not None:
            rows.append((label, f"{neighbour.id} ({_percent(neighbour.capabilities_correlation)})"))
    rows.append(("models matched", f"{result.n_matched} of {result.panel_models}"))
    for label, value in rows:
        table.add_row(Text(label), Text(escaped(value)))
    console.print(table)
    if result.interval_method:
        verdict = "" if result.verdict else "; --bootstrap N adds a bootstrap interval and verdict"
        console.print(Text(f"interval: {result.interval_method}{verdict}", style="dim"))
    indirect = [m for m in result.matching.matches if m.how != "exact"]
    for m in indirect:
        console.print(Text(escaped(f"matched {m.name} -> {m.panel_id} ({m.how})"), style="dim"))
    for u in result.matching.unmatched:
        console.print(
            Text(
                escaped(
                    f"not matched: {u.name}{' (ambiguous)' if u.ambiguous else ''}; closest "
                    f"panel models: {', '.join(u.closest)}"
                ),
                style="yellow",
            )
        )
    console.print()
    console.print(Text(escaped(paragraph(result))))
    console.print()
    console.print(Text("LaTeX row (booktabs; --format latex prints the whole table):", style="dim"))
    console.print(Text(latex_row(result)), soft_wrap=True)
