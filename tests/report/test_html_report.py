"""The HTML report as text: self-contained, escaped, complete; the notebook summary."""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from safetywashing.audit.compute import AuditResult, audit
from safetywashing.core.table import BenchmarkInfo, ScoreTable
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.io.tables.readers import read_scores
from safetywashing.report.html import html_report, script_json, write_html_report

EVIL = "<script>alert(1)</script>"


def _datasets() -> Path:
    return reference_root()


def paper_both_classes() -> ScoreTable:
    """The paper's base and chat files as one table (union of columns, NaN elsewhere)."""
    folder = _datasets() / "safetywashing-paper"
    base_path = folder / "benchmarks_base_models.csv"
    chat_path = folder / "benchmarks_chat_models_compute.csv"
    if not (base_path.exists() and chat_path.exists()):
        pytest.skip(f"paper data not found in {folder}")
    base, chat = read_scores(base_path), read_scores(chat_path)
    ids = list(dict.fromkeys(base.benchmark_ids + chat.benchmark_ids))
    values = np.full((len(base.models) + len(chat.models), len(ids)), np.nan)
    for offset, part in ((0, base), (len(base.models), chat)):
        for j, benchmark in enumerate(part.benchmark_ids):
            values[offset : offset + len(part.models), ids.index(benchmark)] = part.values[:, j]
    return ScoreTable(
        values=values,
        models=base.models + chat.models,
        benchmarks=tuple(BenchmarkInfo(id=b) for b in ids),
        sources=base.sources + chat.sources,
    )


def evil_panel() -> ScoreTable:
    """The demo panel with a model, a safety benchmark and a capability id named EVIL."""
    table = load_demo_panel()
    models = (replace(table.models[0], id=EVIL, name=EVIL), *table.models[1:])
    benchmarks = tuple(
        replace(b, name=EVIL, area=EVIL)
        if b.id == "syn_ethics_qa"
        else (replace(b, id=EVIL + "cap") if b.id == "syn_logic" else b)
        for b in table.benchmarks
    )
    return replace(table, models=models, benchmarks=benchmarks)


@pytest.fixture(scope="module")
def demo_page() -> tuple[ScoreTable, AuditResult, str]:
    table = load_demo_panel()
    result = audit(table)
    return table, result, html_report(result)


