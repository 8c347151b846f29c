"""The network itself: its architecture and its order of computation.

``architecture`` is seed A's figure 2; ``computation_order`` is its figure 9, the
forward and backward steps in the order they run, with shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from glassnet.explain import blocks, steps
from glassnet.layers import Identity, Layer, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from glassnet.plots._common import ACTIVATION_COLORS, new_figure

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["architecture", "computation_order"]

_ACT_NAMES: tuple[tuple[type[Layer], str, str], ...] = (
    (ReLU, "relu", "ReLU"),
    (LeakyReLU, "leaky_relu", "leaky ReLU"),
    (Sigmoid, "sigmoid", "sigmoid"),
    (Tanh, "tanh", "tanh"),
    (Softmax, "softmax", "softmax"),
    (Identity, "identity", "linear"),
)


def _activation(acts: list[Layer]) -> tuple[str, str]:
    """(colour key, label) of a block's activation; the last one when several."""
    if not acts:
        return "identity", "linear"
    for cls, key, label in _ACT_NAMES:
        if isinstance(acts[-1], cls):
            return key, label
    return "identity", type(acts[-1]).__name__


def _shown(n: int, max_neurons: int) -> tuple[list[float], bool]:
    """Vertical positions of the neurons drawn for a width n; True when collapsed."""
    if n <= max_neurons:
        return list(np.arange(n) - (n - 1) / 2), False
    half = (max_neurons - 1) // 2
    top = np.arange(half) - max_neurons / 2 + 0.5
    return [*top, *(-top[::-1])], True


def architecture(
    model: Sequential, *, max_neurons: int = 12, title: str | None = None
) -> Figure:
    """Layers as columns of neurons, with widths, activations and parameter counts.

    A layer wider than ``max_neurons`` shows its first and last few neurons around a
    vertical ellipsis, with its true width written below, so networks of hundreds of
    neurons per layer stay legible. Neurons are coloured by activation (the colours
    of ``activation_functions``); the lines are the weights W[l].

    Returns:
        A Figure with one axes: one scatter collection of neurons per column (input
        first) and one LineCollection of weights per Dense layer.
    """
    if max_neurons < 3:
        raise ValueError(f"architecture needs max_neurons ≥ 3; got {max_neurons!r}.")
    bl = blocks(model)
    widths = [bl[0].n_in if bl and bl[0].n_in else 1] + [b.n_out or 1 for b in bl]
    columns = [_shown(n, max_neurons) for n in widths]
    fig = new_figure(max(4.5, 1.45 * len(widths) + 0.5), 4.4)
    ax = fig.add_subplot()
    ys_prev: list[float] = []
    for c, (ys, _) in enumerate(columns):
        if c > 0 and bl[c - 1].dense is not None:
            segments = [[(c - 1, a), (c, b)] for a in ys_prev for b in ys]
            alpha = float(np.clip(8 / np.sqrt(len(segments)), 0.08, 0.6))
            ax.add_collection(
                LineCollection(segments, colors="#555555", linewidths=0.5, alpha=alpha)
            )
        ys_prev = ys
    total = 0
    for c, (ys, collapsed) in enumerate(columns):
        if c == 0:
            color, label = "#bbbbbb", f"input\n{widths[0]} features"
        else:
            block = bl[c - 1]
            key, act = _activation(block.activations)
            color = ACTIVATION_COLORS[key]
            count = (
                0
                if block.dense is None
                else sum(W.size for W in block.dense.params.values())
            )
            total += count
            kind = "output" if c == len(columns) - 1 else f"layer {c}"
            unit = "neuron" if widths[c] == 1 else "neurons"
            label = f"{kind}\n{widths[c]} {unit}\n{act}\n{count:,} params"
        ax.scatter(
            np.full(len(ys), c),
            ys,
            s=140,
            color=color,
            edgecolors="black",
            linewidths=0.8,
            zorder=3,
        )
        if collapsed:
            ax.text(c, 0, "⋮", ha="center", va="center", fontsize=16, zorder=3)
        ax.text(c, -max_neurons / 2 - 0.6, label, ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(-max_neurons / 2 - 3.6, max_neurons / 2 + 0.5)
    ax.axis("off")
    arrows = " → ".join(str(n) for n in widths)
    ax.set_title(title or f"Network {arrows} ({total:,} parameters)")
    return fig


def computation_order(model: Sequential, m: int | None = None) -> Figure:
    """The order of one training step: forward down the left, backward up the right.

    Each box is one layer l with its equations and the shapes of what they compute
    (from ``glassnet.explain.steps``; ``m`` None writes the symbol m). Arrows show the
    order: A[0] = X, layer 1 … L, the loss, then layer L … 1 backwards; a dotted line
    joins the forward and backward box of the same layer, whose cached values the
    backward reads.

    Returns:
        A Figure with one axes holding 2·L + 2 boxed texts (input, L forward boxes,
        the loss, L backward boxes).
    """
    all_steps = [s for s in steps(model, m) if s.phase != "update"]
    L = len(blocks(model))

    def box(phase: str, layer: int) -> str:
        lines = []
        for s in all_steps:
            if s.phase == phase and s.layer == layer:
                shape = "" if not s.shape else "  " + _fmt(s.shape)
                mark = "  *" if s.note.startswith("with ") else ""
                lines.append(f"{s.text}{shape}{mark}")
        return "\n".join(lines)

    fig = new_figure(11.0, 1.4 * (L + 2) + 0.6)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(-(L + 1.5), 0.5)
    style: dict[str, Any] = {"family": "monospace", "fontsize": 7.5, "va": "center"}
    left = {"boxstyle": "round,pad=0.4", "fc": "#e8f0fa", "ec": "#1f77b4"}
    right = {"boxstyle": "round,pad=0.4", "fc": "#fdeee0", "ec": "#ff7f0e"}
    arrow = {"arrowstyle": "-|>", "color": "#444444", "lw": 1.0}
    xf, xb = 0.01, 0.5  # left edges of the forward and backward columns
    ax.text(xf, 0, box("forward", 0), bbox=left, **style)
    for l in range(1, L + 1):  # noqa: E741 — the seeds' l
        ax.text(xf, -l, f"forward, layer {l}\n" + box("forward", l), bbox=left, **style)
        ax.text(
            xb, -l, f"backward, layer {l}\n" + box("backward", l), bbox=right, **style
        )
        ax.annotate(
            "", (xf + 0.04, -l + 0.33), (xf + 0.04, -l + 0.72), arrowprops=arrow
        )
        if l < L:  # backward runs upwards: layer l + 1 hands dA[l] to layer l
            ax.annotate(
                "", (xb + 0.04, -l - 0.28), (xb + 0.04, -l - 0.62), arrowprops=arrow
            )
    loss_box = {"boxstyle": "round,pad=0.4", "fc": "#eeeeee", "ec": "#555555"}
    ax.text(0.3, -(L + 1), box("loss", L), bbox=loss_box, **style)
    ax.annotate("", (0.29, -(L + 1)), (xf + 0.04, -L - 0.3), arrowprops=arrow)
    ax.annotate("", (xb + 0.04, -L - 0.45), (0.45, -(L + 1)), arrowprops=arrow)
    where = "m samples" if m is None else f"m = {m}"
    ax.set_title(
        f"Forward (left, down) then backward (right, up) for a batch of {where}; "
        "* = fused output gradient with BCE/CE",
        fontsize=9,
    )
    return fig


def _fmt(shape: tuple[int | str, ...]) -> str:
    return (
        f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    )
