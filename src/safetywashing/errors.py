"""Errors a user can fix.

Every mistake in the user's input is raised as :class:`InputError` with one sentence that
names the file, the row or column, and the fix. The command line prints that sentence
and exits with status 2; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class InputError(ValueError):
    """A problem with the user's input, explained in one sentence.

    Parameters
    ----------
    message : str
        The sentence shown to the user: what is wrong, where, and how to fix it.
    """


class InputWarning(UserWarning):
    """Something in the input that the analysis worked around (e.g. a model left out)."""


class InputNotice(InputWarning):
    """What reading did to make a table usable (an index left out, repeated rows merged).

    The command line prints it as ``note: ...``, one line per kind.
    """


def close_matches(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Return up to ``limit`` candidates that look like ``name`` (case-insensitive).

    Parameters
    ----------
    name : str
        The name the user typed.
    candidates : iterable of str
        The names that exist.
    limit : int, default 3
        Maximum number of suggestions.

    Returns
    -------
    list of str
        Suggestions, closest first; empty when nothing is close.
    """
    pool = list(candidates)
    lowered = {candidate.lower(): candidate for candidate in pool}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.6)
    return [lowered[hit] for hit in hits]


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """Phrase close matches as the end of an error sentence ("did you mean ...?").

    Parameters
    ----------
    name : str
        The name the user typed.
    candidates : iterable of str
        The names that exist.

    Returns
    -------
    str
        ``" (did you mean 'a' or 'b'?)"`` or an empty string.
    """
    hits = close_matches(name, candidates)
    if not hits:
        return ""
    quoted = [f"'{hit}'" for hit in hits]
    joined = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {joined}?)"


def name_list(names: Sequence[str], *, limit: int | None = 3) -> str:
    """Quote names for a message, the first ``limit`` and a count of the rest.

    Parameters
    ----------
    names : sequence of str
        The names, in the order to show them.
    limit : int or None, default 3
        How many to show (all when only one more would be hidden); None shows all.

    Returns
    -------
    str
        ``"'a', 'b', 'c' and 4 more"``, ``"'a' and 'b'"`` or ``"'a'"``.

    Examples
    --------
    >>> name_list(["a", "b", "c", "d", "e"])
    "'a', 'b', 'c' and 2 more"
    >>> name_list(["a", "b"])
    "'a' and 'b'"
    """
    quoted = [f"'{name}'" for name in names]
    if limit is not None and len(quoted) > limit + 1:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]
