"""Cells of a scores table: numbers, missing-value tokens, percentages, file hashes."""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

from safetywashing.errors import InputError

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?"})


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_number(text: str) -> float:
    """Parse a score cell: a float, or NaN for the usual missing-value tokens.

    Raises
    ------
    ValueError
        If the text is neither a number nor a missing-value token.
    """
    stripped = text.strip()
    if stripped.lower() in MISSING_TOKENS:
        return math.nan
    if stripped.endswith("%"):
        return float(stripped[:-1]) / 100.0
    return float(stripped)


def parse_score(text: str, where: str) -> float:
    """Parse a score cell; ``where`` (file, row, column) starts the message of a bad one.

    Raises
    ------
    InputError
        For text that is not a number or a missing-value token, and for an infinite value.
    """
    try:
        value = parse_number(text)
    except ValueError:
        stripped = text.strip()
        hint = (
            " (a decimal comma? write 0.5, not 0,5)"
            if re.fullmatch(r"[+-]?\d+,\d+%?", stripped)
            else ""
        )
        raise InputError(
            f"{where}: '{stripped}' is not a number{hint}; write a number or leave the cell "
            "empty for a missing score."
        ) from None
    if math.isinf(value):
        raise InputError(f"{where}: infinite score; write a finite number or leave the cell empty.")
    return value


class PercentCheck:
    """Refuses a column that writes some scores as percent strings and some as plain numbers.

    ``45%`` reads as 0.45; next to a plain ``50`` (a percentage without the sign) or
    ``0.5`` the scale is ambiguous, and a wrong guess reorders the models.
    """

    def __init__(self) -> None:
        self._first: dict[str, dict[bool, tuple[str, int, str]]] = {}

    def see(self, column: str, cell: str, where: str, row_number: int) -> None:
        """Record a parsed cell of ``column`` (``where`` names it); raise on a mixed column."""
        text = cell.strip()
        if text.lower() in MISSING_TOKENS:
            return
        percent = text.endswith("%")
        firsts = self._first.setdefault(column, {})
        firsts.setdefault(percent, (where, row_number, text))
        if len(firsts) == 2:
            where, _, text = firsts[not percent]
            _, other_row, other_text = firsts[percent]
            kind, other_kind = ("a plain number", "a percentage")[:: 1 if percent else -1]
            raise InputError(
                f"{where}: '{text}' is {kind}, but row {other_row} has {other_kind} "
                f"('{other_text}'); write every score of '{column}' the same way (all with % "
                "or none)."
            )
