"""A seeded fuzzer: mutated score tables, results and item files through the command line.

Of every ten cases, four mutate a score table, two an item table, and one each an
lm-evaluation-harness results file, its samples, an Inspect ``.eval`` log and a panel
JSON. A table case mutates a small slice of the paper's chat file (a few models, the 12
capability benchmarks and some safety benchmarks) or an lm-evaluation-harness results
file with one to three hostile edits (cells such as ``inf``, ``1e400``, ``1_5``, ``٣``,
``=cmd``, terminal escapes, 5,001 digits; short, long, repeated or missing rows and
columns; a BOM, CRLF, semicolons or tabs; a truncated or byte-flipped file), picks
random flags, and runs ``safetywashing audit`` (or ``ingest``) in-process. An item case
mutates a simulated item table (hostile model and item ids such as ``NA``, ``None`` or
``""``, hostile scores, repeated, missing or reordered rows and columns) and runs
``items`` against a simulated panel; the samples and ``.eval`` cases run ``ingest
--items`` on mutated records and bytes; a panel case mutates one value of the panel JSON
and runs ``check``. It reports:

- crashes: an exception other than the one-line user error, or an exit code outside
  {0, 1, 2};
- hangs: a case that runs longer than 10 s (stopped by an alarm);
- invariant violations: for a case that succeeds with ``--format json``, the results
  must not change when the rows and columns of the file are shuffled, or when every
  model but one is renamed (for an item table: renamed in the table and the panel).

Run: ``python benchmarks/fuzz.py [--cases 20000] [--seed 0]``; prints a summary line and
the first failures with their seed, and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetywashing.cli.app import main
from safetywashing.datasets.panels import reference_root
from safetywashing.datasets.presets import get_preset

PAPER_CHAT = reference_root() / "safetywashing-paper" / "benchmarks_chat_models.csv"
HANG_SECONDS = 10
TOLERANCE = 1e-9

HOSTILE_CELLS = (
    "", "nan", "NA", "-", "inf", "-inf", "1e400", "-1e400", "1e160", "1e200", "1e-320",
    "-5", "0", "50%", "45%", "1_5", "٣", "１", "abc", "0,5", "=cmd|' /C calc'!A0",
    "+SUM(1,2)", "@SUM(A1)", "\x1b]0;PWNED\x07\x1b[2J", "1" * 5001, "0x10", "1e", ".",
    "0.1", "0.3", "0.7", "0.5", "  0.4  ", "\"", "1;2", "\t", "NaN%", "+0", "-0", "1e308",
)  # fmt: skip
HOSTILE_NAMES = (
    "", "model", "type", "FLOP", "mmlu", "=x", "a" * 300, "<script>", "\x1b[2J", " ", "benchmark",
    "score", "name", "family", "model_size",
)  # fmt: skip


@dataclass
class Outcome:
    """What one case did."""

    kind: str  # "ok", "error", "crash", "hang", "violation"
    detail: str = ""
    checked: bool = False  # the invariants were checked


@dataclass
class Tally:
    cases: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    invariants: int = 0

    def add(self, seed: int, outcome: Outcome) -> None:
        self.cases += 1
        self.invariants += outcome.checked
        self.by_kind[outcome.kind] = self.by_kind.get(outcome.kind, 0) + 1
        if outcome.kind in ("crash", "hang", "violation"):
            self.failures.append((seed, outcome.kind, outcome.detail))

    def count(self, kind: str) -> int:
        return self.by_kind.get(kind, 0)


class _Hang(Exception):
    pass


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    """Raise :class:`_Hang` in the main thread after ``seconds``."""

    def ring(signum: int, frame: object) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(argv: list[str]) -> tuple[int | None, str, str, str]:
    """Exit code (None for an escaped exception), stdout, stderr, and the traceback."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", RuntimeWarning)
            code = main(argv)
    except _Hang:
        raise
    except BaseException:
        return None, out.getvalue(), err.getvalue(), traceback.format_exc()
    return code, out.getvalue(), err.getvalue(), ""


# -- the seed table -----------------------------------------------------------------------


