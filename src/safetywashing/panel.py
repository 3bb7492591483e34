"""Reference panels: a stored audit that a new benchmark can be checked against.

A benchmark author with scores on a few dozen models rarely has the capability
benchmarks of those models at hand. A *panel* stores what the check needs from an audit
of a well-covered set of models: the capability benchmarks, their standardization and
loadings, each model's capability values, capability score, training compute and class,
every panel benchmark's capabilities correlation (so a new benchmark can be ranked among
them), and where it came from. :func:`check` joins a new benchmark's scores to the
panel's models by name and reports its capabilities and compute correlations.

Uncertainty hook: :func:`check` accepts ``interval``, any callable that takes a
:class:`CheckData` (the matched models' raw capability block, capability scores, the new
scores and FLOP) and returns an :class:`Interval`. The bootstrap of the uncertainty
module can be passed there; without it the interval fields stay NaN and the verdict empty.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing import __version__
from safetywashing.audit import AuditResult, ClassAudit, ImputeMethod, audit
from safetywashing.errors import InputError, suggestion
from safetywashing.io.names import MatchReport, match_names
from safetywashing.stats.correlation import CorrelationMethod, correlation
from safetywashing.table import ScoreTable

FloatArray = npt.NDArray[np.float64]

PANEL_SCHEMA_VERSION = "1.0"
PANEL_KIND = "safetywashing-panel"
MIN_MATCHED = 5


def _num(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


@dataclass(frozen=True)
class PanelModel:
    """One model of a panel class.

    Attributes
    ----------
    id, name, family : str
    parameters, flop : float
        NaN where unknown.
    capability_score : float
        NaN for a model left out of the capability score.
    capability_values : tuple of float
        Raw capability-benchmark scores aligned with the class's capability benchmarks
        (imputed values included; NaN for a left-out model's gaps).
    imputed : tuple of str
        Capability benchmarks whose value was imputed.
    """

    id: str
    name: str
    family: str
    parameters: float
    flop: float
    capability_score: float
    capability_values: tuple[float, ...]
    imputed: tuple[str, ...] = ()


@dataclass(frozen=True)
class PanelBenchmark:
    """A benchmark of the panel and its capabilities correlation within the class."""

    id: str
    name: str
    area: str
    role: str
    correlated_with: str
    n: int
    capabilities_correlation: float
    n_compute: int
    compute_correlation: float


@dataclass(frozen=True)
class PanelClass:
    """The stored audit of one model class.

    Attributes
    ----------
    model_class : str
    capability_benchmarks : tuple of str
    mean, std : tuple of float
        Standardization of the capability benchmarks (ddof = 0).
    loadings : tuple of float
        PC1 loadings.
    variance_explained : float
    mean_capability_correlation : float
        The paper's yardstick for "high".
    score_compute_correlation : float
    models : tuple of PanelModel
    benchmarks : tuple of PanelBenchmark
    """

    model_class: str
    capability_benchmarks: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    loadings: tuple[float, ...]
    variance_explained: float
    mean_capability_correlation: float
    score_compute_correlation: float
    models: tuple[PanelModel, ...]
    benchmarks: tuple[PanelBenchmark, ...]

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Model ids in stored order."""
        return tuple(m.id for m in self.models)

    def score_model(self, values: Sequence[float]) -> float:
        """Capability score of a model from its raw capability-benchmark scores.

        Uses the panel's standardization and loadings, so the result is on the panel's
        scale (exact for the panel's own complete models).
        """
        z = (np.asarray(values, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.std)
        return float(z @ np.asarray(self.loadings))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "capability_benchmarks": list(self.capability_benchmarks),
            "standardization": {
                "mean": [_num(v) for v in self.mean],
                "std": [_num(v) for v in self.std],
            },
            "loadings": [_num(v) for v in self.loadings],
            "variance_explained": _num(self.variance_explained),
            "mean_capability_correlation": _num(self.mean_capability_correlation),
            "score_compute_correlation": _num(self.score_compute_correlation),
            "models": [
                {
                    "id": m.id,
                    "name": m.name,
                    "family": m.family,
                    "parameters": _num(m.parameters),
                    "flop": _num(m.flop),
                    "capability_score": _num(m.capability_score),
                    "capability_values": [_num(v) for v in m.capability_values],
                    "imputed": list(m.imputed),
                }
                for m in self.models
            ],
            "benchmarks": [
                {
                    "id": b.id,
                    "name": b.name,
                    "area": b.area,
                    "role": b.role,
                    "correlated_with": b.correlated_with,
                    "n": b.n,
                    "capabilities_correlation": _num(b.capabilities_correlation),
                    "n_compute": b.n_compute,
                    "compute_correlation": _num(b.compute_correlation),
                }
                for b in self.benchmarks
            ],
        }

    @classmethod
    def from_dict(cls, model_class: str, data: dict[str, Any]) -> PanelClass:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            model_class=model_class,
            capability_benchmarks=tuple(data["capability_benchmarks"]),
            mean=tuple(_float(v) for v in data["standardization"]["mean"]),
            std=tuple(_float(v) for v in data["standardization"]["std"]),
            loadings=tuple(_float(v) for v in data["loadings"]),
            variance_explained=_float(data["variance_explained"]),
            mean_capability_correlation=_float(data["mean_capability_correlation"]),
            score_compute_correlation=_float(data["score_compute_correlation"]),
            models=tuple(
                PanelModel(
                    id=m["id"],
                    name=m["name"],
                    family=m["family"],
                    parameters=_float(m["parameters"]),
                    flop=_float(m["flop"]),
                    capability_score=_float(m["capability_score"]),
                    capability_values=tuple(_float(v) for v in m["capability_values"]),
                    imputed=tuple(m["imputed"]),
                )
                for m in data["models"]
            ),
            benchmarks=tuple(
                PanelBenchmark(
                    id=b["id"],
                    name=b["name"],
                    area=b["area"],
                    role=b["role"],
                    correlated_with=b["correlated_with"],
                    n=int(b["n"]),
                    capabilities_correlation=_float(b["capabilities_correlation"]),
                    n_compute=int(b["n_compute"]),
                    compute_correlation=_float(b["compute_correlation"]),
                )
                for b in data["benchmarks"]
            ),
        )


