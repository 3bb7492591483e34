"""``safetywashing plot``, ``safetywashing report`` and the report outputs of ``audit``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.datasets.panels import reference_root


def _datasets() -> Path:
    return reference_root()


@pytest.mark.parametrize(
    ("kind", "extra", "suffix", "magic"),
    [
        ("forest", [], ".png", b"\x89PNG"),
        pytest.param("scores", [], ".svg", b"<?xml", marks=pytest.mark.sweep),
        pytest.param("scree", ["--class", "chat"], ".pdf", b"%PDF", marks=pytest.mark.sweep),
        pytest.param("heatmap", ["--class", "base"], ".png", b"\x89PNG", marks=pytest.mark.sweep),
        pytest.param("compute", ["--class", "chat"], ".svg", b"<?xml", marks=pytest.mark.sweep),
        ("loadings", [], ".pdf", b"%PDF"),
        pytest.param(
            "score_compute", ["--class", "base"], ".png", b"\x89PNG", marks=pytest.mark.sweep
        ),
        ("scatter", ["--class", "chat", "--benchmark", "syn_ethics_qa"], ".png", b"\x89PNG"),
    ],
)
def test_plot_each_kind(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    extra: list[str],
    suffix: str,
    magic: bytes,
) -> None:
    target = tmp_path / f"{kind}{suffix}"
    rc = main(["plot", kind, "-o", str(target), *extra])
    assert rc == 0, capsys.readouterr().err
    assert target.read_bytes().startswith(magic)
    assert capsys.readouterr().err.strip() == f"wrote {target}"


def test_plot_paper_scatter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _datasets() / "safetywashing-paper" / "benchmarks_chat_models_compute.csv"
    if not path.exists():
        pytest.skip(f"paper data not found at {path}")
    target = tmp_path / "wmdp.svg"
    rc = main(
        [
            "plot",
            "scatter",
            str(path),
            "--preset",
            "paper",
            "--benchmark",
            "wmdp_bio",
            "-o",
            str(target),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    # Paper (datasets README): wmdp_bio, chat, -87.5%.
    assert "ρ = -0.875" in target.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["plot", "forest", "-o", "{tmp}/f.jpg"],
            "error: Cannot tell the figure format of '{tmp}/f.jpg'; end the file name in "
            ".png, .svg or .pdf.",
        ),
        (
            ["plot", "scatter", "-o", "{tmp}/s.png", "--class", "chat"],
            "error: The scatter figure needs a benchmark; name it with --benchmark ID.",
        ),
        (
            ["plot", "scree", "-o", "{tmp}/s.png"],
            "error: The audit has 2 model classes (base, chat); choose one with --class "
            "(model_class=...).",
        ),
        (
            [
                "plot",
                "scatter",
                "-o",
                "{tmp}/s.png",
                "--class",
                "chat",
                "--benchmark",
                "syn_ethic_qa",
            ],
            "error: No benchmark 'syn_ethic_qa' in the chat audit (did you mean "
            "'syn_ethics_qa', 'syn_medical_qa' or 'syn_oversight_qa'?); check the spelling, "
            "or whether the chat models have scores on it or its role is ignore.",
        ),
    ],
)
def test_plot_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    rc = main([a.replace("{tmp}", str(tmp_path)) for a in args])
    assert rc == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == message.replace(
        "{tmp}", str(tmp_path)
    )
    assert list(tmp_path.iterdir()) == []


def test_plot_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "f.png"
    target.write_bytes(b"keep")
    rc = main(["plot", "forest", "-o", str(target)])
    assert rc == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {target} already exists; pass --force to overwrite or choose another "
        "output location."
    )
    assert target.read_bytes() == b"keep"
    assert main(["plot", "forest", "-o", str(target), "--force"]) == 0
    assert target.read_bytes().startswith(b"\x89PNG")


def test_report_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.html"
    rc = main(["report", "-o", str(target), "--title", "Demo <audit>"])
    assert rc == 0, capsys.readouterr().err
    page = target.read_text()
    assert "<title>Demo &lt;audit&gt; (synthetic data)</title>" in page
    assert 'id="explore-chat"' in page
    rc = main(["report", "-o", str(target)])
    assert rc == 2
    assert "already exists; pass --force" in capsys.readouterr().err


def test_audit_writes_report_tables_and_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    report = tmp_path / "audit.html"
    rc = main(
        [
            "audit", "--class", "chat", "--out", str(out), "--figures", "--report", str(report),
            "--format", "json",
        ]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["classes"]["chat"]
    assert report.read_text().startswith("<!DOCTYPE html>")
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    stems = [
        "capability_scores",
        "loadings",
        "forest",
        "score_compute",
        "scree_chat",
        "heatmap_chat",
        "compute_chat",
    ]
    expected_figures = [f"figures/{s}.{fmt}" for s in stems for fmt in ("png", "pdf")]
    assert names == sorted(
        [
            "audit.json",
            "benchmarks.csv",
            "capability_scores.csv",
            "loadings.csv",
            "summary.md",
            "tables.tex",
            "tables.md",
            *expected_figures,
        ]
    )
    assert (out / "tables.tex").read_text().count(r"\begin{table}") == 1


def test_audit_no_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["audit", "--out", str(out), "--no-figures", "--format", "csv"]) == 0
    assert not (out / "figures").exists()
    assert (out / "tables.md").exists()
    # Figures are opt-in: the default --out is the fast form.
    default = tmp_path / "default"
    assert main(["audit", "--out", str(default), "--format", "csv"]) == 0
    assert not (default / "figures").exists() and (default / "audit.json").exists()
    assert main(["audit", "--figures", "--format", "csv"]) == 2
    assert capsys.readouterr().err.endswith(
        "error: --figures writes into the --out folder; add --out DIR.\n"
    )


def test_audit_report_checked_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.html"
    report.write_text("keep")
    out = tmp_path / "out"
    rc = main(["audit", "--report", str(report), "--out", str(out)])
    assert rc == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("already exists; pass --force to overwrite or choose another output location.")
    )
    assert not out.exists()
    assert report.read_text() == "keep"
