"""Figures: each takes finished results, draws exactly their values, and saves cleanly."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from safetywashing.audit.compute import AuditResult, audit
from safetywashing.core.errors import InputError
from safetywashing.core.table import ScoreTable
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.datasets.simulate import simulate_panel
from safetywashing.io.tables.readers import read_scores
from safetywashing.report import figures
from safetywashing.report.figures.points import POINT_GID_PREFIX, name_points, point_tips
from safetywashing.report.figures.style import short_labels

EVIL = "<script>alert(1)</script>"


def _datasets() -> Path:
    return reference_root()


@pytest.fixture(scope="module")
def demo() -> tuple[ScoreTable, AuditResult]:
    table = load_demo_panel()
    return table, audit(table)


@pytest.fixture(scope="module")
def paper_chat() -> tuple[ScoreTable, AuditResult]:
    path = _datasets() / "safetywashing-paper" / "benchmarks_chat_models_compute.csv"
    if not path.exists():
        pytest.skip(f"paper data not found at {path}")
    table = read_scores(path)
    return table, audit(table, preset="paper")


def _point_coordinates(fig: Figure) -> list[tuple[float, float]]:
    """Coordinates of the tooltip points (one artist per point, gid swpt-N)."""
    return [point for ax in fig.axes for point in _points_of(ax)]


def _points_of(ax: Axes) -> list[tuple[float, float]]:
    out = []
    for line in ax.get_lines():
        gid = line.get_gid()
        if gid and gid.startswith(POINT_GID_PREFIX):
            x, y = line.get_data()
            out.append((float(np.asarray(x)[0]), float(np.asarray(y)[0])))
    return out


def test_every_figure_returns_a_figure_one_column_wide(
    demo: tuple[ScoreTable, AuditResult],
) -> None:
    _, result = demo
    for kind in ("scree", "heatmap", "compute"):
        fig = figures.make_figure(kind, result, model_class="chat")
        assert isinstance(fig, Figure)
        assert fig.get_figwidth() == pytest.approx(figures.COLUMN_WIDTH)
    fig = figures.make_figure("scatter", result, model_class="chat", benchmark="syn_ethics_qa")
    assert fig.get_figwidth() == pytest.approx(figures.COLUMN_WIDTH)
    for kind in ("scores", "forest"):
        fig = figures.make_figure(kind, result)
        # Wide enough for the longest label, never narrower than one column.
        assert fig.get_figwidth() >= figures.COLUMN_WIDTH


def test_forest_draws_each_correlation_and_the_band(demo: tuple[ScoreTable, AuditResult]) -> None:
    _, result = demo
    fig = figures.forest_figure(result, model_class="base")
    drawn = sorted(x for x, _ in _point_coordinates(fig))
    expected = sorted(
        b.capabilities_correlation
        for b in result["base"].benchmarks
        if b.role != "capability" and not math.isnan(b.capabilities_correlation)
    )
    assert drawn == pytest.approx(expected)
    band = fig.axes[0].patches[0]
    assert band.get_x() == pytest.approx(-0.40)
    assert band.get_width() == pytest.approx(0.80)
    # Both classes: one point per class and benchmark.
    both = figures.forest_figure(result)
    assert len(_point_coordinates(both)) == 2 * len(expected)


def test_forest_draws_intervals_when_present(demo: tuple[ScoreTable, AuditResult]) -> None:
    _, result = demo
    chat = result["chat"]
    safety = [b for b in chat.benchmarks if b.role == "safety"]
    chosen = {safety[0].id: (-0.1, 0.5), safety[3].id: (-0.95, -0.6)}
    benchmarks = tuple(
        replace(b, ci_low=chosen[b.id][0], ci_high=chosen[b.id][1]) if b.id in chosen else b
        for b in chat.benchmarks
    )
    with_ci = replace(result, classes=(replace(chat, benchmarks=benchmarks),))
    fig = figures.forest_figure(with_ci)
    segments = [
        tuple(sorted((float(s[0][0]), float(s[1][0]))))
        for collection in fig.axes[0].collections
        for s in collection.get_segments()
    ]
    assert sorted(segments) == sorted(chosen.values())
    tips = figures.tooltips(fig).values()
    assert any("interval [-0.100, +0.500]" in tip for tip in tips)
    # Without intervals there are no interval bars at all.
    assert len(figures.forest_figure(result, model_class="chat").axes[0].collections) == 0


def test_forest_band_follows_the_threshold(demo: tuple[ScoreTable, AuditResult]) -> None:
    table, _ = demo
    fig = figures.forest_figure(audit(table, threshold=0.3))
    assert fig.axes[0].patches[0].get_width() == pytest.approx(0.6)


def _legend(fig: Figure) -> Legend:
    """The one legend of a figure (on an axes or on the figure)."""
    found = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    assert len(found) == 1
    return found[0]


def _gap_above_axes(fig: Figure) -> float:
    """Inches from the top of the main axes to the bottom of the legend (negative:
    the legend sits below the axes' top), after layout."""
    fig.canvas.draw()
    ax = fig.axes[0]
    legend_box = _legend(fig).get_window_extent()
    in_axes = legend_box.transformed(ax.transAxes.inverted())
    axes_height = ax.get_window_extent().height / fig.dpi
    return (in_axes.y0 - 1.0) * axes_height


def test_forest_legend_sits_just_above_the_axes(
    demo: tuple[ScoreTable, AuditResult], many_benchmarks: AuditResult
) -> None:
    _, result = demo
    # The demo forest (both classes), one class, and the overview of a large panel: a
    # legend at the foot of a tall figure is far from the data it explains.
    for fig in (
        figures.forest_figure(result),
        figures.forest_figure(result, model_class="chat"),
        figures.forest_figure(many_benchmarks),
    ):
        assert 0.0 <= _gap_above_axes(fig) < 0.3
        # Right-aligned with the axes, above the labels' column if it is wider.
        box = _legend(fig).get_window_extent().transformed(fig.axes[0].transAxes.inverted())
        assert box.x1 == pytest.approx(1.0, abs=0.02)


def test_forest_titles_name_the_model_class(
    demo: tuple[ScoreTable, AuditResult], many_benchmarks: AuditResult
) -> None:
    _, result = demo
    titles = {
        "chat": figures.forest_figure(result, model_class="chat"),
        "both": figures.forest_figure(result),
        "overview": figures.forest_figure(many_benchmarks),
    }
    text = {key: fig.get_suptitle() for key, fig in titles.items()}
    assert text["chat"].startswith("chat models: capabilities correlation by area")
    assert text["both"].startswith("base and chat models: capabilities correlation by area")
    # A panel without a class column is one class, "all".
    assert text["overview"].startswith("all models: capabilities correlation of 19,988")


def test_forest_draws_the_decision_rule_with_high_per_class(
    demo: tuple[ScoreTable, AuditResult], many_benchmarks: AuditResult
) -> None:
    _, result = demo

    def vertical_lines(fig: Figure) -> dict[str, float]:
        out = {}
        for line in fig.axes[0].get_lines():
            x = np.asarray(line.get_xdata(), dtype=float)
            if len(x) == 2 and x[0] == x[1] and not line.get_label().startswith("_"):
                out[line.get_label()] = float(x[0])
        return out

    base, chat = result["base"], result["chat"]
    # The console legend's "high": the mean pairwise correlation among the capability
    # benchmarks of the class (ClassAudit.mean_capability_correlation).
    both = figures.forest_figure(result)
    assert vertical_lines(both) == pytest.approx(
        {
            "inverse: ρ ≤ -0.40": -0.40,
            f"high (base): ρ ≥ {base.mean_capability_correlation:.3f}": (
                base.mean_capability_correlation
            ),
            f"high (chat): ρ ≥ {chat.mean_capability_correlation:.3f}": (
                chat.mean_capability_correlation
            ),
        }
    )
    legend = [t.get_text() for t in _legend(both).get_texts()]
    assert legend[:3] == ["base", "chat", "low: |ρ| < 0.40"]
    assert len(legend) == 6
    one = figures.forest_figure(result, model_class="chat")
    assert [t.get_text() for t in _legend(one).get_texts()] == [
        "low: |ρ| < 0.40",
        "inverse: ρ ≤ -0.40",
        f"high: ρ ≥ {chat.mean_capability_correlation:.3f}",
    ]
    # The threshold moves the band and the inverse line; the overview draws them too.
    moved = figures.forest_figure(result, model_class="chat", low_threshold=0.3)
    assert vertical_lines(moved)["inverse: ρ ≤ -0.30"] == pytest.approx(-0.3)
    overview = vertical_lines(figures.forest_figure(many_benchmarks))
    assert overview.keys() == {
        "inverse: ρ ≤ -0.40",
        f"high: ρ ≥ {many_benchmarks.classes[0].mean_capability_correlation:.3f}",
    }


def test_forest_high_line_of_the_paper(paper_chat: tuple[ScoreTable, AuditResult]) -> None:
    _, result = paper_chat
    texts = [t.get_text() for t in _legend(figures.forest_figure(result)).get_texts()]
    # Paper, v3: mean pairwise Spearman among the 12 chat capability benchmarks, 67.5%.
    assert "high: ρ ≥ 0.675" in texts


def test_scatter_plots_the_raw_column_and_the_audit_correlation(
    demo: tuple[ScoreTable, AuditResult],
) -> None:
    table, result = demo
    chat = result["chat"]
    benchmark = "syn_jailbreak_success"  # lower is safer: the audit negates it
    outcome = chat.benchmark(benchmark)
    assert outcome.flipped
    fig = figures.scatter_figure(result, benchmark, model_class="chat")
    rows = [table.model_ids.index(m) for m in chat.model_ids]
    expected_y = -table.column(benchmark)[rows]
    points = _point_coordinates(fig)
    keep = ~np.isnan(expected_y)
    assert [p[1] for p in points] == pytest.approx(list(expected_y[keep]))
    assert [p[0] for p in points] == pytest.approx(list(chat.capability_scores[keep]))
    title = fig.axes[0].get_title(loc="left")
    assert f"ρ = {outcome.capabilities_correlation:+.3f}" in title
    assert f"n = {outcome.n}" in title
    assert title.startswith("chat models: ")


def test_scatter_of_a_calibration_column_uses_its_reference(
    paper_chat: tuple[ScoreTable, AuditResult],
) -> None:
    table, result = paper_chat
    fig = figures.scatter_figure(result, "rmsce_mmlu")
    # The reference column's name, metric and direction (benchmarks_info.csv: MMLU,
    # "Accuracy (↑)"), as the audit oriented it.
    assert fig.axes[0].get_xlabel() == "MMLU (accuracy, higher is better)"
    assert fig.axes[0].get_ylabel() == "RMSCE MMLU (1 - RMS Calibration Error,\nhigher is safer)"
    # Paper (datasets README): rmsce_mmlu vs mmlu, chat, Spearman 20.1%.
    assert "ρ = +0.201" in fig.axes[0].get_title(loc="left")
    xs = [p[0] for p in _point_coordinates(fig)]
    assert xs == pytest.approx(list(table.column("mmlu")))


def test_heatmap_shows_the_decomposed_matrix_with_values(
    demo: tuple[ScoreTable, AuditResult],
) -> None:
    _, result = demo
    base = result["base"]
    fig = figures.heatmap_figure(result, model_class="base")
    image = fig.axes[0].get_images()[0]
    assert np.asarray(image.get_array()) == pytest.approx(base.component.matrix)
    k = len(base.capability_benchmarks)
    assert len(fig.axes[0].texts) == k * k
    assert fig.axes[0].texts[1].get_text() == f"{base.component.matrix[0, 1]:.2f}".replace(
        "0.", ".", 1
    )


def test_scree_bars_are_the_eigenvalues(paper_chat: tuple[ScoreTable, AuditResult]) -> None:
    _, result = paper_chat
    fig = figures.scree_figure(result)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == pytest.approx(list(result["chat"].component.eigenvalues))
    # Paper, v3: PC1 explains 70.8% of the chat models' Spearman matrix.
    assert "70.8%" in fig.axes[0].get_title(loc="left")


def test_scores_sorted_with_one_point_per_scored_model(
    demo: tuple[ScoreTable, AuditResult],
) -> None:
    _, result = demo
    fig = figures.scores_figure(result)
    assert len(fig.axes) == len(result.classes)
    for ax, audit_of_class in zip(fig.axes, result.classes, strict=True):
        points = _points_of(ax)
        expected = sorted(float(s) for s in audit_of_class.capability_scores if not math.isnan(s))
        assert sorted(points, key=lambda p: p[1]) == sorted(points, key=lambda p: p[0])
        assert sorted(p[0] for p in points) == pytest.approx(expected)


def test_compute_points_are_the_two_correlations(demo: tuple[ScoreTable, AuditResult]) -> None:
    _, result = demo
    chat = result["chat"]
    fig = figures.compute_figure(result, model_class="chat")
    expected = sorted(
        (b.capabilities_correlation, b.compute_correlation)
        for b in chat.benchmarks
        if not (math.isnan(b.capabilities_correlation) or math.isnan(b.compute_correlation))
    )
    assert np.array(sorted(_point_coordinates(fig))) == pytest.approx(np.array(expected))


def test_scores_have_one_titled_panel_per_class_and_a_caption(
    demo: tuple[ScoreTable, AuditResult],
) -> None:
    _, result = demo
    fig = figures.scores_figure(result)
    # Each class's score is its own PC1: one panel each, never one shared axis.
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["base models (15 scored)", "chat models (15 scored)"]
    for ax, audit_of_class in zip(fig.axes, result.classes, strict=True):
        names = {t.get_text() for t in ax.get_yticklabels()}
        assert names == set(audit_of_class.model_names)
        assert ax.get_xlabel() == "capability score"
    caption = fig.get_suptitle().replace("\n", " ")
    assert "PC1 of the standardized capability benchmarks, fitted per class" in caption
    assert "different scales" in caption
    one = figures.scores_figure(result, model_class="chat")
    assert [ax.get_title(loc="left") for ax in one.axes] == ["chat models (15 scored)"]
    assert "different scales" not in one.get_suptitle()


def test_scores_of_two_large_classes_name_a_bounded_few_of_each() -> None:
    panel = simulate_panel(n_models=400, n_capability=4, classes=("base", "chat"), rng=1)
    result = audit(panel.table)
    fig = figures.scores_figure(result)
    n = max(3, figures.TOP_BOTTOM // 2)
    assert len(fig.axes) == 6  # per class: top, histogram, bottom
    for position, audit_of_class in enumerate(result.classes):
        top, middle, bottom = fig.axes[3 * position : 3 * position + 3]
        scores = np.sort(
            audit_of_class.capability_scores[~np.isnan(audit_of_class.capability_scores)]
        )
        assert sorted(p[0] for p in _points_of(top)) == pytest.approx(list(scores[-n:]))
        assert sorted(p[0] for p in _points_of(bottom)) == pytest.approx(list(scores[:n]))
        assert len(middle.patches) == 1  # the histogram of every score
        assert top.get_title(loc="left").startswith(f"{audit_of_class.model_class} models: ")
    assert len(_all_tick_labels(fig)) < 2 * 2 * n + 40  # names plus numeric ticks
    assert fig.get_figheight() < 9


def test_scatter_names_every_model_of_a_small_class() -> None:
    panel = simulate_panel(
        n_models=figures.MAX_POINT_NAMES, n_capability=4, safety={"s": 0.5}, rng=4
    )
    result = audit(panel.table)
    fig = figures.scatter_figure(result, "s")
    named = {t.get_text() for t in fig.axes[0].texts}
    assert named == set(result.classes[0].model_names)


def test_scatter_labels_move_only_for_neighbours_on_their_own_side() -> None:
    from matplotlib.figure import Figure

    ax = Figure(figsize=(3, 3)).add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    # Two points at one height, far apart: each label goes to its own side, unmoved;
    # two more close above the left one: pushed one line apart.
    name_points(
        ax, [0.1, 0.9, 0.12, 0.14], [0.5, 0.5, 0.51, 0.52], ["a", "b", "c", "d"], height_inches=3
    )
    shift = {t.get_text(): t.xyann[1] for t in ax.texts}
    assert shift["a"] == 0 and shift["b"] == 0
    heights = sorted(72 * 3 * y + shift[n] for n, y in zip("acd", [0.5, 0.51, 0.52], strict=True))
    assert min(np.diff(heights)) >= 1.3 * 4.5 - 1e-9  # one line of 4.5-point type apart
    assert ax.texts[0].get_horizontalalignment() == "left"  # "a": room on the right
    assert ax.texts[1].get_horizontalalignment() == "right"


def test_scatter_names_only_the_extremes_of_a_larger_class(
    demo: tuple[ScoreTable, AuditResult], many_models: AuditResult
) -> None:
    _, result = demo
    chat = result["chat"]
    fig = figures.scatter_figure(result, "syn_ethics_qa", model_class="chat")
    k = figures.POINT_EXTREMES
    y = chat.prepared.target("syn_ethics_qa")
    order = np.argsort(y)
    expected = {chat.model_names[i] for i in (*order[:k], *order[-k:])}
    assert len(chat.model_names) > figures.MAX_POINT_NAMES
    assert {t.get_text() for t in fig.axes[0].texts} == expected
    assert f"named: the {k} highest and lowest" in fig.axes[0].get_title(loc="left")
    # 7,000 models: still 2k names.
    big = figures.scatter_figure(many_models, "safety_15")
    assert len(big.axes[0].texts) == 2 * k


def test_scatter_axes_give_the_metric_and_which_way_is_safer(
    demo: tuple[ScoreTable, AuditResult], paper_chat: tuple[ScoreTable, AuditResult]
) -> None:
    _, result = demo
    # demo_benchmarks.csv: metric "Score (↓)", direction lower: drawn negated.
    fig = figures.scatter_figure(result, "syn_jailbreak_success", model_class="chat")
    assert fig.axes[0].get_ylabel().replace("\n", " ") == (
        "Jailbreak success (synthetic), negated (score, lower is safer)"
    )
    assert fig.axes[0].get_xlabel().replace("\n", " ") == (
        "capability score (PC1 of the standardized capability benchmarks)"
    )
    _, paper = paper_chat
    fig = figures.scatter_figure(paper, "truthfulqa_mc1")
    # benchmarks_info.csv: TruthfulQA MC1, "Accuracy (↑)".
    assert fig.axes[0].get_ylabel() == "TruthfulQA MC1 (accuracy, higher is safer)"


def _line_of(fig: Figure) -> tuple[np.ndarray, np.ndarray]:
    lines = [line for line in fig.axes[0].get_lines() if not line.get_gid()]
    assert len(lines) == 1
    x, y = lines[0].get_data()
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


@pytest.mark.parametrize(
    ("benchmark", "increasing"), [("syn_ethics_qa", True), ("syn_hazard_bio_unlearning", False)]
)
def test_scatter_line_is_the_monotone_fit_in_the_direction_of_rho(
    demo: tuple[ScoreTable, AuditResult], benchmark: str, increasing: bool
) -> None:
    from sklearn.isotonic import IsotonicRegression

    _, result = demo
    chat = result["chat"]
    assert (chat.benchmark(benchmark).capabilities_correlation > 0) is increasing
    fig = figures.scatter_figure(result, benchmark, model_class="chat")
    points = np.array(_point_coordinates(fig))
    x_line, y_line = _line_of(fig)
    # Not a least-squares line: scikit-learn's isotonic regression is the reference.
    expected = IsotonicRegression(increasing=increasing).fit(points[:, 0], points[:, 1])
    assert x_line == pytest.approx(np.sort(points[:, 0]))
    assert y_line == pytest.approx(expected.predict(x_line))
    steps = np.diff(y_line)
    assert np.all(steps >= -1e-12) if increasing else np.all(steps <= 1e-12)
    legend = [t.get_text() for t in _legend(fig).get_texts()]
    word = "increasing" if increasing else "decreasing"
    assert legend == ["models (n = 15)", f"monotone (isotonic) fit, {word} like ρ"]


def test_scatter_line_pools_tied_capability_scores() -> None:
    # Models with one capability score share one fitted value (the kernel's own tests,
    # tests/stats/test_isotonic.py, compare it with scikit-learn).
    from sklearn.isotonic import IsotonicRegression

    panel = simulate_panel(n_models=24, n_capability=3, safety={"s": 0.6}, rng=4)
    result = audit(panel.table)
    only = result.classes[0]
    rounded = np.round(np.asarray(only.capability_scores), 0)
    with_ties = replace(result, classes=(replace(only, capability_scores=rounded),))
    safety = only.benchmark("s")
    fig = figures.scatter_figure(with_ties, "s")
    points = np.array(_point_coordinates(fig))
    x_line, y_line = _line_of(fig)
    assert np.unique(points[:, 0]).size < len(points)  # there are ties
    assert x_line == pytest.approx(np.unique(points[:, 0]))
    increasing = safety.capabilities_correlation >= 0
    reference = IsotonicRegression(increasing=increasing).fit(points[:, 0], points[:, 1])
    assert y_line == pytest.approx(reference.predict(x_line), abs=1e-12)


def test_tooltips_travel_with_their_figure(demo: tuple[ScoreTable, AuditResult]) -> None:
    _, result = demo
    first = figures.forest_figure(result, model_class="chat")
    second = figures.forest_figure(result, model_class="base")
    # Each figure numbers its own points from 0; the texts are the figure's own.
    for fig in (first, second):
        tips = figures.tooltips(fig)
        assert list(tips) == [f"{POINT_GID_PREFIX}{i}" for i in range(len(tips))]
        assert tips == point_tips(fig).texts
        assert tips is not point_tips(fig).texts  # a copy: callers cannot change the figure's
    assert all("(chat)" in tip for tip in figures.tooltips(first).values())
    assert all("(base)" in tip for tip in figures.tooltips(second).values())
    # A figure drawn elsewhere has none.
    assert figures.tooltips(Figure()) == {}


def test_scatter_without_a_correlation_draws_no_line_and_says_so() -> None:
    table = load_demo_panel().select_class("chat")
    constant = table.values.copy()
    column = table.benchmark_ids.index("syn_ethics_qa")
    constant[:, column] = 0.5
    result = audit(replace(table, values=constant))
    fig = figures.scatter_figure(result, "syn_ethics_qa")
    assert [line for line in fig.axes[0].get_lines() if not line.get_gid()] == []
    assert [t.get_text() for t in _legend(fig).get_texts()][-1] == "no line: ρ undefined"


def test_loadings_are_sorted_bars_per_class_with_the_share_in_the_title(
    demo: tuple[ScoreTable, AuditResult],
) -> None:
    _, result = demo
    fig = figures.loadings_figure(result)
    assert len(fig.axes) == len(result.classes)
    for ax, audit_of_class in zip(fig.axes, result.classes, strict=True):
        widths = [bar.get_width() for bar in ax.patches]
        # Largest at the top: bars go up the y axis from the smallest.
        assert widths == pytest.approx(sorted(audit_of_class.loadings))
        names = {b.id: b.name for b in audit_of_class.benchmarks}
        by_name = dict(
            zip(audit_of_class.capability_benchmarks, audit_of_class.loadings, strict=True)
        )
        labels = [t.get_text() for t in ax.get_yticklabels()]
        order = sorted(by_name, key=lambda b: by_name[b])
        assert labels == [names[b] for b in order]
        share = 100 * audit_of_class.variance_explained
        assert ax.get_title(loc="left").startswith(
            f"{audit_of_class.model_class} models: PC1 explains {share:.1f}%"
        )
        equal = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert float(equal[0].get_xdata()[0]) == pytest.approx(1 / math.sqrt(12))


def test_loadings_of_the_paper(paper_chat: tuple[ScoreTable, AuditResult]) -> None:
    _, result = paper_chat
    fig = figures.make_figure("loadings", result)
    # Paper, v3: PC1 explains 70.8% of the chat models' Spearman matrix.
    assert "PC1 explains 70.8%" in fig.axes[0].get_title(loc="left")
    assert len(fig.axes[0].patches) == 12


def test_loadings_of_many_capability_benchmarks_stay_bounded() -> None:
    result = _large_result(300, 260, n_capability=250)
    fig = figures.loadings_figure(result)
    widths = [bar.get_width() for bar in fig.axes[0].patches]
    assert len(widths) == figures.MAX_LOADING_BARS
    largest = np.sort(np.abs(result.classes[0].loadings))[-figures.MAX_LOADING_BARS :]
    assert sorted(abs(w) for w in widths) == pytest.approx(list(largest))
    title = fig.axes[0].get_title(loc="left")
    assert "(250 benchmarks)\nthe 30 with the largest |loading|" in title


def test_score_compute_points_are_log_compute_and_score(
    demo: tuple[ScoreTable, AuditResult],
) -> None:
    table, _ = demo
    # Three chat models lose their FLOP figure: left out of the figure and counted.
    dropped = [m.id for m in table.models if m.model_class == "chat"][:3]
    models = tuple(replace(m, flop=math.nan) if m.id in dropped else m for m in table.models)
    result = audit(replace(table, models=models))
    fig = figures.score_compute_figure(result)
    assert len(fig.axes) == 2
    for ax, audit_of_class in zip(fig.axes, result.classes, strict=True):
        keep = ~np.isnan(audit_of_class.flop) & ~np.isnan(audit_of_class.capability_scores)
        expected = sorted(
            zip(
                np.log10(audit_of_class.flop[keep]),
                audit_of_class.capability_scores[keep],
                strict=True,
            )
        )
        assert np.array(sorted(_points_of(ax))) == pytest.approx(np.array(expected))
        assert len(expected) == audit_of_class.score_compute_n
        title = ax.get_title(loc="left")
        assert title.startswith(
            f"{audit_of_class.model_class} models: "
            f"ρ = {audit_of_class.score_compute_correlation:+.3f}, "
            f"n = {audit_of_class.score_compute_n}"
        )
        assert ax.get_xlabel() == "log10 training FLOP"
    assert "3 scored models without a training FLOP figure left out" in fig.axes[1].get_title(
        loc="left"
    )
    assert "left out" not in fig.axes[0].get_title(loc="left")


def test_score_compute_of_the_paper(paper_chat: tuple[ScoreTable, AuditResult]) -> None:
    _, result = paper_chat
    title = figures.make_figure("score_compute", result).axes[0].get_title(loc="left")
    # Paper (datasets README): capability score vs FLOP, chat, 93.7% (n=23, compute file).
    assert title.startswith("chat models: ρ = +0.937, n = 23")
    assert "3 scored models without a training FLOP figure left out" in title


def test_score_compute_is_skipped_without_compute(demo: tuple[ScoreTable, AuditResult]) -> None:
    table, _ = demo
    models = tuple(replace(m, flop=math.nan) for m in table.models)
    result = audit(replace(table, models=models))
    assert "score_compute" not in figures.standard_figures(result)
    with pytest.raises(InputError) as error:
        figures.make_figure("score_compute", result)
    assert str(error.value) == (
        "No model has a training FLOP figure, so there is no score-compute figure; add a "
        "FLOP column to the scores (or read a stand-in with --compute-kind)."
    )


def test_pdf_embeds_subset_truetype_fonts(demo: tuple[ScoreTable, AuditResult]) -> None:
    import re

    from matplotlib import font_manager

    _, result = demo
    pdf = figures.figure_bytes(figures.forest_figure(result), "pdf")
    fonts = re.findall(rb"/BaseFont /([^\s/>]+)", pdf)
    assert fonts
    # A subset font's name carries a six-letter tag: "ABCDEF+DejaVuSans".
    assert all(re.fullmatch(rb"[A-Z]{6}\+DejaVuSans(-Bold)?", name) for name in fonts)
    # TrueType outlines (pdf.fonttype 42), not Type 3 procedures.
    assert b"/FontFile2" in pdf and b"/Type3" not in pdf
    # The whole font file is bigger than the whole PDF with its subset.
    full = Path(font_manager.findfont("DejaVu Sans")).stat().st_size
    assert len(pdf) < full / 5


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_save_figure_writes_the_format_of_the_suffix(
    demo: tuple[ScoreTable, AuditResult], tmp_path: Path, suffix: str, magic: bytes
) -> None:
    _, result = demo
    target = figures.save_figure(
        figures.scree_figure(result, model_class="base"), tmp_path / f"scree{suffix}"
    )
    assert target.read_bytes().startswith(magic)


def test_save_figure_refuses_unknown_suffix_and_existing_file(
    demo: tuple[ScoreTable, AuditResult], tmp_path: Path
) -> None:
    _, result = demo
    fig = figures.scree_figure(result, model_class="base")
    with pytest.raises(InputError) as error:
        figures.save_figure(fig, tmp_path / "scree.jpg")
    assert str(error.value) == (
        f"Cannot tell the figure format of '{tmp_path / 'scree.jpg'}'; end the file name in "
        ".png, .svg or .pdf."
    )
    existing = tmp_path / "scree.png"
    existing.write_bytes(b"keep")
    with pytest.raises(InputError, match="already exists; pass --force"):
        figures.save_figure(fig, existing, force=False)
    assert existing.read_bytes() == b"keep"


def test_svg_is_reproducible_and_escapes_names(tmp_path: Path) -> None:
    table = load_demo_panel()
    models = (replace(table.models[0], name=EVIL), *table.models[1:])
    benchmarks = tuple(
        replace(b, name=EVIL) if b.id == "syn_ethics_qa" else b for b in table.benchmarks
    )
    evil_table = replace(table, models=models).with_benchmarks(benchmarks)
    result = audit(evil_table)
    for draw in (figures.forest_figure, figures.scores_figure):
        svg = figures.figure_bytes(draw(result), "svg", salt="x").decode()
        assert "<script" not in svg
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
        # Same result, same salt: byte-identical output (no dates, fixed ids).
        assert svg == figures.figure_bytes(draw(result), "svg", salt="x").decode()


def test_dollar_signs_in_names_are_not_mathtext() -> None:
    table = load_demo_panel()
    benchmarks = tuple(
        replace(b, name="cost $x^{$ and $") if b.id == "syn_ethics_qa" else b
        for b in table.benchmarks
    )
    result = audit(table.with_benchmarks(benchmarks))
    svg = figures.figure_bytes(figures.forest_figure(result), "svg").decode()
    assert "cost $x^{$ and $" in svg


def test_choosing_a_class_errors(demo: tuple[ScoreTable, AuditResult]) -> None:
    _, result = demo
    with pytest.raises(InputError) as error:
        figures.scree_figure(result)
    assert str(error.value) == (
        "The audit has 2 model classes (base, chat); choose one with --class (model_class=...)."
    )
    with pytest.raises(InputError) as error:
        figures.scree_figure(result, model_class="chta")
    assert str(error.value) == (
        "There is no model class 'chta' in the audit (did you mean 'chat'?); the classes are "
        "base, chat."
    )
    with pytest.raises(InputError) as error:
        figures.make_figure("scater", result)
    assert str(error.value) == (
        "There is no figure 'scater' (did you mean 'scatter'?); the figures are scores, scree, "
        "heatmap, loadings, scatter, forest, compute, score_compute."
    )
    with pytest.raises(InputError) as error:
        figures.make_figure("scatter", result, model_class="chat")
    assert str(error.value) == "The scatter figure needs a benchmark; name it with --benchmark ID."


def test_standard_set_names(demo: tuple[ScoreTable, AuditResult]) -> None:
    _, result = demo
    assert sorted(figures.standard_figures(result)) == sorted(
        ["capability_scores", "loadings", "forest", "score_compute"]
        + [
            f"{kind}_{c}"
            for kind in ("forest", "scree", "heatmap", "compute")
            for c in ("base", "chat")
        ]
    )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_models=st.integers(min_value=6, max_value=25),
    missing=st.sampled_from([0.0, 0.1, 0.3]),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_figures_of_any_panel_with_gaps(n_models: int, missing: float, seed: int) -> None:
    panel = simulate_panel(
        n_models=n_models,
        n_capability=4,
        safety={"s_entangled": 0.8, "s_distinct": 0.0, "s_inverse": -0.7},
        missing_fraction=missing,
        rng=seed,
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = audit(panel.table)
        except InputError:
            return  # too few complete models for the method: the audit says so itself
    audit_of_class = result.classes[0]
    finite = [
        b
        for b in audit_of_class.benchmarks
        if b.role != "capability" and not math.isnan(b.capabilities_correlation)
    ]
    forest = figures.forest_figure(result)
    assert len(_point_coordinates(forest)) == len(finite)
    scores = figures.scores_figure(result)
    assert len(_point_coordinates(scores)) == int(
        np.sum(~np.isnan(audit_of_class.capability_scores))
    )
    for fig in (forest, scores, figures.compute_figure(result), figures.scree_figure(result)):
        assert figures.figure_bytes(fig, "png")[:4] == b"\x89PNG"


LONG_PREFIX = "a_family_of_benchmarks_whose_names_share_a_very_long_common_prefix_"


def _tick_texts(fig: Figure) -> list[str]:
    return [tick.get_text() for tick in fig.axes[0].get_yticklabels()]


def test_long_names_with_a_common_prefix_keep_distinct_labels() -> None:
    table = load_demo_panel()
    models = tuple(replace(m, name=LONG_PREFIX + m.id) for m in table.models)
    benchmarks = tuple(
        replace(b, name=LONG_PREFIX + b.id) if b.role == "safety" else b for b in table.benchmarks
    )
    result = audit(replace(table, models=models).with_benchmarks(benchmarks))
    # Cut to 48 characters at the end, every such label would read the same prefix.
    forest = _tick_texts(figures.forest_figure(result, model_class="chat"))
    safety = [t for t in forest if t.startswith(LONG_PREFIX[:10])]
    assert len(safety) == sum(b.role == "safety" for b in table.benchmarks)
    assert len(set(safety)) == len(safety)
    assert all(len(t) <= 48 for t in safety)  # shortened in the middle, still unique
    scores = _tick_texts(figures.scores_figure(result))
    assert len(set(scores)) == len(scores)


def test_labels_that_would_collide_when_shortened_stay_whole() -> None:
    # Same start, same end: only the cut-out middle tells them apart.
    names = [LONG_PREFIX + "x" + "z" * 40, LONG_PREFIX + "y" + "z" * 40, "short"]
    assert short_labels(names) == names


def test_heatmap_with_long_capability_names_keeps_its_layout() -> None:
    import warnings

    table = load_demo_panel()
    long_ids = {b.id: f"{b.id}_{LONG_PREFIX}" for b in table.benchmarks if b.role == "capability"}
    benchmarks = tuple(replace(b, id=long_ids.get(b.id, b.id)) for b in table.benchmarks)
    result = audit(replace(table, benchmarks=benchmarks).select_class("chat"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "constrained_layout not applied" was raised here
        fig = figures.heatmap_figure(result)
        fig.canvas.draw()
    # The matrix keeps at least the size it has with short names (about 2 inches).
    width_inches = fig.axes[0].get_window_extent().width / fig.dpi
    assert width_inches > 1.5
    assert fig.get_figwidth() > figures.COLUMN_WIDTH


def test_scores_figure_with_more_classes_than_colours() -> None:
    from safetywashing.audit.compute import audit
    from safetywashing.datasets.simulate import simulate_panel
    from safetywashing.report.figures import PALETTE, scores_figure

    classes = tuple(f"class-{i}" for i in range(len(PALETTE) + 2))
    table = simulate_panel(n_models=4 * len(classes), n_capability=3, classes=classes, rng=3).table
    figure = scores_figure(audit(table))
    assert figure.axes


# -- size rules: figures of any panel stay bounded -----------------------------------------


def _large_result(
    n_models: int, n_benchmarks: int, *, n_capability: int = 12, seed: int = 0
) -> AuditResult:
    """An audit of a latent-factor panel (NaN gaps outside the capability block)."""
    from safetywashing.core.table import BenchmarkInfo, ModelInfo

    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(n_models)
    loadings = np.concatenate(
        [rng.uniform(0.6, 0.9, n_capability), rng.uniform(-0.8, 0.8, n_benchmarks - n_capability)]
    )
    values = latent[:, None] * loadings + rng.standard_normal((n_models, n_benchmarks)) * 0.6
    values[:, n_capability:][rng.random((n_models, n_benchmarks - n_capability)) < 0.1] = np.nan
    table = ScoreTable(
        values=values,
        models=tuple(
            ModelInfo(id=f"org/model-{i:06d}", flop=float(10 ** (22 + latent[i])))
            for i in range(n_models)
        ),
        benchmarks=tuple(
            BenchmarkInfo(id=f"cap_{j}", role="capability")
            if j < n_capability
            else BenchmarkInfo(id=f"safety_{j}")
            for j in range(n_benchmarks)
        ),
    )
    return audit(table)


def _png_size(png: bytes) -> tuple[int, int]:
    # Width and height are the first two fields of the IHDR chunk.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _all_tick_labels(fig: Figure) -> list[str]:
    return [
        tick.get_text()
        for ax in fig.axes
        for tick in [*ax.get_yticklabels(), *ax.get_xticklabels()]
        if tick.get_text()
    ]


@pytest.fixture(scope="module")
def many_models() -> AuditResult:
    return _large_result(7_000, 20)


@pytest.fixture(scope="module")
def many_benchmarks() -> AuditResult:
    return _large_result(40, 20_000)


def test_scores_of_7000_models_name_the_top_and_bottom_only(many_models: AuditResult) -> None:
    audit_of_class = many_models.classes[0]
    fig = figures.scores_figure(many_models)
    assert fig.get_figheight() < 8
    names = [
        t.get_text() for ax in fig.axes for t in ax.get_yticklabels() if "model-" in t.get_text()
    ]
    assert len(names) == 2 * figures.TOP_BOTTOM
    order = np.argsort(audit_of_class.capability_scores)
    extremes = {
        audit_of_class.model_names[i]
        for i in (*order[: figures.TOP_BOTTOM], *order[-figures.TOP_BOTTOM :])
    }
    assert set(names) == extremes
    width, height = _png_size(figures.figure_bytes(fig, "png"))
    assert max(width, height) <= figures.MAX_PIXELS


def test_forest_and_compute_of_20000_benchmarks_stay_bounded(many_benchmarks: AuditResult) -> None:
    forest = figures.forest_figure(many_benchmarks)
    labels = _all_tick_labels(forest)
    n_areas = len({b.area for b in many_benchmarks.classes[0].benchmarks})
    assert len([t for t in labels if t.startswith("safety_")]) == 2 * figures.TOP_BOTTOM
    assert forest.get_figheight() < 0.12 * (n_areas + 2 * figures.TOP_BOTTOM + 4) + 1.2
    compute = figures.compute_figure(many_benchmarks)
    assert sum(len(ax.get_lines()) for ax in compute.axes) < 20  # one artist per area
    for fig in (forest, compute):
        width, height = _png_size(figures.figure_bytes(fig, "png"))
        assert max(width, height) <= figures.MAX_PIXELS
        assert len(figures.figure_bytes(fig, "pdf")) < 2_000_000


def test_forest_overview_draws_every_finite_correlation_once(many_benchmarks: AuditResult) -> None:
    fig = figures.forest_figure(many_benchmarks)
    finite = [
        b
        for b in many_benchmarks.classes[0].benchmarks
        if b.role != "capability" and not math.isnan(b.capabilities_correlation)
    ]
    strips = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) > 100]
    assert sum(len(line.get_xdata()) for line in strips) == len(finite)


def test_heatmap_and_scree_of_many_capability_benchmarks() -> None:
    result = _large_result(300, 260, n_capability=250)
    heatmap = figures.heatmap_figure(result)
    image = heatmap.axes[0].get_images()[0].get_array()
    assert image.shape == (figures.MAX_HEATMAP_SIDE, figures.MAX_HEATMAP_SIDE)
    main = heatmap.axes[0]
    assert not main.texts
    assert not [t.get_text() for t in [*main.get_xticklabels(), *main.get_yticklabels()]]
    scree = figures.scree_figure(result)
    assert len(scree.axes[0].patches) == figures.MAX_SCREE_BARS
    assert len(scree.axes[0].texts) <= 12


def test_png_of_an_oversized_figure_is_capped() -> None:
    fig = Figure(figsize=(3.3, 60))
    fig.add_subplot().plot([0, 1], [0, 1])
    width, height = _png_size(figures.figure_bytes(fig, "png"))
    assert height <= figures.MAX_PIXELS and width >= 100
