"""Indented JSON text, the same bytes as the standard library's, faster on large documents.

``json.dumps(..., indent=2)`` cannot use the standard library's C encoder (it does so only
without indentation) and spends several calls of pure Python per value: on a 10,000-model
panel the audit's JSON (per-model scores and coverage) took longer than the audit. This
module writes the same text with one pass over the document, scalars formatted by the
same functions the standard library uses (its C string escaper, ``float.__repr__``,
``int.__repr__``). Anything it does not expect (a value the standard library would pass to
``default``, a non-finite float, an unusual key) is handed to ``json.dumps`` itself, so
the output and the errors stay the standard library's. ``tests/report/test_jsontext.py``
compares the two on generated documents.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any, TextIO

_INFINITY = float("inf")


class _Unexpected(Exception):
    """A value the fast writer leaves to ``json.dumps``."""


def dumps(document: Any, *, indent: int = 2, end: str = "") -> str:
    """``json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False) + end``.

    Parameters
    ----------
    document : object
        Dicts, lists, tuples, strings, numbers, booleans and None.
    indent : int, optional
        Spaces per level.
    end : str, optional
        Text to append (joined once: a large document is not copied to add a newline).

    Returns
    -------
    str
        The same text as the standard library's (no trailing newline).

    Examples
    --------
    >>> dumps({"a": [1, 2.5, None], "b": {}}) == json.dumps(
    ...     {"a": [1, 2.5, None], "b": {}}, indent=2, ensure_ascii=False, allow_nan=False
    ... )
    True
    """
    parts: list[str] = []
    try:
        _write(document, parts, "\n", " " * indent)
    except (_Unexpected, RecursionError):
        return json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False) + end
    parts.append(end)
    return "".join(parts)


def dump(document: Any, stream: TextIO, *, indent: int = 2, end: str = "") -> None:
    """Write :func:`dumps`'s text to ``stream`` piece by piece.

    The same characters, without joining them into one string first: on a large panel
    that string, and the bytes it is encoded to in one piece, are the largest objects
    of the whole run.

    Parameters
    ----------
    document : object
        As for :func:`dumps`.
    stream : text file
        Where to write.
    indent : int, optional
        Spaces per level.
    end : str, optional
        Text to write after the document.

    Examples
    --------
    >>> import io
    >>> buffer = io.StringIO()
    >>> dump({"a": [1, 2.5, None], "b": {}}, buffer, end=";")
    >>> buffer.getvalue() == dumps({"a": [1, 2.5, None], "b": {}}, end=";")
    True
    """
    parts: list[str] = []
    try:
        _write(document, parts, "\n", " " * indent)
    except (_Unexpected, RecursionError):
        stream.write(json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False) + end)
        return
    parts.append(end)
    stream.writelines(parts)


def _float(value: float) -> str:
    if value - value != 0.0:  # NaN or infinite: json.dumps raises its own error
        raise _Unexpected
    return float.__repr__(value)


# What float.__repr__ writes for the values JSON cannot hold; a string's text is quoted.
_NON_FINITE = ("nan", "inf", "-inf")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _none(value: None) -> str:
    return "null"


# Formatters by exact type (the common case, one dict lookup); subclasses (a StrEnum,
# numpy's float64) go through _scalar's isinstance checks, in the standard library's order.
_FORMAT: dict[type, Any] = {
    str: encode_basestring,
    float: float.__repr__,  # non-finite values are caught after formatting
    int: int.__repr__,
    bool: _bool,
    type(None): _none,
}


def _scalar(value: Any) -> str | None:
    """The JSON text of a scalar, or None for a container."""
    formatter = _FORMAT.get(type(value))
    if formatter is not None:
        text: str = formatter(value)
        if text in _NON_FINITE and type(value) is float:
            raise _Unexpected
        return text
    if isinstance(value, list | tuple | dict):
        # Empty containers are written inline, like scalars.
        return None if value else "{}" if isinstance(value, dict) else "[]"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    raise _Unexpected


def _strings(value: list[str] | tuple[str, ...], separator: str) -> str:
    """The JSON strings of ``value`` joined by ``separator``; TypeError for a non-string.

    When no string has a character to escape (the usual model and benchmark ids: one
    escape of all of them at once tells), each one's JSON text is itself in quotes, and
    one join writes them all (a coverage list names up to every model).
    """
    raw = "".join(value)
    if len(encode_basestring(raw)) == len(raw) + 2:  # an escape would lengthen it
        return '"' + ('"' + separator + '"').join(value) + '"'
    return separator.join(map(encode_basestring, value))


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, bool) or key is None or isinstance(key, int | float):
        text = _scalar(key)
        if text is None:
            raise _Unexpected
        return encode_basestring(text)
    raise _Unexpected


def _write(value: Any, parts: list[str], newline: str, step: str) -> None:
    text = _scalar(value)
    if text is not None:
        parts.append(text)
        return
    inner = newline + step
    separator = "," + inner
    if isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        texts = [(_FORMAT.get(type(item)) or _scalar)(item) for item in value.values()]
        if "nan" in texts or "inf" in texts or "-inf" in texts:
            raise _Unexpected
        keys = [encode_basestring(key) if type(key) is str else _key(key) for key in value]
        if None not in texts:  # a dict of scalars: one join
            pairs = [f"{key}: {item}" for key, item in zip(keys, texts, strict=True)]
            parts.append("{" + inner + separator.join(pairs) + newline + "}")
            return
        parts.append("{")
        for position, (key, item, item_text) in enumerate(
            zip(keys, value.values(), texts, strict=True)
        ):
            parts.append(inner if position == 0 else separator)
            parts.append(key)
            parts.append(": ")
            if item_text is None:
                _write(item, parts, inner, step)
            else:
                parts.append(item_text)
        parts.append(newline + "}")
        return
    if not value:
        parts.append("[]")
        return
    try:  # a list of strings (model ids, benchmark ids): escaped in C, joined once
        joined = _strings(value, separator)
    except TypeError:
        pass
    else:
        parts.append("[" + inner + joined + newline + "]")
        return
    texts = [(_FORMAT.get(type(item)) or _scalar)(item) for item in value]
    if "nan" in texts or "inf" in texts or "-inf" in texts:
        raise _Unexpected
    if None not in texts:  # a list of scalars, the common leaf: one join
        parts.append("[" + inner + separator.join(texts) + newline + "]")  # type: ignore[arg-type]
        return
    parts.append("[")
    for position, (item, item_text) in enumerate(zip(value, texts, strict=True)):
        parts.append(inner if position == 0 else separator)
        if item_text is None:
            _write(item, parts, inner, step)
        else:
            parts.append(item_text)
    parts.append(newline + "]")
