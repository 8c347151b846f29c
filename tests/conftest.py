"""Shared fixtures: where the MNIST files live, and a non-interactive matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """$GLASSNET_DATA, else the nearest shared/data folder above the checkout."""
    env = os.environ.get("GLASSNET_DATA")
    if env:
        return Path(env)
    # shared/ lies beside the checkout (CI, main) or a level higher (worktrees).
    for folder in REPO.parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return REPO.parent / "shared" / "data"


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
