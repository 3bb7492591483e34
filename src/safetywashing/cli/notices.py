"""Warnings about the user's data, as the command line prints them: one line each.

:func:`~safetywashing.cli.app.main` routes Python warnings to :data:`WARNINGS` while a
command runs (and restores the previous handler after it); ``--verbose`` makes it print
every warning in full.
"""

from __future__ import annotations

import re
import sys

from safetywashing.core.errors import InputNotice, InputWarning, name_list

_PER_MODEL = re.compile(r"Model '(?P<model>.+?)' \((?P<cls>[^)]*)\) (?P<rest>.*)", re.S)
_KINDS = (
    ("is left out of the capability score", "are left out of the capability score"),
    ("imputed capability value", "have imputed capability values"),
)
_SHOWN = 3


class WarningLines:
    """Warnings about the user's data, one line each, on stderr.

    Warnings that name one model each (a model left out of the capability score, a
    model with imputed values) are held back and printed as one line per kind and
    class, with a count and the first names, when the command ends (all of them with
    ``--verbose``; all are in the JSON output's ``warnings`` anyway).
    """

    def __init__(self) -> None:
        self.verbose = False
        self.held: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def show(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: object = None,
        line: str | None = None,
    ) -> None:
        """Print one warning (the signature of :func:`warnings.showwarning`)."""
        from safetywashing.report.text import escaped

        text = escaped(str(message))
        if issubclass(category, InputNotice):
            if not self.verbose:  # --verbose: the command prints the notes in full
                print(f"note: {text}", file=sys.stderr)
        elif issubclass(category, InputWarning):
            match = _PER_MODEL.fullmatch(text)
            kind = next((k for k, _ in _KINDS if match and k in match["rest"]), None)
            if match is None or kind is None or self.verbose:
                print(f"warning: {text}", file=sys.stderr)
                return
            self.held.setdefault((kind, match["cls"]), []).append((match["model"], text))
        else:
            print(f"{category.__name__}: {text}", file=sys.stderr)

    def flush(self) -> None:
        """Print the held warnings: one line per kind and class (or each, if only one)."""
        plural = dict(_KINDS)
        for (kind, model_class), items in self.held.items():
            if len(items) == 1 or self.verbose:
                for _, text in items:
                    print(f"warning: {text}", file=sys.stderr)
                continue
            names = name_list([model for model, _ in items], limit=_SHOWN)
            print(
                f"warning: {len(items)} {model_class} models {plural[kind]}: {names} "
                "(each with its reason in the JSON output's warnings; --verbose prints them).",
                file=sys.stderr,
            )
        self.held.clear()


WARNINGS = WarningLines()
