"""The self-contained HTML report of an audit, and the compact notebook summary.

One file that works opened from disk with no network: CSS and JavaScript are inline,
figures are inline SVG, the data for the interactive parts is an inline JSON block. A
Content-Security-Policy forbids every fetch, so nothing can load from elsewhere even by
accident. Every user-supplied name (models, benchmarks, areas, paths) is escaped: jinja2
autoescapes the page, matplotlib escapes SVG text, tooltips are XML-escaped, and the
inline JSON has ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``;
the script reads it with ``JSON.parse`` and writes with ``textContent`` only.

Examples
--------
>>> from safetywashing.audit.compute import audit
>>> from safetywashing.datasets import load_demo_panel
>>> table = load_demo_panel()
>>> page = html_report(audit(table), figures=False)  # figures=True draws them (slower)
>>> page.startswith("<!DOCTYPE html>"), "Figures were not included." in page
(True, True)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safetywashing.audit.result import CAPABILITY_SCORE, AuditResult, BenchmarkResult, ClassAudit
from safetywashing.report.numbers import format_number, signed
from safetywashing.report.reading import grouped_benchmarks, synthetic_banner

TEMPLATE = "report.html.j2"

METHOD_TEXT = (
    "Each model class is analysed separately. Every capability benchmark is standardized "
    "over the models (z-scores, population standard deviation). The capability score of a "
    "model is its z-scored capability vector projected on the first principal component "
    "(PC1) of the {matrix} matrix of the capability benchmarks, signed so that "
    "the score rises with capability. A model missing some capability benchmarks keeps a "
    "score: its gaps are {imputation}. "
    "A benchmark's capabilities correlation is the {method} correlation, across models, "
    "between its (higher-is-safer) score and the capability score, over the models that "
    "have both; calibration benchmarks are correlated with their own task's accuracy "
    "instead. The compute correlation is the {method} correlation with {compute}. "
    "Following Ren et al. (2024), a correlation below {threshold:.2f} reads as low (negative "
    "counts as low), and one at least as high as the mean pairwise correlation among the "
    "capability benchmarks reads as high: such a benchmark mostly tracks capabilities."
)

_MATRIX_NAMES = {
    "spearman": "Spearman correlation",
    "pearson": "Pearson correlation",
    "covariance": "covariance",
}
_METHOD_NAMES = {"spearman": "Spearman", "pearson": "Pearson", "kendall": "Kendall"}


def _sort_key(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def _json_value(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)


def script_json(data: Any) -> str:
    """JSON for an inline ``<script>`` block: ``<``, ``>``, ``&`` and line separators
    are escaped, so no string can close the block or open a comment."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


@dataclass(frozen=True)
class _Row:
    model_class: str
    area: str
    id: str
    name: str
    metric: str
    role: str
    n: int
    correlation: str
    correlation_key: str
    interval: str
    interval_key: str
    reading: str
    verdict: str
    compute: str
    compute_key: str
    n_compute: int
    against: str
    note: str
    flipped: bool


def _rows(result: AuditResult) -> list[_Row]:
    rows: list[_Row] = []
    for audit_of_class in result.classes:
        for area, members in grouped_benchmarks(audit_of_class):
            for b in members:
                has_interval = not (math.isnan(b.ci_low) or math.isnan(b.ci_high))
                rows.append(
                    _Row(
                        model_class=audit_of_class.model_class,
                        area=area,
                        id=b.id,
                        name=b.name,
                        metric=b.metric,
                        role=b.role,
                        n=b.n,
                        correlation=signed(b.capabilities_correlation),
                        correlation_key=_sort_key(b.capabilities_correlation),
                        interval=(
                            f"[{signed(b.ci_low)}, {signed(b.ci_high)}]" if has_interval else ""
                        ),
                        interval_key=_sort_key(b.ci_low) if has_interval else "",
                        reading=audit_of_class.reading(b),
                        verdict=b.verdict,
                        compute=signed(b.compute_correlation),
                        compute_key=_sort_key(b.compute_correlation),
                        n_compute=b.n_compute,
                        against="" if b.correlated_with == CAPABILITY_SCORE else b.correlated_with,
                        note=b.note,
                        flipped=b.flipped,
                    )
                )
    return rows


def _headline(result: AuditResult, audit_of_class: ClassAudit) -> dict[str, Any]:
    high = audit_of_class.mean_capability_correlation
    safety = [b for b in audit_of_class.benchmarks if b.role == "safety"]
    counts = {"high": 0, "moderate": 0, "low": 0, "inverse": 0, "n/a": 0}
    for b in safety:
        counts[audit_of_class.reading(b)] += 1
    component = audit_of_class.component
    return {
        "model_class": audit_of_class.model_class,
        "n_models": len(audit_of_class.model_ids),
        "n_scored": len(audit_of_class.capability_model_ids),
        "n_capability": len(audit_of_class.capability_benchmarks),
        "variance_explained": format_number(component.eigenvalue_share),
        "projected_share": format_number(component.projected_variance_share),
        "mean_pairwise": format_number(high),
        "std_pairwise": format_number(audit_of_class.std_capability_correlation),
        "score_flop": signed(audit_of_class.score_compute_correlation),
        "score_flop_n": audit_of_class.score_compute_n,
        "n_safety": len(safety),
        "counts": counts,
        "excluded": list(audit_of_class.excluded_models),
        "loadings": [
            (benchmark, f"{loading:+.3f}")
            for benchmark, loading in zip(
                audit_of_class.capability_benchmarks, audit_of_class.loadings, strict=True
            )
        ],
        "sign_rule": component.sign_rule,
        "coverage": _coverage(audit_of_class),
        "headline": _most_entangled_and_inverse(audit_of_class),
    }


