"""Cells of a scores table: numbers, missing-value tokens, percentages, file hashes."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_MAGNITUDE, MAX_NUMBER_CHARS

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?"})

# ASCII digits only: Python's float() also takes "1_5" (as 15) and other scripts' digits
# ("٣", "１"), which no spreadsheet writes and which would read silently as other numbers.
_NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity)%?", re.IGNORECASE | re.ASCII
)


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
        If the text is neither a number nor a missing-value token. Only ASCII digits
        are read (``1_5`` and other scripts' digits are not numbers), and at most
        :data:`MAX_NUMBER_CHARS` characters.
    """
    stripped = text.strip()
    if stripped.lower() in MISSING_TOKENS:
        return math.nan
    if len(stripped) > MAX_NUMBER_CHARS or not _NUMBER.fullmatch(stripped):
        raise ValueError(f"not a number: {stripped[:40]!r}")
    if stripped.endswith("%"):
        return float(stripped[:-1]) / 100.0
    return float(stripped)


def parse_score(text: str, where: str) -> float:
    """Parse a score cell; ``where`` (file, row, column) starts the message of a bad one.

    Raises
    ------
    InputError
        For text that is not a number or a missing-value token, for an infinite value,
        and for a magnitude above :data:`MAX_MAGNITUDE`.
    """
    try:
        value = parse_number(text)
    except ValueError:
        stripped = shown_cell(text)
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
    if abs(value) > MAX_MAGNITUDE:
        raise InputError(
            f"{where}: {shown_cell(text)} is beyond the supported range (magnitude at most "
            f"{MAX_MAGNITUDE:.0e}); check the cell or rescale the column."
        )
    return value


def parse_compute(text: str, where: str, scale: float) -> float:
    """Parse a compute cell (training FLOP, parameters, tokens) and multiply by ``scale``.

    Zero and negative values are returned as they are (the readers read them as unknown,
    with a note); anything that is not a finite plain number is refused.

    Raises
    ------
    InputError
        For text that is not a number, a percentage, an infinite value, or a value
        whose magnitude (after scaling) exceeds :data:`MAX_MAGNITUDE`.
    """
    try:
        value = parse_number(text)
    except ValueError:
        raise InputError(
            f"{where}: '{shown_cell(text)}' is not a number; write a number or leave it empty."
        ) from None
    if math.isnan(value):
        return value
    if text.strip().endswith("%"):
        raise InputError(
            f"{where}: '{shown_cell(text)}' is a percentage, not a compute figure; write the "
            "number (e.g. 3.2e23) or leave it empty."
        )
    scaled = value * scale
    if not math.isfinite(scaled) or abs(scaled) > MAX_MAGNITUDE:
        raise InputError(
            f"{where}: '{shown_cell(text)}'"
            + (f" times the scale {scale:g}" if scale != 1 else "")
            + f" is beyond the supported range (a finite value of magnitude at most "
            f"{MAX_MAGNITUDE:.0e}); write the figure or leave it empty."
        )
    return scaled


def shown_cell(text: str, limit: int = 40) -> str:
    """A cell's text for a message: stripped, control characters escaped, shortened."""
    stripped = text.strip()
    escaped = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in stripped
    )
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


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
            raise mixed_percent(column, where, text, not percent, other_row, other_text)


def mixed_percent(
    column: str, where: str, text: str, percent: bool, other_row: int, other_text: str
) -> InputError:
    """The error for a column whose cell ``text`` (at ``where``; a percentage if
    ``percent``) and the cell ``other_text`` of row ``other_row`` are written differently."""
    kind, other_kind = ("a percentage", "a plain number")[:: 1 if percent else -1]
    return InputError(
        f"{where}: '{text}' is {kind}, but row {other_row} has {other_kind} "
        f"('{other_text}'); write every score of '{column}' the same way (all with % "
        "or none)."
    )


