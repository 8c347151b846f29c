"""The over-fitting curves: train and test loss of each run, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from glassnet.plots._common import new_figure

if TYPE_CHECKING:
    from glassnet.overfitting import OverfittingRun

__all__ = ["overfitting_curves"]


def overfitting_curves(runs: Sequence[OverfittingRun]) -> Figure:
    """One panel per run: training and test data loss against epochs, the gap shaded.

    The panels share their y axis, so the gap between the curves compares across
    the runs (plain, L2, dropout, L1 of ``glassnet.overfitting``); each panel's
    title gives the final gap.
    """
    if not runs:
        raise ValueError("overfitting_curves needs at least one run; got none.")
    fig = new_figure(4.0 * len(runs), 3.6)
    fig.suptitle("Over-fitting a small training set, and regularisation")
    first = None
    for k, run in enumerate(runs):
        ax = fig.add_subplot(1, len(runs), k + 1, sharey=first)
        first = first or ax
        train = np.asarray(run.curves["train_loss"])
        test = np.asarray(run.curves["test_loss"])
        epochs = np.arange(1, train.size + 1)
        ax.plot(epochs, train, color="#1f77b4", label="training loss")
        ax.plot(epochs, test, color="#d62728", label="test loss")
        ax.fill_between(epochs, train, test, color="#d62728", alpha=0.12, label="gap")
        setting = (
            f"weight_decay {run.weight_decay:g}" if run.weight_decay
            else f"λ = {run.l1:g}" if run.l1
            else "p {:g} in, {:g} hidden".format(*run.dropout) if any(run.dropout)
            else "no penalty"
        )  # fmt: skip
        ax.set(title=f"{run.name}: {setting}\ngap {run.gap:.3f}", xlabel="epoch",
               ylabel="cross-entropy (data)")  # fmt: skip
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return fig
