"""One set of command options: every command that audits takes the same audit flags."""

from __future__ import annotations

import csv
import json
import typing
import warnings
from pathlib import Path

import click
import pytest
import typer

from safetywashing.cli.app import _register, app, main, parameter_flags
from safetywashing.cli.options import AuditOptions, ColumnOptions, UncertaintyOptions
from safetywashing.cli.output import OutputFormat
from safetywashing.core.config import AUDIT_MATRICES, IMPUTE_METHODS, STANDARDIZE_BASES
from safetywashing.datasets import demo_benchmarks_path, demo_panel_path
from safetywashing.io.tables.columns import ComputeKind, DuplicatePolicy, TextColumnPolicy
from safetywashing.stats.correlation import CORRELATION_METHODS
from safetywashing.stats.intervals import INTERVAL_KINDS
from safetywashing.stats.multiple import ADJUSTMENTS
from safetywashing.uncertainty.settings import CLUSTERS


def _command(path: list[str]) -> click.Command:
    _register()
    command: click.Command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def _flags(path: list[str]) -> set[str]:
    return {flag for param in _command(path).params for flag in param.opts}


def _every_command() -> list[click.Command]:
    found: list[click.Command] = []
    pending: list[click.Command] = [_command([])]
    while pending:
        command = pending.pop()
        found.append(command)
        if isinstance(command, click.Group):
            pending.extend(command.commands.values())
    return found


def _group_flags(group: type) -> set[str]:
    flags = set()
    from typing import get_type_hints

    for hint in get_type_hints(group, include_extras=True).values():
        info = hint.__metadata__[0]
        flags |= {d for d in (info.default, *(info.param_decls or ())) if isinstance(d, str)}
    return flags


AUDITING = [["audit"], ["plot"], ["report"], ["panel", "build"]]


@pytest.mark.parametrize("path", AUDITING, ids=" ".join)
def test_every_auditing_command_takes_the_audit_and_column_flags(path: list[str]) -> None:
    flags = _flags(path)
    assert _group_flags(AuditOptions) <= flags
    assert _group_flags(ColumnOptions) <= flags
    assert {"--impute", "--min-observed", "--impute-rank", "--threshold"} <= flags


@pytest.mark.parametrize("path", [["audit"], ["plot"], ["report"]], ids=" ".join)
def test_commands_that_show_an_audit_take_the_bootstrap(path: list[str]) -> None:
    assert _group_flags(UncertaintyOptions) <= _flags(path)


@pytest.mark.parametrize("path", [["audit"], ["check"], ["power"]], ids=" ".join)
def test_one_format_vocabulary(path: list[str]) -> None:
    (option,) = [p for p in _command(path).params if "--format" in p.opts]
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == [f.value for f in OutputFormat]


@pytest.mark.parametrize(
    ("flag", "vocabulary"),
    [
        ("--method", CORRELATION_METHODS),
        ("--matrix", AUDIT_MATRICES),
        ("--impute", IMPUTE_METHODS),
        ("--standardize", STANDARDIZE_BASES),
        ("--interval", INTERVAL_KINDS),
        ("--cluster", CLUSTERS),
        ("--adjust", ADJUSTMENTS),
        ("--duplicates", typing.get_args(DuplicatePolicy)),
        ("--text-columns", typing.get_args(TextColumnPolicy)),
        ("--compute-kind", typing.get_args(ComputeKind)),
    ],
)
def test_choices_are_the_librarys_vocabulary(flag: str, vocabulary: tuple[str, ...]) -> None:
    (option,) = [p for p in _command(["audit"]).params if flag in p.opts]
    assert isinstance(option.type, click.Choice)
    assert sorted(option.type.choices) == sorted(vocabulary)


#: The hand-kept table the flags were once looked up in (engine, the power analysis's
#: choice behind --bootstrap, is never wrong on the command line and is gone).
FORMER_PARAMETER_FLAGS = {
    "capabilities": "--capabilities", "preset": "--preset", "model_class": "--class",
    "pool_classes": "--pool", "method": "--method", "matrix": "--matrix",
    "impute": "--impute", "impute_rank": "--impute-rank", "min_observed": "--min-observed",
    "standardize": "--standardize", "threshold": "--threshold", "n_resamples": "--bootstrap",
    "confidence": "--confidence", "seed": "--seed", "interval": "--interval",
    "permutations": "--permutations", "cluster": "--cluster", "adjustment": "--adjust",
    "alpha": "--alpha", "scheduler": "--scheduler", "workers": "--workers",
    "family_column": "--family-column", "rho": "--rho", "models": "--models",
    "panels": "--panels", "n_capability": "--capability-benchmarks", "band": "--band",
    "aim": "--aim", "floor": "--floor", "fdr": "--fdr", "n_repeats": "--repeats",
    "reliability": "--reliability", "flop_scale": "--flop-scale",
    "parameters_scale": "--params-scale", "max_file_mb": "--max-file-size",
    "max_rows": "--max-rows", "max_columns": "--max-columns",
}  # fmt: skip


def test_parameter_flags_come_from_the_declared_options() -> None:
    flags = parameter_flags()
    assert {name: flags.get(name) for name in FORMER_PARAMETER_FLAGS} == FORMER_PARAMETER_FLAGS
    # One flag per parameter name across every command.
    for command in _every_command():
        for param in command.params:
            long = [f for f in param.opts if f.startswith("--")]
            if isinstance(param, click.Option) and param.name and long:
                assert flags[param.name] == long[0], (command.name, param.name)


