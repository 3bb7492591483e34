"""A reference panel: the stored audit that new benchmarks are checked against.

A *panel* keeps what a check needs from an audit of a well-covered set of models: the
capability benchmarks, their standardization and loadings, each model's capability
values, capability score, training compute and class, every panel benchmark's
capabilities correlation (so a new benchmark can be ranked among them), and where it
came from. This module holds the panel's types and their JSON form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from safetywashing._version import __version__
from safetywashing.core.document import dumps, envelope, finite, number
from safetywashing.core.errors import InputError
from safetywashing.core.result import ByClass

if TYPE_CHECKING:
    import pandas as pd

PANEL_SCHEMA_VERSION = "1.0"
PANEL_KIND = "safetywashing-panel"


@dataclass(frozen=True)
class PanelModel:
    """One model of a panel class."""

    id: str
    name: str
    family: str
    #: parameters, flop: NaN where unknown.
    parameters: float
    flop: float
    #: NaN for a model left out of the capability score.
    capability_score: float
    #: Raw capability-benchmark scores aligned with the class's capability benchmarks (imputed
    #: values included; NaN for a left-out model's gaps).
    capability_values: tuple[float, ...]
    #: Capability benchmarks whose value was imputed.
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


_Record = TypeVar("_Record", PanelModel, PanelBenchmark)

# How a field of each declared type is written to JSON and read back (NaN as null).
_TO_JSON: dict[str, Callable[[Any], Any]] = {
    "str": lambda value: value,
    "int": lambda value: value,
    "float": finite,
    "tuple[float, ...]": lambda values: [finite(v) for v in values],
    "tuple[str, ...]": list,
}


def _text(value: Any) -> str:
    """A text field as stored; anything else (a number, null) is a damaged file."""
    if not isinstance(value, str):
        raise _Malformed(f"{_shown(value)}, not a text")
    return value


def _tuple_of_text(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise _Malformed(f"{_shown(values)}, not a list of texts")
    return tuple(_text(value) for value in values)


def _number(value: Any) -> float:
    """A number field as stored: a finite JSON number, or null for "none" (NaN).

    A text (``"0.5"``), a boolean (``true``) or a ``NaN``/``Infinity`` token is a damaged
    file: the writer never makes one, and reading it as a number would change results.
    """
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed(f"{_shown(value)}, not a number")
    if not math.isfinite(value):
        raise _Malformed(f"{_shown(value)}, not a finite number (null stands for none)")
    return float(value)


def _whole(value: Any) -> int:
    """A count field as stored: a whole JSON number (``3`` or ``3.0``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed(f"{_shown(value)}, not a whole number")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise _Malformed(f"{_shown(value)}, not a whole number")
    return int(value)


def _named(record: Any) -> str:
    """`` ('id')`` for a record whose id is a text, to name it in a message."""
    found = record.get("id") if isinstance(record, dict) else None
    return f" ({_shown(found)})" if isinstance(found, str) else ""


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:39] + "…"


