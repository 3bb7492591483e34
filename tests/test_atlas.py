"""One benchmark across settings: ``check --panel all`` and ``panel.atlas.atlas``."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from safetywashing.cli.app import main
from safetywashing.core.errors import InputError
from safetywashing.datasets.panels import REFERENCE_PANELS
from safetywashing.io.tables.new_scores import read_new_scores
from safetywashing.panels import resolve_panel
from safetywashing.panels.atlas import atlas

TRUTHFULQA = ("truthfulqa_mc1", "TruthfulQA")


@pytest.fixture(scope="module")
def panels() -> list:  # type: ignore[type-arg]
    return [resolve_panel(name) for name in REFERENCE_PANELS]


def _dl_by_hand(r: list[float], n: list[int]) -> tuple[float, float, float]:
    """DerSimonian-Laird on Fisher's z, written out (Higgins & Thompson 2002, eqs. 1-9)."""
    y = [math.atanh(v) for v in r]
    w = [n_i - 3.0 for n_i in n]
    fixed = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    q = sum(wi * (yi - fixed) ** 2 for wi, yi in zip(w, y, strict=True))
    c = sum(w) - sum(wi * wi for wi in w) / sum(w)
    tau2 = max(0.0, (q - (len(r) - 1)) / c)
    star = [1.0 / (1.0 / wi + tau2) for wi in w]
    mu = sum(si * yi for si, yi in zip(star, y, strict=True)) / sum(star)
    i2 = max(0.0, (q - (len(r) - 1)) / q)
    return math.tanh(mu), tau2, i2


def test_truthfulqa_held_by_the_panels_gives_four_settings_and_their_heterogeneity(
    panels: list,  # type: ignore[type-arg]
) -> None:
    found = atlas(panels, panel_benchmarks=TRUTHFULQA)
    assert [s.label for s in found.settings] == [
        "paper-chat", "paper-base", "obsscaling-base", "obsscaling-instruct (chat)",
    ]  # fmt: skip
    # The paper's capabilities correlation of truthfulqa_mc1 (its README's table): chat 81.2,
    # base 69.7.
    assert found.settings[0].capabilities_correlation == pytest.approx(0.812, abs=5e-4)
    assert found.settings[1].capabilities_correlation == pytest.approx(0.697, abs=5e-4)
    assert found.meta is not None
    r, tau2, i2 = _dl_by_hand(
        [s.capabilities_correlation for s in found.settings], [s.n for s in found.settings]
    )
    assert found.meta.r == pytest.approx(r, rel=1e-12)
    assert found.meta.tau2 == pytest.approx(tau2, rel=1e-12)
    assert found.meta.i2 == pytest.approx(i2, rel=1e-12)
    assert "stable across the 4 settings: every one is entangled" in found.stability()
    for s in found.settings:
        # Fisher's z with the Spearman variance 1.06 / (n - 3) (Fieller, Hartley and
        # Pearson 1957), written out; 1.959964 is the normal's 97.5% quantile.
        half = 1.959964 * math.sqrt(1.06 / (s.n - 3))
        z = math.atanh(s.capabilities_correlation)
        assert (s.ci_low, s.ci_high) == pytest.approx((math.tanh(z - half), math.tanh(z + half)))
    frame = found.to_frame()
    assert list(frame["setting"])[-1] == "random-effects pooled"
    assert frame["weight"].iloc[:-1].sum() == pytest.approx(1.0)


def test_new_scores_checked_in_every_setting_equal_the_panels_own_correlation(
    panels: list,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    # Each panel's own TruthfulQA column, written as a "new" benchmark: the check must
    # reproduce the panel's stored capabilities correlation (an invariant). (The panels
    # cannot share one file: they hold different TruthfulQA metrics for the same models.)
    from safetywashing.datasets.panels import reference_table

    for panel in panels:
        (panel_class,) = panel.classes
        held = next(b for b in panel_class.benchmarks if b.id in TRUTHFULQA)
        table, _ = reference_table(panel.label)
        lines = ["model,truthfulqa"] + [
            f'"{model}",{float(value)!r}'
            for model, value in zip(table.model_ids, table.column(held.id), strict=True)
            if not np.isnan(value)
        ]
        new = read_new_scores(_write(tmp_path / f"{panel.label}.csv", "\n".join(lines) + "\n"))
        (setting,) = atlas([panel], new=new).settings
        assert setting.capabilities_correlation == pytest.approx(
            held.capabilities_correlation, abs=1e-12
        )
        assert setting.n == held.n


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_command_prints_json_and_draws_the_forest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figure = tmp_path / "atlas.png"
    argv = ["check", "--panel", "all", "--benchmark", ",".join(TRUTHFULQA)]
    assert main([*argv, "--format", "json", "--figure", str(figure)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "safetywashing-atlas" and document["schema_version"] == "1.0"
    assert len(document["settings"]) >= 4
    assert {"tau2", "i2", "q", "q_pvalue"} <= set(document["pooled"])
    assert figure.stat().st_size > 5_000
    assert main([*argv, "--format", "latex"]) == 0
    row = capsys.readouterr().out
    assert row.startswith("truthfulqa\\_mc1 & 4 & ") and row.rstrip().endswith("\\\\")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "--panel", "all"], "error: --panel all needs the new benchmark's scores"),
        (["check", "--panel", "paper-chat"], "error: Give the new benchmark's scores file"),
        (
            ["check", "x.csv", "--panel", "paper-chat", "--figure", "f.png"],
            "error: --figure draws the settings of --panel all",
        ),
    ],
)
def test_atlas_mistakes_are_one_sentence(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_the_library_needs_scores_or_names(panels: list) -> None:  # type: ignore[type-arg]
    with pytest.raises(InputError, match="Give either the new benchmark's scores"):
        atlas(panels)


@pytest.mark.parametrize("width", [80, 100, 200])
def test_the_settings_table_keeps_each_setting_on_one_line_at_80_100_and_200_columns(
    panels: list,  # type: ignore[type-arg]
    width: int,
) -> None:
    from rich.console import Console

    from safetywashing.report.atlas import print_atlas

    found = atlas(panels, panel_benchmarks=TRUTHFULQA)
    console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    print_atlas(found, console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= width
    body = [line for line in lines if line.startswith("│")]
    # One line per setting and the pooled row: names lose their middle, never wrap.
    assert len(body) == len(found.settings) + 1
    labels = [line.split("│")[1].strip() for line in body]
    assert labels[:2] == ["paper-chat", "paper-base"]
    long_name = "obsscaling-instruct (chat)"
    assert labels[3] == long_name or ("…" in labels[3] and labels[3].endswith("(chat)"))
    assert labels[4] in ("pooled (random effects)", "pooled")
    numbers = [line.split("│")[3].strip() for line in body]
    assert numbers[:2] == ["+81.2", "+69.7"]  # never cut: the paper's figures
