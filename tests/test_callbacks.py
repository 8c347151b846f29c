"""glassnet.callbacks: LivePlot is reached through it, matplotlib loaded only then."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import glassnet as gn

SRC = str(Path(gn.__file__).resolve().parents[1])  # this checkout's glassnet


def test_liveplot_is_loaded_from_the_plots_only_when_asked_for() -> None:
    code = "\n".join(
        [
            "import sys",
            "import glassnet as gn",
            "import glassnet.callbacks",
            "assert 'matplotlib' not in sys.modules, 'imported by glassnet'",
            "assert 'glassnet.plots.live' not in sys.modules",
            "from glassnet.callbacks import LivePlot",
            "from glassnet.plots.live import LivePlot as defined",
            "assert LivePlot is defined is gn.callbacks.LivePlot",
            "assert issubclass(LivePlot, gn.callbacks.Callback)",
            "print('matplotlib' in sys.modules)",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"  # loaded at the first use, not before


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'LivePlots'"):
        _ = gn.callbacks.LivePlots  # type: ignore[attr-defined]
    assert not hasattr(gn.callbacks, "NoSuchCallback")