def test_self_contained(demo_page: tuple[ScoreTable, AuditResult, str]) -> None:
    _, _, page = demo_page
    assert page.startswith("<!DOCTYPE html>")
    # No element loads anything: no src, no stylesheet links, no url() in CSS.
    assert not re.search(r"\ssrc\s*=", page)
    assert "<link" not in page
    # url() only ever points inside the page (SVG clip paths).
    assert set(re.findall(r"url\((.)", page)) <= {"#"}
    assert "@import" not in page
    # References only within the page or inline data (images of the heatmap).
    targets = re.findall(r'href="([^"]*)"', page)
    assert targets
    assert all(t.startswith(("#", "data:image/png;base64,")) for t in targets)
    # The only absolute URLs are XML namespaces.
    urls = set(re.findall(r"https?://[^\s\"')<]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "default-src 'none'" in page


def test_the_report_draws_only_the_figures_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: per-class forests were drawn for a page that never showed them.
    from safetywashing.report import figures

    drawn: list[str] = []

    def placeholders(found: dict[str, object]) -> dict[str, str]:
        drawn.extend(found)
        return {name: f'<svg id="drawn-{name}"></svg>' for name in found}

    monkeypatch.setattr(figures, "figures_svg", placeholders)
    page = html_report(audit(load_demo_panel()))
    assert drawn and "forest" in drawn
    assert [name for name in drawn if f'<svg id="drawn-{name}"></svg>' not in page] == []


def test_sections_and_headline_numbers(demo_page: tuple[ScoreTable, AuditResult, str]) -> None:
    _, result, page = demo_page
    for section in ("headline", "method", "overview", "benchmarks", "warnings", "provenance"):
        assert f'<section id="{section}"' in page
    for c in result.classes:
        assert f'<section id="class-{c.model_class}" class="model-class">' in page
        assert f"{100 * c.variance_explained:.1f}%" in page
        assert f"{100 * c.score_compute_correlation:+.1f}% (n={c.score_compute_n})" in page
    assert "SYNTHETIC DATA" in page
    # forest, scores, loadings and score against compute (the demo has FLOP), then three
    # per class.
    assert page.count('<figure class="plot') == 4 + 3 * len(result.classes)
    assert 'id="figure-loadings"' in page and 'id="figure-score-compute"' in page


def test_table_rows_and_sort_keys(demo_page: tuple[ScoreTable, AuditResult, str]) -> None:
    _, result, page = demo_page
    rows = re.findall(r"<tr data-class=", page)
    assert len(rows) == sum(len(c.benchmarks) for c in result.classes)
    chat = result["chat"]
    b = chat.benchmark("syn_ethics_qa")
    # Raw value as sort key, percent to one decimal as text.
    assert (
        f'<td class="num" data-value="{b.capabilities_correlation!r}">'
        f"{100 * b.capabilities_correlation:+.1f}</td>"
    ) in page


def test_provenance_hashes_version_and_seed(tmp_path: Path) -> None:
    folder = _datasets() / "safetywashing-paper"
    path = folder / "benchmarks_chat_models_compute.csv"
    if not path.exists():
        pytest.skip(f"paper data not found in {folder}")
    table = read_scores(path)
    result = audit(table, preset="paper")
    page = html_report(result, figures=False)
    assert hashlib.sha256(path.read_bytes()).hexdigest() in page
    assert "<td>0.1.0</td>" in page
    assert "not used (no resampling)" in page
    assert "SYNTHETIC" not in page
    # Paper, v3 (datasets README): chat PC1 70.8%, capability score vs FLOP 93.7% (n=23).
    assert "70.8%" in page
    assert "+93.7% (n=23)" in page


def _chat_page_with_one_interval() -> str:
    """The demo's chat report (no figures) with an interval and verdict on syn_ethics_qa."""
    result = audit(load_demo_panel(), model_class="chat")
    chat = result["chat"]
    benchmarks = tuple(
        replace(b, ci_low=0.61, ci_high=0.93, verdict="entangled") if b.id == "syn_ethics_qa" else b
        for b in chat.benchmarks
    )
    return html_report(
        replace(result, classes=(replace(chat, benchmarks=benchmarks),)), figures=False
    )


def test_intervals_and_verdicts_appear_when_present() -> None:
    page = _chat_page_with_one_interval()
    assert "interval %</th>" in page
    assert ">decision</th>" in page and "the verdict of the interval" in page
    assert "[+61.0, +93.0]" in page
    assert '<td class="decision reading-entangled">entangled</td>' in page
    plain = html_report(audit(load_demo_panel(), model_class="chat"), figures=False)
    assert "interval %</th>" not in plain


def test_every_name_is_escaped() -> None:
    table = evil_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = audit(table)
    page = html_report(result)
    # Exactly our two script elements (the JSON data and the code), nothing injected.
    assert page.count("<script") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = re.search(r'<script type="application/json" id="sw-data">(.*?)</script>', page, re.S)
    assert data is not None
    parsed = json.loads(data.group(1))
    assert parsed["classes"]["base"]["models"][0] == EVIL
    assert any(b["name"] == EVIL for b in parsed["classes"]["base"]["benchmarks"])


def test_script_json_cannot_close_the_block() -> None:
    text = script_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


@pytest.mark.slow
def test_paper_two_classes_under_5_mb(tmp_path: Path) -> None:
    table = paper_both_classes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = audit(table, preset="paper")
    assert result.class_names == ("base", "chat")
    target = write_html_report(result, tmp_path / "report.html")
    size = target.stat().st_size
    assert size < 5_000_000, size
    page = target.read_text()
    # Paper, v3 (datasets README): PC1 78.3% base, 70.8% chat.
    assert "78.3%" in page and "70.8%" in page


def test_write_refuses_to_overwrite(tmp_path: Path) -> None:
    result = audit(load_demo_panel(), model_class="base")
    target = tmp_path / "r.html"
    target.write_text("keep")
    from safetywashing.core.errors import InputError

    with pytest.raises(InputError) as error:
        write_html_report(result, target)
    assert str(error.value) == (
        f"{target} already exists; pass --force to overwrite or choose another output location."
    )
    assert target.read_text() == "keep"


def test_repr_html_compact_and_escaped() -> None:
    table = evil_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = audit(table)
    summary = result._repr_html_()
    assert summary.startswith('<div class="safetywashing-summary"')
    assert "<script" not in summary
    assert "&lt;script&gt;" in summary
    assert "SYNTHETIC DATA" in summary
    assert len(summary) < 10_000
    # Every class with its PC1 share.
    for c in result.classes:
        assert f'<td style="padding: 2px 8px;">{c.model_class}</td>' in summary
        assert f"{100 * c.variance_explained:.1f}" in summary
    assert not math.isnan(result.classes[0].variance_explained)


def test_bootstrap_seed_and_settings_are_shown() -> None:
    from safetywashing.uncertainty.compute import bootstrap_audit

    table = load_demo_panel()
    result = audit(table, model_class="chat")
    with_intervals = bootstrap_audit(result, n_resamples=200, seed=7).apply(result)
    page = html_report(with_intervals, figures=False)
    assert "<th>random seed</th><td>7</td>" in page
    assert "<th>bootstrap resamples</th><td>200</td>" in page
    assert "not used (no resampling)" not in page


def test_classes_whose_names_clean_alike_keep_their_own_figures() -> None:
    table = load_demo_panel()
    renamed = {"base": "chat model", "chat": "chat_model"}
    models = tuple(replace(m, model_class=renamed[m.model_class]) for m in table.models)
    result = audit(replace(table, models=models))
    page = html_report(result)
    # Both would be "chat_model"; one section's figures used to replace the other's.
    for stem in ("chat_model", "chat_model-2"):
        assert page.count(f'id="class-{stem}"') == 1
        assert page.count(f'id="figure-heatmap-{stem}"') == 1
    headings = re.findall(
        r'<section id="class-([^"]+)" class="model-class">\s*<h2>([^<]+)</h2>', page
    )
    assert headings == [("chat_model", "chat model models"), ("chat_model-2", "chat_model models")]
    # Each section shows its own class's scree title.
    sections = re.split(r'<section id="class-', page)[1:3]
    assert "Scree, chat model models" in sections[0] and "Scree, chat_model models" in sections[1]


def test_explorer_of_a_large_panel_embeds_the_extreme_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safetywashing.report import html as html_module

    table = load_demo_panel()
    result = audit(table)
    full = html_module._explorer_data(result)
    monkeypatch.setattr(html_module, "EXPLORER_CELLS", 4 * 15)  # 4 columns of 15 models
    small = html_module._explorer_data(result)
    for name, entry in small["classes"].items():
        everything = full["classes"][name]["benchmarks"]
        assert len(everything) > 4 and len(entry["benchmarks"]) == 4
        assert "4 of" in entry["note"]
        ranked = sorted((b for b in everything if b["r"] is not None), key=lambda b: b["r"])
        assert {b["id"] for b in entry["benchmarks"]} == {b["id"] for b in ranked[:2] + ranked[-2:]}


def _class_section(page: str, stem: str) -> str:
    start = page.index(f'<section id="class-{stem}" class="model-class">')
    return page[start : page.index("</section>", start)]


def _listed(block: str, key: str) -> list[str]:
    """Benchmark ids (the title of each listed name) of one headline list."""
    line = block[block.index(f'<p class="headline-{key}">') :].split("</p>")[0]
    return re.findall(r'<span class="listed" title="([^"]*)">', line)


def test_each_class_section_opens_with_the_consoles_headline(
    demo_page: tuple[ScoreTable, AuditResult, str],
) -> None:
    # Before: the most entangled and most inverse benchmarks were only in the terminal.
    from safetywashing.report.console import headline

    _, result, page = demo_page
    for c in result.classes:
        section = _class_section(page, c.model_class)
        # At the top: right under the section's heading.
        assert re.match(
            r'<section id="class-\w+" class="model-class">\s*<h2>[^<]+</h2>\s*'
            r'<div class="class-headline"',
            section,
        )
        found = c.headline()
        assert found.entangled and found.inverse  # the demo plants both
        assert _listed(section, "entangled") == [b.id for b in found.entangled]
        assert _listed(section, "inverse") == [b.id for b in found.inverse]
        # The same lists, in the same order, as the terminal's two headline lines.
        console = headline(result, c).plain.splitlines()
        for line, ids in zip(
            console, (_listed(section, "entangled"), _listed(section, "inverse")), strict=True
        ):
            assert [part.split(" ")[0] for part in line.split(": ", 1)[1].split("; ")] == ids
        top = found.entangled[0]
        value = f"{100 * top.capabilities_correlation:+.1f}"
        assert f'{top.name} <span class="nowrap num-text">{value}</span>' in section
        assert "at or above +0.40" in section and "at or below −0.40" in section


def test_the_headline_shows_intervals_and_says_none() -> None:
    page = _chat_page_with_one_interval()
    section = _class_section(page, "chat")
    line = section[section.index('<p class="headline-entangled">') :].split("</p>")[0]
    assert "+89.6 [+61.0, +93.0]</span>" in line
    # A line nothing reaches: both lists say so.
    strict = html_report(audit(load_demo_panel(), model_class="chat", threshold=1.0), figures=False)
    section = _class_section(strict, "chat")
    assert _listed(section, "entangled") == _listed(section, "inverse") == []
    assert section.count('<span class="muted">none</span>') == 2
    assert "at or above +1.00" in section


def test_headline_names_and_ids_are_escaped_in_the_report_and_notebook() -> None:
    table = load_demo_panel()
    hostile_id = 'x"><img onerror=alert(1)>'
    benchmarks = tuple(
        replace(b, name=EVIL)
        if b.id == "syn_ethics_qa"
        else (replace(b, id=hostile_id) if b.id == "syn_hazard_bio_unlearning" else b)
        for b in table.benchmarks
    )
    result = audit(replace(table, benchmarks=benchmarks), model_class="chat")
    chat = result["chat"]
    assert EVIL in [b.name for b in chat.headline().entangled]
    assert hostile_id in [b.id for b in chat.headline().inverse]
    escaped_id = "x&#34;&gt;&lt;img onerror=alert(1)&gt;"
    section = _class_section(html_report(result, figures=False), "chat")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "<script" not in section and "<img" not in section
    assert f'title="{escaped_id}"' in section
    for view in (result._repr_html_(), chat._repr_html_()):
        headline = view[view.index('<div class="safetywashing-headline"') :].split("</div>")[0]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in headline
        assert "<script" not in view and "<img" not in view
        assert 'title="x&quot;&gt;&lt;img onerror=alert(1)&gt;"' in headline


def test_the_notebook_views_show_the_headline_of_each_class() -> None:
    result = audit(load_demo_panel())
    summary = result._repr_html_()
    for c in result.classes:
        block = summary[summary.index(f"<em>{c.model_class} models</em>") :].split("</div>")[0]
        entangled, inverse = block.split("<strong>Most inverse")
        assert re.findall(r'<span title="([^"]*)">', entangled) == [
            b.id for b in c.headline().entangled
        ]
        assert re.findall(r'<span title="([^"]*)">', inverse) == [
            b.id for b in c.headline().inverse
        ]
        view = c._repr_html_()
        # Between the summary and the table.
        assert view.index("Most entangled with capabilities") < view.index("<table")
        top = c.headline().entangled[0]
        assert f"{top.name}</span> {100 * top.capabilities_correlation:+.1f}" in view
