"""The notebook view of an audit: a compact, escaped HTML summary (``_repr_html_``).

Built with the standard library only, so that showing a result in Jupyter never loads
the report layer (jinja2, matplotlib).
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit

_CELL = 'style="padding: 2px 8px;"'
_RIGHT = 'style="text-align: right; padding: 2px 8px;"'
_LEFT = 'style="text-align: left; padding: 2px 8px;"'
_HEADERS = (
    ("class", False),
    ("models (scored)", True),
    ("PC1 %", True),
    ("score vs FLOP %", True),
    ("safety benchmarks", True),
    ("high", True),
    ("moderate", True),
    ("low", True),
    ("inverse", True),
    ("n/a", True),
)
_METHOD_NAMES = {"spearman": "Spearman", "pearson": "Pearson", "kendall": "Kendall"}


def _percent(value: float, *, sign: bool = True) -> str:
    if math.isnan(value):
        return "–"
    return f"{100 * value:+.1f}" if sign else f"{100 * value:.1f}"


def _row(result: AuditResult, audit_of_class: ClassAudit) -> str:
    safety = [b for b in audit_of_class.benchmarks if b.role == "safety"]
    counts = {"high": 0, "moderate": 0, "low": 0, "inverse": 0, "n/a": 0}
    for b in safety:
        counts[audit_of_class.reading(b)] += 1
    cells = [
        f"<td {_CELL}>{html.escape(audit_of_class.model_class)}</td>",
        f"<td {_RIGHT}>{len(audit_of_class.model_ids)} "
        f"({len(audit_of_class.capability_model_ids)})</td>",
        f"<td {_RIGHT}>{_percent(audit_of_class.variance_explained, sign=False)}</td>",
        f"<td {_RIGHT}>{_percent(audit_of_class.score_compute_correlation)} "
        f"(n={audit_of_class.score_compute_n})</td>",
        f"<td {_RIGHT}>{len(safety)}</td>",
        *(
            f"<td {_RIGHT}>{counts[key]}</td>"
            for key in ("high", "moderate", "low", "inverse", "n/a")
        ),
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def headline_html(audit_of_class: ClassAudit, *, title: str = "") -> str:
    """The class's most entangled and most inverse safety benchmarks (escaped).

    The lists are :meth:`ClassAudit.headline`, as the terminal table and the HTML report
    show them: display name, capabilities correlation in percent, interval when computed.
    """
    found = audit_of_class.headline()

    def listed(items: tuple[BenchmarkResult, ...]) -> str:
        parts = []
        for b in items:
            interval = (
                f" [{_percent(b.ci_low)}, {_percent(b.ci_high)}]"
                if not (math.isnan(b.ci_low) or math.isnan(b.ci_high))
                else ""
            )
            parts.append(
                f'<span title="{html.escape(b.id)}">{html.escape(b.name)}</span> '
                f"{_percent(b.capabilities_correlation)}{interval}"
            )
        return "; ".join(parts) if parts else '<span style="color: #5f6368;">none</span>'

    heading = f"<em>{html.escape(title)}</em><br>" if title else ""
    return (
        '<div class="safetywashing-headline" style="margin-top: 4px;">'
        f"{heading}<strong>Most entangled with capabilities</strong> (capabilities corr. % "
        f"at or above +{found.threshold:.2f}): {listed(found.entangled)}<br>"
        "<strong>Most inverse (worse as capabilities grow)</strong> (at or below "
        f"-{found.threshold:.2f}): {listed(found.inverse)}</div>"
    )


def audit_summary_html(result: AuditResult) -> str:
    """One table row per class (models, PC1 share, score vs FLOP, readings), then each
    class's most entangled and most inverse safety benchmarks."""
    method = _METHOD_NAMES.get(result.config.method, result.config.method)
    banner = (
        '<div style="color: #8a5a00; font-weight: 600;">SYNTHETIC DATA: this panel is '
        "simulated (the bundled demo); its numbers describe no real model.</div>"
        if result.synthetic
        else ""
    )
    head = "".join(
        f"<th {_RIGHT if right else _LEFT}>"
        f"{html.escape(label.replace('FLOP', result.compute_short))}</th>"
        for label, right in _HEADERS
    )
    rows = "\n".join(_row(result, c) for c in result.classes)
    headlines = "\n".join(headline_html(c, title=f"{c.model_class} models") for c in result.classes)
    return (
        '<div class="safetywashing-summary" style="font-family: system-ui, sans-serif; '
        'font-size: 13px; line-height: 1.4;">\n'
        f"<strong>Safetywashing audit</strong> ({html.escape(method)} capabilities "
        f"correlation; below {result.config.threshold:.2f} reads as low)\n{banner}"
        '<table style="border-collapse: collapse; margin-top: 4px;">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>\n{headlines}\n"
        '<div style="color: #5f6368;">Full report: <code>safetywashing.write_report(result, '
        '"report.html")</code></div>\n</div>'
    )
