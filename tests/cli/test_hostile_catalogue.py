"""The catalogue of hostile inputs: every case ends in one sentence, exit 2, nothing written.

Each case is what a hostile or careless user tried (issue 10 lists them, most severe
first): the files it starts from, the command, and the exact ``error:`` line. The
folder is compared before and after, so a refused command provably writes nothing.
``P`` in a command is the paper's chat file (the copy shipped in the package).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.datasets.panels import reference_root

PAPER_CHAT = reference_root() / "safetywashing-paper" / "benchmarks_chat_models.csv"


@dataclass(frozen=True)
class Case:
    """One hostile input: files to create, the command, and the one-line error."""

    id: str
    argv: tuple[str, ...]
    message: str
    files: dict[str, str | bytes | Link | None] = field(default_factory=dict)
    detail: str = ""  #: a line printed above the error (a skipped file's reason)


def table(*rows: str) -> str:
    return "\n".join(rows) + "\n"


THREE = ("m1,0.1,0.2,{c},1", "m2,0.3,0.5,{c},2", "m3,0.5,0.4,{c},3")


def constant(value: str) -> str:
    return table("model,a,b,c,s", *(row.format(c=value) for row in THREE))


NUMERICS = [
    # 1. A constant column whose value is not exact in binary (0.1 has a spread of
    # about 1e-17 after standardization), and the exact one (0.5) that always worked.
    *(
        Case(
            f"constant-{value}",
            ("audit", "c.csv", "--capabilities", "a,b,c"),
            "Capability benchmark 'c' has the same score for every model, so it carries no "
            "information; drop it from the capability benchmarks.",
            {"c.csv": constant(value)},
        )
        for value in ("0.1", "0.3", "0.7", "0.5")
    ),
    Case(
        # The covariance matrix accepted a constant column; it is no longer an audit matrix
        # (its robustness variant uses unstandardized scores), and Pearson refuses it too.
        "constant-pearson",
        ("audit", "c.csv", "--capabilities", "a,b,c", "--matrix", "pearson"),
        "Capability benchmark 'c' has the same score for every model, so it carries no "
        "information; drop it from the capability benchmarks.",
        {"c.csv": constant("0.1")},
    ),
    Case(
        "huge-capability-cell",
        ("audit", "c.csv", "--capabilities", "a,b,c"),
        "c.csv, row 2 (model 'm1'), column 'c': 1e160 is beyond the supported range "
        "(magnitude at most 1e+100); check the cell or rescale the column.",
        {"c.csv": table("model,a,b,c,s", "m1,0.1,0.2,1e160,1", "m2,0.3,0.5,0.1,2",
                        "m3,0.5,0.4,0.2,3")},
    ),
    Case(
        "huge-cell-two-benchmarks",
        ("audit", "c.csv", "--capabilities", "a,b"),
        "c.csv, row 2 (model 'm1'), column 'b': 1e200 is beyond the supported range "
        "(magnitude at most 1e+100); check the cell or rescale the column.",
        {"c.csv": table("model,a,b,s", "m1,0.1,1e200,1", "m2,0.3,0.5,2", "m3,0.5,0.4,3",
                        "m4,0.2,0.3,1")},
    ),
]  # fmt: skip

NUMERICS.append(
    # Found by benchmarks/fuzz.py: a tie for the largest eigenvalue (Spearman matrix of
    # these ranks has eigenvalues 1.4, 1.4, 0.2) left PC1 to the order of the rows.
    Case(
        "tied-first-eigenvalue",
        ("audit", "t.csv", "--capabilities", "a,b,c"),
        "The capability score of the models cannot be computed: the two largest eigenvalues "
        "of their spearman matrix are equal (1.4 and 1.4), so the first component is not "
        "unique (capability benchmarks a, b, c); check those columns for extreme or "
        "near-constant values, or add models.",
        {"t.csv": table("model,a,b,c,s", "m1,3,3,2,1", "m2,1,2,1,2", "m3,4,1,3,3", "m4,2,4,4,1")},
    )
)

SCALE_REMEDY = "give a number above 0 and at most 1e+100 (e.g. --flop-scale 1e21 for a column"
FLOP_TABLE = table("model,FLOP,a,b,s", "m1,1e22,0.1,0.2,1", "m2,{f},0.3,0.5,2",
                   "m3,3e22,0.5,0.4,3", "m4,4e22,0.2,0.1,2")  # fmt: skip

COMPUTE = [
    # 4. Scales and compute cells: finite and positive, the cell named.
    *(
        Case(
            f"flop-scale-{scale}",
            ("audit", "P", "--preset", "paper", f"--flop-scale={scale}"),
            f"--flop-scale {shown} is not a positive finite scale; {SCALE_REMEDY} in units of "
            "1E21).",
        )
        for scale, shown in (("-1", "-1"), ("0", "0"), ("inf", "inf"), ("1e308", "1e+308"))
    ),
    Case(
        "params-scale-negative",
        ("audit", "P", "--preset", "paper", "--params-scale=-1e9"),
        "--params-scale -1e+09 is not a positive finite scale; give a number above 0 and at "
        "most 1e+100 (e.g. --params-scale 1e21 for a column in units of 1E21).",
    ),
    *(
        Case(
            f"flop-cell-{cell}",
            ("audit", "f.csv", "--capabilities", "a,b"),
            f"f.csv, row 3 (model 'm2'), column 'FLOP': '{cell}' {tail}",
            {"f.csv": FLOP_TABLE.format(f=cell)},
        )
        for cell, tail in (
            ("inf", "is beyond the supported range (a finite value of magnitude at most 1e+100); "
             "write the figure or leave it empty."),
            ("1e400", "is beyond the supported range (a finite value of magnitude at most "
             "1e+100); write the figure or leave it empty."),
            ("50%", "is a percentage, not a compute figure; write the number (e.g. 3.2e23) or "
             "leave it empty."),
            ("1_5", "is not a number; write a number or leave it empty."),
        )
    ),
    Case(
        "flop-cell-times-scale",
        ("audit", "f.csv", "--capabilities", "a,b", "--flop-scale", "1e90"),
        "f.csv, row 2 (model 'm1'), column 'FLOP': '1e22' times the scale 1e+90 is beyond the "
        "supported range (a finite value of magnitude at most 1e+100); write the figure or "
        "leave it empty.",
        {"f.csv": FLOP_TABLE.format(f="2e22")},
    ),
]  # fmt: skip

CELLS = [
    # 4. Digits Python reads but no spreadsheet writes.
    *(
        Case(
            f"score-cell-{label}",
            ("audit", "s.csv", "--capabilities", "a,b"),
            f"s.csv, row 3 (model 'm2'), column 'a': '{cell}' is not a number; write a number "
            "or leave the cell empty for a missing score.",
            {"s.csv": table("model,a,b,s", "m1,1,2,1", f"m2,{cell},3,2", "m3,3,1,3")},
        )
        for label, cell in (("underscore", "1_5"), ("arabic-indic", "٣"), ("fullwidth", "１"))
    ),
]

FILE = {"file": "not a folder\n"}

OUTPUT_PATHS = [
    # 2. A file named for one output is never another output's target (or an input).
    Case(
        "report-inside-out",
        ("audit", "P", "--preset", "paper", "--out", "o5", "--report", "o5/audit.json"),
        "--report o5/audit.json is inside the --out folder o5, whose files the audit writes; "
        "give the report a path outside that folder.",
    ),
    Case(
        "report-inside-out-forced",
        ("audit", "P", "--preset", "paper", "--out", "o5", "--report", "o5/audit.json",
         "--force"),
        "--report o5/audit.json is inside the --out folder o5, whose files the audit writes; "
        "give the report a path outside that folder.",
        {"o5/audit.json": "{}\n"},
    ),
    Case(
        "report-is-the-scores-file",
        ("audit", "s.csv", "--capabilities", "a,b", "--report", "s.csv", "--force"),
        "--report s.csv is the scores file s.csv; give --report another path.",
        {"s.csv": table("model,a,b,s", "m1,1,2,1", "m2,2,3,2", "m3,3,1,3")},
    ),
    # 6. Output paths that cannot be written.
    Case(
        "out-in-proc",
        ("audit", "P", "--preset", "paper", "--out", "/proc/x"),
        "/proc cannot hold the output (No such file or directory); choose another folder.",
    ),
    Case(
        "out-under-a-file",
        ("audit", "P", "--preset", "paper", "--out", "file/sub"),
        "file is a file, so it cannot hold the output file/sub; choose another folder.",
        FILE,
    ),
    Case(
        "out-is-a-file",
        ("audit", "P", "--preset", "paper", "--out", "file"),
        "file is a file, not a folder; give --out a folder path.",
        FILE,
    ),
    Case(
        "report-under-a-file",
        ("report", "P", "--preset", "paper", "-o", "file/r.html"),
        "file is a file, so it cannot hold the output file/r.html; choose another folder.",
        FILE,
    ),
    Case(
        "plot-under-a-file",
        ("plot", "scores", "P", "--preset", "paper", "-o", "file/x.png"),
        "file is a file, so it cannot hold the output file/x.png; choose another folder.",
        FILE,
    ),
    Case(
        "panel-under-a-file",
        ("panel", "build", "P", "--preset", "paper", "-o", "file/x.json"),
        "file is a file, so it cannot hold the output file/x.json; choose another folder.",
        FILE,
    ),
    Case(
        "out-exists-without-force",
        ("audit", "P", "--preset", "paper", "--out", "o5"),
        "o5/audit.json already exists; pass --force to overwrite or choose another output "
        "location.",
        {"o5/audit.json": "{}\n"},
    ),
]  # fmt: skip

ROWS = [
    # 4. Short rows are not padded (the class cell at the end would move the model to
    # the class 'all'), in wide and long tables; a benchmark is not its own reference.
    Case(
        "wide-short-row",
        ("audit", "s.csv", "--capabilities", "a,b"),
        "s.csv, row 3: 3 cells for 5 header columns; write every cell (leave a missing score "
        "empty between commas).",
        {"s.csv": table("model,a,b,s,type", "m1,1,2,1,chat", "m2,2,3", "m3,3,1,3,chat")},
    ),
    Case(
        "long-short-row",
        ("audit", "l.csv", "--capabilities", "a,b"),
        "l.csv, row 3: 3 cells for 4 header columns; write every cell (leave a missing score "
        "empty between commas).",
        {"l.csv": table("model,benchmark,score,type", "m1,a,1,chat", "m1,b,2")},
    ),
    Case(
        "long-extra-cell",
        ("audit", "l.csv", "--capabilities", "a,b"),
        "l.csv, row 3: 5 cells for 4 header columns; remove the extra cells or add header names.",
        {"l.csv": table("model,benchmark,score,type", "m1,a,1,chat", "m1,b,2,chat,x")},
    ),
    Case(
        "long-unknown-column",
        ("audit", "l.csv", "--capabilities", "a,b"),
        "l.csv: column 'kind' of this long table is neither model, benchmark, score, stderr, "
        "metric, framework, source nor a model-metadata column (class 'type', name, family, "
        "compute, parameters); name what it holds with --class-column and the like, or skip "
        "it with --ignore-column.",
        {"l.csv": table("model,benchmark,score,kind", "m1,a,1,chat")},
    ),
    Case(
        "long-second-score-header",
        ("audit", "l.csv"),
        "l.csv: column 3 and column 4 are both named 'score'; give every column its own name.",
        {"l.csv": table("model,benchmark,score,score", "m1,a,1,2")},
    ),
    Case(
        "reference-is-itself",
        ("audit", "s.csv", "--capabilities", "a,b", "--benchmarks", "info.csv"),
        "info.csv, row 2, column 'reference': benchmark 's' names itself as its reference, "
        "which always correlates 1.0; leave the cell empty or name the task's accuracy column.",
        {
            "s.csv": table("model,a,b,s", "m1,1,2,1", "m2,2,3,2", "m3,3,1,3"),
            "info.csv": table("benchmark,role,reference", "s,safety,s"),
        },
    ),
]

RESULTS = '{"results": {"hellaswag": {"acc,none": 0.5}}, "model_name": "m1"}'
EVERY_SKIPPED = "every file was skipped (see above); check the paths or --framework."


def archive(*members: tuple[str, str]) -> bytes:
    """An ``.eval`` (zip) archive holding ``members`` in order (names may repeat)."""
    import io
    import warnings
    import zipfile

    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zipped:
        warnings.simplefilter("ignore")  # "Duplicate name": the point of one case
        for name, text in members:
            zipped.writestr(name, text)
    return buffer.getvalue()


INSPECT_HEADER = (
    '{"eval": {"task": "x"}, "results": {"scores": [{"metrics": {"acc": {"value": 1}}}]}}'
)

SAVE_AS_CSV = (
    "not a text table; save the sheet as CSV (UTF-8) and give that file, or read it with "
    "pandas.read_excel and pass the DataFrame to audit()."
)

READERS = [
    # A spreadsheet given as it is: named .xlsx, or a workbook's bytes under a .csv name
    # (an xlsx is a zip archive, an xls an OLE2 file). Before: "has a header but no rows".
    Case(
        "xlsx-workbook",
        ("audit", "scores.xlsx", "--capabilities", "a,b"),
        f"scores.xlsx is an Excel workbook, {SAVE_AS_CSV}",
        {"scores.xlsx": b"PK\x03\x04\x14\x00\x06\x00model,a,b\n"},
    ),
    Case(
        "xls-bytes-named-csv",
        ("check", "new.csv", "--panel", "paper-chat"),
        f"new.csv is an Excel workbook, {SAVE_AS_CSV}",
        {"new.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1model,score\n"},
    ),
    Case(
        "zip-named-csv",
        ("panel", "build", "scores.csv", "-o", "panel.json"),
        f"scores.csv is a zip archive (such as an Excel or OpenDocument workbook), {SAVE_AS_CSV}",
        {"scores.csv": b"PK\x03\x04model,a,b\nm1,1,2\n"},
    ),
    # 7. Results files: huge integers, deep nesting, duplicate archive entries.
    *(
        Case(
            f"results-{digits}-digit-integer",
            ("ingest", "r.json", "-o", "x.csv"),
            f"No scores could be read from r.json: {EVERY_SKIPPED}",
            {"r.json": RESULTS.replace("0.5", "1" * digits)},
            f"  r.json holds an integer of {digits} digits, more than the 300 allowed",
        )
        for digits in (401, 5001)
    ),
    Case(
        "eval-401-digit-integer",
        ("ingest", "r.eval", "-o", "x.csv"),
        f"No scores could be read from r.eval: {EVERY_SKIPPED}",
        {"r.eval": archive(("header.json", INSPECT_HEADER.replace("1", "1" * 401)))},
        "  r.eval entry 'header.json' holds an integer of 401 digits, more than the 300 allowed",
    ),
    Case(
        "eval-two-headers",
        ("ingest", "r.eval", "-o", "x.csv"),
        f"No scores could be read from r.eval: {EVERY_SKIPPED}",
        {"r.eval": archive(("header.json", "{}"), ("header.json", INSPECT_HEADER))},
        "  r.eval has two entries named 'header.json'; the archive was not read",
    ),
    Case(
        "metrics-100k-deep",
        ("ingest", "r.json", "--metrics", "deep.json", "-o", "x.csv"),
        "deep.json is not usable JSON (nested too deeply); fix the file.",
        {"r.json": RESULTS, "deep.json": "[" * 100_000 + "]" * 100_000},
    ),
    Case(
        "panel-100k-deep",
        ("check", "s.csv", "--panel", "deep.json"),
        "deep.json is not usable JSON (nested too deeply); rebuild the panel.",
        {"s.csv": table("model,x", "m1,1"), "deep.json": "{\"a\":" * 100_000 + "1" + "}" * 100_000},
    ),
    Case(
        "ingest-empty-task-name",
        ("ingest", "r.json", "-o", "x.csv"),
        "No scores could be read from r.json: no results files; check the paths or --framework.",
        {"r.json": RESULTS.replace("hellaswag", "")},
        "  r.json: 1 score with an empty task or model name left out.",
    ),
]  # fmt: skip

FLAGS = [
    # 8. Counts beyond their bounds, refused before any work.
    *(
        Case(
            f"audit-{' '.join(flags)}",
            ("audit", "P", "--preset", "paper", *flags),
            message,
        )
        for flags, message in (
            (("--seed", "-1", "--bootstrap", "10"),
             "--seed -1 is not a whole number of at least 0; give a seed such as --seed 1."),
            (("--bootstrap", "1000000000"),
             "--bootstrap 1000000000 asks for more bootstrap resamples than the 100000 allowed; "
             "give at most --bootstrap 100000 (--bootstrap 2000 is usual)."),
            (("--bootstrap", "99999999999999999999"),
             "--bootstrap 99999999999999999999 asks for more bootstrap resamples than the 100000 "
             "allowed; give at most --bootstrap 100000 (--bootstrap 2000 is usual)."),
            (("--bootstrap", "10", "--permutations", "99999999999"),
             "--permutations 99999999999 asks for more permutations than the 100000 allowed; "
             "give at most --permutations 100000 (--permutations 2000 is usual)."),
            (("--bootstrap", "--seed", "1"),
             "--bootstrap needs a number N, but the word after it is the flag --seed; write "
             "e.g. --bootstrap 2000 --seed ..."),
            (("--bootstrap", "abc"),
             "--bootstrap abc is not a whole number of bootstrap resamples; give a whole number "
             "such as --bootstrap 2000."),
        )
    ),
    *(
        Case(f"power-{' '.join(flags)}", ("power", *flags), message)
        for flags, message in (
            (("--seed", "-1"),
             "--seed -1 is not a whole number of at least 0; give a seed such as --seed 1."),
            (("--capability-benchmarks", "100000"),
             "--capability-benchmarks 100000 is more than the 200 a simulation may have; give at "
             "most --capability-benchmarks 200."),
            (("--models", "100000000"),
             "--models 100000000 is more than the 10000 a simulation may have; give at most "
             "--models 10000."),
            (("--panels", "10000000"),
             "--panels 10000000 is more than the 100000 a simulation may have; give at most "
             "--panels 100000."),
        )
    ),
]  # fmt: skip

FIFO = None  # a file entry holding None is made a FIFO


@dataclass(frozen=True)
class Link:
    """A file entry made a symbolic link to ``target``."""

    target: str


HANGS = [
    # 9. Inputs that never end are refused before they are opened.
    Case(
        "scores-fifo",
        ("audit", "f.csv"),
        "f.csv is a FIFO, not a regular file; give a scores file (CSV, TSV or Parquet).",
        {"f.csv": FIFO},
    ),
    Case(
        "scores-dev-zero",
        ("audit", "/dev/zero"),
        "/dev/zero is a device, not a regular file; give a scores file (CSV, TSV or Parquet).",
    ),
    Case(
        "ingest-folder-with-a-fifo",
        ("ingest", "in", "-o", "x.csv"),
        f"No scores could be read from in: {EVERY_SKIPPED}",
        {"in/r.json": FIFO},
        "  in/r.json is not a regular file (a FIFO, device or socket); it was not read",
    ),
    Case(
        "scores-over-the-column-limit",
        ("audit", "w.csv", "--max-columns", "3"),
        "w.csv has 5 columns, more than the 3 a scores table may have; raise the limit with "
        "--max-columns 8 or drop columns.",
        {"w.csv": table("model,a,b,c,s", "m1,1,2,3,4")},
    ),
    Case(
        "scores-over-the-row-limit",
        ("audit", "w.csv", "--max-rows", "1"),
        "w.csv has 2 rows, more than the 1 a scores table may have; raise the limit with "
        "--max-rows 4 or split the file.",
        {"w.csv": table("model,a,b,c,s", "m1,1,2,3,4", "m2,1,2,3,4")},
    ),
    Case(
        "scores-over-the-size-limit",
        ("audit", "w.csv", "--max-file-size", "0.00001"),
        "w.csv is 0.0 MB, more than the 1e-05 MB a scores table may have; raise the limit "
        "with --max-file-size 1 or split the file.",
        {"w.csv": table("model,a,b,c,s", "m1,1,2,3,4", "m2,1,2,3,4")},
    ),
    Case(
        "fetch-a-link-to-dev-zero",
        ("datasets", "fetch", "paper", "--base-url", "file://{tmp}/mirror/", "--force"),
        "file://{tmp}/mirror/benchmarks_base_models.csv is not a regular file (a FIFO or "
        "device), so it was not read; check the mirror set in SAFETYWASHING_BASE_URL.",
        {"mirror/benchmarks_base_models.csv": Link("/dev/zero")},
    ),
    Case(
        "fetch-a-file-over-the-cap",
        ("datasets", "fetch", "paper", "--base-url", "file://{tmp}/mirror/", "--force"),
        "file://{tmp}/mirror/benchmarks_base_models.csv is larger than the 8 MB expected of "
        "the paper's files, so the download was stopped; check the address or the mirror set "
        "in SAFETYWASHING_BASE_URL.",
        {"mirror/benchmarks_base_models.csv": b"0" * (8 * 1024 * 1024 + 1)},
    ),
]

CATALOGUE = [*NUMERICS, *COMPUTE, *CELLS, *OUTPUT_PATHS, *ROWS, *READERS, *FLAGS, *HANGS]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def create(files: dict[str, str | bytes | Link | None], folder: Path) -> None:
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            os.mkfifo(target)
        elif isinstance(content, Link):
            target.symlink_to(content.target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def run(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command line in-process; the exit code and stderr."""
    here = str(Path.cwd())
    code = main([str(PAPER_CHAT) if arg == "P" else arg.replace("{tmp}", here) for arg in argv])
    return code, capsys.readouterr().err


