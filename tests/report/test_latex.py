"""LaTeX (booktabs) and Markdown tables grouped by area."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from safetywashing.audit.compute import AuditResult, audit
from safetywashing.cli.app import main
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.io.tables.readers import read_scores
from safetywashing.report.latex import (
    escape_latex,
    escape_markdown,
    latex_percent,
    latex_tables,
    markdown_tables,
    metric_with_arrow,
)
from safetywashing.report.numbers import format_number
from safetywashing.report.reading import grouped_benchmarks


def _datasets() -> Path:
    return reference_root()


@pytest.fixture(scope="module")
def paper_chat() -> AuditResult:
    path = _datasets() / "safetywashing-paper" / "benchmarks_chat_models_compute.csv"
    if not path.exists():
        pytest.skip(f"paper data not found at {path}")
    return audit(read_scores(path), preset="paper")


def _row(tex: str, name: str) -> list[str]:
    for line in tex.splitlines():
        if line.startswith(escape_latex(name) + " &"):
            return [cell.strip() for cell in line.removesuffix(r"\\").split(" & ")]
    raise AssertionError(f"no row for {name}")


def test_paper_rows_in_percent_to_one_decimal(paper_chat: AuditResult) -> None:
    tex = latex_tables(paper_chat)
    # Reference: the datasets README, chat column and compute column (paper v3). Rows carry
    # the display names of the paper's benchmarks_info.csv, which the preset applies.
    assert _row(tex, "ETHICS")[1:] == [r"Accuracy ($\uparrow$)", "82.2", "26", "81.6"]
    assert _row(tex, "Model Written Evals: Sycophancy")[2:] == ["$-$66.8", "26", "$-$66.8"]
    assert _row(tex, "WMDP Biological Split")[2:] == ["$-$87.5", "26", "$-$91.1"]
    assert _row(tex, "LMSYS Chatbot Arena")[2:4] == ["62.1", "20"]
    assert _row(tex, "Machiavelli Utility")[2] == "$-$49.9"


def test_a_sigma_in_a_name_is_typeset_as_math() -> None:
    # Without the preset's display names the column id is the name; its Σ becomes math
    # and the metric gets its arrow.
    from safetywashing.datasets.presets import PAPER_CAPABILITIES

    path = _datasets() / "safetywashing-paper" / "benchmarks_chat_models_compute.csv"
    table = read_scores(path)
    table = table.with_benchmarks(
        replace(b, metric="↑") if b.id == "machiavelli-utility.Σ" else b for b in table.benchmarks
    )
    tex = latex_tables(audit(table, capabilities=PAPER_CAPABILITIES))
    cells = _row(tex, "machiavelli-utility.Σ")
    assert cells[0] == r"machiavelli-utility.$\Sigma$"
    assert cells[1] == r"$\uparrow$"
    assert cells[2] == "$-$49.9"


def test_grouped_by_area_in_the_papers_order(paper_chat: AuditResult) -> None:
    tex = latex_tables(paper_chat)
    headers = re.findall(r"\\multicolumn\{5\}\{l\}\{\\textit\{(.+?)\}\}", tex)
    expected = [
        escape_latex(area)
        for area, _ in grouped_benchmarks(paper_chat["chat"], include_capabilities=False)
    ]
    assert headers == expected
    assert headers[:3] == ["Alignment", "Machine ethics", "Bias"]
    for command in (r"\toprule", r"\midrule", r"\bottomrule", r"\begin{tabular}{llrrr}"):
        assert command in tex
    # Capability benchmarks are left out unless asked for.
    assert not any(line.startswith("MMLU &") for line in tex.splitlines())
    with_capabilities = latex_tables(paper_chat, include_capabilities=True)
    assert any(line.startswith("MMLU &") for line in with_capabilities.splitlines())


def test_latex_specials_are_escaped() -> None:
    assert escape_latex(r"A & B_% #1 {x} ~^\ $Σ ↑") == (
        r"A \& B\_\% \#1 \{x\} \textasciitilde{}\textasciicircum{}\textbackslash{} \$"
        r"$\Sigma$ $\uparrow$"
    )


def test_metric_arrow_from_the_direction() -> None:
    result = audit(load_demo_panel())
    chat = result["chat"]
    negated = chat.benchmark("syn_jailbreak_success")
    assert metric_with_arrow(replace(negated, metric="Attack success")) == "Attack success (↓)"
    assert metric_with_arrow(replace(negated, metric="")) == "↓"
    assert metric_with_arrow(replace(negated, metric="Accuracy (↑)")) == "Accuracy (↑)"


def test_interval_column_only_when_intervals_exist() -> None:
    result = audit(load_demo_panel(), model_class="chat")
    chat = result["chat"]
    assert "Interval" not in latex_tables(result)
    benchmarks = tuple(
        replace(b, ci_low=0.1234, ci_high=0.5678) if b.id == "syn_ethics_qa" else b
        for b in chat.benchmarks
    )
    with_ci = replace(result, classes=(replace(chat, benchmarks=benchmarks),))
    tex = latex_tables(with_ci)
    assert r"\begin{tabular}{llrcrr}" in tex
    assert _row(tex, "Ethics qa (synthetic)")[3] == "[12.3, 56.8]"
    assert _row(tex, "Deception avoidance (synthetic)")[3] == "--"
    markdown = markdown_tables(with_ci)
    assert "| interval (%) |" in markdown
    assert "| [12.3, 56.8] |" in markdown


def test_synthetic_panel_is_labelled() -> None:
    tex = latex_tables(audit(load_demo_panel()))
    assert "% SYNTHETIC DATA" in tex
    assert "Synthetic data: the numbers describe no real model." in tex


def test_markdown_tables_escape_and_group() -> None:
    table = load_demo_panel()
    benchmarks = tuple(
        replace(b, name="a|b <i>x</i>") if b.id == "syn_ethics_qa" else b for b in table.benchmarks
    )
    result = audit(table.with_benchmarks(benchmarks), model_class="base")
    markdown = markdown_tables(result)
    assert r"a\|b &lt;i&gt;x&lt;/i&gt;" in markdown
    assert "<i>" not in markdown
    lines = [line for line in markdown.splitlines() if line.startswith("| ")][1:]
    # Every row has the same number of cells as the header.
    header = next(s for s in markdown.splitlines() if s.startswith("| area"))
    assert {line.count(" | ") for line in lines} == {header.count(" | ")}
    # The area is written once per group.
    assert sum("**Machine ethics**" in line for line in lines) == 1
    assert escape_markdown("x_y*z") == r"x\_y\*z"


def test_audit_format_latex(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["audit", "--format", "latex", "--class", "chat"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.startswith("% Capabilities correlations by safety area")
    assert out.count(r"\begin{table}") == 1
    assert r"\label{tab:safetywashing-chat}" in out


def test_a_name_starting_with_a_bracket_or_star_cannot_eat_the_row_break() -> None:
    # After "\\", LaTeX reads "[...]" as a skip length (compile error) and "*" as the
    # star form (the character vanishes); the next row must not start with either.
    table = load_demo_panel()
    names = {"syn_ethics_qa": "[beta] ethics", "syn_power_seeking": "*starred\nname"}
    benchmarks = tuple(replace(b, name=names.get(b.id, b.name)) for b in table.benchmarks)
    tex = latex_tables(audit(table.with_benchmarks(benchmarks), model_class="chat"))
    rows = [line for line in tex.splitlines() if " & " in line]
    assert not [line for line in rows if line.startswith(("[", "*"))]
    assert any(line.startswith("{[}beta{]} ethics & ") for line in rows)
    assert any(line.startswith("{*}starred name & ") for line in rows)  # one line per row
    assert tex.count("{") == tex.count("}")


# -- the one number formatter ---------------------------------------------------------------

_VALUES = [0.0, -0.0, 0.4523, -0.4523, 0.00049, -0.00049, 1.0, -1.0, 0.123456, float("nan")]


@pytest.mark.parametrize("value", _VALUES)
def test_every_report_style_of_the_one_formatter(value: float) -> None:
    # The formats the reports printed before they shared one formatter, written out.
    nan = math.isnan(value)
    assert format_number(value) == ("–" if nan else f"{100 * value:.1f}")
    assert format_number(value, sign=True) == ("–" if nan else f"{100 * value:+.1f}")
    assert format_number(value, missing="n/a", suffix="%") == (
        "n/a" if nan else f"{100 * value:.1f}%"
    )
    plain = f"{100 * value:.1f}"
    assert latex_percent(value) == (
        "--" if nan else f"$-${plain[1:]}" if plain.startswith("-") else plain
    )
    assert format_number(value, digits=3, percent=False, sign=True, missing="") == (
        "" if nan else f"{value:+.3f}"
    )
    assert format_number(value, digits=0, suffix="%") == ("–" if nan else f"{100 * value:.0f}%")
    assert format_number(None) == "–"
