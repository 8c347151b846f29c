"""RNN against LSTM on the adding problem: runs, table, figures, command."""

from __future__ import annotations

import io as stdio

import numpy as np
import pytest
from tests.cli_support import one_line_error, run

from glassnet.layers import LSTM, RNN
from glassnet.memory import LENGTHS, TOLERANCE, memory, sequence_model

PNG = b"\x89PNG\r\n\x1a\n"
TINY = {"n_train": 60, "n_test": 40, "epochs": 2, "n_hidden": 4, "batch_size": 20}


def test_sequence_model_puts_the_cell_before_a_dense_head():
    lstm, rnn = sequence_model("lstm", 7, n_hidden=3), sequence_model("rnn", 7)
    assert isinstance(lstm.layers[0], LSTM)
    assert isinstance(rnn.layers[0], RNN)
    assert lstm.shapes == [(7, 2), (3,), (1,)]
    with pytest.raises(ValueError, match="one of rnn, lstm; got 'gru'"):
        sequence_model("gru", 7)


@pytest.fixture(scope="module")
def tiny():
    """Runs of both cells on T = 4 and 6, and the table they printed."""
    out = stdio.StringIO()
    return memory(lengths=(4, 6), out=out, **TINY), out.getvalue()


def test_memory_runs_each_cell_per_length_and_prints_one_row_each(tiny):
    runs, text = tiny
    assert [(r.length, r.cell) for r in runs] == [
        (4, "rnn"), (4, "lstm"), (6, "rnn"), (6, "lstm")
    ]  # fmt: skip
    for r in runs:
        assert len(r.test_loss) == 2  # one per epoch
        assert r.r2 == pytest.approx(1 - r.test_loss[-1] / r.baseline_loss)
        assert r.learnt == (r.r2 > 0.5)
        assert 0 <= r.accuracy <= 1
    # one length's runs share the data, so its baseline
    assert runs[0].baseline_loss == runs[1].baseline_loss
    assert runs[0].baseline_loss != runs[2].baseline_loss
    lines = text.splitlines()
    assert f"|ŷ − y| < {TOLERANCE:g}" in lines[0]
    assert [line.split()[:2] for line in lines[2:]] == [
        ["4", "rnn"], ["4", "lstm"], ["6", "rnn"], ["6", "lstm"]
    ]  # fmt: skip
    # the printed test loss is the recorded one
    assert float(lines[3].split()[3]) == pytest.approx(runs[1].test_loss[-1], abs=1e-4)


def test_memory_is_deterministic_for_a_seed_and_changes_with_it():
    a = memory(lengths=(5,), seed=3, **TINY)
    b = memory(lengths=(5,), seed=3, **TINY)
    c = memory(lengths=(5,), seed=4, **TINY)
    assert [r.test_loss for r in a] == [r.test_loss for r in b]
    for ra, rb in zip(a, b, strict=True):
        for (_, wa, _), (_, wb, _) in zip(
            ra.model.parameters(), rb.model.parameters(), strict=True
        ):
            np.testing.assert_array_equal(wa, wb)
    assert [r.test_loss for r in a] != [r.test_loss for r in c]


def test_hidden_states_figure_draws_every_step_of_each_model(tiny, tmp_path):
    from glassnet.datasets import make_adding
    from glassnet.plots import save
    from glassnet.plots.recurrent import hidden_states

    runs = tiny[0][2:]  # T = 6
    X, _ = make_adding(1, 6, seed=0)
    fig = hidden_states({r.cell: r.model for r in runs}, X[0])
    heatmaps = [ax for ax in fig.axes if ax.images]
    assert len(heatmaps) == 2  # RNN and LSTM side by side
    for ax, r in zip(heatmaps, runs, strict=True):
        H = ax.images[0].get_array()
        assert H.shape == (4, 6)  # units × time steps
        # the picture is the layer's h_t, not something else of that shape
        layer = r.model.layers[0]
        layer.return_sequences = True
        expected = layer.forward(X)[0].T
        layer.return_sequences = False
        np.testing.assert_allclose(H, expected, rtol=1e-6)
        marks = [line.get_xdata()[0] for line in ax.lines]
        assert sorted(marks) == np.flatnonzero(X[0, :, 1]).tolist()
    path = save(fig, tmp_path / "h.png", dpi=40)
    assert path.read_bytes()[:8] == PNG


def test_hidden_states_refuses_a_model_without_a_recurrent_first_layer():
    from glassnet.layers import Dense
    from glassnet.model import Sequential
    from glassnet.plots.recurrent import hidden_states

    with pytest.raises(ValueError, match="starts with Dense"):
        hidden_states({"mlp": Sequential([Dense(2, 1)])}, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"one sequence \(T, n_in\)"):
        hidden_states({"x": sequence_model("rnn", 3)}, np.zeros((1, 3, 2)))


def test_memory_curves_have_one_panel_per_length_and_a_curve_per_cell(tiny):
    from glassnet.plots.recurrent import memory_curves

    runs = tiny[0]
    fig = memory_curves(runs)
    assert [ax.get_title() for ax in fig.axes] == ["T = 4", "T = 6"]
    first = fig.axes[0]
    assert [line.get_label() for line in first.lines] == [
        "RNN",
        "LSTM",
        "baseline (mean)",
    ]
    np.testing.assert_allclose(first.lines[1].get_ydata(), runs[1].test_loss)


def test_demo_rnn_prints_the_table_and_writes_its_figures(tmp_path, monkeypatch):
    import glassnet.cli.cmd_rnn as cmd

    monkeypatch.setattr(cmd, "LENGTHS", (4, 6))
    status, text = run(["demo", "rnn", "--epochs", "1", "--n-samples", "40",
                        "--plots", tmp_path, "--dpi", "30"])  # fmt: skip
    assert status == 0
    lines = text.splitlines()
    assert lines[0].startswith("demo rnn — the adding problem")
    assert "40 training sequences" in lines[1]
    assert [line.split()[:2] for line in lines[4:8]] == [
        ["4", "rnn"], ["4", "lstm"], ["6", "rnn"], ["6", "lstm"]
    ]  # fmt: skip
    assert lines[8].startswith("at T = 6: the RNN")
    for name in ("hidden_states.png", "memory_curves.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG


def test_demo_rnn_refuses_options_it_would_ignore(capsys):
    status, _ = run(["demo", "rnn", "--optimizer", "sgd", "--quiet"])
    one_line_error(capsys, status, r"demo rnn takes .*got --optimizer, --quiet")


@pytest.mark.slow
def test_at_the_default_length_only_the_lstm_learns_the_sum():
    out = stdio.StringIO()
    runs = {(r.length, r.cell): r for r in memory(out=out)}
    short, long = LENGTHS
    assert runs[short, "rnn"].r2 > 0.5  # short sequences: both learn
    assert runs[short, "lstm"].r2 > 0.9
    assert runs[long, "rnn"].r2 < 0.2  # long ones: the RNN stays at the baseline
    assert runs[long, "lstm"].r2 > 0.9
    assert runs[long, "lstm"].accuracy > 4 * runs[long, "lstm"].baseline_accuracy
