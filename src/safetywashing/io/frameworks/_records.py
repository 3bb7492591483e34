"""What the framework readers produce: one record per model and benchmark, and a report."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace

from safetywashing.core.table import BenchmarkInfo, Direction, ScoreTable, SourceFile

#: The ``framework`` values a record can have.
FRAMEWORKS: tuple[str, ...] = ("lm-eval", "inspect", "helm", "openllm")


@dataclass(frozen=True)
class ResultRecord:
    """One score of one model on one benchmark, as an evaluation framework reported it."""

    #: Model name as the framework wrote it (e.g. ``"EleutherAI/pythia-160m"``).
    model: str
    #: Task or benchmark id (the lm-evaluation-harness task name where there is one).
    benchmark: str
    #: The chosen metric's value, finite.
    score: float
    #: Its standard error as reported, NaN when absent.
    stderr: float
    #: The file (or HELM run folder) the score came from.
    source: str
    #: One of ``"lm-eval"``, ``"inspect"``, ``"helm"``, ``"openllm"``.
    framework: str
    #: The metric used, with its qualifier where the framework has one: ``"acc"``,
    #: ``"exact_match,strict-match"`` (lm-eval filter), ``"exact_match,test"`` (HELM split),
    #: ``"accuracy,choice"`` (Inspect scorer).
    metric: str
    #: Direction of the metric when the framework (or the metric map) says; None when unknown.
    higher_is_better: bool | None = None
    #: When the run happened (seconds since the epoch), NaN when unknown; used to keep the newest of
    #: several runs.
    timestamp: float = math.nan


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not read, and why (``reason`` completes "<path> ...")."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path} {self.reason}"


@dataclass(frozen=True)
class IngestReport:
    """Everything read from a set of result files."""

    #: One record per model and benchmark (duplicates already resolved: the newest run wins, and
    #: ``notes`` says which runs were set aside).
    records: tuple[ResultRecord, ...]
    #: Files that were not used, with the reason.
    skipped: tuple[SkippedFile, ...] = ()
    #: Remarks made while reading: superseded runs, default metric choices, metric-map entries that
    #: matched nothing.
    notes: tuple[str, ...] = ()
    #: Every file read, with its SHA-256.
    sources: tuple[SourceFile, ...] = field(default=())

    @property
    def models(self) -> tuple[str, ...]:
        """Model names in order of first appearance."""
        return tuple(dict.fromkeys(r.model for r in self.records))

    @property
    def benchmarks(self) -> tuple[str, ...]:
        """Benchmark ids in order of first appearance."""
        return tuple(dict.fromkeys(r.benchmark for r in self.records))

    def framework_counts(self) -> dict[str, int]:
        """Number of records per framework."""
        return dict(Counter(r.framework for r in self.records))

    def to_table(self) -> ScoreTable:
        """The scores as a :class:`ScoreTable` (models x benchmarks).

        Each benchmark's metric is recorded, and a benchmark whose metric is lower-is-
        better gets ``direction="lower"``. Skipped files and notes are carried in
        ``table.notes``; every file read is in ``table.sources``.

        Returns
        -------
        ScoreTable
        """
        infos: dict[str, BenchmarkInfo] = {}
        metrics: dict[str, Counter[str]] = {}
        for record in self.records:
            metrics.setdefault(record.benchmark, Counter())[record.metric] += 1
            if record.benchmark not in infos:
                direction: Direction = "lower" if record.higher_is_better is False else "higher"
                infos[record.benchmark] = BenchmarkInfo(
                    id=record.benchmark, metric=record.metric, direction=direction
                )
        notes = list(self.notes)
        for benchmark, counts in metrics.items():
            if len(counts) > 1:
                parts = ", ".join(f"{m} ({n} models)" for m, n in counts.most_common())
                notes.append(
                    f"benchmark '{benchmark}' mixes metrics: {parts}; choose one with a metric map."
                )
        notes.extend(f"skipped {item}" for item in self.skipped)
        table = ScoreTable.from_long(
            ((r.model, r.benchmark, r.score) for r in self.records),
            benchmarks=infos.values(),
            sources=self.sources,
            source_label="the ingested results",
        )
        return replace(table, notes=tuple(notes))
