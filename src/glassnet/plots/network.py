"""The network itself: its architecture and its order of computation.

``architecture`` is seed A's figure 2; ``computation_order`` is its figure 9, the
forward, loss, backward and update steps in the order they run, with shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from numpy.typing import NDArray

from glassnet.explain import blocks, input_layers, steps
from glassnet.layers import Identity, Layer, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from glassnet.plots._common import ACTIVATION_COLORS, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from glassnet.explain import Step
    from glassnet.losses import Loss
    from glassnet.model import Sequential

__all__ = ["architecture", "computation_order"]

Array = NDArray[Any]

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
    of ``activation_functions``); the lines are the weights W[l]. Column l is the
    seeds' layer l of ``model.summary()``: layers without parameters before the
    first Dense (a Standardize) are part of the input column, named under it.

    Returns:
        A Figure with one axes: one scatter collection of neurons per column (input
        first) and one LineCollection of weights per Dense layer.

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Tanh(),
    ...                        gn.Dense(3, 1, rng=1), gn.Sigmoid()])
    >>> fig = gn.plots.architecture(model)
    >>> fig.axes[0].get_title()  # (2·3 + 3) + (3·1 + 1) parameters
    'Network 2 → 3 → 1 (13 parameters)'
    """
    if max_neurons < 3:
        raise ValueError(f"architecture needs max_neurons ≥ 3; got {max_neurons!r}.")
    bl = blocks(model)
    prepared = "".join(f"\n{type(layer).__name__}" for layer in input_layers(model))
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
            color, label = "#bbbbbb", f"input\n{widths[0]} features{prepared}"
        else:
            block = bl[c - 1]
            key, act = _activation(block.activations)
            color = ACTIVATION_COLORS[key]
            # every parameter of layer l: its W[l], b[l], or an RNN's four weights
            count = sum(
                W.size
                for layer in (block.map, *block.activations)
                if layer is not None
                for W in layer.params.values()
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


# monospace text at this size: the width of a character and the height of a line,
# in inches, to size the boxes and the canvas around what they hold
_FONT = 8.0
_CHAR_W = 0.62 * _FONT / 72  # DejaVu Sans Mono is 0.602 em wide, plus hinting
_LINE_H = 1.25 * _FONT / 72
_PAD = 0.12  # inches between a box's text and its edge

_Key = tuple[str, int]  # a box: (phase, row); row l is layer l, L + 1 the loss
_Anchor = tuple[float, float, float, float]  # a drawn box's x, top y, width, height
_PHASES = ("forward", "backward", "update")  # the columns, left to right
# inches: between the columns, between the rows, around the canvas, for the title
_GAP, _ROW_GAP, _MARGIN, _TITLE_H = 0.55, 0.32, 0.15, 0.55
_COLOURS = {  # (face, edge) of a phase's boxes
    "forward": ("#e8f0fa", "#1f77b4"),
    "backward": ("#fdeee0", "#ff7f0e"),
    "update": ("#e6f4e6", "#2ca02c"),
    "loss": ("#eeeeee", "#555555"),
}


def _one_output_gradient(lines: list[Any], loss: Loss | None) -> list[Any]:
    """The backward steps of the last layer with one formula for dZ[L].

    ``explain.steps`` lists both the chain rule (dA[L], then dZ[L] from it) and the
    fused gradient (A[L] − Y)/m that replaces them with the matching cross-entropy.
    The fused one is kept when ``loss`` is that cross-entropy, or when no loss is
    given and the output allows it (a sigmoid or softmax is almost always trained
    with its cross-entropy); otherwise the chain rule.
    """
    fused = [i for i, st in enumerate(lines) if st.note.startswith("with ")]
    if not fused:
        return lines
    i = fused[0]
    matching = loss is None or type(loss).__name__ in lines[i].note
    if matching:  # drop dA[L] = dL/dA[L] and the chain-rule dZ[L] before it
        return [st for j, st in enumerate(lines) if j == i or not j < i]
    return [st for j, st in enumerate(lines) if j != i]


def _step_lines(
    all_steps: list[Step], phase: str, layer: int, L: int, loss: Loss | None
) -> list[str]:
    """The lines of layer ``layer``'s box in ``phase``: each step with its shape."""
    chosen = [s for s in all_steps if s.phase == phase and s.layer == layer]
    if phase == "backward" and layer == L:
        chosen = _one_output_gradient(chosen, loss)
    out: list[str] = []
    for st in chosen:
        shape = "" if not st.shape else "  " + _fmt(st.shape)
        if st.phase == "update":  # "W := …,  b := …" on two lines
            out.extend(part.strip() for part in st.text.split(",  "))
        else:
            out.append(f"{st.text}{shape}")
    return out


def _box_texts(
    all_steps: list[Step], L: int, loss: Loss | None
) -> dict[_Key, list[str]]:
    """Every box's lines, in drawing order: input, each layer's three, the loss."""
    boxes = {("forward", 0): _step_lines(all_steps, "forward", 0, L, loss)}
    for l in range(1, L + 1):  # noqa: E741 — the seeds' l
        for phase in _PHASES:
            lines = _step_lines(all_steps, phase, l, L, loss)
            boxes[phase, l] = [f"{phase}, layer {l}", *lines]
    loss_lines = [s.text for s in all_steps if s.phase == "loss"]
    if loss is not None:
        loss_name = type(loss).__name__
        loss_lines = [t.replace("loss(", f"{loss_name}(") for t in loss_lines]
    boxes["loss", L + 1] = loss_lines
    return boxes


def _box_height(lines: list[str]) -> float:
    """The height of a box holding ``lines``, in inches."""
    return len(lines) * _LINE_H + 2 * _PAD


def _column_width(boxes: dict[_Key, list[str]], phase: str) -> float:
    """The width of a column: its widest line, in inches."""
    chars = max(len(t) for (ph, _), ls in boxes.items() if ph == phase for t in ls)
    return chars * _CHAR_W + 2 * _PAD


class _Layout(NamedTuple):
    """Where the boxes go, in inches: the columns' left edges and widths, rows' tops."""

    col_x: dict[str, float]
    col_w: dict[str, float]
    tops: Array  # the top of each row: the input, layers 1 … L, the loss
    total_w: float
    total_h: float


def _layout(boxes: dict[_Key, list[str]], L: int) -> _Layout:
    """Columns as wide as their widest line; rows as tall as their tallest box."""
    col_w = {phase: _column_width(boxes, phase) for phase in _PHASES}
    col_x = {"forward": _MARGIN}
    col_x["backward"] = col_x["forward"] + col_w["forward"] + _GAP
    col_x["update"] = col_x["backward"] + col_w["backward"] + _GAP
    total_w = col_x["update"] + col_w["update"] + _MARGIN
    row_h = [_box_height(boxes["forward", 0])]
    for l in range(1, L + 1):  # noqa: E741
        row_h.append(max(_box_height(boxes[ph, l]) for ph in _PHASES))
    row_h.append(_box_height(boxes["loss", L + 1]))
    tops = np.concatenate([[0.0], -np.cumsum(np.array(row_h) + _ROW_GAP)[:-1]])
    total_h = -tops[-1] + row_h[-1]
    return _Layout(col_x, col_w, tops, total_w, total_h)


def _draw_boxes(
    ax: Axes, boxes: dict[_Key, list[str]], layout: _Layout
) -> dict[_Key, _Anchor]:
    """Draw each box's text in its rounded frame; return where each box lies."""
    col_x, col_w = layout.col_x, layout.col_w
    anchors: dict[_Key, _Anchor] = {}
    for key, text in boxes.items():
        phase, row = key
        w = len(max(text, key=len)) * _CHAR_W + 2 * _PAD
        if phase == "loss":  # between the columns, left of the backward arrow
            centre = (col_x["forward"] + col_x["backward"] + col_w["backward"] - w) / 2
            x = max(_MARGIN, min(centre, col_x["backward"] - 0.1 - w))
        else:
            x = col_x[phase]
        y = layout.tops[row]
        fc, ec = _COLOURS[phase]
        ax.text(
            x + _PAD,
            y - _PAD,
            "\n".join(text),
            family="monospace",
            fontsize=_FONT,
            va="top",
            ha="left",
            linespacing=1.25 / 1.2,
            bbox={"boxstyle": f"round,pad={_PAD * 72 / _FONT:.2f}", "fc": fc, "ec": ec},
        )
        anchors[key] = (x, y, w, _box_height(text))
    return anchors


def _bottom(anchor: _Anchor) -> tuple[float, float]:
    """Where an arrow leaves or meets a box's bottom edge."""
    x, y, _w, h = anchor
    return x + 0.3, y - h


def _top(anchor: _Anchor) -> tuple[float, float]:
    """Where an arrow leaves or meets a box's top edge."""
    x, y, _w, _h = anchor
    return x + 0.3, y


def _draw_arrows(ax: Axes, anchors: dict[_Key, _Anchor], L: int) -> None:
    """The order of computation: down the forward pass, up the backward, across."""
    arrow = {"arrowstyle": "-|>", "color": "#444444", "lw": 1.0}
    soft = {"arrowstyle": "-|>", "color": "#2ca02c", "lw": 0.9, "linestyle": "--"}
    for l in range(1, L + 1):  # noqa: E741
        forward, below = anchors["forward", l], anchors["forward", l - 1]
        ax.annotate("", _top(forward), _bottom(below), arrowprops=arrow)
        if l < L:  # backward runs upwards: layer l + 1 hands dA[l] to layer l
            backward, above = anchors["backward", l], anchors["backward", l + 1]
            ax.annotate("", _bottom(backward), _top(above), arrowprops=arrow)
        xb, yb, wb, hb = anchors["backward", l]
        xu, yu, _, hu = anchors["update", l]
        ax.annotate(  # dW[l], db[l] go to the update, which waits for layer 1
            "", (xu, yu - hu / 2), (xb + wb, yb - hb / 2), arrowprops=soft
        )
    xl, yl, wl, hl = anchors["loss", L + 1]
    last_forward, last_backward = anchors["forward", L], anchors["backward", L]
    ax.annotate("", (xl, yl - hl / 2), _bottom(last_forward), arrowprops=arrow)
    ax.annotate("", _bottom(last_backward), (xl + wl, yl - hl / 2), arrowprops=arrow)


def computation_order(
    model: Sequential, m: int | None = None, *, loss: Loss | None = None
) -> Figure:
    """One training step in the order it runs: forward, loss, backward, update.

    Three columns: forward down the left (A[0] = X, layer 1 … L), the loss below,
    backward up the middle (layer L … 1), and the update of each layer's W and b on
    the right, which runs once the backward pass is done. Each box is one layer l
    with its equations and the shapes of what they compute (from
    ``glassnet.explain.steps``; ``m`` None writes the symbol m). The last layer's
    box has one formula for dZ[L]: the fused (A[L] − Y)/m when the loss is the
    output's cross-entropy (assumed for a sigmoid or softmax output when ``loss``
    is None), else the chain rule. The update is plain gradient descent with
    learning rate α; other optimizers change only that column.

    Returns:
        A Figure with one axes holding 3·L + 2 boxed texts (input, L forward boxes,
        the loss, L backward boxes, L update boxes).

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Tanh(),
    ...                        gn.Dense(3, 1, rng=1), gn.Sigmoid()])
    >>> fig = gn.plots.computation_order(model, m=4)
    >>> texts = fig.axes[0].texts  # the boxes, and the arrows between them
    >>> sum(text.get_bbox_patch() is not None for text in texts)  # 3·L + 2, L = 2
    8
    """
    all_steps = steps(model, m)
    L = len(blocks(model))
    boxes = _box_texts(all_steps, L, loss)
    layout = _layout(boxes, L)
    fig_h = layout.total_h + _TITLE_H + 2 * _MARGIN
    fig = Figure(figsize=(layout.total_w, fig_h), dpi=100)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.axis("off")
    ax.set_xlim(0, layout.total_w)
    ax.set_ylim(-layout.total_h - _MARGIN, _TITLE_H + _MARGIN)
    anchors = _draw_boxes(ax, boxes, layout)
    _draw_arrows(ax, anchors, L)
    where = "m samples" if m is None else f"m = {m}"
    fig.suptitle(
        f"One training step for a batch of {where}: forward (down), loss, backward "
        "(up), then update W and b\n(plain gradient descent with learning rate α; "
        "other optimizers change only the update)",
        fontsize=9,
        y=1 - 0.08 / fig_h,
        va="top",
    )
    return fig


def _fmt(shape: tuple[int | str, ...]) -> str:
    return (
        f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    )
