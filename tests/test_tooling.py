"""The code stays lint-clean, formatted and type-checked (skips without a tool)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "examples", "scripts"]


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    existing = [p for p in PATHS if (REPO / p).exists()]
    return subprocess.run(
        [*cmd, *existing] if cmd[-1] != "src" else list(cmd),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
def test_ruff_check_is_clean():
    result = run("ruff", "check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
def test_ruff_format_is_clean():
    result = run("ruff", "format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_on_the_package_is_clean():
    pytest.importorskip("mypy")
    result = run(sys.executable, "-m", "mypy", "src")
    assert result.returncode == 0, result.stdout + result.stderr
