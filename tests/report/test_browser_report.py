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

from safetywashing.audit.compute import audit
from safetywashing.core.table import ScoreTable
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.io.tables.readers import read_scores
from safetywashing.report.html import write_html_report

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
    # In the headline of each class section.
    listed = page.locator("#headline-base .listed").all_text_contents()
    assert any(t.startswith(EVIL + " ") for t in listed)
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
    # forest, scores, loadings, score against compute; three per class (two classes)
    assert figures.count() == 4 + 3 * 2
    for name in ("forest", "loadings", "score-compute"):
        assert _pixel_std(page.locator(f"#figure-{name}").screenshot()) > 20
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


def _at(browser: Any, path: Path, *, width: int, dark: bool = False) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light"
    )
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    yield page
    context.close()


@pytest.fixture(scope="module")
def paper_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Both of the paper's classes: the widest real table (names, metrics, notes).
    folder = _datasets() / "safetywashing-paper"
    table = ScoreTable.concat(
        [
            read_scores(folder / name)
            for name in ("benchmarks_base_models.csv", "benchmarks_chat_models.csv")
        ]
    )
    from safetywashing.io.tables.readers import apply_benchmark_metadata, read_benchmark_info

    table = apply_benchmark_metadata(table, read_benchmark_info(folder / "benchmarks_info.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = audit(table, preset="paper")
    return write_html_report(result, tmp_path_factory.mktemp("paper") / "report.html")


def test_the_table_fits_its_box_at_1400_px(browser: Any, paper_report: Path) -> None:
    # Before, the table was 1317 px inside a 1078 px box and the compute columns were hidden.
    for page in _at(browser, paper_report, width=1400):
        sizes = page.evaluate(
            """() => { const wrap = document.querySelector('.table-wrap');
                       const table = document.getElementById('benchmark-table');
                       return [table.scrollWidth, wrap.clientWidth]; }"""
        )
        assert sizes[0] <= sizes[1], sizes
        last = page.locator("#benchmark-table thead th").last
        box = last.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1400


def test_no_sideways_scroll_at_400_px(browser: Any, paper_report: Path) -> None:
    for page in _at(browser, paper_report, width=400):
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # The table scrolls inside its own box instead.
        assert page.evaluate("document.querySelector('.table-wrap').scrollWidth") > 0


@pytest.mark.parametrize("width", [400, 1400])
def test_the_class_headlines_fit_the_page(browser: Any, paper_report: Path, width: int) -> None:
    # The lists of long benchmark names wrap inside their box at any width.
    for page in _at(browser, paper_report, width=width):
        boxes = page.evaluate(
            """() => Array.from(document.querySelectorAll('.class-headline')).map(box => {
                   const rect = box.getBoundingClientRect();
                   return [rect.left, rect.right, box.scrollWidth, box.clientWidth,
                           box.querySelectorAll('.listed').length, box.textContent]; })"""
        )
        assert len(boxes) == 2  # base and chat
        for left, right, scroll, client, listed, text in boxes:
            assert left >= 0 and right <= width, (left, right)
            assert scroll <= client, (scroll, client)
            assert listed > 0 and "Most entangled with capabilities" in text
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0


def test_dark_mode_follows_the_system(browser: Any, paper_report: Path) -> None:
    colours = {}
    for dark in (False, True):
        for page in _at(browser, paper_report, width=1200, dark=dark):
            colours[dark] = page.evaluate(
                "[getComputedStyle(document.body).backgroundColor,"
                " getComputedStyle(document.body).color]"
            )
    assert colours[False][0] == "rgb(255, 255, 255)"
    background = [int(v) for v in colours[True][0][4:-1].split(",")]
    text = [int(v) for v in colours[True][1][4:-1].split(",")]
    assert max(background) < 60 and min(text) > 180


def test_printing_on_a4_keeps_every_column(browser: Any, paper_report: Path) -> None:
    # Before, A4 print cut the compute column and dropped n and the notes.
    for page in _at(browser, paper_report, width=1200):
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 718, "height": 1000})  # A4 less 12 mm margins, 96 dpi
        widths = page.evaluate(
            """() => { const table = document.getElementById('benchmark-table');
                       const headers = Array.from(table.tHead.rows[0].cells);
                       return [table.getBoundingClientRect().right,
                               headers.map(h => h.getBoundingClientRect().width)]; }"""
        )
        right, columns = widths
        assert right <= 718 + 1
        assert all(w > 0 for w in columns)  # every column, n and notes included, is there
        pdf = page.pdf(
            format="A4", margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"}
        )
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
