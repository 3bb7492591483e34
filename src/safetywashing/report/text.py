"""How text from the user's files is shown: never acted on, never misleading.

Names, cells and paths from the data reach the terminal, Markdown and LaTeX; each goes
through :func:`escaped` on its way (the README promises ``\\x1b``-style escapes).
"""

from __future__ import annotations

import unicodedata

#: Unicode categories shown as escapes: controls (terminal escapes), format characters
#: (bidi overrides such as U+202E, zero-width spaces and joiners), line and paragraph
#: separators, and lone surrogates.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def escaped(text: str, *, keep: str = "\n\t") -> str:
    r"""Text safe to show: control and invisible characters written as escapes.

    A name or cell can hold terminal escape sequences (``\x1b]0;title\x07`` sets the
    window title), a right-to-left override that makes a name ending in ``txt.exe`` read
    as if it ended in ``exe.txt``, or zero-width characters that make two names look the
    same. Printed raw they act on the terminal or mislead the reader, in Markdown and
    LaTeX as much as on a terminal, so they are shown as ``\x1b``, ``\u202e``,
    ``\u200b``. The characters in ``keep`` (line feed and tab by default) are left as
    they are.

    Examples
    --------
    >>> escaped("m1\x1b[2J")
    'm1\\x1b[2J'
    >>> escaped("a\u202eb\u200bc")
    'a\\u202eb\\u200bc'
    """
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        if ch not in keep and unicodedata.category(ch) in _HIDDEN
        else ch
        for ch in text
    )
