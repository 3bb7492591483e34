"""Time ``ingest`` on 10,000 lm-evaluation-harness results files (target: 10 s or less).

The files are written to a temporary folder first (not timed): 2,500 models with four
runs each, every run a realistic 0.4.x results file with a group and its subtasks,
filters, ``N/A`` standard errors, task configs and the ``higher_is_better`` map, so that
newest-run-wins resolution is exercised too. The timed part is what
``safetywashing ingest FOLDER -o scores.csv`` does: find, parse, resolve, build the table
and write the long CSV.

Run: ``python benchmarks/bench_ingest.py [N_FILES]``.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0
RUNS_PER_MODEL = 4
SUBJECTS = ("abstract_algebra", "anatomy", "astronomy", "philosophy", "virology", "world_religions")


def _task(rng: random.Random, alias: str) -> dict[str, object]:
    return {
        "alias": alias,
        "acc,none": rng.random(),
        "acc_stderr,none": rng.random() / 50,
        "acc_norm,none": rng.random(),
        "acc_norm_stderr,none": rng.random() / 50,
    }


def results_document(rng: random.Random, model: str, run: int) -> dict[str, object]:
    """One results file of ``model``; later runs redo a subset of the tasks."""
    tasks = ["hellaswag", "arc_challenge", "winogrande", "truthfulqa_mc1", "gsm8k", "mmlu"]
    tasks = tasks if run == 0 else rng.sample(tasks, 3)
    results: dict[str, object] = {}
    group_subtasks: dict[str, list[str]] = {}
    configs: dict[str, object] = {}
    for task in tasks:
        if task == "gsm8k":
            results[task] = {
                "alias": task,
                "exact_match,strict-match": rng.random(),
                "exact_match_stderr,strict-match": rng.random() / 50,
                "exact_match,flexible-extract": rng.random(),
                "exact_match_stderr,flexible-extract": rng.random() / 50,
            }
        elif task == "mmlu":
            results[task] = {**_task(rng, "mmlu"), "acc_stderr,none": "N/A"}
            subjects = [f"mmlu_{s}" for s in SUBJECTS]
            group_subtasks[task] = subjects
            for subject in subjects:
                results[subject] = {**_task(rng, f"  - {subject}"), "sample_len": 100}
        else:
            results[task] = _task(rng, task)
            group_subtasks[task] = []
        configs[task] = {
            "task": task,
            "dataset_path": f"allenai/{task}",
            "test_split": "test",
            "doc_to_text": "Question: {{question}}\nAnswer:",
            "doc_to_target": "{{label}}",
            "metric_list": [
                {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True},
            ],
            "output_type": "multiple_choice",
            "repeats": 1,
            "should_decontaminate": False,
            "metadata": {"version": 1.0},
        }
    return {
        "results": results,
        "groups": {"mmlu": results["mmlu"]} if "mmlu" in results else {},
        "group_subtasks": group_subtasks,
        "configs": configs,
        "versions": {task: 1.0 for task in results},
        "n-shot": {task: 0 for task in results},
        "higher_is_better": {task: {"acc": True, "acc_norm": True} for task in results},
        "n-samples": {task: {"original": 1000, "effective": 1000} for task in results},
        "config": {
            "model": "hf",
            "model_args": f"pretrained={model},dtype=bfloat16",
            "batch_size": "auto",
            "device": "cuda:0",
            "bootstrap_iters": 100000,
        },
        "git_hash": "4600d6b",
        "date": 1_714_557_600.0 + run * 86_400,
        "model_name": model,
        "model_name_sanitized": model.replace("/", "__"),
        "total_evaluation_time_seconds": "1807.65",
    }


def write_files(folder: Path, n_files: int) -> int:
    """Write ``n_files`` results files; return their total size in bytes."""
    rng = random.Random(20240731)
    total = 0
    for index in range(n_files):
        model, run = (
            f"org{index // RUNS_PER_MODEL % 50}/model-{index // RUNS_PER_MODEL}",
            index % RUNS_PER_MODEL,
        )
        model_folder = folder / model.replace("/", "__")
        model_folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(results_document(rng, model, run), indent=2)
        (model_folder / f"results_2024-05-0{run + 1}T10-00-00.000000.json").write_text(text)
        total += len(text)
    return total


def main() -> None:
    n_files = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    try:
        import safetywashing  # noqa: F401
    except ImportError:  # run from a checkout without installing
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from safetywashing.io.frameworks import ingest
    from safetywashing.io.frameworks.output import write_long

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as temporary:
        folder = Path(temporary) / "results"
        size = write_files(folder, n_files)
        start = time.perf_counter()
        report = ingest(folder)
        table = report.to_table()
        write_long(report, Path(temporary) / "scores.csv")
        elapsed = time.perf_counter() - start
    print(
        f"ingest: {n_files} lm-eval results files ({size / 1e6:.0f} MB), "
        f"{len(report.records)} scores, {len(table.models)} models x {len(table.benchmarks)} "
        f"benchmarks, {len(report.notes)} notes"
    )
    print(
        f"wall time {elapsed:.2f} s; target {TARGET_SECONDS:.0f} s; "
        f"ratio {elapsed / TARGET_SECONDS:.2f} of the target"
    )


if __name__ == "__main__":
    main()