@dataclass(frozen=True)
class Panel:
    """A reference panel: one :class:`PanelClass` per model class, with provenance.

    Attributes
    ----------
    label : str
        How reports name the panel (e.g. the scores file's name, or ``paper-chat``).
    classes : tuple of PanelClass
    config : dict
        The audit settings the panel was built with.
    sources : tuple of (str, str)
        Input files and their SHA-256.
    synthetic : bool
    version : str
        Package version that built the panel.
    """

    label: str
    classes: tuple[PanelClass, ...]
    config: dict[str, Any] = field(default_factory=dict)
    sources: tuple[tuple[str, str], ...] = ()
    synthetic: bool = False
    version: str = __version__

    def __getitem__(self, model_class: str) -> PanelClass:
        for panel_class in self.classes:
            if panel_class.model_class == model_class:
                return panel_class
        names = [c.model_class for c in self.classes]
        raise InputError(
            f"The panel '{self.label}' has no class '{model_class}'"
            f"{suggestion(model_class, names)}; its classes are {', '.join(names)}."
        )

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document of the panel."""
        return {
            "schema_version": PANEL_SCHEMA_VERSION,
            "kind": PANEL_KIND,
            "label": self.label,
            "tool": {"name": "safetywashing", "version": self.version},
            "synthetic": self.synthetic,
            "config": self.config,
            "provenance": {
                "inputs": [{"path": path, "sha256": digest} for path, digest in self.sources]
            },
            "classes": {c.model_class: c.to_dict() for c in self.classes},
        }

    def to_json(self) -> str:
        """The panel as JSON text (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "the panel") -> Panel:
        """Rebuild a panel from its JSON document; raises :class:`InputError` if invalid."""
        if not isinstance(data, dict) or data.get("kind") != PANEL_KIND:
            raise InputError(
                f'{source} is not a safetywashing panel (no "kind": "{PANEL_KIND}"); build '
                "one with `safetywashing panel build SCORES -o panel.json`."
            )
        version = str(data.get("schema_version", ""))
        if version.split(".")[0] != PANEL_SCHEMA_VERSION.split(".")[0]:
            raise InputError(
                f"{source} has panel schema version {version or 'none'}, but this version of "
                f"safetywashing reads {PANEL_SCHEMA_VERSION}; rebuild the panel."
            )
        try:
            classes = tuple(
                PanelClass.from_dict(name, body) for name, body in data["classes"].items()
            )
            return cls(
                label=str(data.get("label", source)),
                classes=classes,
                config=dict(data.get("config", {})),
                sources=tuple(
                    (item["path"], item["sha256"]) for item in data["provenance"]["inputs"]
                ),
                synthetic=bool(data.get("synthetic", False)),
                version=str(data.get("tool", {}).get("version", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InputError(
                f"{source} is a damaged panel file (missing or malformed {error}); rebuild it "
                "with `safetywashing panel build`."
            ) from None


def load_panel(path: str | Path) -> Panel:
    """Read a panel JSON file; raises :class:`InputError` for a missing or invalid file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: no such panel file; give a file made by `safetywashing panel build` or "
            "use a shipped panel (--panel paper-chat, paper-base, obsscaling-base or "
            "obsscaling-instruct)."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path} is not valid JSON ({error}); rebuild the panel.") from None
    return Panel.from_dict(data, source=str(path))


def panel_from_audit(result: AuditResult, table: ScoreTable, *, label: str) -> Panel:
    """Turn an audit (and the table it was run on) into a panel.

    Parameters
    ----------
    result : AuditResult
    table : ScoreTable
        The table the audit read: model metadata and raw capability values come from it.
    label : str
    """
    by_id = {m.id: m for m in table.models}
    values, _ = table.oriented()
    classes = [_panel_class(c, table, values, by_id) for c in result.classes]
    return Panel(
        label=label,
        classes=tuple(classes),
        config=result.config.to_dict(),
        sources=result.sources,
        synthetic=result.synthetic,
    )


def _panel_class(
    audit_of_class: ClassAudit, table: ScoreTable, values: FloatArray, by_id: dict[str, Any]
) -> PanelClass:
    k = len(audit_of_class.capability_benchmarks)
    columns = [table.benchmark_index(b) for b in audit_of_class.capability_benchmarks]
    rows = {model: i for i, model in enumerate(table.model_ids)}
    imputed: dict[str, list[str]] = {}
    for model, benchmark in audit_of_class.imputed_cells:
        imputed.setdefault(model, []).append(benchmark)
    mean = audit_of_class.capability_mean
    std = audit_of_class.capability_std
    if mean is None or std is None:  # pragma: no cover - set by every audit
        mean = np.full(k, np.nan)
        std = np.full(k, np.nan)
    block = audit_of_class.capability_block
    models: list[PanelModel] = []
    for position, model_id in enumerate(audit_of_class.model_ids):
        info = by_id[model_id]
        raw = (
            np.asarray(block[position])
            if block is not None
            else np.array(values[rows[model_id], columns], dtype=np.float64)
        )
        score = float(audit_of_class.capability_scores[position])
        models.append(
            PanelModel(
                id=model_id,
                name=info.name,
                family=info.family,
                parameters=info.parameters,
                flop=info.flop,
                capability_score=score,
                capability_values=tuple(float(v) for v in raw),
                imputed=tuple(imputed.get(model_id, ())),
            )
        )
    return PanelClass(
        model_class=audit_of_class.model_class,
        capability_benchmarks=audit_of_class.capability_benchmarks,
        mean=tuple(float(v) for v in mean),
        std=tuple(float(v) for v in std),
        loadings=tuple(float(v) for v in audit_of_class.loadings),
        variance_explained=audit_of_class.variance_explained,
        mean_capability_correlation=audit_of_class.mean_capability_correlation,
        score_compute_correlation=audit_of_class.score_compute_correlation,
        models=tuple(models),
        benchmarks=tuple(
            PanelBenchmark(
                id=b.id,
                name=b.name,
                area=b.area,
                role=b.role,
                correlated_with=b.correlated_with,
                n=b.n,
                capabilities_correlation=b.capabilities_correlation,
                n_compute=b.n_compute,
                compute_correlation=b.compute_correlation,
            )
            for b in audit_of_class.benchmarks
        ),
    )


def build_panel(
    table: ScoreTable,
    *,
    label: str | None = None,
    capabilities: Sequence[str] | None = None,
    preset: str | None = None,
    model_class: str | None = None,
    impute: ImputeMethod = "pca",
    impute_rank: int = 1,
    min_observed: int | None = None,
) -> Panel:
    """Audit a table and keep what a later :func:`check` needs.

    Parameters
    ----------
    table : ScoreTable
    label : str, optional
        Defaults to the first input file's name.
    capabilities, preset, model_class, impute, impute_rank, min_observed
        As for :func:`~safetywashing.audit.audit`.

    Returns
    -------
    Panel

    Examples
    --------
    >>> from safetywashing import load_demo_panel
    >>> panel = build_panel(load_demo_panel(), label="demo")
    >>> [c.model_class for c in panel.classes]
    ['base', 'chat']
    """
    result = audit(
        table,
        capabilities=capabilities,
        preset=preset,
        model_class=model_class,
        impute=impute,
        impute_rank=impute_rank,
        min_observed=min_observed,
    )
    if preset is not None:
        from safetywashing.datasets.presets import get_preset

        table = get_preset(preset).apply(table)
    name = label or (Path(table.sources[0].path).name if table.sources else "panel")
    return panel_from_audit(result, table, label=name)


# -- checking a new benchmark against a panel ----------------------------------------------


@dataclass(frozen=True)
class NewScores:
    """A new benchmark's scores as read from a file.

    Attributes
    ----------
    benchmark : str
        Its name (the score column's header, or the file's stem for a ``score`` column).
    models : tuple of str
    scores : ndarray of shape (n,)
    source : str
        The file, for messages.
    sha256 : str
    """

    benchmark: str
    models: tuple[str, ...]
    scores: FloatArray
    source: str
    sha256: str = ""


def read_new_scores(
    path: str | Path,
    *,
    benchmark: str | None = None,
    columns: Any = None,
) -> NewScores:
    """Read a new benchmark's scores.

    A two-column file is read as (model, score), whatever its header says; a repeated
    model with the same score is kept once, with a different score it is an error. Any
    other file goes through :func:`~safetywashing.io.readers.read_scores` (wide or long,
    CSV, TSV or Parquet) and ``benchmark`` picks the column when there are several.

    Raises
    ------
    InputError
        Empty file, no rows, a non-numeric score, duplicate models with different
        scores, or several benchmark columns and none chosen.
    """
    from safetywashing.io.readers import (
        PercentCheck,
        file_sha256,
        parse_score,
        read_rows,
        read_scores,
    )

    path = Path(path)
    rows = read_rows(path)
    header = [cell.strip() for cell in rows.header]
    digest = file_sha256(path)
    if len(header) == 2 and benchmark in (None, header[1]):
        if not rows.body:
            raise InputError(
                f"{path} has a header but no scores; add one row per model (model, score)."
            )
        seen: dict[str, tuple[int, float]] = {}
        percents = PercentCheck()
        for row_number, row in rows.body:
            if len(row) > 2:
                raise InputError(
                    f"{path}, row {row_number}: {len(row)} cells for 2 header columns; "
                    "remove the extra cells or add header names."
                )
            cells = [*row, "", ""][:2]
            model = cells[0].strip()
            if not model:
                raise InputError(f"{path}, row {row_number}: the model cell is empty; fill it.")
            where = f"{path}, row {row_number} (model '{model}')"
            score = parse_score(cells[1], where)
            percents.see(header[1], cells[1], where, row_number)
            if model in seen:
                first_row, first = seen[model]
                if not (first == score or (math.isnan(first) and math.isnan(score))):
                    raise InputError(
                        f"{path}, row {row_number}: model '{model}' already has score {first:g} "
                        f"in row {first_row} and here {score:g}; keep one row per model."
                    )
                continue
            seen[model] = (row_number, score)
        name = header[1] if header[1].lower() not in {"score", "value", ""} else path.stem
        return NewScores(
            benchmark=name,
            models=tuple(seen),
            scores=np.array([score for _, score in seen.values()], dtype=np.float64),
            source=str(path),
            sha256=digest,
        )
    table = read_scores(path, columns=columns) if columns is not None else read_scores(path)
    ids = table.benchmark_ids
    if benchmark is None:
        if len(ids) != 1:
            raise InputError(
                f"{path} has {len(ids)} benchmark columns ({', '.join(ids[:4])}"
                f"{', ...' if len(ids) > 4 else ''}); choose the new one with --benchmark."
            )
        benchmark = ids[0]
    column = table.column(benchmark)
    return NewScores(benchmark, table.model_ids, np.asarray(column), str(path), digest)


@dataclass(frozen=True)
class CheckData:
    """What an interval estimator receives: the matched models only, aligned.

    Attributes
    ----------
    capability_block : ndarray of shape (n, k)
        Raw capability scores of the matched models (imputed cells filled), so that a
        bootstrap can refit standardization and PC1 inside every resample.
    capability_scores : ndarray of shape (n,)
    scores : ndarray of shape (n,)
        The new benchmark's scores.
    flop : ndarray of shape (n,)
    method : str
        The correlation method.
    """

    capability_block: FloatArray
    capability_scores: FloatArray
    scores: FloatArray
    flop: FloatArray
    method: CorrelationMethod


@dataclass(frozen=True)
class Interval:
    """An interval estimate of the capabilities correlation, from an estimator hook."""

    ci_low: float
    ci_high: float
    p_value: float = math.nan
    verdict: str = ""
    method: str = ""


IntervalEstimator = Callable[[CheckData], Interval]


@dataclass(frozen=True)
class Neighbour:
    """A panel benchmark next to the new one in the ranking."""

    id: str
    name: str
    capabilities_correlation: float


@dataclass(frozen=True)
class CheckResult:
    """A new benchmark checked against a panel class.

    Attributes
    ----------
    benchmark : str
    panel : str
        The panel's label.
    model_class : str
    n : int
        Matched models with both a new score and a capability score.
    capabilities_correlation : float
    n_compute : int
    compute_correlation : float
    rank : int
        1 + the number of panel benchmarks (correlated with the capability score) whose
        capabilities correlation is higher.
    n_ranked : int
        Those panel benchmarks plus the new one.
    above, below : Neighbour or None
        The panel benchmarks just above and below in that ranking.
    mean_capability_correlation : float
        The panel's mean pairwise capability correlation (the paper's yardstick).
    low_threshold : float
    ci_low, ci_high, p_value : float
        From the interval hook; NaN when none was given.
    verdict : str
        From the interval hook; empty when none was given.
    interval_method : str
    matching : MatchReport
    n_matched : int
        Input names placed on a panel model.
    panel_models : int
        Models in the panel class.
    sources : tuple of (str, str)
        The new scores' file and hash.
    """

    benchmark: str
    panel: str
    model_class: str
    n: int
    capabilities_correlation: float
    n_compute: int
    compute_correlation: float
    rank: int
    n_ranked: int
    above: Neighbour | None
    below: Neighbour | None
    mean_capability_correlation: float
    low_threshold: float
    matching: MatchReport
    n_matched: int
    panel_models: int
    sources: tuple[tuple[str, str], ...] = ()
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    verdict: str = ""
    interval_method: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document of the check (NaN as null)."""

        def neighbour(item: Neighbour | None) -> dict[str, Any] | None:
            if item is None:
                return None
            return {
                "id": item.id,
                "name": item.name,
                "capabilities_correlation": _num(item.capabilities_correlation),
            }

        return {
            "schema_version": PANEL_SCHEMA_VERSION,
            "kind": "safetywashing-check",
            "tool": {"name": "safetywashing", "version": __version__},
            "benchmark": self.benchmark,
            "panel": self.panel,
            "model_class": self.model_class,
            "n": self.n,
            "capabilities_correlation": _num(self.capabilities_correlation),
            "n_compute": self.n_compute,
            "compute_correlation": _num(self.compute_correlation),
            "rank": self.rank,
            "n_ranked": self.n_ranked,
            "above": neighbour(self.above),
            "below": neighbour(self.below),
            "mean_capability_correlation": _num(self.mean_capability_correlation),
            "low_threshold": self.low_threshold,
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "p_value": _num(self.p_value),
            "verdict": self.verdict or None,
            "interval_method": self.interval_method or None,
            "n_matched": self.n_matched,
            "panel_models": self.panel_models,
            "matching": self.matching.to_dict(),
            "provenance": {
                "inputs": [{"path": path, "sha256": digest} for path, digest in self.sources]
            },
        }


def check(
    new: NewScores,
    panel: Panel,
    *,
    model_class: str | None = None,
    aliases: dict[str, str] | None = None,
    method: CorrelationMethod = "spearman",
    low_threshold: float = 0.40,
    interval: IntervalEstimator | None = None,
) -> CheckResult:
    """Check a new benchmark against a panel.

    Parameters
    ----------
    new : NewScores
        From :func:`read_new_scores`.
    panel : Panel
    model_class : str, optional
        The panel class to use; by default the class that matches most of the names.
    aliases : dict, optional
        Name as written in the new file -> panel model id.
    method : {"spearman", "pearson", "kendall"}, default "spearman"
    low_threshold : float, default 0.40
    interval : callable, optional
        Interval estimator hook (e.g. a bootstrap): receives :class:`CheckData`.

    Returns
    -------
    CheckResult

    Raises
    ------
    InputError
        No models, no name matching the panel, fewer than 5 matched models with scores,
        or two names of the file matching the same panel model with different scores.
    """
    if not new.models:
        raise InputError(f"{new.source} has no scores; add one row per model (model, score).")
    reports = {}
    for panel_class in panel.classes:
        if model_class is not None and panel_class.model_class != model_class:
            continue
        reports[panel_class.model_class] = match_names(
            new.models,
            panel_class.model_ids,
            panel_names=[m.name for m in panel_class.models],
            aliases=aliases,
        )
    if model_class is not None and not reports:
        panel[model_class]  # raises the error naming the classes
    chosen = max(reports, key=lambda name: len(reports[name].matches))
    report = reports[chosen]
    panel_class = panel[chosen]
    if not report.matches:
        example = report.unmatched[0]
        raise InputError(
            f"None of the {len(new.models)} models in {new.source} matches a model of the "
            f"panel '{panel.label}' ({chosen}: e.g. '{example.name}' is closest to "
            f"{', '.join(repr(c) for c in example.closest)}); check the names or map them "
            "with --aliases."
        )
    scores = np.full(len(panel_class.models), np.nan)
    placed: dict[str, str] = {}
    position = {model: i for i, model in enumerate(panel_class.model_ids)}
    by_name = dict(zip(new.models, new.scores, strict=True))
    for match in report.matches:
        value = float(by_name[match.name])
        row = position[match.panel_id]
        if match.panel_id in placed and not (
            scores[row] == value or (math.isnan(scores[row]) and math.isnan(value))
        ):
            raise InputError(
                f"{new.source}: '{placed[match.panel_id]}' and '{match.name}' both name the "
                f"panel model '{match.panel_id}' but have different scores "
                f"({scores[row]:g} and {value:g}); keep one row per model."
            )
        placed[match.panel_id] = match.name
        scores[row] = value
    capability = np.array([m.capability_score for m in panel_class.models])
    flop = np.array([m.flop for m in panel_class.models])
    both = ~np.isnan(scores) & ~np.isnan(capability)
    n_both = int(both.sum())
    if n_both < MIN_MATCHED:
        raise InputError(
            f"Only {n_both} model{'s' if n_both != 1 else ''} of {new.source} "
            f"match{'' if n_both != 1 else 'es'} the panel '{panel.label}' ({chosen}) with a "
            f"score; a capabilities correlation needs at least {MIN_MATCHED}, so add scores "
            "for more of the panel's models or map names with --aliases."
        )
    r, n = correlation(capability, scores, method)
    r_compute, n_compute = correlation(flop, scores, method)
    ranked = [
        b
        for b in panel_class.benchmarks
        if b.correlated_with == "capability score" and not math.isnan(b.capabilities_correlation)
    ]
    ranked.sort(key=lambda b: -b.capabilities_correlation)
    higher = [b for b in ranked if b.capabilities_correlation > r]
    lower = [b for b in ranked if b.capabilities_correlation <= r]
    above = higher[-1] if higher else None
    below = lower[0] if lower else None
    ci = Interval(math.nan, math.nan)
    if interval is not None:
        block = np.array([m.capability_values for m in panel_class.models], dtype=np.float64)
        ci = interval(
            CheckData(
                capability_block=block[both],
                capability_scores=capability[both],
                scores=scores[both],
                flop=flop[both],
                method=method,
            )
        )
    return CheckResult(
        benchmark=new.benchmark,
        panel=panel.label,
        model_class=chosen,
        n=n,
        capabilities_correlation=r,
        n_compute=n_compute,
        compute_correlation=r_compute,
        rank=len(higher) + 1,
        n_ranked=len(ranked) + 1,
        above=_neighbour(above),
        below=_neighbour(below),
        mean_capability_correlation=panel_class.mean_capability_correlation,
        low_threshold=low_threshold,
        matching=report,
        n_matched=len(placed),
        panel_models=len(panel_class.models),
        sources=((new.source, new.sha256),),
        ci_low=ci.ci_low,
        ci_high=ci.ci_high,
        p_value=ci.p_value,
        verdict=ci.verdict,
        interval_method=ci.method,
    )


def _neighbour(item: PanelBenchmark | None) -> Neighbour | None:
    if item is None:
        return None
    return Neighbour(item.id, item.name, item.capabilities_correlation)


PAPER_PANELS: dict[str, str] = {
    "paper-chat": "benchmarks_chat_models.csv",
    "paper-base": "benchmarks_base_models.csv",
}


def paper_panel(name: str) -> Panel:
    """A shipped reference panel, built offline from the packaged files.

    Parameters
    ----------
    name : {"paper-chat", "paper-base", "obsscaling-base", "obsscaling-instruct"}
        The paper's chat or base panel, or ObsScaling's base or instruct panel (see
        :mod:`safetywashing.datasets.panels`).
    """
    from safetywashing.datasets.panels import reference_table

    table, spec = reference_table(name)
    return build_panel(
        table, label=name, preset=spec.preset, capabilities=spec.capabilities or None
    )


def resolve_panel(spec: str) -> Panel:
    """A panel from a shipped name (``paper-chat``, ``obsscaling-base``, ...) or a JSON file."""
    from safetywashing.datasets.panels import REFERENCE_PANELS

    if spec in REFERENCE_PANELS:
        return paper_panel(spec)
    return load_panel(spec)
