"""The JSON documents the tool writes: one envelope, and NaN written as null.

Every JSON document (audit, robustness, power, check, panel) starts with the same
envelope: ``schema_version``, ``kind``, ``tool`` (name and version), ``config`` (the
settings that produced it) and ``provenance`` (input files and their SHA-256). The
fields are documented in ``docs/schema.md``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing._version import __version__

SCHEMA_VERSION = "1.0"


def finite(value: float) -> float | None:
    """``value`` as a float, or None when it is NaN or infinite (JSON has no NaN)."""
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def finite_list(values: npt.ArrayLike) -> list[float | None]:
    """A flat list of :func:`finite` values."""
    return [finite(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def field_values(source: Any, names: str | None = None, *, skip: str = "") -> dict[str, Any]:
    """Fields of a dataclass instance as a JSON-ready dict, floats through :func:`finite`.

    Parameters
    ----------
    source : dataclass instance
    names : str, optional
        Space-separated field names, in the order wanted; every field in declaration order
        by default.
    skip : str
        Space-separated field names to leave out.

    Examples
    --------
    >>> from safetywashing.core.table import ModelInfo
    >>> field_values(ModelInfo("m1", family="x"), "id flop family")
    {'id': 'm1', 'flop': None, 'family': 'x'}
    """
    chosen = names.split() if names is not None else [f.name for f in dataclasses.fields(source)]
    left_out = set(skip.split())
    values = {name: getattr(source, name) for name in chosen if name not in left_out}
    return {
        name: finite(value) if isinstance(value, float) else value for name, value in values.items()
    }


def number(value: Any) -> float:
    """A JSON number or null read back as a float (null -> NaN)."""
    return math.nan if value is None else float(value)


def envelope(
    kind: str,
    *,
    config: Mapping[str, Any] | None = None,
    sources: Iterable[tuple[str, str]] = (),
    version: str = __version__,
    schema_version: str = SCHEMA_VERSION,
) -> dict[str, Any]:
    """The fields every JSON document of the tool starts with.

    Parameters
    ----------
    kind : str
        What the document holds, e.g. ``"safetywashing-audit"``.
    config : mapping, optional
        The settings that produced it.
    sources : iterable of (str, str)
        Input files and their SHA-256.
    version : str
        The package version that produced it.
    schema_version : str
        Version of the document's layout.

    Examples
    --------
    >>> sorted(envelope("safetywashing-power"))
    ['config', 'kind', 'provenance', 'schema_version', 'tool']
    """
    return {
        "schema_version": schema_version,
        "kind": kind,
        "tool": {"name": "safetywashing", "version": version},
        "config": dict(config or {}),
        "provenance": {"inputs": [{"path": path, "sha256": digest} for path, digest in sources]},
    }


def dumps(document: Mapping[str, Any]) -> str:
    """JSON text of a document: indented, UTF-8 as is, NaN refused (write null)."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
