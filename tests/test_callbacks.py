"""glassnet.callbacks: LivePlot is reached through it, matplotlib loaded only then."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def test_a_validation_callback_of_the_users_reaches_the_history_as_validation_data():
    # Keras habit: the validation as a callback; fit measures it before the History
    X = np.array([[1.0], [2.0]])

    def run(**kwargs):
        model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
        return model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
                         verbose=0, **kwargs).history  # fmt: skip

    by_argument = run(validation_data=(X, 2 * X))
    by_callback = run(callbacks=[gn.Validation(X, 2 * X)])
    assert by_callback == by_argument
    assert len(by_callback["val_loss"]) == 2