def base_rows() -> list[list[str]]:
    with PAPER_CHAT.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def slice_table(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    """A few models, the paper's capability benchmarks, some safety ones, maybe FLOP."""
    header = rows[0]
    capabilities = list(get_preset("paper").capabilities)
    others = [name for name in header[1:] if name not in capabilities and name != "FLOP"]
    chosen = ["model", *capabilities, *rng.sample(others, rng.randint(1, 6))]
    if "FLOP" in header and rng.random() < 0.7:
        chosen.append("FLOP")
    if "type" in header and rng.random() < 0.3:
        chosen.append("type")
    positions = [header.index(name) for name in chosen]
    body = rng.sample(rows[1:], rng.randint(4, min(14, len(rows) - 1)))
    return [chosen, *([row[p] for p in positions] for row in body)]


def to_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


# -- mutations ------------------------------------------------------------------------


def mutate_rows(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    rows = [list(row) for row in rows]
    width = len(rows[0])
    if len(rows) < 2 or width < 1:
        return rows
    choice = rng.randrange(12)
    r = rng.randrange(1, len(rows))
    c = rng.randrange(width)
    if choice <= 3:  # a hostile cell
        if c < len(rows[r]):
            rows[r][c] = rng.choice(HOSTILE_CELLS)
    elif choice == 4:  # a constant column
        value = rng.choice(("0.1", "0.3", "0.7", "0.5", "1e-300", "123456.789"))
        for row in rows[1:]:
            if c < len(row):
                row[c] = value
    elif choice == 5:  # a short or long row
        if rng.random() < 0.5:
            rows[r] = rows[r][: rng.randrange(1, width)]
        else:
            rows[r].append(rng.choice(HOSTILE_CELLS))
    elif choice == 6:  # a repeated or missing row
        if rng.random() < 0.5:
            rows.insert(rng.randrange(1, len(rows) + 1), list(rows[r]))
        elif len(rows) > 2:
            del rows[r]
    elif choice == 7:  # a missing column
        if width > 2:
            for row in rows:
                if c < len(row):
                    del row[c]
    elif choice == 8:  # a hostile or repeated header name
        rows[0][c] = rng.choice((*HOSTILE_NAMES, rng.choice(rows[0])))
    elif choice == 9:  # a hostile model id
        if rows[r]:
            rows[r][0] = rng.choice((*HOSTILE_NAMES, rows[rng.randrange(1, len(rows))][0]))
    elif choice == 10:  # a whole column of huge or tiny numbers
        scale = rng.choice(("1e150", "1e-300", "-1"))
        for row in rows[1:]:
            if c < len(row) and c > 0:
                with contextlib.suppress(ValueError):
                    row[c] = repr(float(row[c]) * float(scale))
    else:  # a missing-value pattern
        for row in rows[1:]:
            if c < len(row) and c > 0 and rng.random() < 0.5:
                row[c] = ""
    return rows


def mutate_text(text: str, rng: random.Random) -> str | bytes:
    choice = rng.randrange(8)
    if choice == 0:
        return "\ufeff" + text
    if choice == 1:
        return text.replace("\n", "\r\n")
    if choice == 2:
        return text.replace(",", ";")
    if choice == 3:
        return text.replace(",", "\t")
    if choice == 4:
        return text[: rng.randrange(len(text) + 1)]
    if choice == 5:
        data = bytearray(text.encode("utf-8"))
        for _ in range(rng.randint(1, 4)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if choice == 6:
        lines = text.splitlines(keepends=True)
        lines.insert(rng.randrange(len(lines) + 1), "\n" * rng.randint(1, 3))
        return "".join(lines)
    return text.replace('"', "") + '"unterminated\n'


def audit_flags(header: list[str], rng: random.Random) -> list[str]:
    flags: list[str] = []
    capabilities = [name for name in header if name in get_preset("paper").capabilities]
    roll = rng.random()
    if roll < 0.45:
        flags += ["--preset", "paper"]
    elif roll < 0.9 and len(header) > 2:
        pool = capabilities or header[1:]
        flags += ["--capabilities", ",".join(rng.sample(pool, min(len(pool), rng.randint(2, 5))))]
    for flag, values in (
        ("--matrix", ("spearman", "pearson", "covariance")),
        ("--method", ("spearman", "pearson", "kendall")),
        ("--impute", ("pca", "none")),
        ("--flop-scale", ("1", "1e21", "-1", "0", "inf", "1e308", "nan")),
        ("--duplicates", ("error", "first", "mean")),
        ("--text-columns", ("error", "ignore")),
    ):
        if rng.random() < 0.2:
            flags += [flag, rng.choice(values)]
    if rng.random() < 0.1:
        flags += ["--pool"]
    return flags


# -- invariants ----------------------------------------------------------------------


def summary(document: dict[str, Any], rename: dict[str, str] | None = None) -> dict[str, Any]:
    """The numbers that must not depend on row order, column order or other models' names."""
    back = {new: old for old, new in (rename or {}).items()}
    found: dict[str, Any] = {}
    for name, audit in document["classes"].items():
        for benchmark, values in audit["benchmarks"].items():
            for key in ("n", "capabilities_correlation", "compute_correlation", "n_compute"):
                found[(name, benchmark, key)] = values.get(key)
        for benchmark, loading in dict(audit.get("loadings") or {}).items():
            found[(name, "loading", benchmark)] = loading
        for model, score in dict(audit.get("capability_scores") or {}).items():
            found[(name, "score", back.get(model, model))] = score
    return found


def same(first: dict[str, Any], second: dict[str, Any]) -> str:
    if first.keys() != second.keys():
        return f"different keys: {sorted(map(str, first.keys() ^ second.keys()))[:3]}"
    for key, value in first.items():
        other = second[key]
        if value is None or other is None:
            if value is not other:
                return f"{key}: {value} vs {other}"
        elif isinstance(value, float) or isinstance(other, float):
            if not math.isclose(value, other, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
                return f"{key}: {value} vs {other}"
        elif value != other:
            return f"{key}: {value} vs {other}"
    return ""


def shuffled(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    order = [0, *rng.sample(range(1, len(rows[0])), len(rows[0]) - 1)]  # model id first
    body = rng.sample(rows[1:], len(rows) - 1)
    return [[row[i] for i in order] for row in [rows[0], *body]]


def renamed(rows: list[list[str]]) -> tuple[list[list[str]], dict[str, str]]:
    # The model column may have been moved by a mutation: rename in it, wherever it is.
    column = rows[0].index("model") if "model" in rows[0] else 0
    mapping = {row[column]: f"renamed-model-{i}" for i, row in enumerate(rows[2:])}
    renamed_rows = [
        [mapping[row[column]] if j == column else cell for j, cell in enumerate(row)]
        for row in rows[2:]
    ]
    return [rows[0], rows[1], *renamed_rows], mapping


# -- cases ------------------------------------------------------------------------------


def table_case(seed: int, base: list[list[str]], folder: Path) -> Outcome:
    rng = random.Random(seed)
    rows = slice_table(base, rng)
    for _ in range(rng.randint(1, 3)):
        rows = mutate_rows(rows, rng)
    data: str | bytes = to_text(rows)
    if rng.random() < 0.25:
        data = mutate_text(data if isinstance(data, str) else data.decode(), rng)
    path = folder / f"case{seed}.csv"
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    flags = audit_flags(rows[0], rng)
    output = rng.choice(("json", "json", "table", "csv", "markdown"))
    argv = ["audit", str(path), *flags, "--format", output]
    outcome = judge(argv)
    order_matters = any(flag in ("first", "last") for flag in flags)  # --duplicates first
    ragged = len({len(row) for row in rows}) > 1
    if outcome.kind != "ok" or isinstance(data, bytes) or data != to_text(rows):
        return outcome
    if order_matters or ragged:
        return outcome
    # Invariants on a clean, successful case.
    code, out, _, _ = run_cli(["audit", str(path), *flags, "--format", "json"])
    reference = summary(json.loads(out))
    shuffled_path = folder / f"case{seed}-shuffled.csv"
    shuffled_path.write_text(to_text(shuffled(rows, rng)), encoding="utf-8")
    code, out, err, _ = run_cli(["audit", str(shuffled_path), *flags, "--format", "json"])
    if code != 0:
        return Outcome("violation", f"shuffled rows/columns exit {code}: {err.strip()[-200:]}")
    problem = same(reference, summary(json.loads(out)))
    if problem:
        return Outcome("violation", f"shuffled rows/columns change {problem}: {argv}")
    if len(rows) > 2 and len({row[0] for row in rows[1:]}) == len(rows) - 1:
        other_rows, mapping = renamed(rows)
        renamed_path = folder / f"case{seed}-renamed.csv"
        renamed_path.write_text(to_text(other_rows), encoding="utf-8")
        code, out, err, _ = run_cli(["audit", str(renamed_path), *flags, "--format", "json"])
        if code != 0:
            return Outcome("violation", f"renamed models exit {code}: {err.strip()[-200:]}")
        problem = same(reference, summary(json.loads(out), mapping))
        if problem:
            return Outcome("violation", f"renaming other models changes {problem}: {argv}")
    return Outcome("ok", checked=True)


RESULTS_TEMPLATE = {
    "results": {
        "hellaswag": {"alias": "hellaswag", "acc,none": 0.5, "acc_stderr,none": 0.01},
        "mmlu": {"alias": "mmlu", "acc,none": 0.4, "acc_stderr,none": 0.01},
    },
    "configs": {"hellaswag": {"task": "hellaswag"}, "mmlu": {"task": "mmlu"}},
    "config": {"model": "hf", "model_args": "pretrained=org/model"},
    "model_name": "org/model",
    "date": 1700000000.0,
}
HOSTILE_JSON: tuple[Any, ...] = (
    None, "", "inf", float("inf"), 10**400, -(10**30), "1e400", [], {}, "=cmd", True,
    "\x1b[2J", [[[[]]]], {"a": {"b": {}}}, 0.5, -0.5, 1e308,
)  # fmt: skip


def results_case(seed: int, folder: Path) -> Outcome:
    rng = random.Random(seed)
    document: Any = json.loads(json.dumps(RESULTS_TEMPLATE))
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(["results", "configs", "config", "root"])
        value = copy.deepcopy(rng.choice(HOSTILE_JSON))  # never the shared object itself
        if target == "root":
            document[rng.choice(list(document))] = value
        elif isinstance(document.get(target), dict) and document[target]:
            key = rng.choice(list(document[target]))
            inner = document[target][key]
            if isinstance(inner, dict) and inner and rng.random() < 0.7:
                inner[rng.choice(list(inner))] = value
            else:
                document[target][rng.choice((key, "", "|", "x|y"))] = value
    try:
        text = json.dumps(document, allow_nan=True)
    except ValueError:
        text = "{}"
    if rng.random() < 0.2:
        text = text[: rng.randrange(len(text) + 1)]
    if rng.random() < 0.05:
        text = "[" * 100_000 + "]" * 100_000
    sub = folder / f"results{seed}"
    sub.mkdir()
    (sub / "results_2024-01-01T00-00-00.json").write_text(text, encoding="utf-8")
    output = folder / f"results{seed}.csv"
    argv = ["ingest", str(sub), "-o", str(output), "--force"]
    if rng.random() < 0.3:
        argv.append("--wide")
    return judge(argv)


# -- item tables, samples, .eval logs and panels ------------------------------------------


HOSTILE_IDS = ("NA", "None", "null", "", " ", "nan", "N/A", "a,b", "x\ny", "=cmd", "\x1b[2J", "0")
ITEM_COLUMNS = ("model", "benchmark", "item", "score", "category")


@dataclass(frozen=True)
class ItemSeed:
    """A simulated item table (rows in ``ITEM_COLUMNS`` order) and its panel's JSON."""

    rows: list[list[str]]
    panel: dict[str, Any]


def item_seed() -> ItemSeed:
    from safetywashing.items.simulate import simulate_items
    from safetywashing.panels import build_panel

    sim = simulate_items(n_models=10, n_items=24, entangled_fraction=0.5, rng=11)
    frame = sim.to_frame()
    rows = [[str(row[c]) for c in ITEM_COLUMNS] for row in frame.to_dict("records")]
    panel = json.loads(build_panel(sim.panel.table, label="fuzz").to_json())
    return ItemSeed([list(ITEM_COLUMNS), *rows], panel)


def mutate_items(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    rows = [list(row) for row in rows]
    r = rng.randrange(1, len(rows))
    choice = rng.randrange(8)
    if choice <= 1:  # a model's id, everywhere it appears
        old, new = rows[r][0], rng.choice(HOSTILE_IDS)
        for row in rows[1:]:
            if row and row[0] == old:
                row[0] = new
    elif choice == 2:  # an item's id
        column = rows[0].index("item") if "item" in rows[0] else 2
        if column < len(rows[r]):
            rows[r][column] = rng.choice((*HOSTILE_IDS, rows[rng.randrange(1, len(rows))][column]))
    elif choice == 3:  # a hostile score
        column = rows[0].index("score") if "score" in rows[0] else 3
        if column < len(rows[r]):
            rows[r][column] = rng.choice((*HOSTILE_CELLS[:14], "1e300", "0.5", "1"))
    elif choice == 4:  # a repeated or missing row
        if rng.random() < 0.5:
            rows.insert(rng.randrange(1, len(rows) + 1), list(rows[r]))
        else:
            del rows[r]
    elif choice == 5:  # a missing or renamed column
        c = rng.randrange(len(rows[0]))
        if rng.random() < 0.5:
            for row in rows:
                if c < len(row):
                    del row[c]
        else:
            rows[0][c] = rng.choice(("", "score", "model", "subject", "Model"))
    elif choice == 6:  # a model's results for half the items go
        model = rows[r][0]
        rows = [rows[0], *(row for row in rows[1:] if row[0] != model or rng.random() < 0.5)]
    else:  # a second benchmark
        for row in rows[1:]:
            if len(row) > 1 and rng.random() < 0.3:
                row[1] = "other"
    return rows


def item_summary(document: dict[str, Any], rename: dict[str, str] | None = None) -> dict[str, Any]:
    """The item analysis's numbers that must not depend on order or other models' names."""
    back = {new: old for old, new in (rename or {}).items()}
    found: dict[str, Any] = {
        ("benchmark", key): document.get(key)
        for key in ("n_models", "n_items", "benchmark_correlation", "variance_share")
    }
    for item in document.get("items", []):
        for key in ("r", "n", "mean_score", "p_value"):
            found[(item["item"], key)] = item.get(key)
    for model in document.get("models", []):
        found[("score", back.get(model["model"], model["model"]))] = model.get("capability_score")
    return found


def items_case(seed: int, start: ItemSeed, folder: Path) -> Outcome:
    rng = random.Random(seed)
    rows = start.rows
    for _ in range(rng.randint(1, 3)):
        rows = mutate_items(rows, rng)
    panel_path = folder / f"panel{seed}.json"
    panel_path.write_text(json.dumps(start.panel), encoding="utf-8")
    path = folder / f"items{seed}.csv"
    text = to_text(rows)
    data: str | bytes = mutate_text(text, rng) if rng.random() < 0.15 else text
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    flags = ["--no-subset"] if rng.random() < 0.7 else ["--repeats", "2"]
    if rng.random() < 0.2:
        flags += ["--benchmark", rng.choice(("syn_items", "other", "nope"))]
    argv = ["items", str(path), "--panel", str(panel_path), *flags, "--format", "json"]
    outcome = judge(argv)
    if outcome.kind != "ok" or data != text or len({len(row) for row in rows}) > 1:
        return outcome
    code, out, _, _ = run_cli(argv)
    reference = item_summary(json.loads(out))
    order = rng.sample(range(len(rows[0])), len(rows[0]))
    body = rng.sample(rows[1:], len(rows) - 1)
    shuffled_path = folder / f"items{seed}-shuffled.csv"
    shuffled_path.write_text(to_text([[row[i] for i in order] for row in [rows[0], *body]]))
    code, out, err, _ = run_cli([argv[0], str(shuffled_path), *argv[2:]])
    if code != 0:
        return Outcome("violation", f"shuffled item rows/columns exit {code}: {err.strip()[-200:]}")
    problem = same(reference, item_summary(json.loads(out)))
    if problem:
        return Outcome("violation", f"shuffled item rows/columns change {problem}: {argv}")
    column = rows[0].index("model")
    names = sorted({row[column] for row in rows[1:]})
    mapping = {name: f"renamed-{i}" for i, name in enumerate(names[1:])}
    panel = json.loads(json.dumps(start.panel))
    for body_of_class in panel["classes"].values():
        for model in body_of_class["models"]:
            model["id"] = model["name"] = mapping.get(model["id"], model["id"])
    renamed_panel = folder / f"panel{seed}-renamed.json"
    renamed_panel.write_text(json.dumps(panel), encoding="utf-8")
    renamed_path = folder / f"items{seed}-renamed.csv"
    renamed_path.write_text(
        to_text(
            [
                rows[0],
                *(
                    [mapping.get(c, c) if j == column else c for j, c in enumerate(row)]
                    for row in rows[1:]
                ),
            ]
        )
    )
    code, out, err, _ = run_cli(
        [argv[0], str(renamed_path), "--panel", str(renamed_panel), *argv[4:]]
    )
    if code != 0:
        return Outcome("violation", f"renamed item models exit {code}: {err.strip()[-200:]}")
    problem = same(reference, item_summary(json.loads(out), mapping))
    if problem:
        return Outcome("violation", f"renaming models changes {problem}: {argv}")
    return Outcome("ok", checked=True)


def hostile_value(rng: random.Random) -> Any:
    # A fresh copy: a shared list placed twice and then mutated into itself would make
    # the document circular.
    return copy.deepcopy(rng.choice((*HOSTILE_JSON, "NA", {"x": []}, "Infinity", "0.5")))


def samples_case(seed: int, folder: Path) -> Outcome:
    rng = random.Random(seed)
    sub = folder / f"samples{seed}"
    sub.mkdir()
    date = "2024-01-01T00-00-00.000000"
    (sub / f"results_{date}.json").write_text(
        json.dumps({"results": {"t": {"acc,none": 0.5}}, "model_name": "org/m"})
    )
    lines = []
    for doc_id in range(rng.randint(1, 6)):
        record: dict[str, Any] = {
            "doc_id": doc_id, "doc": {"id": doc_id, "question": "q"}, "filter": "none",
            "metrics": ["acc"], "acc": rng.choice((0, 1)), "arguments": [["q", " a"]],
        }  # fmt: skip
        if rng.random() < 0.4:
            record[rng.choice([*record, "extra"])] = hostile_value(rng)
        lines.append(json.dumps(record, allow_nan=True))
    text = "\n".join(lines) + "\n"
    if rng.random() < 0.2:
        text = text[: rng.randrange(len(text) + 1)]
    if rng.random() < 0.03:
        text = '{"doc_id": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    (sub / f"samples_t_{date}.jsonl").write_text(text, encoding="utf-8")
    return judge(["ingest", "--items", str(sub), "-o", str(folder / f"s{seed}.csv"), "--force"])


def eval_case(seed: int, folder: Path) -> Outcome:
    import zipfile

    rng = random.Random(seed)
    header: Any = {"eval": {"task": "t", "model": "org/m"}, "results": {}}
    if rng.random() < 0.3:
        header["eval"][rng.choice(("task", "model", "x"))] = hostile_value(rng)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", json.dumps(header, allow_nan=True))
        for index in range(rng.randint(0, 5)):
            sample: dict[str, Any] = {
                "id": index, "epoch": 1, "input": "q", "scores": {"s": {"value": 1.0}},
            }  # fmt: skip
            if rng.random() < 0.4:
                sample[rng.choice(("id", "scores", "input", "metadata"))] = hostile_value(rng)
            name = rng.choice((f"samples/{index}_epoch_1.json", "../x.json", "samples/a.json"))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a repeated name is one of the mutations
                archive.writestr(name, json.dumps(sample, allow_nan=True))
    data = bytearray(buffer.getvalue())
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.1:
        data = data[: rng.randrange(len(data) + 1)]
    path = folder / f"log{seed}.eval"
    path.write_bytes(bytes(data))
    return judge(["ingest", "--items", str(path), "-o", str(folder / f"e{seed}.csv"), "--force"])


def panel_case(seed: int, start: ItemSeed, folder: Path) -> Outcome:
    rng = random.Random(seed)
    document: Any = json.loads(json.dumps(start.panel))
    for _ in range(rng.randint(1, 2)):
        node, key = document, None
        while True:  # walk to a random leaf (or stop early at a container)
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                key = None
                break
            key = rng.choice(keys)
            child = node[key]
            if not isinstance(child, dict | list) or rng.random() < 0.15:
                break
            node = child
        if key is not None:
            node[key] = hostile_value(rng)
    panel_path = folder / f"panel{seed}.json"
    panel_path.write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
    models = [m["id"] for m in start.panel["classes"]["all"]["models"]]
    new = folder / f"new{seed}.csv"
    new.write_text("model,new\n" + "".join(f"{m},{rng.random():.3f}\n" for m in models))
    return judge(["check", str(new), "--panel", str(panel_path), "--format", "json"])


def judge(argv: list[str]) -> Outcome:
    started = time.perf_counter()
    try:
        with alarm(HANG_SECONDS):
            code, _, err, trace = run_cli(argv)
    except _Hang:
        return Outcome("hang", f"> {HANG_SECONDS} s: {argv}")
    if trace:
        return Outcome("crash", f"{argv}\n{trace}")
    if code not in (0, 1, 2):
        return Outcome("crash", f"exit {code}: {argv}")
    if "Traceback" in err:
        return Outcome("crash", f"traceback on stderr: {argv}\n{err}")
    if time.perf_counter() - started > HANG_SECONDS:
        return Outcome("hang", f"> {HANG_SECONDS} s: {argv}")
    return Outcome("ok" if code == 0 else "error")


def fuzz(cases: int, seed: int, *, progress: bool = False) -> Tally:
    """Run ``cases`` seeded cases (see the module docstring for the mix); the tally."""
    tally = Tally()
    base = base_rows()
    start = item_seed()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        previous = Path.cwd()
        os.chdir(folder)
        try:
            for index in range(cases):
                case_seed = seed * 1_000_003 + index
                slot = index % 10
                if slot in (4, 9):
                    outcome = items_case(case_seed, start, folder)
                elif slot == 5:
                    outcome = results_case(case_seed, folder)
                elif slot == 6:
                    outcome = samples_case(case_seed, folder)
                elif slot == 7:
                    outcome = eval_case(case_seed, folder)
                elif slot == 8:
                    outcome = panel_case(case_seed, start, folder)
                else:
                    outcome = table_case(case_seed, base, folder)
                tally.add(case_seed, outcome)
                for path in folder.iterdir():  # keep the folder small
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink()
                if progress and (index + 1) % 1000 == 0:
                    elapsed = time.perf_counter() - started
                    print(f"  {index + 1} cases, {elapsed:.0f} s", file=sys.stderr, flush=True)
        finally:
            os.chdir(previous)
    return tally


def main_fuzz() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    started = time.perf_counter()
    tally = fuzz(options.cases, options.seed, progress=True)
    elapsed = time.perf_counter() - started
    print(
        f"{tally.cases} cases in {elapsed:.0f} s: {tally.count('ok')} succeeded, "
        f"{tally.count('error')} one-line errors, {tally.count('crash')} crashes, "
        f"{tally.count('hang')} hangs, {tally.count('violation')} invariant violations "
        f"(invariants checked on {tally.invariants} cases)"
    )
    for case_seed, kind, detail in tally.failures[:20]:
        print(f"--- {kind} (case seed {case_seed})\n{detail}")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main_fuzz())
