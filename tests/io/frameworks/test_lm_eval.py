"""lm-evaluation-harness results files: layouts 0.3, 0.4.0, 0.4.1 and 0.4.3+."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from safetywashing.io.frameworks import ResultRecord, ingest
from safetywashing.io.frameworks._common import Context
from safetywashing.io.frameworks.lm_eval import choose_metric, metrics_of, model_name, parse
from safetywashing.io.frameworks.metric_map import MetricChoice


def _by_key(records: Iterable[ResultRecord]) -> dict[tuple[str, str], ResultRecord]:
    return {(r.model, r.benchmark): r for r in records}


def test_v04_groups_filters_and_directions(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval" / "v04")
    records = _by_key(report.records)
    mmlu = records[("EleutherAI/pythia-160m", "mmlu")]
    # The group aggregate is read, its subtasks (humanities, stem, subjects) are not.
    assert mmlu.score == 0.2495 and mmlu.stderr == 0.0036
    benchmarks = {b for m, b in records if m == "EleutherAI/pythia-160m"}
    assert benchmarks == {"gsm8k", "hellaswag", "mmlu", "truthfulqa_mc1", "wikitext"}
    # gsm8k: the first filter listed (strict-match), recorded with the metric.
    gsm8k = records[("EleutherAI/pythia-160m", "gsm8k")]
    assert (gsm8k.score, gsm8k.metric) == (0.0197, "exact_match,strict-match")
    # wikitext: lower is better per the harness's higher_is_better map; stderr "N/A".
    wikitext = records[("EleutherAI/pythia-160m", "wikitext")]
    assert wikitext.higher_is_better is False
    assert wikitext.metric == "word_perplexity"
    assert math.isnan(wikitext.stderr)


def test_newest_run_wins_and_is_reported(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval" / "v04")
    hellaswag = _by_key(report.records)[("EleutherAI/pythia-160m", "hellaswag")]
    assert hellaswag.score == 0.2891  # the 2024-06-01 run, not 0.2872 of 2024-05-01
    assert hellaswag.source.endswith("results_2024-06-01T09-30-00.000000.json")
    [note] = [n for n in report.notes if "newer" in n]
    assert "results_2024-06-01T09-30-00.000000.json is newer than" in note
    assert "results_2024-05-01T10-00-00.123456.json" in note and "hellaswag" in note


def test_model_from_model_args_dict(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval" / "v04" / "EleutherAI__pythia-410m")
    assert report.models == ("EleutherAI/pythia-410m",)
    assert {r.benchmark for r in report.records} == {"arc_challenge", "hellaswag"}


def test_v040_groups_from_configs_and_group_without_aggregate(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval" / "v040")
    records = _by_key(report.records)
    assert report.models == ("EleutherAI/pythia-1b",)  # from "pretrained=...,revision=main"
    assert records[("EleutherAI/pythia-1b", "mmlu")].score == 0.2796
    assert math.isnan(records[("EleutherAI/pythia-1b", "mmlu")].stderr)
    # "ethics" has no aggregate: its subtasks stand in for it.
    assert {b for _, b in records} == {"mmlu", "ethics_cm", "ethics_justice"}


def test_v03_bare_metric_keys(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval" / "v03")
    records = _by_key(report.records)
    assert records[("gpt2", "hellaswag")].score == 0.2891
    assert records[("gpt2", "lambada_openai")].metric == "acc"
    assert records[("gpt2", "lambada_openai")].stderr == 0.0065


def test_subtasks_option_reads_every_level(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval" / "v04" / "EleutherAI__pythia-160m", subtasks=True)
    benchmarks = set(report.benchmarks)
    assert {"mmlu", "mmlu_stem", "mmlu_humanities", "mmlu_abstract_algebra"} <= benchmarks
    algebra = _by_key(report.records)[("EleutherAI/pythia-160m", "mmlu_abstract_algebra")]
    assert algebra.score == 0.22  # sample_len (100) is not a metric


def test_metric_map_overrides_and_reads_named_subtask(fixtures: Path) -> None:
    choices = {
        "hellaswag": MetricChoice("acc_norm"),
        "gsm8k": MetricChoice("exact_match", "flexible-extract"),
        "mmlu_astronomy": MetricChoice("acc"),
        "wikitext": MetricChoice("bits_per_byte", direction="lower"),
        "truthfulqa_mc1": MetricChoice("mc2"),
    }
    report = ingest(fixtures / "lm_eval" / "v04" / "EleutherAI__pythia-160m", metric_map=choices)
    records = _by_key(report.records)
    model = "EleutherAI/pythia-160m"
    assert records[(model, "hellaswag")].score == 0.3102
    assert records[(model, "gsm8k")].score == 0.0273
    assert records[(model, "mmlu_astronomy")].score == 0.2039
    assert records[(model, "wikitext")].higher_is_better is False
    # A mapped metric the task lacks leaves the task out, with a note naming what exists.
    assert (model, "truthfulqa_mc1") not in records
    assert any("task 'truthfulqa_mc1' has no metric 'mc2' (it has acc)" in n for n in report.notes)


def test_awkward_files_are_skipped_and_listed(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval")
    reasons = {Path(s.path).parent.name: s.reason for s in report.skipped}
    assert reasons["truncated"].startswith("is not valid JSON (Unterminated string")
    assert "line 13" in reasons["truncated"]
    assert reasons["no_model"].startswith("names no model")
    assert reasons["not_results"].startswith("is not a results file")
    # ... and everything else still loads.
    assert len(report.models) == 4
    assert any("1 .jsonl" in note for note in report.notes)


def test_model_name_sources() -> None:
    path = Path("out/org__name/results.json")
    assert model_name({"model_name": "a/b"}, path) == "a/b"
    assert model_name({"config": {"model_args": "dtype=float,pretrained=a/c"}}, path) == "a/c"
    assert model_name({"config": {"model_args": {"model": "gpt-4o"}}}, path) == "gpt-4o"
    assert model_name({"model_name_sanitized": "org__x"}, path) == "org/x"
    assert model_name({"config": {"model_args": ""}}, path) is None


def test_nan_and_string_scores_are_not_metrics() -> None:
    entry = {"acc,none": float("nan"), "f1,none": "N/A", "em,none": True, "bleu,none": 3.5}
    assert [m.name for m in metrics_of(entry)] == ["bleu"]


def test_direction_from_config_metric_list(tmp_path: Path) -> None:
    document = {
        "results": {"toxigen": {"acc,none": 0.43, "acc_stderr,none": 0.01}},
        "configs": {"toxigen": {"metric_list": [{"metric": "acc", "higher_is_better": False}]}},
        "model_name": "m",
    }
    [record] = parse(document, tmp_path / "r.json", Context()).records
    assert record.higher_is_better is False


_names = st.text(
    alphabet=st.characters(categories=("Ll", "Nd"), include_characters="_-@"), min_size=1
).filter(lambda s: not s.endswith("_stderr") and s not in {"alias", "name", "n", "samples"})
_filters = st.text(
    alphabet=st.characters(categories=("Ll", "Lu", "Nd"), include_characters="-_ ,"), min_size=1
)


@given(
    metrics=st.dictionaries(
        st.tuples(_names, _filters),
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False, width=32),
            st.one_of(st.just("N/A"), st.floats(min_value=0, max_value=1)),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_metric_and_filter_pairs_with_its_own_stderr(
    metrics: dict[tuple[str, str], tuple[float, float | str]],
) -> None:
    entry: dict[str, object] = {"alias": "task"}
    for (name, filter_name), (value, stderr) in metrics.items():
        entry[f"{name},{filter_name}"] = value
        entry[f"{name}_stderr,{filter_name}"] = stderr
    found = {(m.name, m.filter): m for m in metrics_of(entry)}
    assert set(found) == set(metrics)
    for key, (value, stderr) in metrics.items():
        assert found[key].value == float(value)
        expected = math.nan if stderr == "N/A" else stderr
        assert found[key].stderr == expected or (
            math.isnan(found[key].stderr) and math.isnan(float(expected))
        )
    # A metric map naming any of them picks exactly that one.
    (name, filter_name), (value, _) = next(iter(metrics.items()))
    picked = choose_metric(metrics_of(entry), [], MetricChoice(name, filter_name))
    assert picked is not None and picked.value == float(value)


def test_results_file_written_by_tmp_path_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "org__m"
    folder.mkdir()
    document = {"results": {"piqa": {"acc,none": 0.7, "alias": "piqa"}}, "model_name": "org/m"}
    (folder / "results_2024-01-01T00-00-00.json").write_text(json.dumps(document))
    [record] = ingest(tmp_path).records
    assert (record.model, record.benchmark, record.score) == ("org/m", "piqa", 0.7)
    assert math.isnan(record.stderr) and record.framework == "lm-eval"


def test_v03_crows_pairs_is_lower_is_better(tmp_path: Path) -> None:
    # Issue 23, failure 8: lm-eval 0.3 writes no direction; the likelihood difference of
    # CrowS-Pairs was read with none, though lm-eval's task declares lower is better.
    results = {
        "results": {
            "crows_pairs_english": {
                "likelihood_difference": 3.4512,
                "likelihood_difference_stderr": 0.0921,
                "pct_stereotype": 0.6231,
                "pct_stereotype_stderr": 0.0118,
            },
            "hellaswag": {"acc": 0.2891, "acc_stderr": 0.0045},
        },
        "versions": {"crows_pairs_english": 0, "hellaswag": 0},
        "config": {"model": "hf-causal", "model_args": "pretrained=gpt2", "num_fewshot": 0},
    }
    folder = tmp_path / "gpt2"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    records = _by_key(ingest(folder).records)
    crows = records[("gpt2", "crows_pairs_english")]
    assert crows.metric == "likelihood_difference" and crows.higher_is_better is False
    assert records[("gpt2", "hellaswag")].higher_is_better is None
