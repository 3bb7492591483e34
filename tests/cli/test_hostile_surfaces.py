"""Hostile inputs to the newer surfaces (issue 24): items, ingest --items, panels, power,
the data cache, the --out transaction and the Python API.

Security first (generated code, paths built from data, inputs overwritten, injection,
the lock and the folder swap), then the tracebacks that are now one sentence. Each
refused case checks the exact ``error:`` line, exit 2 without a traceback, and that the
folder is unchanged; each accepted case checks what is on disk.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from tests.cli.test_hostile_catalogue import (
    PAPER_CHAT,
    Case,
    Link,
    assert_refused,
    create,
    run,
    snapshot,
    table,
)

from safetywashing.cli.app import main


@pytest.fixture(scope="module")
def item_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A simulated item table (30 models x 60 items) and its panel, as text."""
    from safetywashing.items.simulate import simulate_items
    from safetywashing.panels import build_panel

    sim = simulate_items(n_models=30, n_items=60, entangled_fraction=0.5, rng=3)
    return sim.to_frame().to_csv(index=False), build_panel(sim.panel.table, label="sim").to_json()


def samples(line: str) -> dict[str, str]:
    """An lm-eval run folder ``run/`` holding one samples line (and the results naming m1)."""
    date = "2024-01-01T00-00-00.000"
    results = {"results": {"t": {"acc,none": 1}}, "model_name": "m1"}
    return {
        f"run/samples_t_{date}.jsonl": line + "\n",
        f"run/results_{date}.json": json.dumps(results),
    }


def panel_with(document: str, change: str) -> str:
    """The panel JSON with its first model's id, or its classes, replaced."""
    data = json.loads(document)
    first = next(iter(data["classes"].values()))
    if change == "classes":
        data["classes"] = {}
    else:
        first["models"][0]["id"] = json.loads(change)
    return json.dumps(data)


HELM_SPEC = '{"name": "../../victim:model=m0", "adapter_spec": {"model": "m0"}}'
HELM_STATS = json.dumps(
    [{"instance_id": f"i{k}", "stats": [{"name": {"name": "exact_match"}, "mean": k % 2}]}
     for k in range(2)]
)  # fmt: skip
TASK_REMEDY = (
    "give the task's name as lm-eval lists it: letters, digits, '_', '-' and '.', starting "
    "with a letter or digit, at most 200 characters (e.g. --lm-eval-task truthfulqa_mc1)."
)
PAPER = PAPER_CHAT.read_text(encoding="utf-8")
DEEP = '{"doc_id": 0, "x": ' + "[" * 100_000 + "]" * 100_000 + ', "acc": 1, "metrics": ["acc"]}'
NO_ITEMS = (
    "No per-item results could be read from run; lm-eval needs --log_samples "
    "(samples_*.jsonl), Inspect logs need their samples, HELM runs need per_instance_stats.json."
)
SKIPPED = "  run/samples_t_2024-01-01T00-00-00.000.jsonl line 1 "

# Cases needing the simulated item table: ``ITEMS`` and ``PANEL`` in files are replaced.
ITEM_CASES = [
    # Security 1: the task name becomes file names, YAML and Python.
    Case(
        "items-task-name-injects-code",
        ("items", "items.csv", "--panel", "panel.json", "--out", "o", "--lm-eval-task",
         'x"""+str(__import__("os").system("touch${IFS}PWNED"))+"""'),
        '--lm-eval-task x"""+str(__import__("os").system("touch${IFS}PWNED"))+""" is not an '
        f"lm-eval task name; {TASK_REMEDY}",
        {"items.csv": "ITEMS", "panel.json": "PANEL"},
    ),
    *(
        Case(
            f"items-task-name-{label}",
            ("items", "items.csv", "--panel", "panel.json", "--out", "o", "--lm-eval-task", name),
            f"--lm-eval-task {shown} is not an lm-eval task name; {TASK_REMEDY}",
            {"items.csv": "ITEMS", "panel.json": "PANEL"},
        )
        for label, name, shown in (
            ("tab", "a\tb", "a\\tb"), ("carriage-return", "a\rb", "a\\rb"),
            ("dot-dot", "..", ".."), ("slash", "../x", "../x"),
        )
    ),
    # Security 3: the item table replaced by the ranked output.
    Case(
        "items-out-holds-the-item-table",
        ("items", "o/items.csv", "--panel", "panel.json", "--out", "o", "--force"),
        "--out o holds the item table o/items.csv; give --out a folder that holds no input, or "
        "move the input out of it.",
        {"o/items.csv": "ITEMS", "panel.json": "PANEL"},
    ),
    Case(
        "items-figure-is-the-panel",
        ("items", "items.csv", "--panel", "panel.svg", "--figure", "panel.svg", "--force"),
        "--figure panel.svg is the panel file panel.svg; give --figure another path.",
        {"items.csv": "ITEMS", "panel.svg": "PANEL"},
    ),
    # Tracebacks: a panel with a model id that is not text, or no classes.
    *(
        Case(
            f"check-panel-model-id-{label}",
            ("check", "new.csv", "--panel", "p.json"),
            f"p.json is a damaged panel file: model 1 of class 'all' has \"id\": {label}, not a "
            "text; rebuild it with `safetywashing panel build`.",
            {"new.csv": table("model,new", "model-01,1", "model-02,2"), "p.json": f"PANEL:{label}"},
        )
        for label in ("5", "null")
    ),
    Case(
        "check-panel-no-classes",
        ("check", "new.csv", "--panel", "p.json"),
        'p.json holds no model classes ("classes" is empty); rebuild it with `safetywashing '
        "panel build`.",
        {"new.csv": table("model,new", "model-01,1"), "p.json": "PANEL:classes"},
    ),
]  # fmt: skip

