"""Reference panels: build, save/load, check a new benchmark, bad input."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from safetywashing.cli.app import main
from safetywashing.core.errors import InputError
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.io.tables.readers import read_scores
from safetywashing.panels import (
    CheckData,
    Interval,
    build_panel,
    check,
    load_panel,
    read_new_scores,
)
from safetywashing.stats.correlation import correlation


def _paper() -> Path:
    folder = reference_root() / "safetywashing-paper"
    if not folder.is_dir():
        pytest.skip(f"reference datasets not found at {folder}")
    return folder


@pytest.fixture(scope="module")
def chat_panel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("panel") / "chat.json"
    scores = str(_paper() / "benchmarks_chat_models.csv")
    rc = main(["panel", "build", scores, "--preset", "paper", "-o", str(path)])
    assert rc == 0
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_panel_round_trip_and_stored_quantities(chat_panel_file: Path) -> None:
    panel = load_panel(chat_panel_file)
    chat = panel["chat"]
    assert len(chat.models) == 26
    assert len(chat.capability_benchmarks) == 12
    # The paper's reference numbers (README of the data): variance explained 70.8% and
    # the capability score of Meta-Llama-3-70B-Instruct, 4.58.
    assert chat.variance_explained == pytest.approx(0.708, abs=5e-4)
    llama = next(m for m in chat.models if m.id == "Meta-Llama-3-70B-Instruct")
    assert llama.capability_score == pytest.approx(4.58, abs=5e-3)
    # Stored standardization and loadings reproduce every stored score.
    for model in chat.models:
        assert chat.score_model(model.capability_values) == pytest.approx(model.capability_score)
    ethics = next(b for b in chat.benchmarks if b.id == "ethics_all")
    assert ethics.capabilities_correlation == pytest.approx(0.822, abs=5e-4)
    document = json.loads(chat_panel_file.read_text(encoding="utf-8"))
    assert document["schema_version"] == "1.0"
    assert document["kind"] == "safetywashing-panel"
    assert document["provenance"]["inputs"][0]["sha256"] == (
        "5ede988872d8bba23d0bb87fcebb9704d7fe7d4e6f065226b691499333f57c58"
    )


def test_a_panel_keeps_each_benchmark_as_audited_and_its_json_round_trips() -> None:
    from safetywashing.audit.compute import audit
    from safetywashing.panels import Panel, panel_from_audit

    table = load_demo_panel()
    flop = [m.flop if i % 4 else math.nan for i, m in enumerate(table.models)]
    models = tuple(replace(m, flop=f) for m, f in zip(table.models, flop, strict=True))
    result = audit(replace(table, models=models))
    panel = panel_from_audit(result, label="demo")
    for audited, kept in zip(result["chat"].benchmarks, panel["chat"].benchmarks, strict=True):
        for name in ("id", "name", "area", "role", "correlated_with", "n", "n_compute"):
            assert getattr(kept, name) == getattr(audited, name)
        assert kept.capabilities_correlation == audited.capabilities_correlation
        assert kept.compute_correlation == audited.compute_correlation
    document = json.loads(panel.to_json())
    record = document["classes"]["chat"]["models"][0]
    assert list(record) == [
        "id", "name", "family", "parameters", "flop", "capability_score",
        "capability_values", "imputed",
    ]  # fmt: skip
    assert list(document["classes"]["chat"]["benchmarks"][0]) == [
        "id", "name", "area", "role", "correlated_with", "n", "capabilities_correlation",
        "n_compute", "compute_correlation",
    ]  # fmt: skip
    assert any(m["flop"] is None for c in document["classes"].values() for m in c["models"])
    # Read back and written again: the same document, NaN (no FLOP) as null both ways.
    again = Panel.from_dict(document)
    assert json.loads(again.to_json()) == document
    missing = [m for m in again["chat"].models if math.isnan(m.flop)]
    assert missing and all(isinstance(v, float) for m in missing for v in m.capability_values)


def test_imputed_panel_stores_the_filled_values() -> None:
    table = load_demo_panel()
    values = np.array(table.values)
    capability = next(j for j, b in enumerate(table.benchmarks) if b.role == "capability")
    values[0, capability] = np.nan
    with pytest.warns(Warning):
        panel = build_panel(replace(table, values=values), label="demo")
    model = panel["base"].models[0]
    assert model.imputed == (table.benchmarks[capability].id,)
    assert not any(math.isnan(v) for v in model.capability_values)
    assert panel["base"].score_model(model.capability_values) == pytest.approx(
        model.capability_score
    )


def test_check_matches_names_and_reports_correlations(tmp_path: Path) -> None:
    table = read_scores(_paper() / "benchmarks_chat_models.csv")
    panel = build_panel(table, preset="paper", label="chat")
    column = table.column("sycophancy")
    lines = ["model,sycophancy_v2"]
    for model_id, value in zip(table.model_ids, column, strict=True):
        lines.append(f"hf/{model_id.upper()},{value}")
    lines.append("gpt-4o,0.5")
    new = read_new_scores(_write(tmp_path / "new.csv", "\n".join(lines) + "\n"))
    seen: list[CheckData] = []

    def estimator(data: CheckData) -> Interval:
        seen.append(data)
        return Interval(-0.8, -0.5, 0.01, "inverse", "test")

    result = check(new, panel, interval=estimator)
    # The paper's chat capabilities correlation of sycophancy: -66.8%.
    assert result.capabilities_correlation == pytest.approx(-0.668, abs=5e-4)
    assert result.n == 26 and result.n_matched == 26
    assert [u.name for u in result.matching.unmatched] == ["gpt-4o"]
    expected_compute, n_compute = correlation(table.flop, column)
    assert result.compute_correlation == pytest.approx(expected_compute)
    assert result.n_compute == n_compute
    # Ranked among the panel's safety benchmarks only (not the capability benchmarks, not
    # the calibration rows correlated with their own task).
    safety = [
        b
        for b in panel["chat"].benchmarks
        if b.role == "safety" and b.correlated_with == "capability score"
    ]
    higher = sum(1 for b in safety if b.capabilities_correlation > result.capabilities_correlation)
    assert result.rank == higher + 1
    assert result.n_ranked == len(safety) + 1
    assert seen[0].capability_block.shape == (26, 12)
    assert (result.ci_low, result.ci_high, result.verdict) == (-0.8, -0.5, "inverse")
    assert result.to_dict()["verdict"] == "inverse"


def test_check_cli_formats(
    chat_panel_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = read_scores(_paper() / "benchmarks_chat_models.csv")
    column = table.column("truthfulqa_mc1")
    text = "model,score\n" + "".join(
        f"{m},{v}\n" for m, v in zip(table.model_ids, column, strict=True)
    )
    new = _write(tmp_path / "truth.csv", text)
    assert main(["check", str(new), "--panel", str(chat_panel_file), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    # The paper's chat capabilities correlation of TruthfulQA MC1: 81.2%.
    assert round(100 * document["capabilities_correlation"], 1) == 81.2
    assert document["benchmark"] == "truth"
    assert document["paragraph"].startswith("Following Ren et al. (2024)")
    assert document["latex_row"].startswith("truth & 26 & 81.2 & ")
    # Without --bootstrap: Fisher's z interval with the Spearman variance 1.06 / (n - 3),
    # written out here (1.959964: the normal's 97.5% quantile); no verdict.
    r, n = document["capabilities_correlation"], document["n"]
    half = 1.959964 * math.sqrt(1.06 / (n - 3))
    expected = (math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
    assert (document["ci_low"], document["ci_high"]) == pytest.approx(expected)
    assert document["confidence"] == 0.95 and document["verdict"] is None
    assert document["interval_method"].startswith("95% Fisher-z interval (closed form")
    assert "(95% interval " in document["paragraph"]
    # The Python API gives the same interval by default, and its one-row table carries
    # it with its level.
    from safetywashing.io.tables.new_scores import read_new_scores
    from safetywashing.panels import check, load_panel

    found = check(read_new_scores(new), load_panel(chat_panel_file))
    row = found.to_frame().iloc[0]
    assert (row["ci_low"], row["ci_high"], row["confidence"]) == pytest.approx((*expected, 0.95))
    assert main(["check", str(new), "--panel", str(chat_panel_file), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| capabilities correlation | 81.2% |" in out
    assert f"| 95% interval | {100 * expected[0]:.1f}% to {100 * expected[1]:.1f}% |" in out
    assert main(["check", str(new), "--panel", str(chat_panel_file)]) == 0
    out = capsys.readouterr().out
    assert "rank in panel" in out
    assert "--bootstrap N adds a bootstrap interval and verdict" in " ".join(out.split())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "{path} is empty; give a table with a header row and one row per model."),
        (
            "model,score\n",
            "{path} has a header but no scores; add one row per model (model, score).",
        ),
        (
            "model,score\ngpt-4o,0.5\nclaude-3,0.4\n",
            "None of the 2 models in {path} matches a model of the panel '{panel}' (chat: e.g. "
            "'gpt-4o' is closest to",
        ),
        (
            "model,score\nLlama-2-7b-chat-hf,0.1\nYi-6B-Chat,0.2\ngemma-1.1-2b-it,0.3\n"
            "gpt-4o,0.5\n",
            "Only 3 models of {path} match the panel '{panel}' (chat) with a score; a "
            "capabilities correlation needs at least 5, so add scores for more of the panel's "
            "models or map names with --aliases.",
        ),
        (
            "model,score\nYi-6B-Chat,0.2\ngemma-1.1-2b-it,0.3\nYi-6B-Chat,0.25\n",
            "{path}, row 4: model 'Yi-6B-Chat' already has score 0.2 in row 2 and here 0.25; "
            "keep one row per model.",
        ),
        (
            "model,score\nYi-6B-Chat,0.2\n01-ai/Yi-6B-Chat,0.3\n",
            "{path}: 'Yi-6B-Chat' and '01-ai/Yi-6B-Chat' both name the panel model 'Yi-6B-Chat' "
            "but have different scores (0.2 and 0.3); keep one row per model.",
        ),
    ],
    ids=["empty", "header-only", "no-match", "too-few", "duplicate", "duplicate-after-matching"],
)
def test_bad_new_benchmark_files(
    chat_panel_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:
    path = _write(tmp_path / "new.csv", content)
    rc = main(["check", str(path), "--panel", str(chat_panel_file)])
    err = capsys.readouterr().err
    assert rc == 2
    expected = "error: " + message.format(path=path, panel="benchmarks_chat_models")
    assert err.startswith(expected)
    assert err.count("\n") == 1


def test_same_duplicate_score_is_kept_once(tmp_path: Path) -> None:
    new = read_new_scores(_write(tmp_path / "n.csv", "model,score\na,1\nb,2\na,1\n"))
    assert new.models == ("a", "b")


def test_wide_file_with_several_columns_needs_benchmark(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.csv", "model,x,y\na,1,2\n")
    with pytest.raises(InputError, match=r"has 2 benchmark columns \(x, y\); choose the new one"):
        read_new_scores(path)
    assert read_new_scores(path, benchmark="y").benchmark == "y"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"kind": "other"}', "is not a safetywashing panel"),
        ('{"kind": "safetywashing-panel", "schema_version": "9.0"}', "panel schema version 9.0"),
        ('{"kind": "safetywashing-panel", "schema_version": "1.0"}', "is a damaged panel file"),
        ("{not json", "is not valid JSON"),
    ],
)
def test_bad_panel_files(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_panel(_write(tmp_path / "p.json", content))


def test_panel_build_refuses_to_overwrite(
    chat_panel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        ["panel", "build", str(_paper() / "benchmarks_chat_models.csv"), "-o", str(chat_panel_file)]
    )
    assert rc == 2
    assert "already exists; pass --force" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("model,score\na,1\nb,2,3\n", r"n.csv, row 3: 3 cells for 2 header columns"),
        ("model,score\na,1\nb,inf\n", r"n.csv, row 3 \(model 'b'\): infinite score"),
        (
            "model,score\na,40%\n\nb,0.5\n",
            r"n.csv, row 2 \(model 'a'\): '40%' is a percentage, but row 4 has a plain number",
        ),
        ("model,score\na,1\n\nb,x\n", r"n.csv, row 4 \(model 'b'\): 'x' is not a number"),
    ],
    ids=["extra-cell", "infinite", "mixed-percent", "row-after-blank-line"],
)
def test_bad_two_column_files(tmp_path: Path, content: str, message: str) -> None:
    # A third cell used to be dropped silently and 'inf' passed into the correlation.
    with pytest.raises(InputError, match=message):
        read_new_scores(_write(tmp_path / "n.csv", content))


def test_check_latex_row_typesets_negative_correlations(
    chat_panel_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = read_scores(_paper() / "benchmarks_chat_models.csv")
    column = table.column("sycophancy")
    text = "model,score\n" + "".join(
        f"{m},{v}\n" for m, v in zip(table.model_ids, column, strict=True)
    )
    new = _write(tmp_path / "syc.csv", text)
    assert main(["check", str(new), "--panel", str(chat_panel_file), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    # The paper's chat capabilities correlation of sycophancy: -66.8% (datasets README);
    # the LaTeX row uses a typeset minus sign like the audit's LaTeX tables.
    assert document["latex_row"].startswith("syc & 26 & $-$66.8 & ")


def _eighteen_models(tmp_path: Path) -> Path:
    table = read_scores(_paper() / "benchmarks_chat_models.csv")
    column = table.column("truthfulqa_mc1")
    lines = ["model,my_bench"] + [
        f"{model},{float(value)!r}"
        for model, value in list(zip(table.model_ids, column, strict=True))[:18]
    ]
    return _write(tmp_path / "new.csv", "\n".join(lines) + "\n")


def test_check_gives_an_interval_and_a_verdict_with_the_bootstrap(
    chat_panel_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before, check had no way to give an interval at n = 18.
    path = _eighteen_models(tmp_path)
    argv = ["check", str(path), "--panel", str(chat_panel_file), "--format", "json"]
    assert main([*argv, "--bootstrap", "1000", "--seed", "4"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["n"] == 18
    assert document["ci_low"] < document["capabilities_correlation"] < document["ci_high"]
    assert document["verdict"] in ("entangled", "inconclusive")
    assert 0 < document["p_value"] <= 1
    assert "percentile bootstrap over the 18 matched models" in document["interval_method"]
    # The same seed gives the same interval; a seed is only used with --bootstrap.
    assert main([*argv, "--bootstrap", "1000", "--seed", "4"]) == 0
    assert json.loads(capsys.readouterr().out)["ci_low"] == document["ci_low"]
    assert main([*argv, "--seed", "4"]) == 2
    assert "--seed needs --bootstrap N" in capsys.readouterr().err
    assert main([*argv, "--bootstrap", "100", "--interval", "bca"]) == 2
    assert "--interval does not apply to `check`" in capsys.readouterr().err


def test_check_latex_is_a_whole_table_and_the_terminal_row_is_labelled(
    chat_panel_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _eighteen_models(tmp_path)
    assert main(["check", str(path), "--panel", str(chat_panel_file), "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    assert latex.count(r"\begin{table}") == 1 and r"\toprule" in latex and r"\bottomrule" in latex
    assert "my\\_bench & 18 & " in latex
    assert main(["check", str(path), "--panel", str(chat_panel_file)]) == 0
    out = capsys.readouterr().out
    assert "LaTeX row (booktabs; --format latex prints the whole table):" in out
