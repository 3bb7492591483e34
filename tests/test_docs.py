"""Every command is documented in the README, and the README's claims about it hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetywashing.cli.app import _register, app

README = Path(__file__).resolve().parents[1] / "README.md"


def command_names() -> list[str]:
    _register()
    names = [command.name or "" for command in app.registered_commands]
    names += [group.name or "" for group in app.registered_groups]
    return sorted(set(names))


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"safetywashing {name}" in README.read_text(encoding="utf-8")


def test_readme_quickstart_names_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quickstart = text[text.index("## Quickstart") :]
    assert "./dev audit" in quickstart and "./dev test" in quickstart
