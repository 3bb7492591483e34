"""Tables for papers: LaTeX (booktabs) and Markdown, grouped by safety area.

Like the paper's tables: one block per area, each benchmark with its metric and arrow,
its capabilities correlation in percent to one decimal, the interval and n, and its
compute correlation. Values are rounded here and only here.

Examples
--------
>>> from safetywashing.audit.compute import audit
>>> from safetywashing.datasets import load_demo_panel
>>> print(latex_tables(audit(load_demo_panel())).splitlines()[0])
% Capabilities correlations by safety area; made by safetywashing 0.1.0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from safetywashing._version import __version__
from safetywashing.audit.result import CAPABILITY_SCORE, AuditResult, BenchmarkResult, ClassAudit
from safetywashing.report.numbers import format_number
from safetywashing.report.reading import grouped_benchmarks
from safetywashing.report.text import escaped

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # Braced so that a cell starting with them is not read as the optional argument or
    # star of the previous row's \\ (which would fail to compile or drop the star).
    "[": "{[}",
    "]": "{]}",
    "*": "{*}",
    "↑": r"$\uparrow$",
    "↓": r"$\downarrow$",
    "Σ": r"$\Sigma$",
    "σ": r"$\sigma$",
    "ρ": r"$\rho$",
    "τ": r"$\tau$",
    "±": r"$\pm$",
    "–": "--",
    "—": "---",
}

_METHOD = {"spearman": "Spearman", "pearson": "Pearson", "kendall": "Kendall"}


def escape_latex(text: str) -> str:
    """Text safe in a LaTeX document: specials escaped, arrows and Greek as math, line
    breaks (which would end a table row's paragraph) turned into spaces; control
    characters shown as escapes."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in " ".join(escaped(text).split()))


def metric_with_arrow(result: BenchmarkResult) -> str:
    """The metric as given, with an arrow for the safer direction if it has none."""
    metric = result.metric.strip()
    if "↑" in metric or "↓" in metric:
        return metric
    arrow = "↑" if result.direction == "higher" else "↓"
    return f"{metric} ({arrow})" if metric else arrow


def _has_interval(result: BenchmarkResult) -> bool:
    return not (math.isnan(result.ci_low) or math.isnan(result.ci_high))


def latex_percent(value: float) -> str:
    """A correlation in percent to one decimal, with a typeset minus sign; -- if undefined.

    The LaTeX style of :func:`~safetywashing.report.numbers.format_number`.
    """
    return format_number(value, missing="--", minus="$-$")


def _leading_cells(
    b: BenchmarkResult, escape: Callable[[str], str], number: Callable[[float], str]
) -> list[str]:
    """A row's benchmark (and what it is correlated with, when not the capability score),
    its metric with the arrow, and its capabilities correlation."""
    name = escape(b.name)
    if b.correlated_with != CAPABILITY_SCORE:
        name += f" (vs {escape(b.correlated_with)})"
    return [name, escape(metric_with_arrow(b)), number(b.capabilities_correlation)]


def _interval_cell(b: BenchmarkResult, number: Callable[[float], str], missing: str) -> str:
    """``[low, high]``, or ``missing`` without an interval."""
    return f"[{number(b.ci_low)}, {number(b.ci_high)}]" if _has_interval(b) else missing


def _groups(
    audit_of_class: ClassAudit, include_capabilities: bool
) -> list[tuple[str, list[BenchmarkResult]]]:
    return grouped_benchmarks(audit_of_class, include_capabilities=include_capabilities)


def latex_table(
    result: AuditResult,
    audit_of_class: ClassAudit,
    *,
    include_capabilities: bool = False,
    label: str | None = None,
) -> str:
    """One class's benchmarks as a booktabs ``table`` environment, grouped by area.

    Parameters
    ----------
    result : AuditResult
        For the method, threshold and provenance.
    audit_of_class : ClassAudit
    include_capabilities : bool, default False
        Also list the capability benchmarks (as their own group).
    label : str, optional
        ``\\label`` of the table; by default ``tab:safetywashing-<class>``.

    Returns
    -------
    str
        Needs ``\\usepackage{booktabs}`` in the preamble.
    """
    groups = _groups(audit_of_class, include_capabilities)
    members = [b for _, group in groups for b in group]
    interval = any(_has_interval(b) for b in members)
    method = _METHOD.get(result.config.method, result.config.method)
    model_class = escape_latex(audit_of_class.model_class)
    columns = "llr" + ("c" if interval else "") + "rr"
    width = len(columns)
    header = ["Benchmark", "Metric", "Cap.\\ corr.\\ (\\%)"]
    if interval:
        header.append("Interval (\\%)")
    header += ["$n$", "Compute corr.\\ (\\%)"]
    caption = (
        f"Capabilities correlations of the {model_class} models: {method} correlation of each "
        "benchmark with the capability score (PC1 of the capability benchmarks), in percent; "
        f"$n$ models. Below {100 * result.config.threshold:.0f}\\% reads as low."
    )
    if result.synthetic:
        caption += " Synthetic data: the numbers describe no real model."
    tag = label or f"tab:safetywashing-{_label_safe(audit_of_class.model_class)}"
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\small",
        f"\\caption{{{caption}}}",
        f"\\label{{{tag}}}",
        f"\\begin{{tabular}}{{{columns}}}",
        r"\toprule",
        " & ".join(header) + r" \\",
        r"\midrule",
    ]
    for position, (area, group) in enumerate(groups):
        if position:
            lines.append(r"\midrule")
        lines.append(f"\\multicolumn{{{width}}}{{l}}{{\\textit{{{escape_latex(area)}}}}} \\\\")
        for b in group:
            cells = _leading_cells(b, escape_latex, latex_percent)
            if interval:
                cells.append(_interval_cell(b, latex_percent, "--"))
            cells += [str(b.n), latex_percent(b.compute_correlation)]
            lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def _label_safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-:" else "-" for ch in name) or "class"


