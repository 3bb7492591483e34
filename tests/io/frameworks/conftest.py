"""Shared fixtures: the committed example files and the generated Inspect archives."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_inspect_fixtures", FIXTURES / "make_inspect_fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builder = _load_builder()


@pytest.fixture
def fixtures() -> Path:
    """The committed fixture folder."""
    return FIXTURES


@pytest.fixture
def eval_logs(tmp_path: Path) -> dict[str, Path]:
    """The well-formed (and the unfinished or cancelled) ``.eval`` archives."""
    built: dict[str, Path] = builder.build_all(tmp_path / "logs")
    return built


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Hostile archives, with the member cap lowered to 1 MB so the bombs stay small."""
    from safetywashing.io.frameworks import _safe

    monkeypatch.setattr(_safe, "MAX_MEMBER_BYTES", 1_000_000)
    made: dict[str, Path] = builder.build_hostile(tmp_path / "hostile", bomb_size=5_000_000)
    return made