@dataclass(frozen=True)
class _Listed:
    id: str
    name: str
    correlation: str
    interval: str


def _most_entangled_and_inverse(audit_of_class: ClassAudit) -> dict[str, Any]:
    """The class's headline lists (:meth:`ClassAudit.headline`, as the terminal shows)."""
    found = audit_of_class.headline()

    def listed(items: tuple[BenchmarkResult, ...]) -> list[_Listed]:
        return [
            _Listed(
                id=b.id,
                name=b.name,
                correlation=signed(b.capabilities_correlation),
                interval=(
                    f"[{signed(b.ci_low)}, {signed(b.ci_high)}]"
                    if not (math.isnan(b.ci_low) or math.isnan(b.ci_high))
                    else ""
                ),
            )
            for b in items
        ]

    return {
        "threshold": f"{found.threshold:.2f}",
        "entangled": listed(found.entangled),
        "inverse": listed(found.inverse),
    }


def _coverage(audit_of_class: ClassAudit) -> dict[str, Any]:
    scored = len(audit_of_class.capability_model_ids)
    partial = [
        (b.name, b.n, scored)
        for b in audit_of_class.benchmarks
        if b.correlated_with == CAPABILITY_SCORE and 0 < b.n < scored
    ]
    undefined = [(b.name, b.note or "undefined") for b in audit_of_class.benchmarks if b.note]
    with_flop = int(np.sum(~np.isnan(audit_of_class.flop)))
    return {
        "partial": partial,
        "undefined": undefined,
        "with_flop": with_flop,
        "n_models": len(audit_of_class.model_ids),
    }


def _configuration(result: AuditResult) -> list[tuple[str, str]]:
    config = result.config
    found = result.uncertainty
    rows = [
        ("correlation", _METHOD_NAMES.get(config.method, config.method)),
        ("capability matrix", config.matrix),
        ("preset", config.preset or "none"),
        (
            "capability benchmarks",
            ", ".join(config.capabilities)
            if config.capabilities is not None
            else "role = capability in the metadata",
        ),
        ("model classes", "pooled" if config.pool_classes else "analysed separately"),
        ("class analysed", config.model_class or "all"),
        ("low threshold", f"{config.threshold:.2f}"),
        ("negated (lower is safer)", ", ".join(result.flipped) or "none"),
        ("random seed", "not used (no resampling)" if found is None else str(found.settings.seed)),
    ]
    if found is not None:
        settings = found.settings
        rows += [
            ("bootstrap resamples", str(settings.n_resamples)),
            ("confidence", str(settings.confidence)),
            ("interval", str(settings.interval)),
            ("permutations", str(settings.permutations)),
            ("p-value adjustment", str(settings.adjustment)),
            ("verdict lines", str([found.rule.lower, found.rule.upper])),
        ]
    known = {"capabilities", "method", "matrix", "model_class", "pool_classes", "preset"}
    known |= {"low_threshold", "threshold", "seed"}
    for key, value in config.to_dict().items():
        if key not in known and value is not None:
            rows.append((key.replace("_", " "), str(value)))
    return rows


#: Most score cells the explorer embeds per class (each benchmark's column, per model): a
#: 1,000 x 20,000 panel would otherwise put 170 MB of numbers into the page.
EXPLORER_CELLS = 400_000


