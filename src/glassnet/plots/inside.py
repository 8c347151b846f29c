"""Inside the network: histograms of each layer's weights, activations, gradients.

They show vanishing or exploding gradients at a glance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.explain import blocks
from glassnet.layers import Dense
from glassnet.losses import Loss
from glassnet.plots._common import new_figure

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["layer_histograms", "layer_statistics"]

Array = NDArray[Any]


def layer_statistics(
    model: Sequential, X: ArrayLike, Y: ArrayLike, loss: Loss
) -> list[dict[str, Array]]:
    """Copies of W[l], A[l] and dW[l] for each layer l = 1..L on the batch (X, Y).

    Runs one forward pass (recording each layer's output A[l]) and one backward pass
    (``loss_and_gradients``), which leaves the gradients in the layers but changes
    no weight.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Tanh(),
    ...                        gn.Dense(3, 1, rng=1), gn.Sigmoid()])
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([0, 1])
    >>> stats = gn.plots.layer_statistics(model, X, y, gn.BinaryCrossEntropy())
    >>> [{key: value.shape for key, value in layer.items()} for layer in stats]
    [{'A': (2, 3), 'W': (3, 2), 'dW': (3, 2)}, {'A': (2, 1), 'W': (1, 3), 'dW': (1, 3)}]
    """
    groups = blocks(model)
    A = np.asarray(X, dtype=model.dtype)
    outputs: list[Array] = []
    layers = model.layers
    for i, layer in enumerate(layers):
        A = layer.forward(A)
        # a seeds' layer ends before the next Dense (or at the end of the model)
        if i + 1 == len(layers) or isinstance(layers[i + 1], Dense):
            outputs.append(np.array(A, copy=True))  # copy: layers may reuse buffers
    outputs = outputs[-len(groups) :]
    model.loss_and_gradients(X, Y, loss)
    stats = []
    for block, out in zip(groups, outputs, strict=True):
        entry = {"A": out}
        if block.dense is not None:
            entry["W"] = block.dense.W.copy()
            entry["dW"] = block.dense.dW.copy()
        stats.append(entry)
    return stats


def layer_histograms(
    model: Sequential,
    X: ArrayLike,
    Y: ArrayLike,
    loss: Loss,
    *,
    bins: int = 40,
    step: int | None = None,
) -> Figure:
    """Histograms of W[l], A[l] and dW[l], one row per layer, on one batch (X, Y).

    Each panel's title gives the standard deviation: weight-gradient spreads that
    shrink layer after layer towards the input show vanishing gradients; spreads that
    grow show exploding ones. Call it from ``EveryNSteps`` to look during training.

    Args:
        model: the network (its weights are not changed).
        X: a batch of inputs.
        Y: their targets.
        loss: the loss whose gradients are shown.
        bins: bins per histogram.
        step: the training step, for the title.

    Returns:
        A Figure with three axes per layer (weights, activations, gradients).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Tanh(),
    ...                        gn.Dense(3, 1, rng=1), gn.Sigmoid()])
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([0, 1])
    >>> fig = gn.plots.layer_histograms(model, X, y, gn.BinaryCrossEntropy(), bins=5)
    >>> fig.get_suptitle(), len(fig.axes)  # 2 layers × (W, A, dW)
    ('Inside the network (batch of 2)', 6)
    """
    stats = layer_statistics(model, X, Y, loss)
    L = len(stats)
    fig = new_figure(9.0, 1.6 * L + 0.8)
    at = "" if step is None else f" at step {step}"
    fig.suptitle(f"Inside the network{at} (batch of {np.shape(X)[0]})")
    columns = (
        ("W", "weights W", "#1f77b4"),
        ("A", "activations A", "#2ca02c"),
        ("dW", "gradients dW", "#d62728"),
    )
    for l, entry in enumerate(stats, start=1):  # noqa: E741 — the seeds' l
        for c, (key, name, color) in enumerate(columns):
            ax = fig.add_subplot(L, 3, 3 * (l - 1) + c + 1)
            values = entry.get(key)
            if values is None:
                ax.axis("off")
                continue
            v = np.asarray(values, dtype=np.float64).ravel()
            v = v[np.isfinite(v)]
            ax.hist(v, bins=bins, color=color, alpha=0.85)
            ax.set_title(f"{name}[{l}]  std {v.std():.2e}", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.locator_params(axis="x", nbins=5)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
            if c == 0:
                ax.set_ylabel("count", fontsize=8)
    return fig