def assert_refused(code: int, err: str, message: str) -> None:
    """Exit 2, no traceback, and the last line of stderr is exactly the error sentence."""
    assert code == 2, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"error: {message}"


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.id for case in CATALOGUE])
def test_hostile_input_is_one_sentence(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFETYWASHING_DATA_DIR", str(tmp_path / "cache"))
    create(case.files, tmp_path)
    before = snapshot(tmp_path)
    code, err = run(case.argv, capsys)
    assert_refused(code, err, case.message.replace("{tmp}", str(tmp_path)))
    assert case.detail in err.splitlines() if case.detail else True, err
    assert snapshot(tmp_path) == before, "a refused command changed the folder"


# 5. Injection: the command succeeds, and what it writes or prints is inert.

FORMULAS = ("=cmd|' /C calc'!A0", "+SUM(1;2)", "@SUM(A1)", "-2+3")
INJECTED = table(
    "model,a,b,s,=HYPERLINK(x)",
    *(f'"{name}",{i},{(i * 2) % 5 + i},{i % 3},1' for i, name in enumerate(FORMULAS, start=1)),
)


def test_csv_outputs_neutralise_formulas_but_not_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    monkeypatch.chdir(tmp_path)
    create({"i.csv": INJECTED}, tmp_path)
    code, err = run(("audit", "i.csv", "--capabilities", "a,b", "--out", "o"), capsys)
    assert code == 0, err
    for name in ("benchmarks.csv", "capability_scores.csv"):
        rows = list(csv.reader((tmp_path / "o" / name).open(encoding="utf-8")))
        text_cells = [cell for row in rows for cell in row if cell and cell[0] in "=+@-\t\r"]
        # The OWASP rule: every cell a spreadsheet would evaluate starts with an
        # apostrophe; numbers such as -0.63 stay numbers.
        for cell in text_cells:
            float(cell)  # only numbers may start with one of those characters
        assert any(cell.startswith("'=") for row in rows for cell in row)
    scores = (tmp_path / "o" / "capability_scores.csv").read_text(encoding="utf-8")
    assert "'=cmd|' /C calc'!A0" in scores and "'+SUM(1;2)" in scores
    assert "'@SUM(A1)" in scores and "'-2+3" in scores


def test_ingest_output_neutralises_formulas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    create({"r.json": RESULTS.replace('"m1"', '"=cmd|x"').replace("hellaswag", "@SUM")}, tmp_path)
    code, err = run(("ingest", "r.json", "-o", "x.csv"), capsys)
    assert code == 0, err
    row = (tmp_path / "x.csv").read_text(encoding="utf-8").splitlines()[1]
    assert row.startswith("'=cmd|x,'@SUM,0.5,")


ESCAPES = "\x1b]0;PWNED\x07\x1b[2J"


def test_markdown_and_terminal_escape_markup_and_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    models = [line.split(",", 1)[0] for line in PAPER_CHAT.read_text().splitlines()[1:]]
    create({"new.csv": table("model,new", *(f"{m},{i % 7}" for i, m in enumerate(models)))},
           tmp_path)  # fmt: skip
    name = f"<script>alert(1)</script> | x{ESCAPES}"
    code = main(["check", "new.csv", "--panel", "paper-chat", "--format", "markdown",
                 "--name", name])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "<script>" not in out and "\x1b" not in out and "\x07" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| x" in out
    # A benchmark column and a model named with terminal escapes: shown, not acted on.
    create({"e.csv": table(f"model,a,b,s{ESCAPES}", f"m{ESCAPES},1,2,1", "m2,2,3,2",
                           "m3,3,1,3", "m4,4,4,1")}, tmp_path)  # fmt: skip
    code = main(["audit", "e.csv", "--capabilities", "a,b"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "\x1b" not in captured.out and "\x07" not in captured.out
    assert "\\x1b" in captured.out
    code = main(["audit", "e.csv", "--capabilities", f"a,b,zz{ESCAPES}"])
    err = capsys.readouterr().err
    assert code == 2 and "\x1b" not in err and "\x07" not in err and "\\x1b" in err


def test_merged_duplicate_rows_combine_compute_like_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by benchmarks/fuzz.py: with --duplicates mean the FLOP of the first of the
    # rows was kept, so the compute correlation depended on the order of the rows.
    from safetywashing.core.errors import InputNotice
    from safetywashing.io.tables.readers import ColumnMap, read_scores

    monkeypatch.chdir(tmp_path)
    rows = ("m1,1e22,0.1", "m1,3e22,0.3", "m2,5e22,0.5")
    flops = set()
    for order in (rows, rows[::-1]):
        create({"d.csv": table("model,FLOP,a", *order)}, tmp_path)
        with pytest.warns(InputNotice, match="averaged their scores"):
            scores = read_scores("d.csv", columns=ColumnMap(duplicates="mean"))
        flops.add(scores.flop[scores.model_ids.index("m1")])
    assert flops == {2e22}  # the mean of 1e22 and 3e22, whichever row comes first
