"""Per-item results of evaluation frameworks, read into one long item table.

- **lm-evaluation-harness** with ``--log_samples`` writes ``samples_<task>_<date>.jsonl``
  beside ``results_<date>.json``: one JSON line per document with ``doc_id``, ``doc``,
  ``target``, ``arguments``, ``resps``, ``filtered_resps``, ``filter``, ``metrics`` (the
  names of the metrics on the line) and each metric's value (``acc``, ``exact_match``,
  ...). The model comes from the results file of the same folder and date (else the
  newest one there). The item score is the first of ``metrics`` (or ``--item-metric``);
  with several filters the ``none`` filter is kept.
- **Inspect** ``.eval`` logs are zip archives with ``header.json`` (``eval.model``,
  ``eval.task``) and ``samples/<id>_epoch_<n>.json`` holding ``id``, ``epoch``,
  ``input``, ``target``, ``scores`` (per scorer ``value``: a number, a boolean, or
  C/I/P/N for correct/incorrect/partial/no answer) and ``metadata``. Epochs are averaged
  per sample.
- **HELM** run folders hold ``run_spec.json`` (``adapter_spec.model``, the run ``name``
  whose arguments, such as ``subject=anatomy``, become item metadata),
  ``per_instance_stats.json`` (``instance_id``, ``train_trial_index``, ``stats`` with
  ``name.name``/``name.split``/``mean``) and ``scenario_state.json``
  (``request_states[].instance``: ``id``, ``input.text``). The score is the first of
  ``exact_match``, ``quasi_exact_match``, ``prefix_exact_match`` (or ``--item-metric``)
  over unperturbed stats, averaged over train trials.

Items are matched across models by the framework's document id (``doc_id``, the sample
``id``, the ``instance_id``), or with ``item_id="hash"`` by a SHA-256 of the prompt
(lm-eval's document text field such as ``prompt`` or ``question``, Inspect's
``input``, HELM's ``input.text``), which survives a
reordered dataset. Files are read with the size caps of the framework readers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from safetywashing.core.errors import InputError
from safetywashing.io.frameworks._safe import (
    LFS_POINTER,
    LFS_SPEC,
    SafeZip,
    Unreadable,
    is_lfs_pointer,
    load_json,
    loads_text,
    read_bounded,
)
from safetywashing.io.frameworks.lm_eval import model_name

if TYPE_CHECKING:
    import pandas as pd

ItemId = Literal["id", "hash"]
ITEM_FORMATS = ("auto", "lm-eval", "inspect", "helm")
_SAMPLES = re.compile(r"samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")
_RESULTS = re.compile(r"results_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.json$")
_INSPECT_VALUES = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
_HELM_METRICS = ("exact_match", "quasi_exact_match", "prefix_exact_match", "f1_score")
#: Item metadata kept from documents and samples: short scalar fields only.
_MAX_META_CHARS = 80
#: Largest lm-eval samples file read (bytes).
MAX_SAMPLES_BYTES = 1024 * 1024 * 1024


@dataclass
class ItemIngest:
    """What :func:`ingest_items` read."""

    #: One per (model, benchmark, item): model, benchmark, item, score, framework and the item
    #: metadata.
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: Files that could not be used, each with the reason.
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The long item table (model, benchmark, item, score, framework, metadata...)."""
        import pandas as pd

        frame = pd.DataFrame(self.rows)
        if frame.empty:
            return pd.DataFrame(columns=["model", "benchmark", "item", "score", "framework"])
        first = ["model", "benchmark", "item", "score", "framework"]
        rest = sorted(c for c in frame.columns if c not in first)
        return frame[first + rest]

    def item_set_notes(self) -> list[str]:
        """One note per benchmark whose models ran different item sets."""
        by_benchmark: dict[str, dict[str, set[str]]] = {}
        for row in self.rows:
            by_benchmark.setdefault(row["benchmark"], {}).setdefault(row["model"], set()).add(
                row["item"]
            )
        notes = []
        for benchmark, models in sorted(by_benchmark.items()):
            union = set().union(*models.values())
            short = {m: len(union - items) for m, items in models.items() if items != union}
            if short:
                worst = sorted(short.items(), key=lambda kv: -kv[1])[:3]
                names = ", ".join(f"{m} (lacks {k})" for m, k in worst)
                notes.append(
                    f"{benchmark}: {len(short)} of {len(models)} models ran different item sets "
                    f"({len(union)} items in all): {names}"
                )
        return notes