def _explorer_data(result: AuditResult) -> dict[str, Any]:
    """Per class: models, capability scores, and each benchmark's oriented column (on a
    large panel, those of the highest and lowest correlations; see EXPLORER_CELLS)."""
    classes: dict[str, Any] = {}
    for audit_of_class in result.classes:
        entry: dict[str, Any] = {
            "models": list(audit_of_class.model_names),
            "score": [_json_value(v) for v in audit_of_class.capability_scores],
            "benchmarks": [],
            "points": [
                {
                    "name": b.name,
                    "area": "Capabilities" if b.role == "capability" else b.area,
                    "x": _json_value(b.capabilities_correlation),
                    "y": _json_value(b.compute_correlation),
                }
                for b in audit_of_class.benchmarks
            ],
        }
        prepared = audit_of_class.prepared
        in_table_order = [
            b
            for _, group in grouped_benchmarks(audit_of_class)
            for b in group
            if b.correlated_with == CAPABILITY_SCORE
        ]
        budget = max(2, EXPLORER_CELLS // max(len(audit_of_class.model_ids), 1))
        if len(in_table_order) > budget:
            # A large panel: the columns of the highest and lowest correlations only.
            ranked = sorted(
                (b for b in in_table_order if not math.isnan(b.capabilities_correlation)),
                key=lambda b: b.capabilities_correlation,
            )
            chosen = {b.id for b in ranked[: budget // 2] + ranked[-(budget // 2) :]}
            entry["note"] = (
                f"(The list holds the {len(chosen):,} of {len(in_table_order):,} "
                "benchmarks with the lowest and highest correlations.)"
            )
            in_table_order = [b for b in in_table_order if b.id in chosen]
        for b in in_table_order:
            entry["benchmarks"].append(
                {
                    "id": b.id,
                    "name": b.name + (" (negated)" if b.flipped else ""),
                    "role": b.role,
                    "r": _json_value(b.capabilities_correlation),
                    "n": b.n,
                    "values": [_json_value(v) for v in prepared.target(b.id)],
                }
            )
        classes[audit_of_class.model_class] = entry
    return {"method": result.config.method, "classes": classes}


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("safetywashing.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_report(
    result: AuditResult,
    *,
    title: str = "Safetywashing audit",
    figures: bool = True,
) -> str:
    """The whole report as one self-contained HTML document.

    Parameters
    ----------
    result : AuditResult
    title : str
        Page title.
    figures : bool, default True
        Embed the figures (inline SVG). Without them the report is text and tables only.

    Returns
    -------
    str
        An HTML5 document with no external references.
    """
    from safetywashing import __version__

    figure_markup: dict[str, str] = {}
    if figures:
        from safetywashing.report.figures import figures_svg, standard_figures

        drawn = standard_figures(result, class_forests=False)
        figure_markup = figures_svg(drawn)
        _close(drawn)
    classes = [_headline(result, c) for c in result.classes]
    rows = _rows(result)
    areas = sorted({row.area for row in rows}, key=lambda a: [r.area for r in rows].index(a))
    config = result.config
    page = (
        _environment()
        .get_template(TEMPLATE)
        .render(
            title=title,
            banner=synthetic_banner(result),
            synthetic=result.synthetic,
            classes=classes,
            class_names=list(result.class_names),
            rows=rows,
            areas=areas,
            any_interval=any(row.interval for row in rows),
            any_verdict=any(row.verdict for row in rows),
            configuration=_configuration(result),
            sources=list(result.sources),
            version=result.version,
            generator_version=__version__,
            method_text=METHOD_TEXT.format(
                matrix=_MATRIX_NAMES.get(config.matrix, config.matrix),
                method=_METHOD_NAMES.get(config.method, config.method),
                threshold=config.threshold,
                compute=result.compute_label,
                imputation=(
                    "filled by iterative PCA of the capability benchmarks alone (never from "
                    "safety columns), and every filled cell is listed below"
                    if config.impute == "pca"
                    else "not filled (impute = none), so such a model gets no score and is "
                    "listed below"
                ),
            ),
            compute_label=result.compute_label,
            compute_short=result.compute_short,
            warnings=list(result.warnings),
            notes=list(result.notes),
            figures=_markup(figure_markup),
            stem=_stems(result),
            data_json=_markup_text(script_json(_explorer_data(result))),
            has_explorer=True,
            threshold=f"{config.threshold:.2f}",
        )
    )
    return str(page)


def _stems(result: AuditResult) -> dict[str, str]:
    from safetywashing.report.figures import class_stems

    return class_stems(result.class_names)


def _markup(svgs: dict[str, str]) -> dict[str, Any]:
    # Inline SVG from matplotlib: its text is already XML-escaped, and tooltips are
    # escaped where they are added, so the markup is trusted as is.
    return {name: _markup_text(screen_size(svg)) for name, svg in svgs.items()}


_SIZE = re.compile(r'<svg([^>]*?) width="([0-9.]+)pt" height="([0-9.]+)pt"')


def screen_size(svg: str) -> str:
    """Size an inline SVG for the screen: paper-sized figures (7-point type) are drawn
    at twice their printed size, tall ones at 1.5 times; the viewBox keeps the shape."""

    def resize(match: re.Match[str]) -> str:
        width, height = float(match.group(2)), float(match.group(3))
        scale = 2.0 if height < 8 * 72 else 1.5
        return f'<svg{match.group(1)} width="{scale * width:.0f}" height="{scale * height:.0f}"'

    return _SIZE.sub(resize, svg, count=1)


def _markup_text(text: str) -> Any:
    from markupsafe import Markup

    # Escaped at the source: see _markup and script_json.
    return Markup(text)


def _close(figures: dict[str, Any]) -> None:
    for fig in figures.values():
        fig.clear()


def write_html_report(
    result: AuditResult,
    path: Path | str,
    *,
    force: bool = False,
) -> Path:
    """Write :func:`html_report` to ``path`` atomically (an existing file needs ``force``)."""
    from safetywashing.io.writers import check_writable, write_atomic

    target = Path(path)
    check_writable([target], force=force)
    write_atomic(target, html_report(result), force=force)
    return target
