"""Coverage in words and tables: which models have which benchmarks, what was filled."""

from __future__ import annotations

from rich.table import Table

from safetywashing.audit.coverage import ClassCoverage
from safetywashing.report.latex import escape_markdown

MAX_LISTED = 5


def _listed(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def coverage_sentence(coverage: ClassCoverage) -> str:
    """One sentence: how many models are complete, imputed, left out, and how."""
    complete = len(coverage.models_with("complete"))
    imputed = len(coverage.models_with("imputed"))
    excluded = len(coverage.models_with("excluded"))
    k = len(coverage.capability_benchmarks)
    text = f"Coverage: {complete} of {coverage.n_models} models have all {k} capability benchmarks"
    if imputed:
        text += (
            f"; {imputed} had {coverage.n_imputed_cells} capability "
            f"value{'s' if coverage.n_imputed_cells != 1 else ''} imputed (rank-"
            f"{coverage.rank} iterative PCA of the capability benchmarks only, "
            + (
                f"converged in {coverage.iterations} iterations"
                if coverage.converged
                else f"not converged after {coverage.iterations} iterations"
            )
            + ")"
        )
    if excluded:
        text += f"; {excluded} left out of the capability score"
    return text + "."


def coverage_markdown(coverage: ClassCoverage) -> list[str]:
    """Markdown lines of a class's coverage section (heading, sentence, tables)."""
    lines = ["### Coverage", "", coverage_sentence(coverage), ""]
    k = len(coverage.capability_benchmarks)
    gappy = [m for m in coverage.models if m.status != "complete"]
    if gappy:
        lines += [
            "| model | status | capability benchmarks | imputed | reason |",
            "|---|---|---|---|---|",
        ]
        for m in gappy:
            lines.append(
                f"| {escape_markdown(m.id)} | {m.status} | {m.n_capability} of {k} | "
                f"{escape_markdown(', '.join(m.imputed))} | {escape_markdown(m.reason)} |"
            )
        lines.append("")
    incomplete = coverage.incomplete_benchmarks
    if incomplete:
        lines += [
            "| benchmark | role | models with a score | imputed | models without |",
            "|---|---|---:|---:|---|",
        ]
        for b in incomplete:
            lines.append(
                f"| {escape_markdown(b.id)} | {b.role} | {b.n_observed} of {coverage.n_models} | "
                f"{b.n_imputed} | {escape_markdown(_listed(b.missing_models))} |"
            )
        lines.append("")
    else:
        lines += ["Every model has a score on every benchmark.", ""]
    return lines


def coverage_table(coverage: ClassCoverage, model_class: str) -> Table | None:
    """A rich table of the models with gaps; None when every model is complete."""
    gappy = [m for m in coverage.models if m.status != "complete"]
    if not gappy:
        return None
    k = len(coverage.capability_benchmarks)
    table = Table(
        title=f"{model_class} models with capability gaps", title_justify="left", expand=False
    )
    table.add_column("model", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("capab.", justify="right", no_wrap=True)
    table.add_column("imputed / reason", overflow="fold")
    for m in gappy:
        detail = ", ".join(m.imputed) if m.status == "imputed" else m.reason
        table.add_row(m.id, m.status, f"{m.n_capability}/{k}", detail)
    return table