class _Malformed(ValueError):
    """A field of a panel file holding the wrong kind of value (``what`` says which)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


_FROM_JSON: dict[str, Callable[[Any], Any]] = {
    "str": _text,
    "int": _whole,
    "float": _number,
    "tuple[float, ...]": lambda values: tuple(number(v) for v in values),
    "tuple[str, ...]": _tuple_of_text,
}


def _record(item: PanelModel | PanelBenchmark) -> dict[str, Any]:
    """A panel model or benchmark as a JSON object, one key per field in field order."""
    return {f.name: _TO_JSON[str(f.type)](getattr(item, f.name)) for f in fields(item)}


def _from_record(kind: type[_Record], data: dict[str, Any], where: str) -> _Record:
    """The inverse of :func:`_record` (a missing key raises KeyError).

    Raises
    ------
    _Malformed
        If a field holds the wrong kind of value (``where`` names the record).
    """
    values = {}
    for item in fields(kind):
        try:
            values[item.name] = _FROM_JSON[str(item.type)](data[item.name])
        except _Malformed as error:
            raise _Malformed(f'{where} has "{item.name}": {error.what}') from None
    return kind(**values)


@dataclass(frozen=True)
class PanelClass:
    """The stored audit of one model class."""

    model_class: str
    capability_benchmarks: tuple[str, ...]
    #: mean, std: Standardization of the capability benchmarks (ddof = 0).
    mean: tuple[float, ...]
    std: tuple[float, ...]
    #: PC1 loadings.
    loadings: tuple[float, ...]
    variance_explained: float
    #: The paper's yardstick for "high".
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
                "mean": [finite(v) for v in self.mean],
                "std": [finite(v) for v in self.std],
            },
            "loadings": [finite(v) for v in self.loadings],
            "variance_explained": finite(self.variance_explained),
            "mean_capability_correlation": finite(self.mean_capability_correlation),
            "score_compute_correlation": finite(self.score_compute_correlation),
            "models": [_record(m) for m in self.models],
            "benchmarks": [_record(b) for b in self.benchmarks],
        }

    @classmethod
    def from_dict(cls, model_class: str, data: dict[str, Any]) -> PanelClass:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            model_class=model_class,
            capability_benchmarks=tuple(data["capability_benchmarks"]),
            mean=tuple(number(v) for v in data["standardization"]["mean"]),
            std=tuple(number(v) for v in data["standardization"]["std"]),
            loadings=tuple(number(v) for v in data["loadings"]),
            variance_explained=number(data["variance_explained"]),
            mean_capability_correlation=number(data["mean_capability_correlation"]),
            score_compute_correlation=number(data["score_compute_correlation"]),
            models=tuple(
                _from_record(PanelModel, m, f"model {k}{_named(m)} of class '{model_class}'")
                for k, m in enumerate(data["models"], start=1)
            ),
            benchmarks=tuple(
                _from_record(PanelBenchmark, b, f"benchmark {k} of class '{model_class}'")
                for k, b in enumerate(data["benchmarks"], start=1)
            ),
        )


@dataclass(frozen=True, eq=False, repr=False)
class Panel(ByClass[PanelClass]):
    """A reference panel: one :class:`PanelClass` per model class, with provenance."""

    #: How reports name the panel (e.g. the scores file's name, or ``paper-chat``).
    label: str
    classes: tuple[PanelClass, ...]
    #: The audit settings the panel was built with.
    config: dict[str, Any] = field(default_factory=dict)
    #: tuple of (str, str): Input files and their SHA-256.
    sources: tuple[tuple[str, str], ...] = ()
    synthetic: bool = False
    #: Package version that built the panel.
    version: str = __version__

    @property
    def lookup_where(self) -> str:  # type: ignore[override]
        """How lookup errors name the panel."""
        return f"the panel '{self.label}'"

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document of the panel."""
        document = envelope(
            PANEL_KIND,
            config=self.config,
            sources=self.sources,
            version=self.version,
            schema_version=PANEL_SCHEMA_VERSION,
        )
        document["label"] = self.label
        document["synthetic"] = self.synthetic
        document["classes"] = {c.model_class: c.to_dict() for c in self.classes}
        return document

    def to_json(self) -> str:
        """The panel as JSON text (NaN written as null)."""
        return dumps(self.to_dict())

    def summary_lines(self) -> list[str]:
        """The label and a line per class."""
        return [
            f"'{self.label}', {len(self.classes)} class{'es' if len(self.classes) != 1 else ''}",
            *(
                f"{c.model_class}: {len(c.models)} models, {len(c.benchmarks)} benchmarks, "
                f"{len(c.capability_benchmarks)} capability benchmarks"
                for c in self.classes
            ),
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per (class, model): id, name, family, parameters, FLOP, capability score."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "model_class": c.model_class,
                    "model": m.id,
                    "name": m.name,
                    "family": m.family,
                    "parameters": m.parameters,
                    "flop": m.flop,
                    "capability_score": m.capability_score,
                }
                for c in self.classes
                for m in c.models
            ]
        )

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
        if isinstance(data.get("classes"), dict) and not data["classes"]:
            raise InputError(
                f'{source} holds no model classes ("classes" is empty); rebuild it with '
                "`safetywashing panel build`."
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
        except _Malformed as error:
            raise InputError(
                f"{source} is a damaged panel file: {error.what}; rebuild it with "
                "`safetywashing panel build`."
            ) from None
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
    from safetywashing.io.frameworks._safe import Unreadable, loads_text

    try:
        data = loads_text(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not valid JSON ({error}); rebuild the panel.") from None
    except Unreadable as error:
        raise InputError(f"{path} {error.reason}; rebuild the panel.") from None
    return Panel.from_dict(data, source=str(path))
