"""The Python API: what ``audit`` accepts, how results behave, and errors in Python terms."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.cli.app import main
from safetywashing.core.errors import InputError, UnknownNameError


@pytest.fixture(scope="module")
def demo() -> sw.ScoreTable:
    return sw.load_demo_panel()


@pytest.fixture(scope="module")
def demo_result(demo: sw.ScoreTable) -> sw.AuditResult:
    return sw.audit(demo)


def _wide_frame(table: sw.ScoreTable) -> pd.DataFrame:
    frame = pd.DataFrame(table.values, columns=list(table.benchmark_ids))
    frame.insert(0, "model", list(table.model_ids))
    frame.insert(1, "type", [m.model_class for m in table.models])
    return frame


# -- what audit() accepts -------------------------------------------------------------------


def test_audit_takes_a_wide_dataframe_and_gives_the_numbers_of_the_table(
    demo: sw.ScoreTable, demo_result: sw.AuditResult
) -> None:
    roles = {b.id: b.role for b in demo.benchmarks}
    capabilities = [b for b, role in roles.items() if role == "capability"]
    from_frame = sw.audit(_wide_frame(demo), capabilities=capabilities)
    expected = sw.audit(demo, capabilities=capabilities)
    for name in expected.class_names:
        assert np.array_equal(
            from_frame[name].capability_scores, expected[name].capability_scores, equal_nan=True
        )
        # A bare frame carries no directions: lower-is-safer columns are not negated, so
        # their correlations change sign and every other one is the same.
        got = {b.id: b.capabilities_correlation for b in from_frame[name].benchmarks}
        want = {
            b.id: -b.capabilities_correlation if b.flipped else b.capabilities_correlation
            for b in expected[name].benchmarks
        }
        assert any(b.flipped for b in expected[name].benchmarks)
        assert got == pytest.approx(want, nan_ok=True)
    # The frame is its own source, with a content hash.
    assert from_frame.sources[0][0] == "the DataFrame" and len(from_frame.sources[0][1]) == 64
    # The demo result used metadata roles; the keyword route gives the same scores.
    assert np.array_equal(expected["chat"].capability_scores, demo_result["chat"].capability_scores)


def test_audit_takes_a_long_dataframe(demo: sw.ScoreTable) -> None:
    chat = demo.select_class("chat")
    capabilities = [b.id for b in demo.benchmarks if b.role == "capability"]
    long = pd.DataFrame(
        [
            {"model": model, "benchmark": benchmark, "score": chat.values[i, j]}
            for i, model in enumerate(chat.model_ids)
            for j, benchmark in enumerate(chat.benchmark_ids)
            if not math.isnan(chat.values[i, j])
        ]
    )
    found = sw.audit(long, capabilities=capabilities)
    expected = sw.audit(chat, capabilities=capabilities, pool_classes=True)
    assert found.classes[0].capability_scores == pytest.approx(
        expected.classes[0].capability_scores, nan_ok=True
    )


def test_audit_takes_a_path_and_a_config(tmp_path: Path, demo: sw.ScoreTable) -> None:
    from safetywashing.datasets import demo_benchmarks_path, demo_panel_path

    config = sw.AuditConfig(
        capabilities=tuple(b.id for b in demo.benchmarks if b.role == "capability"),
        threshold=0.3,
        impute_tolerance=1e-10,
        impute_max_iter=50,
    )
    found = sw.audit(demo_panel_path(), config)
    assert found.config is config and found.rule.threshold == 0.3
    assert found.sources[0][0] == str(demo_panel_path())
    assert demo_benchmarks_path().is_file()


def test_audit_refuses_what_it_cannot_take(demo: sw.ScoreTable) -> None:
    with pytest.raises(InputError, match=r"^data is a list; give a ScoreTable, a pandas"):
        sw.audit([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"^'low_treshold' is not a setting of the audit"):
        sw.audit(demo, low_treshold=0.2)
    with pytest.raises(InputError, match=r"^Both config and keyword settings \(method\)"):
        sw.audit(demo, sw.AuditConfig(), method="pearson")
    with pytest.raises(InputError, match=r"^impute_rank=20 is not below the number"):
        sw.audit(demo, impute_rank=20)  # no gaps to impute: refused all the same
    with pytest.raises(InputError, match=r"^impute_rank=1.5 is not a whole number"):
        sw.AuditConfig(impute_rank=1.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"^capabilities='mmlu' is not a list of benchmark"):
        sw.AuditConfig(capabilities="mmlu")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"^model_class='chat' and pool_classes both"):
        sw.AuditConfig(model_class="chat", pool_classes=True)


# -- one decision rule ----------------------------------------------------------------------


def test_the_audit_threshold_governs_readings_verdicts_and_zones(demo: sw.ScoreTable) -> None:
    result = sw.audit(demo, threshold=0.2)
    found = sw.bootstrap_audit(result, n_resamples=200, seed=1, permutations=0)
    assert found.settings.rule.threshold == 0.2
    assert found.to_dict()["settings"]["verdict_lines"] == [-0.2, 0.2]
    chat = found["chat"]
    rule = sw.DecisionRule(0.2)
    assert chat.verdicts == tuple(
        rule.verdict(float(low), float(high)) for low, high in chat.percentile.T
    )
    robust = sw.robustness_audit(result)
    assert robust.threshold == 0.2


def test_the_threshold_applies_without_the_bootstrap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It used to be ignored without --bootstrap; now it is the line of the readings.
    assert main(["audit", "--verdict-threshold", "0.95", "--format", "markdown"]) == 0
    assert "The paper reads below 0.95 as low" in capsys.readouterr().out
    assert main(["audit", "--confidence", "0.9"]) == 2
    assert capsys.readouterr().err == (
        "error: --confidence needs --bootstrap N; add --bootstrap 2000 or leave it out.\n"
    )


# -- errors in the caller's vocabulary, one lookup error --------------------------------------


def test_library_errors_name_the_python_parameter(demo: sw.ScoreTable) -> None:
    with pytest.raises(InputError) as caught:
        sw.bootstrap_audit(demo, n_resamples=0)
    assert str(caught.value) == (
        "n_resamples=0 asks for no bootstrap resamples; give a positive number such as "
        "n_resamples=2000, or leave it out."
    )
    assert caught.value.params == ("n_resamples",)
    with pytest.raises(InputError, match=r"^seed=-1 is not a whole number of at least 0"):
        sw.bootstrap_audit(demo, n_resamples=10, seed=-1)
    with pytest.raises(InputError, match=r"^rho=2 is not a correlation in \[-1, 1\]\.$"):
        sw.power_analysis(rho=2, models=[20])


def test_the_command_line_says_the_same_with_its_flags(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["audit", "--bootstrap", "0"]) == 2
    assert capsys.readouterr().err == (
        "error: --bootstrap 0 asks for no bootstrap resamples; give a positive number such as "
        "--bootstrap 2000, or leave it out.\n"
    )


def test_every_result_lookup_raises_one_key_error_with_close_matches(
    demo: sw.ScoreTable, demo_result: sw.AuditResult
) -> None:
    found = sw.bootstrap_audit(demo_result, n_resamples=50, seed=1, permutations=0)
    robust = sw.robustness_audit(demo_result)
    panel = sw.build_panel(demo_result, label="demo")
    lookups = [
        lambda: demo_result["chta"],
        lambda: demo_result["chat"]["syn_ethic_qa"],
        lambda: demo_result["chat"].benchmark("syn_ethic_qa"),
        lambda: demo_result["chat"].score_of("no-such-model"),
        lambda: found["chta"],
        lambda: found["chat"].index("syn_ethic_qa"),
        lambda: robust["chta"],
        lambda: robust["chat"].index("syn_ethic_qa"),
        lambda: robust["chat"].variant("without nothing"),
        lambda: panel["chta"],
        lambda: demo_result["chat"].prepared.target("syn_ethic_qa"),
    ]
    for lookup in lookups:
        with pytest.raises(KeyError) as caught:
            lookup()
        error = caught.value
        assert isinstance(error, UnknownNameError) and isinstance(error, InputError)
        assert str(error).startswith("No ")  # the message itself, not KeyError's quoting
        if error.name in ("chta", "syn_ethic_qa"):
            assert error.close_matches, str(error)


# -- results behave ---------------------------------------------------------------------------


def test_result_arrays_are_read_only(demo_result: sw.AuditResult) -> None:
    chat = demo_result["chat"]
    arrays = [
        chat.capability_scores,
        chat.flop,
        chat.capability_block,
        chat.capability_mean,
        chat.prepared.targets,
        chat.prepared.scored,
    ]
    for array in arrays:
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 99
    found = sw.bootstrap_audit(demo_result, n_resamples=50, seed=1, permutations=0)
    with pytest.raises(ValueError, match="read-only"):
        found["chat"].percentile[0, 0] = 99


def test_results_compare_by_identity_hash_and_have_a_short_repr(
    demo_result: sw.AuditResult,
) -> None:
    other = sw.audit(sw.load_demo_panel())
    assert demo_result == demo_result and demo_result != other  # no element-wise ValueError
    assert len({demo_result, other, demo_result["chat"]}) == 3
    for item in (demo_result, demo_result["chat"], demo_result["chat"].benchmarks[0]):
        text = repr(item)
        assert text.startswith(f"<{type(item).__name__}: ")
        assert len(text) < 600 and text.count("\n") <= 4, text


def test_every_result_has_a_table_an_html_view_and_a_versioned_document(
    demo_result: sw.AuditResult,
) -> None:
    found = sw.bootstrap_audit(demo_result, n_resamples=50, seed=1, permutations=0)
    robust = sw.robustness_audit(demo_result)
    power = sw.power_analysis(rho=0.8, models=[12], panels=2, n_resamples=50, seed=1)
    panel = sw.build_panel(demo_result, label="demo")
    new = sw.read_new_scores(_new_scores_file(demo_result))
    checked = sw.check(new, panel, model_class="chat")
    for result in (demo_result, demo_result["chat"], found, found["chat"], robust, power,
                   panel, checked):  # fmt: skip
        frame = result.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0
        assert result._repr_html_().startswith("<div")
    for document in (
        demo_result.to_dict(),
        robust.to_dict(),
        power.to_dict(),
        panel.to_dict(),
        checked.to_dict(),
    ):
        assert {"schema_version", "kind", "tool", "config", "provenance"} <= set(document)
        assert document["tool"]["version"] == sw.__version__
        json.dumps(document, allow_nan=False)
    assert robust.to_dict()["provenance"] == demo_result.to_dict()["provenance"]


_NEW_SCORES: dict[int, Path] = {}


def _new_scores_file(result: sw.AuditResult) -> Path:
    import tempfile

    key = id(result)
    if key not in _NEW_SCORES:
        chat = result["chat"]
        folder = Path(tempfile.mkdtemp())
        path = folder / "new.csv"
        rows = "\n".join(
            f"{model},{score:.6f}"
            for model, score in zip(chat.model_ids, chat.capability_scores, strict=True)
        )
        path.write_text("model,new_bench\n" + rows + "\n", encoding="utf-8")
        _NEW_SCORES[key] = path
    return _NEW_SCORES[key]


def test_uncertainty_applies_only_to_its_own_audit(demo: sw.ScoreTable) -> None:
    first = sw.audit(demo)
    second = sw.audit(demo)
    found = sw.bootstrap_audit(first, n_resamples=200, seed=1, permutations=0)
    assert found.apply().classes[0].benchmarks[0].verdict
    with pytest.raises(InputError, match="computed for another audit"):
        found.apply(second)
    with pytest.raises(InputError, match=r"^Audit settings \(threshold\) are given with a"):
        sw.bootstrap_audit(first, threshold=0.3)


def test_the_top_level_exposes_the_analyses() -> None:
    for name in ("bootstrap_audit", "robustness_audit", "check", "build_panel", "power_analysis",
                 "ingest", "write_report", "figure", "read_new_scores", "load_panel"):  # fmt: skip
        assert callable(getattr(sw, name)), name
    assert set(sw.__all__) <= set(dir(sw))
    with pytest.raises(AttributeError):
        sw.no_such_thing  # noqa: B018


def test_the_notebook_summary_counts_every_reading_and_ranks_only_score_correlations() -> None:
    # Before: brier_* rows (correlated with their own task) led the "most
    # capability-correlated" list (now the headline's lists), and the counts left out
    # "moderate" (28+76+26 != 166).
    import re

    from safetywashing.datasets.panels import reference_root

    path = reference_root() / "safetywashing-paper" / "benchmarks_chat_models.csv"
    result = sw.audit(path, preset="paper")
    chat = result["chat"]
    summary = result._repr_html_()
    row = summary[summary.index(">chat</td>") :].split("</tr>")[0]
    numbers = [int(v) for v in re.findall(r">(\d+)</td>", row)]
    n_safety = sum(1 for b in chat.benchmarks if b.role == "safety")
    assert numbers[-6] == n_safety and sum(numbers[-5:]) == n_safety
    headline = summary[summary.index("<em>chat models</em>") :].split("</div>")[0]
    entangled = chat.headline().entangled
    assert entangled and f'title="{entangled[0].id}"' in headline
    assert "brier" not in headline.lower() and "rmsce" not in headline.lower()
