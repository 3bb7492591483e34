"""Shared fixtures: where the reference datasets live, a global seed, helpers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def datasets_root() -> Path:
    """The reference datasets: $SAFETYWASHING_DATASETS, else ../shared/datasets."""
    configured = os.environ.get("SAFETYWASHING_DATASETS")
    return Path(configured) if configured else (REPO_ROOT.parent / "shared" / "datasets")


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """Root of the reference datasets; skips (with the reason) only when absent."""
    root = datasets_root()
    if not root.is_dir():
        pytest.skip(
            f"reference datasets not found at {root}; set SAFETYWASHING_DATASETS to the "
            "shared/datasets folder"
        )
    return root


@pytest.fixture(scope="session")
def paper_dir(datasets_dir: Path) -> Path:
    """The Safetywashing paper's released files."""
    folder = datasets_dir / "safetywashing-paper"
    if not folder.is_dir():
        pytest.skip(f"the paper's data is not at {folder}")
    return folder


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every random test is reproducible."""
    return np.random.default_rng(12345)
