"""Run code in a fresh Python on this checkout's glassnet, for what a test's own process
cannot show.

Import-time behaviour (what ``import glassnet`` loads, what loads on first use) is only
visible in an interpreter that has not imported anything yet, so these tests start one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import glassnet as gn

SRC = str(
    Path(gn.__file__).resolve().parents[1]
)  # this checkout's src/, not an installed copy


def run_fresh(*lines: str) -> subprocess.CompletedProcess[str]:
    """Run ``lines`` as one script in a new interpreter; a failed run fails the test."""
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(lines)],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done