def latex_tables(result: AuditResult, *, include_capabilities: bool = False) -> str:
    """One booktabs table per model class, with a header comment naming the inputs."""
    parts = [
        f"% Capabilities correlations by safety area; made by safetywashing {__version__}.",
        "% Needs \\usepackage{booktabs}.",
    ]
    if result.synthetic:
        parts.append("% SYNTHETIC DATA: simulated panel; the numbers describe no real model.")
    for path, digest in result.sources:
        parts.append(f"% input {_comment_safe(path)} sha256 {digest}")
    text = "\n".join(parts) + "\n"
    for audit_of_class in result.classes:
        text += "\n" + latex_table(
            result, audit_of_class, include_capabilities=include_capabilities
        )
    return text


def _comment_safe(text: str) -> str:
    return escaped(text.replace("\n", " ").replace("\r", " "))


# -- Markdown -----------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """Text safe in a Markdown table cell (pipes, angle brackets, emphasis, newlines).

    Control and invisible characters (terminal escapes, bidi overrides, zero-width
    characters) are shown as escapes too.
    """
    shown = (
        escaped(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("`", "\\`")
        .replace("[", "\\[")
        .replace("]", "\\]")
    )
    return " ".join(shown.split())


def code_span(text: str) -> str:
    """``text`` as one Markdown code span that nothing in it can end.

    Inside a code span CommonMark reads no escapes and no HTML (``<`` is shown as it
    is), so what must not happen is the span ending early: the delimiter is one backtick
    more than the longest run of backticks in ``text`` (padded with a space where the
    text starts or ends with one), and line breaks and other invisible characters are
    written as escapes, so that the span stays on one line.

    Examples
    --------
    >>> code_span("scores.csv")
    '`scores.csv`'
    >>> code_span("x`<img src=x>`.json")
    '``x`<img src=x>`.json``'
    """
    shown = escaped(text, keep="")
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    edges = shown[:1] + shown[-1:]
    # CommonMark strips one space from each end when both ends hold one.
    pad = " " if "`" in edges or edges == "  " or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def markdown_table(
    result: AuditResult, audit_of_class: ClassAudit, *, include_capabilities: bool = False
) -> str:
    """One class's benchmarks as a Markdown table, the area shown once per group."""
    groups = _groups(audit_of_class, include_capabilities)
    members = [b for _, group in groups for b in group]
    interval = any(_has_interval(b) for b in members)
    verdict = any(b.verdict for b in members)
    header = ["area", "benchmark", "metric", "capabilities corr. (%)"]
    align = ["---", "---", "---", "---:"]
    if interval:
        header.append("interval (%)")
        align.append("---:")
    header.append("n")
    align.append("---:")
    if verdict:
        header.append("verdict")
        align.append("---")
    header.append("compute corr. (%)")
    align.append("---:")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for area, group in groups:
        for position, b in enumerate(group):
            cells = [
                f"**{escape_markdown(area)}**" if position == 0 else "",
                *_leading_cells(b, escape_markdown, format_number),
            ]
            if interval:
                cells.append(_interval_cell(b, format_number, "–"))
            cells.append(str(b.n))
            if verdict:
                cells.append(escape_markdown(b.verdict))
            cells.append(format_number(b.compute_correlation))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_tables(result: AuditResult, *, include_capabilities: bool = False) -> str:
    """One Markdown table per class under a heading, ready to paste into a README."""
    method = _METHOD.get(result.config.method, result.config.method)
    parts: list[str] = []
    if result.synthetic:
        parts.append("> **Synthetic data: the numbers describe no real model.**\n")
    for audit_of_class in result.classes:
        parts.append(
            f"### {escape_markdown(audit_of_class.model_class)} models\n\n"
            f"{method} correlation with the capability score, in percent; "
            f"n = models with both scores.\n\n"
            + markdown_table(result, audit_of_class, include_capabilities=include_capabilities)
        )
    return "\n".join(parts)