CASES = [
    # Security 2: a benchmark name from a HELM run leaving the output folder.
    Case(
        "ingest-items-partition-leaves-out",
        ("ingest", "--items", "runs", "-o", "out", "--force"),
        "benchmark '../../victim' cannot name a partition folder inside out (it holds a path "
        "separator); write one CSV item table instead (-o items.csv), or rename the benchmark "
        "in its results.",
        {"runs/r1/run_spec.json": HELM_SPEC, "runs/r1/per_instance_stats.json": HELM_STATS},
    ),
    # Security 3: every output path against every input.
    Case(
        "audit-out-holds-the-scores",
        ("audit", "o/benchmarks.csv", "--preset", "paper", "--out", "o", "--force"),
        "--out o holds the scores file o/benchmarks.csv; give --out a folder that holds no "
        "input, or move the input out of it.",
        {"o/benchmarks.csv": PAPER},
    ),
    Case(
        "audit-report-is-the-metadata",
        ("audit", "s.csv", "--preset", "paper", "--benchmarks", "info.csv", "--report",
         "info.csv", "--force"),
        "--report info.csv is the benchmark metadata file info.csv; give --report another path.",
        {"s.csv": PAPER, "info.csv": table("benchmark,role", "mmlu,capability")},
    ),
    Case(
        "panel-build-over-its-scores",
        ("panel", "build", "in.csv", "--preset", "paper", "-o", "in.csv", "--force"),
        "-o in.csv is the scores file in.csv; give -o another path.",
        {"in.csv": PAPER},
    ),
    Case(
        "report-over-its-scores",
        ("report", "in.csv", "--preset", "paper", "-o", "./in.csv", "--force"),
        "-o in.csv is the scores file in.csv; give -o another path.",
        {"in.csv": PAPER},
    ),
    Case(
        "ingest-over-its-results",
        ("ingest", "r.json", "-o", "r.json", "--force"),
        "-o r.json is the results file r.json; give -o another path.",
        {"r.json": '{"results": {"hellaswag": {"acc,none": 0.5}}, "model_name": "m1"}'},
    ),
    Case(
        "ingest-items-into-its-results-folder",
        ("ingest", "--items", "runs", "-o", "runs", "--force"),
        "-o runs is the results folder runs; give -o another path.",
        {"runs/r1/run_spec.json": HELM_SPEC, "runs/r1/per_instance_stats.json": HELM_STATS},
    ),
    # Security 5: the lock file never follows a planted link.
    Case(
        "out-lock-is-a-planted-link",
        ("audit", "P", "--preset", "paper", "--out", "o"),
        "{tmp}/.o.lock is a symbolic link, not a lock this tool made; remove it and run again.",
        {".o.lock": Link("victim.txt")},
    ),
    # Tracebacks: ingest --items on hostile samples lines.
    Case(
        "ingest-items-100k-deep",
        ("ingest", "--items", "run", "-o", "x.csv"),
        NO_ITEMS,
        samples(DEEP),
        SKIPPED + "is not usable JSON (nested too deeply)",
    ),
    Case(
        "ingest-items-5000-digit-doc-id",
        ("ingest", "--items", "run", "-o", "x.csv"),
        NO_ITEMS,
        samples('{"doc_id": ' + "1" * 5000 + ', "acc": 1, "metrics": ["acc"]}'),
        SKIPPED + "holds an integer of 5000 digits, more than the 300 allowed",
    ),
    # Tracebacks: power within each limit, beyond memory together.
    Case(
        "power-models-times-panels",
        ("power", "--models", "10000", "--panels", "100000"),
        "--models 10000 with --panels 100000 and --capability-benchmarks 12 needs about 581 GiB "
        "of memory for one panel size, more than the 4 GiB a simulation may take; give at most "
        "--panels 688 at that size, or smaller sizes.",
    ),
    # Tracebacks: the data cache named by an unknown user's home.
    Case(
        "data-dir-of-an-unknown-user",
        ("audit", "--dataset", "paper"),
        "SAFETYWASHING_DATA_DIR=~nosuchuser/x names the home folder of a user this system does "
        "not know; set SAFETYWASHING_DATA_DIR to an existing folder, or unset it.",
    ),
    Case(
        "data-dir-of-an-unknown-user-fetch",
        ("datasets", "fetch", "paper"),
        "SAFETYWASHING_DATA_DIR=~nosuchuser/x names the home folder of a user this system does "
        "not know; set SAFETYWASHING_DATA_DIR to an existing folder, or unset it.",
    ),
]  # fmt: skip