def test_force_is_declared_once() -> None:
    helps = {
        command.name: param.help
        for command in _every_command()
        for param in command.params
        if "--force" in param.opts
    }
    assert helps.pop("fetch") == "Download again even if cached."
    assert set(helps) == {"audit", "build", "ingest", "items", "plot", "report"}
    assert set(helps.values()) == {"Overwrite existing output files."}


def test_main_restores_the_warning_handler(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from safetywashing.cli import command

    def mine(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(warnings, "showwarning", mine)
    assert main(["audit", "--format", "json"]) == 0  # done
    assert warnings.showwarning is mine
    assert main(["audit", "--bootstrap", "0"]) == 2  # a user error
    assert warnings.showwarning is mine
    assert main(["audit", "--no-such-flag"]) == 2  # a usage error
    assert warnings.showwarning is mine

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(command, "load_table", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["audit"])
    assert warnings.showwarning is mine
    capsys.readouterr()


def _gappy_demo(tmp_path: Path) -> Path:
    rows = list(csv.reader(demo_panel_path().open(encoding="utf-8")))
    capability = next(
        row[0]
        for row in csv.reader(demo_benchmarks_path().open(encoding="utf-8"))
        if "capability" in row
    )
    rows[1][rows[0].index(capability)] = ""
    path = tmp_path / "gappy.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_report_and_plot_take_impute_none_and_the_bootstrap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gappy = str(_gappy_demo(tmp_path))
    meta = ["--benchmarks", str(demo_benchmarks_path())]
    page = tmp_path / "r.html"
    assert main(["report", gappy, *meta, "--impute", "none", "-o", str(page)]) == 0
    other = tmp_path / "m.html"
    argv = ["report", gappy, *meta, "--min-observed", "6", "--no-figures", "-o", str(other)]
    assert main(argv) == 0
    assert "Figures were not included." in other.read_text(encoding="utf-8")
    figure = tmp_path / "f.png"
    plot = ["plot", "forest", gappy, *meta, "--impute", "none", "--bootstrap", "50", "--seed", "1"]
    assert main([*plot, "-o", str(figure)]) == 0
    assert figure.stat().st_size > 1000
    capsys.readouterr()
    # --impute none leaves the gappy model out, as `audit --impute none` does.
    assert main(["audit", gappy, *meta, "--impute", "none", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    excluded = [m for c in document["classes"].values() for m in c["excluded_models"]]
    assert len(excluded) == 1
    assert excluded[0]["model"] in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "x.csv", "--panel", "p.json", "--format", "csv"],
         "error: `check` cannot print --format csv; choose one of table, json, markdown, "
         "latex.\n"),
        (["power", "--format", "latex"],
         "error: `power` cannot print --format latex; choose one of table, json.\n"),
        (["plot", "forest", "--seed", "3", "-o", "{tmp}/f.png"],
         "error: --seed needs --bootstrap N; add --bootstrap 2000 or leave it out.\n"),
        (["audit", "--impute", "none", "--impute-rank", "2"],
         "error: --impute none leaves models with gaps out, so --impute-rank and --min-observed "
         "do not apply; drop them or use --impute pca.\n"),
        (["audit", "--bootstrap", "--seed", "1"],
         "error: --bootstrap needs a number N, but the word after it is the flag --seed; write "
         "e.g. --bootstrap 2000 --seed ...\n"),
        (["audit", "no-such.csv", "--bootstrap", "many"],
         "error: --bootstrap many is not a whole number of bootstrap resamples; give a whole "
         "number such as --bootstrap 2000.\n"),
        (["ingest", "{tmp}/table.csv", "-o", "{tmp}/o.csv"],
         "error: {tmp}/table.csv is a scores table, not evaluation results; `ingest` reads the "
         "results files of lm-evaluation-harness, Inspect, HELM and the Open LLM Leaderboard, "
         "while a table goes straight to `safetywashing audit {tmp}/table.csv`.\n"),
        (["audit", "--class", "chat", "--pool"],
         "error: --class chat and --pool both choose the models; give one of them.\n"),
    ],
)  # fmt: skip
def test_flags_that_cannot_apply_are_errors(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "table.csv").write_text("model,a\nm,1\n", encoding="utf-8")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert capsys.readouterr().err == message.format(tmp=tmp_path)
    assert not (tmp_path / "f.png").exists()


def test_trimmed_lines_drop_trailing_spaces_and_keep_everything_else() -> None:
    import io

    from safetywashing.cli.output import TrimmedLines

    sink = io.StringIO()
    stream = TrimmedLines(sink)
    for piece in ("title   \nrow ", " │ a  ", "│   \n\n  indented", "  "):
        stream.write(piece)
    assert sink.getvalue() == "title\nrow  │ a  │\n\n"  # the partial line waits
    stream.flush()
    assert sink.getvalue() == "title\nrow  │ a  │\n\n  indented  "


@pytest.mark.parametrize("width", ["80", "200"])
def test_piped_tables_fit_columns_and_end_no_line_in_spaces(
    width: str, paper_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", width)
    path = paper_dir / "benchmarks_chat_models.csv"
    assert main(["audit", str(path), "--preset", "paper", "--robustness"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= int(width)
    assert not [line for line in lines if line.endswith(" ")]
    assert any(line.startswith("chat models: 26 of 26 with a capability score") for line in lines)
