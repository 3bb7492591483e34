"""``safetywashing ingest``: exit codes, output files and what is printed."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "io" / "fixtures"


def run(*args: str) -> int:
    from safetywashing.cli.app import main

    return main(list(args))


def test_long_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scores.csv"
    assert run("ingest", str(FIXTURES / "lm_eval"), "-o", str(out)) == 0
    captured = capsys.readouterr()
    assert "Read 12 scores: 4 models x 9 benchmarks from 5 files." in captured.out
    assert "lm-eval" in captured.out and f"Wrote {out} (long table)." in captured.out
    assert "Lower is better for: wikitext" in captured.out
    assert "Skipped 3 file(s):" in captured.err
    assert "truncated/results_2024-02-02T00-00-00.000000.json is not valid JSON" in captured.err
    assert "is newer than" in captured.err
    assert out.read_text().startswith("model,benchmark,score,stderr,metric,framework,source\n")


def test_wide_matrix_with_metric_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("benchmark,metric\nhellaswag,acc_norm\n")
    out = tmp_path / "wide.csv"
    code = run(
        "ingest", str(FIXTURES / "openllm"), str(FIXTURES / "lm_eval" / "v03"),
        "--metrics", str(metrics), "--wide", "-o", str(out),
    )  # fmt: skip
    assert code == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("model,")
    header = lines[0].split(",")
    gpt2 = dict(
        zip(
            header, next(line for line in lines if line.startswith("gpt2,")).split(","), strict=True
        )
    )
    assert gpt2["hellaswag"] == "0.3114"  # acc_norm, as the map asks (not acc, 0.2891)
    assert "(wide matrix)" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--framework", "-f", "--format"])
def test_framework_option_and_its_former_name(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.csv"
    assert run("ingest", str(FIXTURES / "helm"), flag, "helm", "-o", str(out)) == 0
    assert "helm" in capsys.readouterr().out


def test_the_former_name_is_hidden_and_must_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("ingest", "--help") == 0
    shown = capsys.readouterr().out
    assert "--framework" in shown and "--format" not in shown
    out = tmp_path / "o.csv"
    argv = [str(FIXTURES / "helm"), "--framework", "helm", "--format", "inspect", "-o", str(out)]
    assert run("ingest", *argv) == 2
    assert capsys.readouterr().err == (
        "error: --framework helm and --format inspect both name the input framework; give "
        "--framework alone.\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: No results given; name the result files or folders to read."),
        (("{fixtures}",), "error: No output file given; add -o scores.csv."),
        (("{tmp}/missing", "-o", "{tmp}/o.csv"),
         "missing: no such file or folder; check the path."),
        (("{fixtures}", "-f", "inpsect", "-o", "{tmp}/o.csv"),
         "error: Unknown format 'inpsect' (did you mean 'inspect'?); use one of auto, lm-eval, "
         "inspect, helm, openllm."),
        (("{fixtures}", "--metrics", "{tmp}/nope.csv", "-o", "{tmp}/o.csv"),
         "nope.csv: no such metric map file; check the --metrics path."),
        (("{fixtures}", "-o", "{tmp}/exists.csv"),
         "exists.csv already exists; choose another name or pass --force to overwrite it."),
        (("{fixtures}", "-o", "{tmp}/exists.csv/o.csv"),
         "exists.csv is a file, so it cannot hold the output"),
        (("{tmp}/empty", "-o", "{tmp}/o.csv"),
         "empty: no results files; check the paths or --framework."),
        (("{fixtures}/lm_eval/awkward", "-o", "{tmp}/o.csv"),
         "awkward: every file was skipped (see above); check the paths or --framework."),
        (("{fixtures}/openllm", "--framework", "inspect", "-o", "{tmp}/o.csv"),
         "every file was skipped (see above)"),
    ],
)  # fmt: skip
def test_user_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "exists.csv").write_text("keep")
    (tmp_path / "empty").mkdir()
    filled = [a.format(fixtures=FIXTURES, tmp=tmp_path) for a in args]
    assert run("ingest", *filled) == 2
    err = capsys.readouterr().err
    error_lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1 and message in error_lines[0]
    assert "Traceback" not in err
    assert (tmp_path / "exists.csv").read_text() == "keep"
    assert not (tmp_path / "o.csv").exists()


def test_force_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    out.write_text("old")
    assert run("ingest", str(FIXTURES / "lm_eval" / "v03"), "-o", str(out), "--force") == 0
    assert out.read_text().startswith("model,")


def test_notes_are_capped_unless_verbose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    for i in range(25):
        folder = tmp_path / "runs" / f"m{i}"
        folder.mkdir(parents=True)
        for day, value in ((1, 0.1), (2, 0.2)):
            document = {"results": {"piqa": {"acc": value}}, "model_name": f"m{i}"}
            (folder / f"results_2024-01-0{day}T00-00-00.json").write_text(json.dumps(document))
    assert run("ingest", str(tmp_path / "runs"), "-o", str(tmp_path / "a.csv")) == 0
    assert "... and 5 more notes (show them with --verbose)." in capsys.readouterr().err
    assert run("ingest", str(tmp_path / "runs"), "-o", str(tmp_path / "b.csv"), "-v") == 0
    assert capsys.readouterr().err.count("is newer than") == 25
