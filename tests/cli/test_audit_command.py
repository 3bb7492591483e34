"""``safetywashing audit``: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safetywashing.cli.app import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_audit_prints_a_table_labelled_synthetic(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["audit"], capsys)
    assert code == 0
    assert "SYNTHETIC DATA" in out
    assert "base models" in out and "chat models" in out
    assert "Machine ethics" in out and "syn_ethics_qa" in out


def test_paper_chat_to_json(paper_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = paper_dir / "benchmarks_chat_models.csv"
    code, out, _ = run(["audit", str(path), "--preset", "paper", "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert document["schema_version"] == "1.0"
    assert document["synthetic"] is False
    assert document["provenance"]["inputs"][0]["sha256"]
    chat = document["classes"]["chat"]
    assert chat["capability_benchmarks"][0] == "logiqa"
    # The paper's ETHICS row, 82.2 percent (datasets README).
    assert round(100 * chat["benchmarks"]["ethics_all"]["capabilities_correlation"], 1) == 82.2
    assert "NaN" not in out


@pytest.mark.parametrize("fmt", ["csv", "markdown"])
def test_other_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["audit", "--format", fmt], capsys)
    assert code == 0
    if fmt == "csv":
        assert out.splitlines()[0].startswith("model_class,benchmark,name,area")
        assert len(out.splitlines()) == 1 + 2 * 27
    else:
        assert out.startswith("# Safetywashing audit") and "| Machine ethics |" in out


def test_out_folder_is_written_and_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "results"
    code, _, err = run(["audit", "--out", str(out_dir), "--format", "json", "--no-figures"], capsys)
    assert code == 0 and "wrote 7 files" in err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "audit.json", "benchmarks.csv", "capability_scores.csv", "loadings.csv", "summary.md",
        "tables.md", "tables.tex",
    ]  # fmt: skip
    (out_dir / "summary.md").write_text("my notes", encoding="utf-8")
    code, _, err = run(["audit", "--out", str(out_dir), "--no-figures"], capsys)
    assert code == 2
    assert err.startswith("error: ") and "already exist; pass --force" in err
    assert (out_dir / "summary.md").read_text(encoding="utf-8") == "my notes"
    code, _, _ = run(
        ["audit", "--out", str(out_dir), "--force", "--format", "csv", "--no-figures"], capsys
    )
    assert code == 0
    assert (out_dir / "summary.md").read_text(encoding="utf-8").startswith("# Safetywashing")


def test_obsscaling_with_column_flags(
    datasets_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = datasets_dir / "obsscaling" / "instruct_llm_benchmark_eval.csv"
    args = [
        "audit", str(path), "--model-column", "Model", "--family-column", "Model Family",
        "--flop-column", "FLOPs (1E21)", "--flop-scale", "1e21",
        "--params-column", "Model Size (B)", "--params-scale", "1e9",
        "--ignore-column", "Pretraining Data Size (T)",
        "--capabilities", "MMLU,ARC-C,HellaSwag,Winogrande,GSM8K,HumanEval",
        "--format", "json",
    ]  # fmt: skip
    code, out, err = run(args, capsys)
    assert code == 0
    document = json.loads(out)
    klass = document["classes"]["all"]
    assert "Arena-Elo" in klass["benchmarks"]
    # By default a gap in the capability block is imputed, and the output says where.
    assert klass["imputed_cells"] and not klass["excluded_models"]
    assert "imputed capability" in err
    # Complete-case on request: models with a gap are named and left out, never misaligned.
    code, out, err = run([*args, "--impute", "none"], capsys)
    assert code == 0
    klass = json.loads(out)["classes"]["all"]
    assert klass["excluded_models"]
    assert "left out of the capability score" in err


BAD_INPUT = [
    (["audit", "{tmp}/missing.csv"], r"missing.csv: no such file; check the path."),
    (["audit", "{tmp}/empty.csv"], r"empty.csv is empty; give a table"),
    (
        ["audit", "{tmp}/text.csv", "--capabilities", "a,b"],
        r"text.csv, row 3 (model 'm2'), column 'b': 'oops' is not a number",
    ),
    (
        ["audit", "{tmp}/dupmodel.csv"],
        "1 model appears on more than one row ('m1' in rows 2, 4)",
    ),
    (["audit", "{tmp}/dupcol.csv"], r"the column 'a' appears twice in the header"),
    (
        ["audit", "{tmp}/good.csv", "--capabilities", "a,bb"],
        r"Capability benchmark 'bb' is not a column of the scores (did you mean 'b'?)",
    ),
    (
        ["audit", "{tmp}/two.csv", "--capabilities", "a,b"],
        r"Only 2 models have every capability benchmark; the method needs at least 3",
    ),
    (
        ["audit", "{tmp}/constant.csv", "--capabilities", "a,b"],
        r"Capability benchmark 'b' has the same score for every model",
    ),
    (
        ["audit", "{tmp}/allmissing.csv", "--capabilities", "a,b"],
        r"Capability benchmark 'b' has no scores for the models",
    ),
    (["audit", "{tmp}/good.csv"], r"No capability benchmarks are given; name them with"),
    (
        ["audit", "{tmp}/good.csv", "--benchmarks", "{tmp}/info.csv"],
        r"info.csv describes benchmark 'zeta', which is not a column of the scores",
    ),
    (
        ["audit", "{tmp}/good.csv", "--preset", "paper"],
        r"The 'paper' preset needs capability benchmark 'logiqa'",
    ),
    (
        ["audit", "{tmp}/good.csv", "--preset", "paper", "--capabilities", "a"],
        r"--preset and --capabilities both choose the capability benchmarks; give one.",
    ),
    (["audit", "--preset", "papr"], r"There is no preset 'papr' (did you mean 'paper'?)"),
]


@pytest.fixture
def bad_files(tmp_path: Path) -> Path:
    files = {
        "empty.csv": "",
        "text.csv": "model,a,b,s\nm1,1,2,3\nm2,2,oops,4\n",
        "dupmodel.csv": "model,a,b\nm1,1,2\nm2,2,3\nm1,3,4\n",
        "dupcol.csv": "model,a,a\nm1,1,2\n",
        "good.csv": "model,a,b,s\nm1,1,2,3\nm2,2,3,1\nm3,3,5,2\nm4,4,4,4\n",
        "two.csv": "model,a,b,s\nm1,1,2,3\nm2,2,3,1\nm3,3,,2\n",
        "constant.csv": "model,a,b,s\nm1,1,2,3\nm2,2,2,1\nm3,3,2,2\n",
        "allmissing.csv": "model,a,b,s\nm1,1,,3\nm2,2,,1\nm3,3,,2\n",
        "info.csv": "benchmark,role\na,capability\nb,capability\nzeta,safety\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(
    bad_files: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([a.format(tmp=bad_files) for a in args], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["audit", "--format", "yaml"], capsys)
    assert code == 2
    assert "yaml" in err and "Traceback" not in err


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    assert "audit" in out
    code, out, _ = run(["audit", "--help"], capsys)
    assert code == 0 and "--preset" in out


def test_both_paper_files_in_one_command(
    paper_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        str(paper_dir / "benchmarks_base_models.csv"),
        str(paper_dir / "benchmarks_chat_models.csv"),
    ]
    code, out, _ = run(["audit", *files, "--preset", "paper", "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert list(document["classes"]) == ["base", "chat"]
    assert len(document["provenance"]["inputs"]) == 2
    # Chat-only columns are not part of the base audit.
    assert "LMSYS_Chatbot_Arena" not in document["classes"]["base"]["benchmarks"]
    assert document["classes"]["chat"]["benchmarks"]["LMSYS_Chatbot_Arena"]["n"] == 20
    # The datasets README: PC1 explains 78.3% (base) and 70.8% (chat).
    assert round(100 * document["classes"]["base"]["variance_explained"], 1) == 78.3
    assert round(100 * document["classes"]["chat"]["variance_explained"], 1) == 70.8


def test_audit_reads_a_folder_of_lm_eval_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Six models' lm-evaluation-harness 0.4 results: two capability tasks track model
    # size, a safety task runs against it. The audit must detect the format by itself.
    tasks = {"mmlu": 1.0, "arc_challenge": 1.0, "refusal": -1.0}
    for size in range(1, 7):
        model = f"org/model-{size}b"
        folder = tmp_path / "results" / model.replace("/", "__")
        folder.mkdir(parents=True)
        results = {
            task: {"alias": task, "acc,none": 0.5 + sign * 0.05 * size, "acc_stderr,none": "N/A"}
            for task, sign in tasks.items()
        }
        document = {
            "results": results,
            "higher_is_better": {task: {"acc": True} for task in tasks},
            "model_name": model,
            "config": {"model": "hf", "model_args": f"pretrained={model}"},
        }
        (folder / "results_2024-06-01T00-00-00.000000.json").write_text(
            json.dumps(document), encoding="utf-8"
        )
    args = ["audit", str(tmp_path / "results"), "--capabilities", "mmlu,arc_challenge"]
    code, out, err = run([*args, "--format", "json"], capsys)
    assert code == 0, err
    klass = json.loads(out)["classes"]["all"]
    assert len(klass["models"]) == 6
    # Perfectly monotone in opposite directions: Spearman -1 (by construction above).
    assert klass["benchmarks"]["refusal"]["capabilities_correlation"] == pytest.approx(-1.0)


def test_the_papers_file_without_a_preset_is_told_to_add_it(
    paper_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A first run on the paper's file, without --preset paper: the file holds all 12 of
    # the paper's capability benchmarks, so the message names them and the flag.
    code, out, err = run(["audit", str(paper_dir / "benchmarks_chat_models.csv")], capsys)
    assert code == 2 and out == ""
    assert err == (
        "error: No capability benchmarks are given, and these scores hold the paper's 12 "
        "capability benchmarks (logiqa, piqa, hellaswag, winogrande, superglue_copa, "
        "medqa_4options, arc_challenge, mmlu, minerva_math, lambada_openai, gsm8k, bbh); use "
        "--preset paper to take them (or name others with --capabilities [...]).\n"
    )
