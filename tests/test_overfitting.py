"""The over-fitting lesson: its three runs, what it records, its command."""

from __future__ import annotations

import io as stdio
import os
from pathlib import Path

import numpy as np
import pytest
from tests.cli_support import one_line_error, run

import glassnet as gn
from glassnet.overfitting import REGULARISERS, overfitting


def fake_digits(m: int, seed: int):
    """784-pixel 'images' whose class is readable from a few pixels, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, size=m)
    X = rng.uniform(0, 0.3, size=(m, 784)).astype(np.float32)
    X[np.arange(m), y * 7] += 0.7
    return X, y


def test_three_runs_share_a_start_and_record_data_losses_every_epoch():
    X, y = fake_digits(300, 0)
    Xt, yt = fake_digits(100, 1)
    out = stdio.StringIO()
    runs = overfitting(X, y, Xt, yt, n_train=120, n_test=60, epochs=3, out=out)
    assert [r.name for r in runs] == list(REGULARISERS)
    for r in runs:
        assert {len(v) for v in r.curves.values()} == {3}
        assert r.gap == r.curves["test_loss"][-1] - r.curves["train_loss"][-1]
    # epoch 1's step losses start from the same weights and batches: the same
    # first loss, plus the penalty for L1
    first = [r.history.step_loss[0] for r in runs]
    assert first[0] == first[1]
    l1 = runs[2]
    assert first[2] > first[0]
    assert l1.history.history["l1_penalty"][-1] > 0
    # the history's loss holds the penalty; the lesson's curves do not
    assert l1.history.history["loss"][-1] > l1.curves["train_loss"][-1]
    text = out.getvalue().splitlines()
    assert text[0].startswith("120 training images, 60 test images")
    assert [line.split()[0] for line in text[2:]] == ["plain", "L2", "L1"]


def test_overfitting_figure_has_one_panel_per_run(tmp_path):
    from glassnet.plots.overfitting import overfitting_curves

    X, y = fake_digits(100, 2)
    runs = overfitting(X, y, X, y, n_train=50, n_test=50, epochs=2)
    fig = overfitting_curves(runs)
    assert [ax.get_title() for ax in fig.axes] == [
        "plain: no penalty", "L2: weight_decay 0.01", "L1: λ = 0.0003"
    ]  # fmt: skip
    gn.plots.save(fig, tmp_path / "o.png")
    assert (tmp_path / "o.png").stat().st_size > 0


def test_demo_overfitting_refuses_options_it_would_ignore(capsys):
    status, _ = run(["demo", "overfitting", "--lr", "0.1", "--batch-size", "5"])
    one_line_error(capsys, status, r"takes --n-samples.*got --batch-size, --lr")


MNIST = Path(os.environ.get("GLASSNET_DATA", "/nonexistent")) / "mnist"


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.is_dir(), reason="MNIST is not in $GLASSNET_DATA")
def test_on_mnist_the_plain_gap_opens_and_the_penalties_narrow_it(tmp_path):
    status, text = run(["demo", "overfitting", "--plots", tmp_path])
    assert status == 0
    rows = {line.split()[0]: line.split() for line in text.splitlines()[3:6]}
    gap = {name: float(row[6]) for name, row in rows.items()}
    assert rows["plain"][7] == "100.00%"  # learnt by heart
    assert float(rows["plain"][2]) < 0.01
    assert gap["plain"] > 1.2 * gap["L2"]
    assert gap["plain"] > 1.1 * gap["L1"]
    assert (tmp_path / "overfitting.png").is_file()
