"""The robustness table: a families column only where there are family variants."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from rich.console import Console

from safetywashing.audit.compute import audit
from safetywashing.datasets import load_demo_panel
from safetywashing.report.robustness import FLAG_MARK, print_robustness, robustness_json
from safetywashing.robustness.compute import robustness_audit
from safetywashing.robustness.result import RobustnessResult


def _robustness(families: dict[str, str] | None) -> RobustnessResult:
    """The demo's chat models, their families renamed by ``families`` (None: as shipped)."""
    table = load_demo_panel()
    if families is not None:
        models = tuple(replace(m, family=families.get(m.family, m.family)) for m in table.models)
        table = replace(table, models=models)
    return robustness_audit(audit(table, model_class="chat"))


def _render(result: RobustnessResult) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_robustness(result, console)
    return console.export_text()


def _header(text: str) -> str:
    """The table's header lines, joined (a header may take two lines)."""
    return " ".join(line for line in text.splitlines() if line.startswith("┃"))


@pytest.fixture(scope="module")
def with_families() -> RobustnessResult:
    return _robustness(None)


@pytest.fixture(scope="module")
def without_families() -> RobustnessResult:
    # The paper's files have no family column: every model's family is empty.
    families = {f: "" for f in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")}
    return _robustness(families)


def test_without_families_the_column_is_dropped_and_a_line_says_why(
    without_families: RobustnessResult,
) -> None:
    # Before: a "families %" column of "– .. –" on every row, unexplained.
    assert without_families["chat"].rows_of("family") == []
    text = _render(without_families)
    assert "families" not in _header(text)
    assert "– .. –" not in text
    assert (
        "families %: not shown, as no chat model has a family (the scores table has no family "
        "column, or it is empty); name the table's family column with --family-column COLUMN "
        "to add leave-one-family-out variants."
    ) in " ".join(text.split())
    assert "families = " not in text  # the legend names only the columns shown


def test_one_family_is_not_enough_and_the_line_says_so() -> None:
    families = {f: "alpha" for f in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")}
    text = _render(_robustness(families))
    assert "families" not in _header(text)
    assert (
        "every chat model with a family is of one family (alpha), and leaving one out needs "
        "two or more; fill in the other models' families in the family column"
    ) in " ".join(text.split())


def test_with_families_the_column_stays_and_the_legend_explains_the_range(
    with_families: RobustnessResult,
) -> None:
    item = with_families["chat"]
    assert len(item.rows_of("family")) == 6  # the demo's six families
    text = _render(with_families)
    assert "families" in _header(text)
    assert "not shown" not in text
    flat = " ".join(text.split())
    assert (
        "Each range is the lowest .. highest capabilities correlation over the refits of one "
        "kind: leave-one-out = 12 refits, each without one capability benchmark; measures = "
        "the 5 capability measures below; families = 6 refits, each without one model family "
        "(alpha, beta, delta, epsilon, gamma, zeta; models without a family are always kept)."
    ) in flat
    # The printed range is the lowest and highest of the family refits.
    low, high = item.range_of("family")
    j = item.benchmark_ids.index("syn_ethics_qa")
    row = next(line for line in text.splitlines() if " syn_ethics_qa " in line)
    assert f"{100 * low[j]:+.1f} .. {100 * high[j]:+.1f}" in row


@pytest.mark.parametrize("kind", ["with_families", "without_families"])
def test_the_json_document_keeps_its_meaning(kind: str, request: pytest.FixtureRequest) -> None:
    # The table changed, not the document: every variant, families only where computed.
    result: RobustnessResult = request.getfixturevalue(kind)
    document = json.loads(robustness_json(result))
    chat = document["classes"]["chat"]
    item = result["chat"]
    assert chat["variants"] == list(item.variants)
    family_labels = [v for v in chat["variants"] if v.startswith("without family ")]
    assert len(family_labels) == len(item.rows_of("family"))
    j = item.benchmark_ids.index("syn_ethics_qa")
    entry = chat["benchmarks"]["syn_ethics_qa"]
    assert list(entry["variants"]) == list(item.variants)
    assert entry["estimate"] == pytest.approx(item.estimate[j])
    rows = item.rows_of("capability")
    assert entry["leave_one_capability_out"] == pytest.approx(
        [min(item.correlations[rows, j]), max(item.correlations[rows, j])]
    )


@pytest.mark.parametrize("width", [80, 100, 200])
def test_at_common_widths_names_stay_distinct_and_figures_whole(
    with_families: RobustnessResult, width: int
) -> None:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_robustness(with_families, console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= width
    body = [line.split("│") for line in lines if line.startswith("│")]
    item = with_families["chat"]
    assert len(body) == len(item.benchmark_ids)
    marked = [cells[1].startswith(f" {FLAG_MARK} ") for cells in body]
    assert marked == [b in item.flagged for b in item.benchmark_ids]
    names = [cells[1].strip().removeprefix(FLAG_MARK).strip() for cells in body]
    # Every name shown is the benchmark's own, or its start and end around an ellipsis.
    for shown, benchmark in zip(names, item.benchmark_ids, strict=True):
        head, _, tail = shown.partition("…")
        assert shown == benchmark or (benchmark.startswith(head) and benchmark.endswith(tail))
    estimates = [cells[2].strip() for cells in body]
    assert estimates == [f"{100 * value:+.1f}" for value in item.estimate]
