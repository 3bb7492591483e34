"""What every result shares: read-only arrays, a short repr, a table, an HTML view.

Results are frozen dataclasses declared with ``eq=False`` (two results are the same
object or different ones: comparing arrays element-wise has no single truth value) and
``repr=False`` (the repr is a few lines, see :meth:`Result.summary_lines`).
"""

from __future__ import annotations

import copy
import dataclasses
import html
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from safetywashing.core.errors import UnknownNameError

if TYPE_CHECKING:
    import pandas as pd


def read_only(value: Any) -> Any:
    """A read-only view of an array, or a value holding arrays with read-only views.

    Tuples, lists and dicts are rebuilt, and a plain dataclass (a kernel's output such as
    the capability component) is copied, only when something inside them changes; the
    caller's objects and arrays are never modified. Results freeze their own fields.
    """
    if isinstance(value, np.ndarray):
        if not value.flags.writeable:
            return value
        view = value.view()
        view.flags.writeable = False
        return view
    if isinstance(value, tuple | list):
        items = [read_only(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return type(value)(items) if isinstance(value, list) else _same_tuple(value, items)
    if isinstance(value, dict):
        frozen = {key: read_only(item) for key, item in value.items()}
        if all(frozen[key] is item for key, item in value.items()):
            return value
        return frozen
    if dataclasses.is_dataclass(value) and not isinstance(value, type | Result):
        changed = {
            item.name: read_only(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if hasattr(value, item.name)
        }
        changed = {name: new for name, new in changed.items() if new is not getattr(value, name)}
        if not changed:
            return value
        copied = copy.copy(value)
        for name, new in changed.items():
            object.__setattr__(copied, name, new)
        return copied
    return value


def _same_tuple(value: tuple[Any, ...], items: list[Any]) -> tuple[Any, ...]:
    """``items`` as a tuple of the type of ``value`` (a named tuple stays one)."""
    if hasattr(value, "_fields"):
        return type(value)(*items)
    return tuple(items)


def position(kind: str, name: str, names: tuple[str, ...], *, where: str) -> int:
    """Position of ``name`` in ``names``; an :class:`UnknownNameError` naming ``where``."""
    try:
        return names.index(name)
    except ValueError:
        raise UnknownNameError(kind, name, names, where=where) from None


class Result:
    """Mixin of the result dataclasses.

    Subclasses implement :meth:`summary_lines`, :meth:`to_frame` and :meth:`to_dict`.
    """

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            frozen = read_only(value)
            if frozen is not value:
                object.__setattr__(self, item.name, frozen)

    def summary_lines(self) -> list[str]:
        """A few lines that say what the result holds (used by ``repr``)."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The result as one tidy table with a fixed column order, raw values."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict (NaN as None)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = self.summary_lines()
        head = f"<{type(self).__name__}: {lines[0]}" if lines else f"<{type(self).__name__}"
        body = "".join(f"\n  {line}" for line in lines[1:])
        return f"{head}{body}>"

    def _repr_html_(self) -> str:
        """Summary lines and the first rows of :meth:`to_frame`, for notebooks."""
        lines = self.summary_lines()
        title = html.escape(type(self).__name__)
        summary = "<br>".join(html.escape(line) for line in lines)
        frame = self.to_frame()
        table = frame.to_html(max_rows=20, index=False, na_rep="", float_format=_float_text)
        return f"<div><strong>{title}</strong><br>{summary}{self._html_above_table()}{table}</div>"

    def _html_above_table(self) -> str:
        """Escaped HTML that the notebook view shows between the summary and the table."""
        return ""


PartT = TypeVar("PartT")


class ByClass(Result, Generic[PartT]):
    """A result with one part per model class (``classes``), looked up by class name."""

    classes: tuple[PartT, ...]
    #: How lookup errors name the result ("this audit").
    lookup_where = "this result"

    def __getitem__(self, model_class: str) -> PartT:
        for item in self.classes:
            if getattr(item, "model_class", None) == model_class:
                return item
        raise UnknownNameError("class", model_class, self.class_names, where=self.lookup_where)

    @property
    def class_names(self) -> tuple[str, ...]:
        """Names of the classes, in order."""
        return tuple(str(getattr(item, "model_class", "")) for item in self.classes)

    def to_frame(self) -> pd.DataFrame:
        """The classes' tables, one after the other."""
        import pandas as pd

        frames: list[pd.DataFrame] = [
            item.to_frame() for item in self.classes if isinstance(item, Result)
        ]
        return pd.concat(frames, ignore_index=True)


def _float_text(value: float) -> str:
    return f"{value:.3f}"