def _hash(value: Any) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _metadata(source: Any) -> dict[str, Any]:
    """Short scalar fields of a document or sample metadata (subject, category, ...)."""
    if not isinstance(source, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in source.items():
        if key in {"model", "benchmark", "item", "score", "framework"} or not isinstance(key, str):
            continue
        if isinstance(value, str) and 0 < len(value) <= _MAX_META_CHARS and "\n" not in value:
            out[key] = value
    return out


def _score(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in _INSPECT_VALUES:
        return _INSPECT_VALUES[value]
    return None


_PROMPT_FIELDS = ("prompt", "question", "input", "query", "text", "goal", "ctx")


def _lm_eval_prompt(record: dict[str, Any]) -> Any:
    """The prompt of a samples line: the document's text field (``prompt``, ``question``,
    ...), else the first argument of the request, else the whole document."""
    doc = record.get("doc")
    if isinstance(doc, dict):
        for key in _PROMPT_FIELDS:
            if isinstance(doc.get(key), str):
                return doc[key]
    arguments = record.get("arguments")
    if isinstance(arguments, dict) and arguments:
        first = next(iter(arguments.values()))
        if isinstance(first, dict) and isinstance(first.get("arg_0"), str):
            return first["arg_0"]
    return doc


def _is_pointer(path: Path) -> bool:
    """Whether a file starts as a Git LFS pointer (only its first bytes are read)."""
    try:
        with path.open("rb") as handle:
            return is_lfs_pointer(handle.read(len(LFS_SPEC)))
    except OSError:
        return False


def _lm_eval_model(path: Path, date: str) -> str | None:
    candidates = sorted(path.parent.glob("results_*.json"))
    same = [c for c in candidates if c.name == f"results_{date}.json"]
    for candidate in same or candidates[::-1]:
        try:
            document = load_json(candidate)
        except Unreadable:
            continue
        if isinstance(document, dict):
            name = model_name(document, candidate)
            if name:
                return name
    return None


def read_lm_eval_samples(
    path: Path, *, item_id: ItemId = "id", metric: str | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of one ``samples_<task>_<date>.jsonl`` file.

    Raises
    ------
    Unreadable
        If the file is not a samples file or names no model.
    """
    match = _SAMPLES.search(path.name)
    if match is None:
        raise Unreadable("is not named samples_<task>_<date>.jsonl")
    task, date = match["task"], match["date"]
    data = read_bounded(path, limit=MAX_SAMPLES_BYTES)
    model = _lm_eval_model(path, date)
    if model is None:
        pointers = [c.name for c in sorted(path.parent.glob("results_*.json")) if _is_pointer(c)]
        if pointers:
            raise Unreadable(
                f"has no results file beside it naming the model: {pointers[0]} {LFS_POINTER}"
            )
        raise Unreadable("has no results_<date>.json beside it naming the model")
    rows: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            # Bounded: an integer of thousands of digits or arrays nested 100,000 deep
            # make the skip list, not a traceback.
            record = loads_text(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise Unreadable(f"line {number} is not UTF-8 text") from None
        except Unreadable as error:
            raise Unreadable(f"line {number} {error.reason}") from None
        if not isinstance(record, dict) or "doc_id" not in record:
            raise Unreadable(f"line {number} has no doc_id: not an lm-eval samples file")
        doc_id = str(record["doc_id"])
        # One line per document and filter: keep the unfiltered line when there is one.
        if doc_id in rows and record.get("filter", "none") != "none":
            continue
        names = record.get("metrics")
        listed = names[0] if isinstance(names, list) and names else None
        chosen = metric or (listed if isinstance(listed, str) else None)
        if chosen is None:
            chosen = next((k for k in ("acc", "exact_match", "acc_norm") if k in record), None)
        value = _score(record.get(chosen)) if chosen else None
        if value is None:
            raise Unreadable(f"line {number} has no numeric '{chosen or 'metric'}'")
        doc = record.get("doc")
        prompt = _lm_eval_prompt(record)
        rows[doc_id] = {
            "model": model,
            "benchmark": task,
            "item": _hash(prompt) if item_id == "hash" else doc_id,
            "score": value,
            "framework": "lm-eval",
            **_metadata(doc),
        }
    yield from rows.values()


def read_inspect_samples(
    path: Path, *, item_id: ItemId = "id", metric: str | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of one Inspect ``.eval`` log (epochs averaged per sample)."""
    with SafeZip(path) as archive:
        if "header.json" not in archive:
            raise Unreadable("has no header.json: the evaluation did not finish")
        header = archive.read_json("header.json")
        evaluation = header.get("eval") if isinstance(header, dict) else None
        if not isinstance(evaluation, dict):
            raise Unreadable("is not an Inspect log (no eval in header.json)")
        model = evaluation.get("model")
        task = str(evaluation.get("task", "")).rsplit("/", 1)[-1]
        if not isinstance(model, str) or not model or not task:
            raise Unreadable("names no model or task in header.json")
        members = [n for n in archive.names() if n.startswith("samples/") and n.endswith(".json")]
        if not members:
            raise Unreadable("holds no samples/ (written with --no-log-samples?)")
        totals: dict[str, list[Any]] = {}
        for name in members:
            sample = archive.read_json(name)
            if not isinstance(sample, dict) or "id" not in sample:
                raise Unreadable(f"entry '{name}' is not a sample (no id)")
            scores = sample.get("scores")
            if not isinstance(scores, dict) or not scores:
                continue
            scorer = metric if metric in scores else next(iter(scores))
            entry = scores.get(scorer)
            value = _score(entry.get("value") if isinstance(entry, dict) else None)
            if value is None:
                continue
            key = _hash(sample.get("input")) if item_id == "hash" else str(sample["id"])
            slot = totals.setdefault(key, [0.0, 0, _metadata(sample.get("metadata"))])
            slot[0] += value
            slot[1] += 1
    for key, (total, count, meta) in totals.items():
        yield {
            "model": model,
            "benchmark": task,
            "item": key,
            "score": total / count,
            "framework": "inspect",
            **meta,
        }


def _run_arguments(name: str) -> tuple[str, dict[str, str]]:
    benchmark, _, args = name.partition(":")
    pairs = dict(part.split("=", 1) for part in args.split(",") if "=" in part)
    return benchmark, pairs


def read_helm_instances(
    folder: Path, *, item_id: ItemId = "id", metric: str | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of one HELM run folder (unperturbed stats, averaged over train trials)."""
    spec = load_json(folder / "run_spec.json")
    adapter = spec.get("adapter_spec") if isinstance(spec, dict) else None
    model = adapter.get("model") if isinstance(adapter, dict) else None
    if not isinstance(model, str) or not model:
        raise Unreadable("is not a HELM run (no adapter_spec.model in run_spec.json)")
    benchmark, args = _run_arguments(str(spec.get("name", folder.name)))
    meta = {k: v for k, v in args.items() if k not in {"model", "method", "model_deployment"}}
    stats = load_json(folder / "per_instance_stats.json")
    if not isinstance(stats, list):
        raise Unreadable("per_instance_stats.json is not a list")
    texts: dict[str, str] = {}
    if item_id == "hash":
        state = load_json(folder / "scenario_state.json")
        for request in state.get("request_states", []) if isinstance(state, dict) else []:
            instance = request.get("instance", {}) if isinstance(request, dict) else {}
            text = instance.get("input", {}).get("text") if isinstance(instance, dict) else None
            if isinstance(instance, dict) and isinstance(text, str):
                texts[str(instance.get("id"))] = text
    totals: dict[str, list[float]] = {}
    for entry in stats:
        if not isinstance(entry, dict) or entry.get("perturbation"):
            continue
        values = {}
        for stat in entry.get("stats", []):
            name = stat.get("name", {}) if isinstance(stat, dict) else {}
            if isinstance(name, dict) and not name.get("perturbation"):
                number = _score(stat.get("mean"))
                if number is not None:
                    values[str(name.get("name"))] = number
        chosen = metric if metric else next((m for m in _HELM_METRICS if m in values), None)
        if chosen is None or chosen not in values:
            continue
        instance = str(entry.get("instance_id"))
        key = _hash(texts[instance]) if item_id == "hash" and instance in texts else instance
        slot = totals.setdefault(key, [0.0, 0.0])
        slot[0] += values[chosen]
        slot[1] += 1
    if not totals:
        raise Unreadable(f"has no per-instance {metric or ' or '.join(_HELM_METRICS)}")
    for key, (total, count) in totals.items():
        yield {
            "model": model,
            "benchmark": benchmark,
            "item": key,
            "score": total / count,
            "framework": "helm",
            **meta,
        }


def _sources(paths: Iterable[Path]) -> Iterator[tuple[str, Path]]:
    for path in paths:
        if path.is_file():
            candidates = [path]
        elif path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
        else:
            raise InputError(f"{path} does not exist; check the path of the results")
        for file in candidates:
            if _SAMPLES.search(file.name):
                yield "lm-eval", file
            elif file.suffix == ".eval":
                yield "inspect", file
            elif file.name == "per_instance_stats.json":
                yield "helm", file.parent


def ingest_items(
    paths: Iterable[str | Path],
    *,
    format: str = "auto",
    item_id: ItemId = "id",
    metric: str | None = None,
) -> ItemIngest:
    """Read per-item results of lm-eval, Inspect and HELM under ``paths``.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders (searched recursively).
    format : {"auto", "lm-eval", "inspect", "helm"}
        Only this framework's files (default: all three).
    item_id : {"id", "hash"}
        Match items by the framework's document id, or by a hash of the prompt.
    metric : str, optional
        The per-item metric (lm-eval metric, Inspect scorer, HELM stat name).

    Returns
    -------
    ItemIngest
    """
    if format not in ITEM_FORMATS:
        raise InputError(
            f"format='{format}' is not an item format", param="format",
            remedy="use auto, lm-eval, inspect or helm",
        )  # fmt: skip
    if item_id not in ("id", "hash"):
        raise InputError(
            f"item_id='{item_id}' is unknown", param="item_id", remedy="use id or hash"
        )
    readers = {
        "lm-eval": read_lm_eval_samples,
        "inspect": read_inspect_samples,
        "helm": read_helm_instances,
    }
    found = ItemIngest()
    seen: set[tuple[str, str, str]] = set()
    for framework, source in _sources(Path(p) for p in paths):
        if format != "auto" and framework != format:
            continue
        try:
            rows = list(readers[framework](source, item_id=item_id, metric=metric))
        except Unreadable as error:
            found.skipped.append(f"{source} {error.reason}")
            continue
        repeated = 0
        for row in rows:
            key = (row["model"], row["benchmark"], row["item"])
            if key in seen:
                repeated += 1
                continue
            seen.add(key)
            found.rows.append(row)
        if repeated:
            found.notes.append(
                f"{source}: {repeated} items already read from another file for the same model "
                "were left out (the first file read wins)"
            )
    found.notes.extend(found.item_set_notes())
    return found
