"""Inside recurrent networks: the hidden state over time, and RNN-vs-LSTM learning.

``hidden_states`` runs one sequence through each model's recurrent layer and draws
h_t (units × time) as a heatmap, models side by side, with the marked steps of the
adding problem drawn as lines: where a unit's colour changes at the first mark and
holds to the end, the network is remembering. ``memory_curves`` draws the test loss
of every run of ``glassnet.memory`` per epoch against the baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike, NDArray

from glassnet.layers import LSTM, RNN
from glassnet.model import Sequential
from glassnet.plots._common import new_figure

if TYPE_CHECKING:
    from glassnet.memory import SequenceRun

__all__ = ["hidden_states", "memory_curves"]

Array = NDArray[Any]

_COLORS = {"rnn": "#d62728", "lstm": "#1f77b4"}


def _states(model: Sequential, x: Array, what: str) -> Array:
    """h_1 … h_T (T, h) of the model's first layer, a RNN or LSTM, for one sequence."""
    layer = model.layers[0] if model.layers else None
    if not isinstance(layer, (RNN, LSTM)):
        raise ValueError(
            f"hidden_states draws the states of a recurrent first layer; {what} "
            f"starts with {layer!r}. Pass models that start with RNN or LSTM."
        )
    layer.forward(x[None].astype(model.dtype))
    H_all = layer.H_all  # the forward's cache [h_0 = 0, h_1 … h_T], (T + 1, m, h)
    assert H_all is not None  # set by the forward just made
    return np.array(H_all[1:, 0])


def hidden_states(
    models: Mapping[str, Sequential],
    x: ArrayLike,
    *,
    marked: Sequence[int] | None = None,
    title: str = "",
) -> Figure:
    """h_t of one sequence, units × time steps, one heatmap per model side by side.

    Above each heatmap the sequence's first feature (the numbers of the adding
    problem) is drawn as bars; the ``marked`` steps (by default, those where the
    second feature is 1, the adding problem's markers) are drawn as dashed lines
    through both. Every h_t lies in (−1, 1), so one colour scale serves all.

    Args:
        models: name → a trained Sequential whose first layer is RNN or LSTM.
        x: one sequence (T, n_in).
        marked: time steps (0-based) to mark; None reads them from x[:, 1].
        title: the figure's title.

    Returns:
        A Figure with, per model, an input strip above a heatmap, and a colour bar.
    """
    seq = np.asarray(x, dtype=np.float64)
    if seq.ndim != 2 or seq.shape[0] < 1:
        raise ValueError(
            f"hidden_states draws one sequence (T, n_in); got shape {seq.shape}. "
            "For a batch, pass one of its sequences: X[0]."
        )
    if not models:
        raise ValueError("hidden_states needs at least one model; got none.")
    if marked is None:
        marked = np.flatnonzero(seq[:, 1] > 0.5).tolist() if seq.shape[1] > 1 else []
    T = seq.shape[0]
    fig = new_figure(4.6 * len(models) + 0.8, 4.2)
    grid = fig.add_gridspec(2, len(models), height_ratios=(1, 4))
    image = None
    for k, (name, model) in enumerate(models.items()):
        H = _states(model, seq, repr(name))
        top = fig.add_subplot(grid[0, k])
        colors = ["#ff7f0e" if t in marked else "#bbbbbb" for t in range(T)]
        top.bar(np.arange(T), seq[:, 0], color=colors, width=0.9)
        top.set(xlim=(-0.5, T - 0.5), xticks=[], title=name)
        top.set_ylabel("$x_t$", fontsize="small")
        ax = fig.add_subplot(grid[1, k])
        image = ax.imshow(
            H.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest"
        )
        for t in marked:
            for a in (top, ax):
                a.axvline(t, color="#ff7f0e", linestyle="--", linewidth=1)
        ax.set(xlabel="time step t", ylabel="hidden unit")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    assert image is not None  # at least one panel was drawn
    fig.colorbar(image, ax=fig.axes, shrink=0.8, label="$h_t$")
    fig.suptitle(title or "Hidden state over time (marked steps dashed)")
    return fig


def memory_curves(runs: Sequence[SequenceRun]) -> Figure:
    """Test loss per epoch of each run, one panel per sequence length T.

    Each panel has one curve per cell (RNN red, LSTM blue) and the baseline of
    always predicting the mean sum as a dashed line: a curve that stays on the
    baseline has learnt nothing the mean did not know.
    """
    if not runs:
        raise ValueError("memory_curves needs at least one run; got none.")
    lengths = sorted({r.length for r in runs})
    fig = new_figure(4.0 * len(lengths), 3.4)
    first = None
    for k, T in enumerate(lengths):
        ax = fig.add_subplot(1, len(lengths), k + 1, sharey=first)
        first = first or ax
        for run in (r for r in runs if r.length == T):
            epochs = np.arange(1, len(run.test_loss) + 1)
            ax.plot(epochs, run.test_loss, marker=".", label=run.cell.upper(),
                    color=_COLORS.get(run.cell))  # fmt: skip
            baseline = run.baseline_loss
        ax.axhline(baseline, color="#7f7f7f", linestyle="--", label="baseline (mean)")
        ax.set(title=f"T = {T}", xlabel="epoch", ylabel="test loss ½·MSE",
               yscale="log")  # fmt: skip
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle("The adding problem: RNN against LSTM")
    return fig
