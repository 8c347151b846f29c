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


def test_the_runs_share_a_start_and_record_data_losses_every_epoch():
    X, y = fake_digits(300, 0)
    Xt, yt = fake_digits(100, 1)
    out = stdio.StringIO()
    runs = overfitting(X, y, Xt, yt, n_train=120, n_test=60, epochs=3, out=out)
    assert [r.name for r in runs] == list(REGULARISERS)
    for r in runs:
        assert {len(v) for v in r.curves.values()} == {3}
        assert r.gap == r.curves["test_loss"][-1] - r.curves["train_loss"][-1]
    # epoch 1's step losses start from the same weights and batches: the same
    # first loss, plus the penalty for L1; dropout's thinned network differs
    first = [r.history.step_loss[0] for r in runs]
    assert first[0] == first[1]
    l1 = runs[3]
    assert first[3] > first[0]
    assert first[2] != first[0]
    assert runs[2].dropout == (0.2, 0.5)
    assert l1.history.history["l1_penalty"][-1] > 0
    # the history's loss holds the penalty; the lesson's curves do not
    assert l1.history.history["loss"][-1] > l1.curves["train_loss"][-1]
    text = out.getvalue().splitlines()
    assert text[0].startswith("120 training images, 60 test images")
    assert [line.split()[0] for line in text[2:]] == ["plain", "L2", "dropout", "L1"]
    assert "Dropout 0.2 / 0.5" in text[4]


def test_the_dropout_network_starts_from_the_plain_weights_and_drops_only_in_fit():
    from glassnet.layers import Dropout
    from glassnet.overfitting import network

    plain, dropped = network(5), network(5, (0.2, 0.5))
    kinds = [type(layer).__name__ for layer in dropped.layers]
    assert kinds == ["Dropout", "Dense", "ReLU", "Dropout", "Dense", "Softmax"]
    assert [la.p for la in dropped.layers if isinstance(la, Dropout)] == [0.2, 0.5]
    for (_, a, _), (_, b, _) in zip(
        plain.parameters(), dropped.parameters(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    X = np.random.default_rng(0).uniform(size=(4, 784)).astype(np.float32)
    np.testing.assert_array_equal(plain.predict(X), dropped.predict(X))


def test_overfitting_figure_has_one_panel_per_run(tmp_path):
    from glassnet.plots.overfitting import overfitting_curves

    X, y = fake_digits(100, 2)
    runs = overfitting(X, y, X, y, n_train=50, n_test=50, epochs=2)
    fig = overfitting_curves(runs)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == [
        "plain: no penalty", "L2: weight_decay 0.01",
        "dropout: p 0.2 in, 0.5 hidden", "L1: λ = 0.0003",
    ]  # fmt: skip
    for ax, r in zip(fig.axes, runs, strict=True):
        assert ax.get_title().endswith(f"gap {r.gap:.3f}")
        np.testing.assert_allclose(ax.lines[1].get_ydata(), r.curves["test_loss"])
    gn.plots.save(fig, tmp_path / "o.png", dpi=30)
    assert (tmp_path / "o.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_overfitting_refuses_options_it_would_ignore(capsys):
    status, _ = run(["demo", "overfitting", "--lr", "0.1", "--batch-size", "5"])
    one_line_error(capsys, status, r"takes --n-samples.*got --batch-size, --lr")


MNIST = Path(os.environ.get("GLASSNET_DATA", "/nonexistent")) / "mnist"


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.is_dir(), reason="MNIST is not in $GLASSNET_DATA")
def test_on_mnist_the_plain_gap_opens_and_l2_dropout_and_l1_narrow_it(tmp_path):
    # the default seed and settings, as `glassnet demo overfitting` runs them
    status, text = run(["demo", "overfitting", "--plots", tmp_path])
    assert status == 0
    rows = {line.split()[0]: line.split() for line in text.splitlines()[3:7]}
    assert list(rows) == ["plain", "L2", "dropout", "L1"]
    gap = {name: float(row[-5]) for name, row in rows.items()}
    test_acc = {name: float(row[-3].rstrip("%")) for name, row in rows.items()}
    assert rows["plain"][-4] == "100.00%"  # learnt by heart
    assert float(rows["plain"][2]) < 0.01
    assert gap["plain"] > 1.2 * gap["L2"]
    assert gap["plain"] > 1.2 * gap["dropout"]
    assert gap["plain"] > 1.1 * gap["L1"]
    assert test_acc["dropout"] > test_acc["plain"]  # the narrower gap is real
    assert text.splitlines()[7].startswith(f"gap       plain {gap['plain']:.3f}")
    assert (tmp_path / "overfitting.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
