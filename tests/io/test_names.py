"""Model-name normalization, aliases and the matching report."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetywashing.core.errors import InputError
from safetywashing.datasets.panels import reference_root
from safetywashing.io.tables.names import match_names, normalize_name, read_aliases
from safetywashing.io.tables.readers import ColumnMap, read_scores

OBSSCALING_COLUMNS = ColumnMap(
    model="Model",
    family="Model Family",
    flop="FLOPs (1E21)",
    flop_scale=1e21,
    parameters="Model Size (B)",
    parameters_scale=1e9,
    ignore=("Pretraining Data Size (T)",),
)


def _datasets() -> Path:
    folder = reference_root()
    if not (folder / "obsscaling").is_dir():
        pytest.skip(f"reference datasets not found at {folder}")
    return folder


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("meta-llama/Llama-2-7b-hf", "llama2.7b"),
        ("Llama-2-7b-hf", "llama2.7b"),
        ("hf/Llama-2-7b", "llama2.7b"),
        ("LLAMA_2 7B", "llama2.7b"),
        ("Llama-2-7b-chat", "llama2.7bchat"),
        ("Qwen/Qwen1.5-0.5B", "qwen1.5.0.5b"),
        ("Qwen 1.5 0.5B", "qwen1.5.0.5b"),
        ("facebook/opt-1.3b", "opt1.3b"),
        ("facebook/opt-13b", "opt13b"),
        ("phi-1_5", "phi1.5"),
        ("-hf", "hf"),
        ("...", ""),
    ],
)
def test_normalize_name(name: str, key: str) -> None:
    assert normalize_name(name) == key


def test_match_order_exact_alias_normalized_and_unmatched_with_suggestions() -> None:
    panel = ["Llama-2-7b-hf", "Qwen1.5-7B", "gemma-7b"]
    report = match_names(
        ["Llama-2-7b-hf", "meta-llama/Llama-2-7b-hf", "qwen-7b-v1.5", "google/gemma-7b", "gpt-4"],
        panel,
        aliases={"qwen-7b-v1.5": "Qwen1.5-7B"},
    )
    assert [(m.name, m.panel_id, m.how) for m in report.matches] == [
        ("Llama-2-7b-hf", "Llama-2-7b-hf", "exact"),
        ("meta-llama/Llama-2-7b-hf", "Llama-2-7b-hf", "normalized"),
        ("qwen-7b-v1.5", "Qwen1.5-7B", "alias"),
        ("google/gemma-7b", "gemma-7b", "normalized"),
    ]
    assert len(report.unmatched) == 1
    assert report.unmatched[0].name == "gpt-4"
    assert len(report.unmatched[0].closest) == 3
    assert report.to_dict()["unmatched"][0]["name"] == "gpt-4"


def test_llama_variants_packaging_merges_but_chat_stays_apart() -> None:
    # '-hf' names a packaging of the same weights; '-chat' is another model.
    report = match_names(
        ["Llama-2-7b", "meta-llama/Llama-2-7b-hf", "llama-2-7b-chat"],
        ["Llama-2-7b-hf", "Llama-2-7b-chat-hf"],
    )
    assert report.mapping() == {
        "Llama-2-7b": "Llama-2-7b-hf",
        "meta-llama/Llama-2-7b-hf": "Llama-2-7b-hf",
        "llama-2-7b-chat": "Llama-2-7b-chat-hf",
    }


def test_a_decimal_point_is_not_dropped_opt_1_3b_is_not_opt_13b() -> None:
    # facebook/opt-1.3b and facebook/opt-13b are two models (both in ObsScaling's base
    # file); dropping the dot used to give both the key 'opt13b', so a score of the 1.3B
    # model was attached to the 13B model of a panel.
    report = match_names(["facebook/opt-1.3b", "opt_13b"], ["opt-13b"])
    assert report.mapping() == {"opt_13b": "opt-13b"}
    assert [u.name for u in report.unmatched] == ["facebook/opt-1.3b"]
    assert report.unmatched[0].closest == ("opt-13b",)
    both = match_names(["facebook/opt-1.3b", "facebook/opt-13b"], ["opt-1.3b", "opt-13b"])
    assert both.mapping() == {"facebook/opt-1.3b": "opt-1.3b", "facebook/opt-13b": "opt-13b"}


def test_aliases_of_two_models_sharing_a_key_are_ambiguous_not_guessed() -> None:
    # 'Yi_6B' and 'yi-6b' normalize alike but point to different models: a third spelling
    # with that key must not silently take the last one.
    report = match_names(
        ["YI 6B", "Yi_6B"],
        ["Yi-6B", "Yi-6B-Chat"],
        aliases={"Yi_6B": "Yi-6B", "yi-6b": "Yi-6B-Chat"},
    )
    assert report.mapping() == {"Yi_6B": "Yi-6B"}
    assert report.unmatched[0].name == "YI 6B"
    assert report.unmatched[0].ambiguous
    assert report.unmatched[0].closest == ("Yi-6B", "Yi-6B-Chat")


def test_a_key_shared_by_two_panel_models_is_ambiguous_not_guessed() -> None:
    report = match_names(["org/model-a"], ["model_a", "Model-A"])
    assert report.matches == ()
    assert report.unmatched[0].ambiguous
    assert report.unmatched[0].closest == ("Model-A", "model_a")


def test_alias_to_an_unknown_panel_model_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        match_names(["x"], ["Llama-2-7b-hf"], aliases={"x": "Llama-2-7b"})
    assert str(caught.value) == (
        "The alias 'x' points to 'Llama-2-7b', which is not a model of the panel (did you mean "
        "'Llama-2-7b-hf'?); fix the alias file."
    )


def test_an_alias_renaming_a_panel_model_into_another_is_refused_not_ignored() -> None:
    # Before, 'gpt-4' matched itself and the alias to 'gpt-4-0613' was silently dropped.
    with pytest.raises(InputError) as caught:
        match_names(["gpt-4"], ["gpt-4", "gpt-4-0613"], aliases={"gpt-4": "gpt-4-0613"})
    assert str(caught.value) == (
        "The alias 'gpt-4' points to 'gpt-4-0613', but 'gpt-4' is itself a model of the "
        "panel; remove the alias, or point it at its own name."
    )
    # An alias naming a model as itself changes nothing.
    report = match_names(["gpt-4"], ["gpt-4", "gpt-4-0613"], aliases={"gpt-4": "gpt-4"})
    assert [(m.name, m.panel_id, m.how) for m in report.matches] == [("gpt-4", "gpt-4", "exact")]


def test_read_aliases(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("alias,model\nllama2-7b,Llama-2-7b-hf\n\nyi,Yi-6B\n", encoding="utf-8")
    assert read_aliases(path) == {"llama2-7b": "Llama-2-7b-hf", "yi": "Yi-6B"}
    path.write_text("alias,model\nyi,Yi-6B\nyi,Yi-34B\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3: alias 'yi' already points to 'Yi-6B'"):
        read_aliases(path)
    path.write_text("alias,model\nyi,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2: an alias row needs two names"):
        read_aliases(path)


def test_obsscaling_names_match_the_papers_base_models() -> None:
    # Expected pairs read off the two files: ObsScaling writes Hugging Face ids with the
    # organisation ('meta-llama/Llama-2-7b-hf'), the paper the bare id ('Llama-2-7b-hf').
    # Of the paper's 27 base models, Yi-9B and dbrx-base are not in ObsScaling's file
    # (grep finds neither), so 25 match.
    folder = _datasets()
    obs = read_scores(
        folder / "obsscaling" / "base_llm_benchmark_eval.csv", columns=OBSSCALING_COLUMNS
    )
    paper = read_scores(folder / "safetywashing-paper" / "benchmarks_base_models.csv")
    report = match_names(obs.model_ids, paper.model_ids, panel_names=[m.name for m in paper.models])
    mapping = report.mapping()
    assert mapping["meta-llama/Llama-2-7b-hf"] == "Llama-2-7b-hf"
    assert mapping["Qwen/Qwen1.5-0.5B"] == "Qwen1.5-0.5B"
    assert mapping["mistralai/Mixtral-8x22B-v0.1"] == "Mixtral-8x22B-v0.1"
    assert mapping["deepseek-ai/deepseek-llm-67b-base"] == "deepseek-llm-67b-base"
    assert len(report.matches) == 25
    assert sorted(set(paper.model_ids) - set(mapping.values())) == ["Yi-9B", "dbrx-base"]
    # Nothing dropped silently: every ObsScaling model is matched or reported.
    assert len(report.matches) + len(report.unmatched) == len(obs.models) == 148
    assert all(u.closest for u in report.unmatched)


def test_obsscaling_chat_names_match_the_papers_chat_models() -> None:
    # 'llama-2-70b-chat' (ObsScaling, lower case, no -hf) is the paper's
    # 'Llama-2-70b-chat-hf'; 'deepseek-llm-67b-chat' is spelled the same in both.
    folder = _datasets()
    obs = read_scores(
        folder / "obsscaling" / "instruct_llm_benchmark_eval.csv", columns=OBSSCALING_COLUMNS
    )
    paper = read_scores(folder / "safetywashing-paper" / "benchmarks_chat_models.csv")
    report = match_names(obs.model_ids, paper.model_ids)
    assert report.mapping() == {
        "llama-2-70b-chat": "Llama-2-70b-chat-hf",
        "llama-2-13b-chat": "Llama-2-13b-chat-hf",
        "llama-2-7b-chat": "Llama-2-7b-chat-hf",
        "deepseek-llm-67b-chat": "deepseek-llm-67b-chat",
    }


def test_alias_rows_are_numbered_like_the_file(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("alias,model\n\nyi,Yi-6B\n\nyi,Yi-34B\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 5: alias 'yi' already points to 'Yi-6B'"):
        read_aliases(path)
