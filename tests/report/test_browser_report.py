"""The HTML report in a real browser: Debian's Chromium, headless, through Playwright.

Never downloads a browser: it drives /usr/bin/chromium (``apt-get install chromium``) and
is skipped, with that reason, only when that file is absent.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from safetywashing.audit import audit
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.io.readers import read_scores
from safetywashing.report.html import write_html_report
from safetywashing.table import ScoreTable

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
EVIL = "<script>alert(1)</script>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def _datasets() -> Path:
    return reference_root()


@dataclass
class Visit:
    """A loaded page and everything it tried to do."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def visit(browser: Any, path: Path) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    seen = Visit(page=page)
    page.on(
        "console",
        lambda message: (
            seen.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def route(route: Any) -> None:
        url = route.request.url
        seen.requests.append(url)
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            seen.blocked.append(url)
            route.abort()

    context.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    yield seen
    context.close()


def evil_panel() -> ScoreTable:
    table = load_demo_panel()
    models = (replace(table.models[0], id=EVIL, name=EVIL), *table.models[1:])
    benchmarks = tuple(
        replace(b, name=EVIL) if b.id == "syn_ethics_qa" else b for b in table.benchmarks
    )
    return replace(table, models=models, benchmarks=benchmarks)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    table = evil_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = audit(table)
    return write_html_report(result, tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture
def demo(browser: Any, demo_report: Path) -> Iterator[Visit]:
    yield from visit(browser, demo_report)


def _pixel_std(png: bytes) -> float:
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).std())


def test_loads_clean_and_offline(demo: Visit) -> None:
    assert demo.console_errors == []
    assert demo.page_errors == []
    assert demo.blocked == []
    # The one request is the file itself (inline images are data: and never fetched).
    assert all(url.startswith(("file:", "data:")) for url in demo.requests)
    assert demo.page.title().startswith("Safetywashing audit")


def test_hostile_names_are_text_everywhere(demo: Visit) -> None:
    page = demo.page
    assert demo.dialogs == []
    # In the benchmark table, as cell text.
    cells = page.locator("#benchmark-table tbody td").all_text_contents()
    assert EVIL in cells
    # In the figures: the forest labels the benchmark, the scores figure the model.
    forest = page.locator("#figure-forest svg").text_content()
    scores = page.locator("#figure-scores svg").text_content()
    assert EVIL in forest
    assert EVIL in scores
    # In the hover tooltips of the figures' points.
    forest_tips = page.locator("#figure-forest svg g.sw-point > title").all_text_contents()
    assert any(t.startswith(EVIL + " (base): ") for t in forest_tips)
    # In the benchmark explorer's menu and in the tooltips of its points.
    options = page.locator("#explore-base select option").all_text_contents()
    assert EVIL in options
    tooltips = page.locator("#explore-base svg circle title").all_text_contents()
    assert any(t.startswith(EVIL + ":") for t in tooltips)
    # And nowhere did it become an element.
    assert page.evaluate("document.querySelectorAll('script').length") == 2


def test_clicking_a_header_sorts_the_table(demo: Visit) -> None:
    page = demo.page
    header = page.locator("#col-correlation")
    column = page.evaluate(
        "Array.prototype.indexOf.call(document.querySelector('#col-correlation')"
        ".parentNode.children, document.querySelector('#col-correlation'))"
    )

    def values() -> list[float]:
        raw = page.evaluate(
            f"""Array.from(document.querySelectorAll('#benchmark-table tbody tr'))
                .map(r => r.cells[{column}].getAttribute('data-value'))"""
        )
        return [float(v) for v in raw if v != ""]

    before = values()
    assert before != sorted(before)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert values() == sorted(before)
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert values() == sorted(before, reverse=True)
    # A text column sorts too.
    page.locator("#benchmark-table th", has_text="benchmark").first.click()
    names = page.locator("#benchmark-table tbody tr td:nth-child(3)").all_text_contents()
    assert names == sorted(names, key=str.casefold)


def test_filtering_hides_rows(demo: Visit) -> None:
    page = demo.page
    total = page.locator("#benchmark-table tbody tr").count()
    page.fill("#filter", "hazard")
    visible = page.locator("#benchmark-table tbody tr:not([hidden])")
    assert 0 < visible.count() < total
    assert all("hazard" in t.lower() for t in visible.all_text_contents())
    page.fill("#filter", "")
    page.select_option("#class-filter", "chat")
    assert page.locator("#row-count").text_content() == f"showing {total // 2} of {total}"


def test_figures_are_present_and_not_blank(demo: Visit) -> None:
    page = demo.page
    figures = page.locator("figure.plot svg")
    assert figures.count() == 2 + 3 * 2
    shot = page.locator("#figure-forest").screenshot()
    assert _pixel_std(shot) > 20
    assert _pixel_std(page.screenshot(full_page=True)) > 20
    # The explorer draws one point per model with both values.
    assert page.locator("#explore-chat svg circle").count() == 15
    page.select_option("#explore-chat select", index=0)
    assert page.locator("#explore-chat svg circle").count() == 15


@pytest.mark.slow
def test_paper_report_in_the_browser(browser: Any, tmp_path: Path) -> None:
    path = _datasets() / "safetywashing-paper" / "benchmarks_chat_models_compute.csv"
    if not path.exists():
        pytest.skip(f"paper data not found at {path}")
    table = read_scores(path)
    report = write_html_report(audit(table, preset="paper"), tmp_path / "r.html")
    for seen in visit(browser, report):
        assert seen.console_errors == [] and seen.page_errors == [] and seen.blocked == []
        assert seen.page.locator("#benchmark-table tbody tr").count() == 178
        assert "70.8%" in seen.page.locator("#headline").text_content()


def test_undefined_correlations_sort_last_both_ways(browser: Any, tmp_path: Path) -> None:
    table = load_demo_panel()
    values = table.values.copy()
    values[:, table.benchmark_ids.index("syn_ethics_qa")] = 0.5  # constant: no correlation
    table = replace(table, values=values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = write_html_report(audit(table), tmp_path / "r.html")
    for seen in visit(browser, report):
        page = seen.page
        header = page.locator("#col-correlation")
        column = page.evaluate(
            "Array.prototype.indexOf.call(document.querySelector('#col-correlation')"
            ".parentNode.children, document.querySelector('#col-correlation'))"
        )

        script = f"""Array.from(document.querySelectorAll('#benchmark-table tbody tr'))
            .map(r => r.cells[{column}].getAttribute('data-value'))"""
        assert page.evaluate(script).count("") == 2  # one undefined row per class
        for order in ("ascending", "descending"):
            header.click()
            assert header.get_attribute("aria-sort") == order
            shown: list[str] = page.evaluate(script)
            assert shown[-2:] == ["", ""]
            numbers = [float(v) for v in shown[:-2]]
            assert numbers == sorted(numbers, reverse=order == "descending")
        assert seen.page_errors == []
