"""The one number formatter of the reports: correlations and shares as text.

Every table, paragraph and page prints its numbers through :func:`format_number`, so
that a correlation reads the same everywhere and a missing value is never ``nan``.
Values stay raw in the results; they are rounded here and only here.
"""

from __future__ import annotations

import math

EN_DASH = "–"
"""The text of a missing value in tables and on the terminal."""


def format_number(
    value: float | None,
    *,
    digits: int = 1,
    percent: bool = True,
    sign: bool = False,
    missing: str = EN_DASH,
    minus: str = "-",
    suffix: str = "",
) -> str:
    """A number as text: in percent by default, to ``digits`` decimals.

    Parameters
    ----------
    value : float or None
        None and NaN are missing.
    digits : int, default 1
        Decimals after the point.
    percent : bool, default True
        Times 100 (a correlation of 0.4523 reads ``45.2``).
    sign : bool, default False
        A ``+`` before a positive number (and before zero).
    missing : str, default "–"
        The text of a missing value (an en dash).
    minus : str, default "-"
        The text that stands for the minus sign (LaTeX wants ``$-$``).
    suffix : str, default ""
        Written after a number, not after the missing text (e.g. ``%``).

    Examples
    --------
    >>> format_number(0.4523)
    '45.2'
    >>> format_number(0.4523, sign=True), format_number(-0.1, minus="$-$")
    ('+45.2', '$-$10.0')
    >>> format_number(float("nan"), missing="n/a"), format_number(0.7, suffix="%")
    ('n/a', '70.0%')
    >>> format_number(0.12345, digits=3, percent=False, sign=True)
    '+0.123'
    """
    if value is None or math.isnan(value):
        return missing
    scaled = 100 * value if percent else value
    text = f"{scaled:+.{digits}f}" if sign else f"{scaled:.{digits}f}"
    if minus != "-" and text.startswith("-"):
        text = minus + text[1:]
    return text + suffix


def signed(value: float | None) -> str:
    """A correlation in percent with its sign, to one decimal: ``+45.2``, ``-3.0``, ``–``.

    Examples
    --------
    >>> signed(0.4523), signed(-0.03), signed(float("nan"))
    ('+45.2', '-3.0', '–')
    """
    return format_number(value, sign=True)
