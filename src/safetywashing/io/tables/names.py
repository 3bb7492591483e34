"""Matching model names across sources: normalization, aliases and a report.

Sources name the same model differently: ``meta-llama/Llama-2-7b-hf`` (a Hugging Face id
with its organisation), ``hf/Llama-2-7b`` (a provider prefix), ``llama_2_7b`` (another
punctuation). :func:`normalize_name` reduces a name to a key that ignores those
differences but never joins two numbers (``opt-1.3b`` and ``opt-13b`` are two models);
:func:`match_names` joins names to a panel's models exactly, through an optional alias
file, then by key, and reports every name it could not place with the closest panel
names, so nothing is dropped silently.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from safetywashing.core.errors import InputError

MatchKind = Literal["exact", "alias", "normalized"]

# Suffixes that name a packaging of the weights, not a different model.
PACKAGING_SUFFIXES: tuple[str, ...] = ("-hf",)
_SEPARATORS = re.compile(r"[\s_]+")
# Punctuation between two digits separates numbers ("1.3b" is not "13b"): it becomes one
# dot in the key; all other punctuation is dropped.
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[^a-z0-9]+(?=[0-9])")
_NOT_KEY = re.compile(r"[^a-z0-9\x00]")


def normalize_name(name: str) -> str:
    """The matching key of a model name.

    Lower-cases, drops everything up to the last ``/`` (organisation prefixes such as
    ``meta-llama/`` and provider prefixes such as ``hf/``), drops a packaging suffix
    (``-hf``), then drops punctuation and spaces, except that punctuation between two
    digits becomes one ``.``: ``Llama-2-7b`` and ``llama_2_7b`` share a key, but
    ``opt-1.3b`` and ``opt-13b`` (two models) do not.

    Parameters
    ----------
    name : str

    Returns
    -------
    str
        The key; empty for a name made only of punctuation.

    Examples
    --------
    >>> normalize_name("meta-llama/Llama-2-7b-hf")
    'llama2.7b'
    >>> normalize_name("hf/Llama_2 7B")
    'llama2.7b'
    >>> normalize_name("facebook/opt-1.3b"), normalize_name("facebook/opt-13b")
    ('opt1.3b', 'opt13b')
    """
    text = _SEPARATORS.sub("-", name.strip().lower())
    text = text.rsplit("/", 1)[-1]
    for suffix in PACKAGING_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
    text = _BETWEEN_DIGITS.sub("\x00", text)
    return _NOT_KEY.sub("", text).replace("\x00", ".")


@dataclass(frozen=True)
class NameMatch:
    """A name placed on a panel model, and how."""

    name: str
    panel_id: str
    how: MatchKind


@dataclass(frozen=True)
class Unmatched:
    """A name that matched no panel model (or several), with the closest panel names."""

    name: str
    closest: tuple[str, ...]
    ambiguous: bool = False


@dataclass(frozen=True)
class MatchReport:
    """Every input name either matched or listed as unmatched, in input order."""

    matches: tuple[NameMatch, ...]
    unmatched: tuple[Unmatched, ...]

    def mapping(self) -> dict[str, str]:
        """Input name -> panel model id, for the matched names."""
        return {m.name: m.panel_id for m in self.matches}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "matched": [{"name": m.name, "panel": m.panel_id, "how": m.how} for m in self.matches],
            "unmatched": [
                {"name": u.name, "closest": list(u.closest), "ambiguous": u.ambiguous}
                for u in self.unmatched
            ],
        }


def read_aliases(path: str | Path) -> dict[str, str]:
    """Read an alias file: two columns, a name as sources write it and the panel's id.

    The first row is a header (e.g. ``alias,model``). Blank lines are skipped.

    Parameters
    ----------
    path : str or Path
        CSV or TSV.

    Returns
    -------
    dict of str to str

    Raises
    ------
    InputError
        For an unreadable file, a row without two names, or one alias given two models.
    """
    from safetywashing.io.tables.readers import read_rows

    path = Path(path)
    aliases: dict[str, str] = {}
    for row_number, row in read_rows(path).body:
        cells = [cell.strip() for cell in row]
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise InputError(
                f"{path}, row {row_number}: an alias row needs two names (the name as written "
                "elsewhere, then the panel's model id); fill both cells."
            )
        alias, model = cells[0], cells[1]
        if alias in aliases and aliases[alias] != model:
            raise InputError(
                f"{path}, row {row_number}: alias '{alias}' already points to "
                f"'{aliases[alias]}'; give each alias one model."
            )
        aliases[alias] = model
    return aliases


def closest_names(name: str, panel_ids: Sequence[str], *, limit: int = 3) -> tuple[str, ...]:
    """The panel ids whose keys look most like ``name``'s key, closest first."""
    key = normalize_name(name) or name.lower()
    scored = sorted(
        panel_ids,
        key=lambda candidate: (
            -difflib.SequenceMatcher(
                None, key, normalize_name(candidate) or candidate.lower()
            ).ratio()
        ),
    )
    return tuple(scored[:limit])


