"""Where every column of a wide table ends: audited, model facts, or not audited and why.

Columns whose names say they describe the model rather than score it (parameters, FLOP,
tokens, averages, likes, dates) are never audited as benchmarks unless named: they are
read with the role ``ignore``, which ``--capabilities`` or a role in the benchmark
metadata overrides. The columns not audited are said in one note, grouped by reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from safetywashing.core.errors import name_list
from safetywashing.io.tables.notices import Notices

#: Words of a column name -> what the column then holds (a model fact, not a score).
METADATA_WORDS: dict[str, str] = {
    "param": "parameters",
    "params": "parameters",
    "parameters": "parameters",
    "flop": "FLOP",
    "flops": "FLOP",
    "token": "tokens",
    "tokens": "tokens",
    "average": "an average",
    "avg": "an average",
    "likes": "likes",
    "❤": "likes",
    "downloads": "downloads",
    "date": "a date",
    "year": "a date",
}
#: Phrases of a column name -> what the column holds (``Pretraining Data Size (T)``).
METADATA_PHRASES: dict[str, str] = {"data size": "tokens", "dataset size": "tokens"}

_WORD = re.compile(r"[a-z]+|❤")


def metadata_kind(name: str) -> str | None:
    """What a column holds when its name says it is a model fact, else None.

    Examples
    --------
    >>> metadata_kind("#Params (B)"), metadata_kind("Hub ❤️"), metadata_kind("mmlu")
    ('parameters', 'likes', None)
    >>> metadata_kind("Pretraining Data Size (T)")
    'tokens'
    """
    lowered = name.lower()
    words = " ".join(_WORD.findall(lowered))
    for phrase, kind in METADATA_PHRASES.items():
        if phrase in words:
            return kind
    for word in words.split():
        if word in METADATA_WORDS:
            return METADATA_WORDS[word]
    return None


#: How a column named like a model fact is audited after all (said once per note).
NAMED_ONLY = (
    "a column named as a model fact is audited only if named, with --capabilities or a role "
    "in --benchmarks"
)


class Accounting:
    """The columns of one table that are not audited, each with its reason."""

    def __init__(self) -> None:
        self._reasons: dict[str, list[str]] = {}
        self._hints: list[str] = []

    def add(self, reason: str, names: Sequence[str], hint: str = "") -> None:
        """Record ``names`` as not audited for ``reason``; ``hint`` (how to audit them
        after all) ends the notice, once."""
        if names:
            self._reasons.setdefault(reason, []).extend(names)
            if hint and hint not in self._hints:
                self._hints.append(hint)

    @property
    def columns(self) -> list[tuple[str, str]]:
        """Every column not audited with its reason, grouped by reason."""
        return [(name, reason) for reason, names in self._reasons.items() for name in names]

    def notify(self, path: Path, notices: Notices) -> None:
        """One notice naming every column not audited and why (none when all are)."""
        count = sum(len(names) for names in self._reasons.values())
        if not count:
            return
        summary = f"{path}: {count} column{'s' if count > 1 else ''} not audited"
        full = "; ".join(
            [f"{why}: {name_list(names, limit=None)}" for why, names in self._reasons.items()]
            + self._hints
        )
        short = "; ".join(
            [f"{why}: {name_list(names)}" for why, names in self._reasons.items()] + self._hints
        )
        hidden = any(len(names) > 4 for names in self._reasons.values())
        notices.add_text(f"{summary} ({full}).", f"{summary} ({short}).", hidden)
