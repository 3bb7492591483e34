"""Errors a user can fix.

Every mistake in the user's input is raised as :class:`InputError` with one sentence that
names the file, the row or column, or the parameter, and the fix. The command line prints
that sentence and exits with status 2; any other exception is a bug and keeps its
traceback.

Library errors speak the caller's language: a parameter is written as ``name=value``
(``n_resamples=0``) and listed in :attr:`InputError.params`, so that the command line can
say the same sentence with its own flags (``--bootstrap 0``; see
:meth:`InputError.for_command_line`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence


class InputError(ValueError):
    """A problem with the user's input, explained in one sentence.

    Parameters
    ----------
    message : str
        The sentence shown to the user: what is wrong, where, and how to fix it. A
        parameter of a Python function is written ``name=value`` or ``name``.
    param : str or sequence of str, optional
        The parameter(s) the sentence names, so that the command line can name its
        flags instead.
    remedy : str, optional
        How to fix it, appended to the message after a semicolon.

    Examples
    --------
    >>> error = InputError("n_resamples=0 asks for no resamples", param="n_resamples",
    ...                    remedy="give n_resamples=2000")
    >>> str(error)
    'n_resamples=0 asks for no resamples; give n_resamples=2000.'
    >>> error.for_command_line({"n_resamples": "--bootstrap"})
    '--bootstrap 0 asks for no resamples; give --bootstrap 2000.'
    """

    def __init__(
        self,
        message: str,
        *,
        param: str | Iterable[str] | None = None,
        remedy: str | None = None,
    ) -> None:
        if remedy:
            message = f"{message.rstrip('.')}; {remedy.rstrip('.')}."
        elif param is not None and not message.endswith((".", "?", "!")):
            message += "."
        self.message = message
        self.params: tuple[str, ...] = (
            () if param is None else (param,) if isinstance(param, str) else tuple(param)
        )
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def for_command_line(self, flags: Mapping[str, str]) -> str:
        """The message with each named parameter replaced by its command-line flag.

        ``name=value`` becomes ``--flag value`` for the parameters in :attr:`params`
        that ``flags`` knows; a bare ``name`` becomes ``--flag`` when it holds an
        underscore (``impute_rank``), so that plain words (``seed``) stay words.
        """
        text = self.message
        for name in self.params:
            flag = flags.get(name)
            if flag is None:
                continue
            # name='word' -> --flag word; name=value -> --flag value
            text = re.sub(rf"(?<![\w-]){re.escape(name)}='([^'\s]*)'", rf"{flag} \1", text)
            text = re.sub(rf"(?<![\w-]){re.escape(name)}=", f"{flag} ", text)
            if "_" in name:  # a bare word only when it cannot be plain English
                text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w=])", flag, text)
        return text


class UnknownNameError(InputError, KeyError):
    """A lookup of a name (class, benchmark, model, variant) that a result does not hold.

    A :class:`KeyError` for code that looks things up, and an :class:`InputError` (one
    sentence, exit status 2) for the command line.

    Parameters
    ----------
    kind : str
        What was looked up ("benchmark", "model class").
    name : str
        The name asked for.
    known : iterable of str
        The names that exist; the closest ones are suggested.
    where : str
        Where it was looked up ("the chat audit").
    remedy : str, optional
        How to fix it, when more can be said than the close matches.

    Attributes
    ----------
    name : str
    close_matches : list of str
    """

    def __init__(
        self,
        kind: str,
        name: str,
        known: Iterable[str],
        *,
        where: str,
        remedy: str | None = None,
    ) -> None:
        pool = list(known)
        self.name = name
        self.close_matches = close_matches(name, pool)
        shown = ", ".join(pool[:8]) + (", ..." if len(pool) > 8 else "")
        message = f"No {kind} '{name}' in {where}{suggestion(name, pool)}"
        InputError.__init__(
            self, message, remedy=remedy or (f"the {kind}s are {shown}" if pool else None)
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


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

    Parameters are those of :func:`close_matches`.

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
