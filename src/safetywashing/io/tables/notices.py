"""What reading a table worked around, said once: :class:`Notices`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from safetywashing.core.errors import InputNotice, name_list


class Notices:
    """Remarks made while reading one file: each one stderr line, all names in the notes.

    A notice names what was done and to which models or columns; the warning (one line
    on stderr, given by :meth:`emit` once the file has been read without error) shows
    the first few names and a count, the table's ``notes`` (the JSON output,
    ``--verbose``) keep every name.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._short: list[str] = []

    def add(self, summary: str, names: Sequence[str] = ()) -> None:
        """Record ``summary`` (a sentence without its final period) about ``names``."""
        if not names:
            self.notes.append(f"{summary}.")
            self._short.append(f"{summary}.")
            return
        self.notes.append(f"{summary}: {name_list(names, limit=None)}.")
        short = f"{summary}: {name_list(names)}"
        if len(names) > 4:
            short += " (all in the output's notes; --verbose lists them)"
        self._short.append(short + ".")

    def add_text(self, full: str, short: str, more: bool = False) -> None:
        """Record a notice already worded: ``full`` for the notes, ``short`` for the warning
        (``more``: some names are shown in the notes only)."""
        self.notes.append(full)
        self._short.append(
            short[:-1] + " (all in the output's notes; --verbose lists them)." if more else short
        )

    def emit(self) -> None:
        """Warn each notice (:class:`~safetywashing.core.errors.InputNotice`), one line each."""
        for message in self._short:
            warnings.warn(message, InputNotice, stacklevel=4)
