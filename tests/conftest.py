"""Fixtures shared by the tests: float64 by default where asked, seeded generators, the corpus."""

from pathlib import Path

import pytest
import torch

REPOSITORY = Path(__file__).resolve().parents[1]
CORPORA = REPOSITORY.parent / "shared" / "corpora"


@pytest.fixture
def generator() -> torch.Generator:
    """A torch.Generator with a fixed seed, so every run draws the same numbers."""
    return torch.Generator().manual_seed(187)


@pytest.fixture
def federalist() -> Path:
    """The Federalist Papers from ../shared/corpora; the test is skipped where it is absent."""
    path = CORPORA / "federalist.txt"
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (the shared/ folder beside the repository)")
    return path