@dataclass(frozen=True)
class ScoreScan:
    """The cells of one score column read at once: values and what is wrong with them.

    Reading a column in one pass gives what reading it cell by cell, row after row,
    would: the same values, and the cell where that reading would have stopped.
    """

    #: One per cell, NaN where missing or not a number.
    values: list[float]
    #: Positions of the cells that are not numbers (nor missing-value tokens).
    not_numbers: list[int]
    #: How many cells are not missing-value tokens.
    filled: int
    #: First cell :func:`parse_score` refuses (not a number, infinite, beyond range).
    refused: int | None
    #: tuple of (int, int) or None: The first cell of each way of writing scores (with % and
    #: without), earlier first, when the column has both before any refused cell.
    mixed: tuple[int, int] | None

    @property
    def first_problem(self) -> int | None:
        """The cell where reading row after row would stop, or None."""
        if self.mixed is not None:
            return self.mixed[1]
        return self.refused


def scan_scores(cells: Sequence[str]) -> ScoreScan:
    """Read a column of score cells as :func:`parse_score` and :class:`PercentCheck` would.

    Examples
    --------
    >>> scan = scan_scores(["0.5", "NA", "x", "1e200"])
    >>> scan.values[:2], scan.not_numbers, scan.filled, scan.refused
    ([0.5, nan], [2], 3, 2)
    """
    values: list[float] = []
    not_numbers: list[int] = []
    filled = 0
    refused: int | None = None
    first_percent: int | None = None
    first_plain: int | None = None
    for index, cell in enumerate(cells):
        stripped = cell.strip()
        if stripped.lower() in MISSING_TOKENS:
            values.append(math.nan)
            continue
        filled += 1
        if len(stripped) > MAX_NUMBER_CHARS or not _NUMBER.fullmatch(stripped):
            values.append(math.nan)
            not_numbers.append(index)
            if refused is None:
                refused = index
            continue
        percent = stripped.endswith("%")
        value = float(stripped[:-1]) / 100.0 if percent else float(stripped)
        values.append(value)
        if abs(value) > MAX_MAGNITUDE:  # infinite, or beyond the supported range
            if refused is None:
                refused = index
        elif percent:
            if first_percent is None:
                first_percent = index
        elif first_plain is None:
            first_plain = index
    mixed = None
    if first_percent is not None and first_plain is not None:
        pair = (min(first_percent, first_plain), max(first_percent, first_plain))
        if refused is None or pair[1] < refused:
            mixed = pair
    return ScoreScan(values, not_numbers, filled, refused, mixed)


def short_row(path: object, row_number: int, cells: int, columns: int) -> InputError:
    """The error for a row with fewer cells than the header (its last cells would shift)."""
    return InputError(
        f"{path}, row {row_number}: {cells} cell{'s' if cells != 1 else ''} for {columns} "
        "header columns; write every cell (leave a missing score empty between commas)."
    )


def ragged_row(path: object, row_number: int, cells: int, columns: int) -> InputError:
    """The error for a row with more or fewer cells than the header's ``columns``."""
    if cells < columns:
        return short_row(path, row_number, cells, columns)
    return InputError(
        f"{path}, row {row_number}: {cells} cells for {columns} header columns; "
        "remove the extra cells or add header names."
    )


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A text cell that a spreadsheet shows as text, never evaluates (the OWASP rule).

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
    formula to Excel, LibreOffice and Google Sheets (``=cmd|' /C calc'!A0``); a leading
    apostrophe makes it text. Numbers (``-0.5``, ``+1e3``) are left as they are.

    Examples
    --------
    >>> spreadsheet_safe("=SUM(A1)"), spreadsheet_safe("-0.25"), spreadsheet_safe("gpt-4")
    ("'=SUM(A1)", '-0.25', 'gpt-4')
    """
    if not cell.startswith(_FORMULA_STARTS):
        return cell
    if _NUMBER.fullmatch(cell.strip()) and not cell.startswith(("\t", "\r")):
        return cell
    return "'" + cell
