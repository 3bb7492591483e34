"""Shared fixtures: where the reference datasets live, a global seed, helpers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def datasets_root() -> Path:
    """The reference datasets the tests read: the copies shipped in the package."""
    from safetywashing.datasets.panels import reference_root

    return reference_root()


def shared_datasets_root() -> Path:
    """The independent copy: $SAFETYWASHING_DATASETS, else ../shared/datasets."""
    configured = os.environ.get("SAFETYWASHING_DATASETS")
    return Path(configured) if configured else (REPO_ROOT.parent / "shared" / "datasets")


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """Root of the packaged reference datasets (always present: they ship in the package)."""
    return datasets_root()


@pytest.fixture(scope="session")
def shared_datasets_dir() -> Path:
    """The independent copy of the reference datasets (may be absent)."""
    return shared_datasets_root()


@pytest.fixture(scope="session")
def paper_dir(datasets_dir: Path) -> Path:
    """The Safetywashing paper's released files (the packaged copy)."""
    return datasets_dir / "safetywashing-paper"


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every random test is reproducible."""
    return np.random.default_rng(12345)
