"""Shared fixtures: where the MNIST files live, and a non-interactive matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """$GLASSNET_DATA, else the shared data folder beside the checkout."""
    env = os.environ.get("GLASSNET_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the four MNIST IDX files; skips the test when they are absent."""
    path = data_root() / "mnist"
    if (
        not (path / "train-images-idx3-ubyte.gz").exists()
        and not (path / "train-images-idx3-ubyte").exists()
    ):
        pytest.skip(f"MNIST files not found in {path} (set GLASSNET_DATA)")
    return path