def match_names(
    names: Iterable[str],
    panel_ids: Sequence[str],
    *,
    panel_names: Sequence[str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> MatchReport:
    """Place each name on a panel model.

    Order of attempts: the exact id; the alias file (exact alias, then by key); the
    normalized key of the panel's ids and display names. A key shared by several panel
    models, or by aliases of several models, is ambiguous and reported, not guessed.

    Parameters
    ----------
    names : iterable of str
        Names to place (e.g. the model column of a new benchmark's scores).
    panel_ids : sequence of str
        The panel's model ids.
    panel_names : sequence of str, optional
        Display names aligned with ``panel_ids``; matched by key too.
    aliases : mapping of str to str, optional
        Name as written elsewhere -> panel model id.

    Returns
    -------
    MatchReport

    Raises
    ------
    InputError
        If an alias points to a model the panel does not have, or renames a panel model
        into another.
    """
    known = set(panel_ids)
    by_key: dict[str, set[str]] = {}
    labels = list(panel_names) if panel_names is not None else []
    for position, panel_id in enumerate(panel_ids):
        by_key.setdefault(normalize_name(panel_id), set()).add(panel_id)
        if position < len(labels) and labels[position]:
            by_key.setdefault(normalize_name(labels[position]), set()).add(panel_id)
    alias_exact: dict[str, str] = {}
    alias_by_key: dict[str, set[str]] = {}
    for alias, target in (aliases or {}).items():
        if target not in known:
            from safetywashing.core.errors import suggestion

            raise InputError(
                f"The alias '{alias}' points to '{target}', which is not a model of the panel"
                f"{suggestion(target, panel_ids)}; fix the alias file."
            )
        if alias in known and alias != target:
            # Either reading would be a guess: the name is a model of its own.
            raise InputError(
                f"The alias '{alias}' points to '{target}', but '{alias}' is itself a model of "
                "the panel; remove the alias, or point it at its own name."
            )
        alias_exact[alias] = target
        alias_by_key.setdefault(normalize_name(alias), set()).add(target)
    matches: list[NameMatch] = []
    unmatched: list[Unmatched] = []
    for name in names:
        key = normalize_name(name)
        if name in known:
            matches.append(NameMatch(name, name, "exact"))
        elif name in alias_exact:
            matches.append(NameMatch(name, alias_exact[name], "alias"))
        elif key and len(alias_by_key.get(key, ())) == 1:
            matches.append(NameMatch(name, next(iter(alias_by_key[key])), "alias"))
        elif key and len(alias_by_key.get(key, ())) > 1:
            unmatched.append(Unmatched(name, tuple(sorted(alias_by_key[key])), ambiguous=True))
        elif key and len(by_key.get(key, ())) == 1:
            matches.append(NameMatch(name, next(iter(by_key[key])), "normalized"))
        elif key and len(by_key.get(key, ())) > 1:
            unmatched.append(Unmatched(name, tuple(sorted(by_key[key])), ambiguous=True))
        else:
            unmatched.append(Unmatched(name, closest_names(name, panel_ids)))
    return MatchReport(tuple(matches), tuple(unmatched))