def _fill(files: dict[str, object], items: str, panel: str) -> dict[str, object]:
    filled: dict[str, object] = {}
    for name, content in files.items():
        if content == "ITEMS":
            content = items
        elif content == "PANEL":
            content = panel
        elif isinstance(content, str) and content.startswith("PANEL:"):
            content = panel_with(panel, content.split(":", 1)[1])
        filled[name] = content
    return filled


@pytest.mark.parametrize("case", ITEM_CASES + CASES, ids=[c.id for c in ITEM_CASES + CASES])
def test_hostile_surface_is_one_sentence(
    case: Case,
    item_inputs: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "w"  # one level down, so that a path leaving it shows up in tmp_path
    work.mkdir()
    monkeypatch.chdir(work)
    unknown = case.id.startswith("data-dir-of-an-unknown-user")
    cache = "~nosuchuser/x" if unknown else str(tmp_path / "c")
    monkeypatch.setenv("SAFETYWASHING_DATA_DIR", cache)
    create(_fill(case.files, *item_inputs), work)  # type: ignore[arg-type]
    before = snapshot(tmp_path)
    code, err = run(case.argv, capsys)
    assert_refused(code, err, case.message.replace("{tmp}", str(work)))
    assert case.detail in err.splitlines() if case.detail else True, err
    assert snapshot(tmp_path) == before, "a refused command changed the files"
    assert not (work / "PWNED").exists() and not (tmp_path / "victim").exists()
    assert not (work / "victim.txt").exists()


def test_exported_filter_holds_no_code_from_its_inputs(
    item_inputs: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain task name is still written; the filter is valid Python whose only
    # data is the literal list of kept ids, and importing it runs nothing else.
    import ast

    monkeypatch.chdir(tmp_path)
    create(_fill({"items.csv": "ITEMS", "panel.json": "PANEL"}, *item_inputs), tmp_path)  # type: ignore[arg-type]
    argv = ["items", "items.csv", "--panel", "panel.json", "--out", "o", "--lm-eval-task", "t.x-1"]
    assert main(argv) == 0
    source = (tmp_path / "o" / "t.x-1_subset.py").read_text(encoding="utf-8")
    module = ast.parse(source)
    keep = next(node for node in module.body if isinstance(node, ast.Assign))
    kept = ast.literal_eval(keep.value.args[0])  # type: ignore[attr-defined]
    ids = (tmp_path / "o" / "subset_ids.txt").read_text(encoding="utf-8").split()
    assert kept == ids
    yaml = (tmp_path / "o" / "t.x-1_subset.yaml").read_text(encoding="utf-8")
    assert "include: t.x-1.yaml\ntask: t.x-1_subset\n" in yaml


ESCAPES = "\x1b]0;PWNED\x07\u202e\u200b"
RAW = ("\x1b", "\x07", "\u202e", "\u200b")


def test_terminal_shows_escapes_in_check_items_ingest_and_class_names(
    item_inputs: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that no name is elided
    models = [line.split(",", 1)[0] for line in PAPER.splitlines()[1:]]
    items, panel = item_inputs
    lines = items.splitlines()
    items = "\n".join(
        [lines[0], *(line.replace("harmful", f"harm{ESCAPES}") for line in lines[1:])]
    )
    create({
        "new.csv": table(f"model,new{ESCAPES}", *(f"{m},{i % 7}" for i, m in enumerate(models))),
        "e.csv": table("model,a,b,s,type", *(f"m{i},{i},{(i * 3) % 5},{i % 2},chat{ESCAPES}"
                                              for i in range(1, 6))),
        "items.csv": items.replace("syn_items-00", f"syn_items-00{ESCAPES}") + "\n",
        "panel.json": panel,
        **{k.replace("run/", f"bad{ESCAPES}/"): v for k, v in samples('{"doc_id": ').items()},
    }, tmp_path)  # fmt: skip
    outputs = []
    for argv in (
        ["check", "new.csv", "--panel", "paper-chat"],
        ["audit", "e.csv", "--capabilities", "a,b"],
        ["items", "items.csv", "--panel", "panel.json", "--top", "60"],
        ["ingest", "--items", f"bad{ESCAPES}", "-o", "x.csv"],
    ):
        code = main(argv)
        captured = capsys.readouterr()
        assert code in (0, 2), captured.err
        outputs.append(captured.out + captured.err)
        assert not [ch for ch in RAW if ch in captured.out + captured.err], argv
    check, audit, items_out, ingest = outputs
    assert "new\\x1b]0;PWNED\\x07\\u202e\\u200b vs the paper-chat panel" in check
    assert "chat\\x1b]0;PWNED\\x07\\u202e\\u200b models" in audit
    assert "syn_items-00\\x1b]0;PWNED\\x07\\u202e\\u200b" in items_out
    assert "harm\\x1b]0;PWNED\\x07\\u202e\\u200b" in items_out
    assert "  bad\\x1b]0;PWNED\\x07\\u202e\\u200b/samples_t_" in ingest
    assert "error: No per-item results could be read from bad\\x1b]0;PWNED" in ingest


def test_markdown_and_latex_show_invisible_characters_and_keep_code_spans_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from markdown_it import MarkdownIt

    monkeypatch.chdir(tmp_path)
    name = "x`<img src=x onerror=alert(1)>`.csv"
    create({name: table(f"model,a,b,s\u202e{ESCAPES}", "m1,1,2,1", "m2,2,3,2", "m3,3,1,3",
                        "m4,4,4,1")}, tmp_path)  # fmt: skip
    code = main(["audit", name, "--capabilities", "a,b", "--out", "o"])
    assert code == 0, capsys.readouterr().err
    for file in ("summary.md", "tables.md", "tables.tex"):
        text = (tmp_path / "o" / file).read_text(encoding="utf-8")
        assert not [ch for ch in RAW if ch in text], file
    summary = (tmp_path / "o" / "summary.md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").render(summary)
    assert "<img" not in html
    assert "<code>x`&lt;img src=x onerror=alert(1)&gt;`.csv</code>" in html
    assert "\\u202e" in (tmp_path / "o" / "tables.md").read_text(encoding="utf-8")
    assert "\\textbackslash{}u202e" in (tmp_path / "o" / "tables.tex").read_text(encoding="utf-8")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_out_swap_as_root_keeps_owner_and_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    out.mkdir()
    (out / "figures").mkdir()
    (out / "audit.json").write_text("{}\n")
    os.chown(out, 1234, 4321)
    os.chown(out / "figures", 1234, 4321)
    out.chmod(0o750)
    assert main(["audit", str(PAPER_CHAT), "--preset", "paper", "--out", "o", "--force"]) == 0
    info = out.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (1234, 4321, 0o750)
    assert (out / "figures").stat().st_uid == 1234
    assert json.loads((out / "audit.json").read_text())["kind"] == "safetywashing-audit"


def test_file_written_into_out_during_the_swap_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Another program writes o/late.txt after the run listed the folder's files and
    # before the swap (the staging folder's chmod is that moment): it must survive.
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    chmod = os.chmod

    def chmod_then_write(path: object, *args: object, **kwargs: object) -> None:
        chmod(path, *args, **kwargs)  # type: ignore[arg-type]
        if ".o.staging-" in str(path) and not (out / "late.txt").exists():
            (out / "late.txt").write_text("late\n")

    monkeypatch.setattr(os, "chmod", chmod_then_write)
    assert main(["audit", str(PAPER_CHAT), "--preset", "paper", "--out", "o", "--force"]) == 0
    assert (out / "late.txt").read_text() == "late\n"
    assert (out / "notes.txt").read_text() == "mine\n"
    assert (out / "audit.json").is_file()


def test_cached_paper_file_is_not_read_unless_it_has_the_pinned_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A 40 GB sparse file in the cache: its size differs from the pinned file's, so it is
    # never read (before: read whole to hash it, MemoryError); the packaged copy is used.
    folder = tmp_path / "cache" / "safetywashing-paper"
    folder.mkdir(parents=True)
    with (folder / "benchmarks_chat_models.csv").open("wb") as stream:
        stream.truncate(40 * 2**30)
    monkeypatch.setenv("SAFETYWASHING_DATA_DIR", str(tmp_path / "cache"))
    read = Path.read_bytes

    def refuse_big(path: Path) -> bytes:
        assert path.stat().st_size < 2**30, f"{path} was read whole"
        return read(path)

    monkeypatch.setattr(Path, "read_bytes", refuse_big)
    assert main(["audit", "--dataset", "paper", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "safetywashing-audit"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "audit(frame.assign(d=[{'x': 1}] * 8), capabilities=['a', 'b'])",
            "data, row 1, column 'd': the cell is a dict, not a score or a name; give one number "
            "(or text, for a name column) per cell, e.g. by expanding the column with "
            "pandas.json_normalize.",
        ),
        (
            "audit(frame, capabilities=[1, 2, 3])",
            "capabilities=[1, 2, 3] holds 1 (of type int), not a benchmark name; give the names "
            "of the columns as text, such as capabilities=['mmlu', 'gsm8k', 'bbh'].",
        ),
    ],
    ids=["dict-column", "capabilities-ints"],
)
def test_python_api_names_the_argument(call: str, message: str) -> None:
    import pandas as pd

    import safetywashing
    from safetywashing.core.errors import InputError

    frame = pd.DataFrame({
        "model": [f"m{i}" for i in range(8)], "a": range(8), "b": [1, 0, 3, 2, 5, 4, 7, 6],
        "s": [1, 2] * 4,
    })  # fmt: skip
    with pytest.raises(InputError) as raised:
        eval(call, {"audit": safetywashing.audit, "frame": frame})
    assert str(raised.value) == message


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


LFS = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)
POINTER_SKIP = (
    "is a Git LFS pointer, not the file itself (the repository stores the file with Git "
    "LFS); fetch it with `git lfs pull` in that repository, or download the file"
)


@pytest.mark.parametrize("items", [False, True])
def test_git_lfs_pointers_are_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], items: bool
) -> None:
    # Before: "line 1 is not valid JSON" and "lm-eval needs --log_samples".
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "results_2024-05-01T10-00-00.json").write_text(LFS, encoding="utf-8")
    (folder / "samples_mmlu_2024-05-01T10-00-00.jsonl").write_text(LFS, encoding="utf-8")
    args = ["ingest", *(["--items"] if items else []), "r", "-o", "out" if items else "out.csv"]
    assert main(args) == 2
    err = capsys.readouterr().err
    pointer = (
        "samples_mmlu_2024-05-01T10-00-00.jsonl" if items else "results_2024-05-01T10-00-00.json"
    )
    assert f"r/{pointer} {POINTER_SKIP}" in err
    what = "per-item results" if items else "scores"
    assert err.rstrip().endswith(
        f"error: No {what} could be read from r: its files are Git LFS pointers, not the "
        "results (see above); fetch them with `git lfs pull` in their repository."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # nothing written


def test_an_eval_log_with_an_unsupported_zip_version_is_a_skipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found by benchmarks/fuzz.py (seed 25): a flipped byte in the central directory's
    # "version needed" made zipfile raise NotImplementedError, a traceback.
    import io
    import zipfile

    monkeypatch.chdir(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("header.json", "{}")
    data = bytearray(buffer.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 6 : central + 8] = (158).to_bytes(2, "little")  # version needed: 15.8
    (tmp_path / "log.eval").write_bytes(bytes(data))
    assert main(["ingest", "--items", "log.eval", "-o", "items.csv"]) == 2
    err = capsys.readouterr().err
    assert "log.eval is not a valid zip archive (zip file version 15.8)" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.eval"]
