"""Curves: activation functions and training histories.

``activation_functions`` is seed A's figure 6 (g and g' side by side);
``training_curves`` its figure 7 (loss and accuracy against epochs, and per step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from glassnet import activations as act
from glassnet.plots._common import ACTIVATION_COLORS, new_figure
from glassnet.training import History

__all__ = ["ACTIVATIONS", "activation_functions", "training_curves"]

Array = NDArray[Any]


def _leaky(alpha: float) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    return (
        lambda z: act.leaky_relu(z, alpha),
        lambda z: act.leaky_relu_derivative(z, alpha),
    )


# name → (label, g, g'); leaky ReLU's α is set when drawing.
ACTIVATIONS: dict[str, tuple[str, Callable[..., Array], Callable[..., Array]]] = {
    "sigmoid": ("sigmoid σ(z)", act.sigmoid, act.sigmoid_derivative),
    "tanh": ("tanh(z)", act.tanh, act.tanh_derivative),
    "relu": ("ReLU max(0, z)", act.relu, act.relu_derivative),
    "leaky_relu": ("leaky ReLU", act.leaky_relu, act.leaky_relu_derivative),
}

_SHORT = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU"}


def activation_functions(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
    *,
    z_range: tuple[float, float] = (-5.0, 5.0),
    alpha: float = 0.1,
) -> Figure:
    """Activation functions g(z) (left) and their derivatives g'(z) (right).

    Computed with ``glassnet.activations``. Leaky ReLU is drawn with slope
    ``alpha`` (default 0.1, larger than the layer's 0.01 so that it is visible).
    The kink of ReLU at z = 0 is given derivative 0, as the layers do.

    Args:
        names: any of "sigmoid", "tanh", "relu", "leaky_relu".
        z_range: the interval of z.
        alpha: leaky ReLU's slope for z < 0.

    Returns:
        A Figure with two axes, one line per function in each.
    """
    unknown = [n for n in names if n not in ACTIVATIONS]
    if unknown or not names:
        raise ValueError(
            f"activation_functions draws {sorted(ACTIVATIONS)}; got {list(names)}."
        )
    z = np.linspace(*z_range, 801)
    fig = new_figure(9.0, 3.8)
    ax_g, ax_d = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for name in names:
        label, g, dg = ACTIVATIONS[name]
        if name == "leaky_relu":
            g, dg = _leaky(alpha)
            label = f"leaky ReLU (α = {alpha})"
        style: dict[str, Any] = {
            "color": ACTIVATION_COLORS[name],
            "linewidth": 2,
            "linestyle": "--" if name == "leaky_relu" else "-",
        }
        ax_g.plot(z, g(z), label=label, **style)
        ax_d.plot(z, dg(z), label=_SHORT[name] + "'", **style)
    for ax, title, ylabel in (
        (ax_g, "Activation functions g(z)", "g(z)"),
        (ax_d, "Derivatives g'(z)", "g'(z)"),
    ):
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.axvline(0, color="#999999", linewidth=0.6)
        ax.set(title=title, xlabel="z", ylabel=ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="upper left")
    return fig


def training_curves(
    history: History | Mapping[str, Sequence[float]],
    *,
    steps: bool = True,
    title: str = "Training",
) -> Figure:
    """Loss and accuracy against epochs, train and validation; loss per step.

    Args:
        history: a History from ``fit`` (or its ``history`` dict).
        steps: add a panel with the loss of every optimizer step (when recorded).
        title: the figure's title.

    Returns:
        A Figure with one axes for the loss, one for the accuracy when recorded, and
        one for the per-step loss when ``steps`` and recorded.
    """
    if isinstance(history, History):
        logs: Mapping[str, Sequence[float]] = history.history
        step_loss: Sequence[float] = history.step_loss
    else:
        logs, step_loss = history, ()
    if not logs.get("loss"):
        raise ValueError(
            "training_curves needs a history with a 'loss' list; got keys "
            f"{sorted(logs)}. Pass the History that fit returned."
        )
    panels: list[tuple[str, str, list[tuple[str, Any, str]]]] = []
    panels.append(
        (
            "Loss per epoch",
            "loss",
            [(k, logs.get(k), s) for k, s in (("loss", "-"), ("val_loss", "--"))],
        )
    )
    if logs.get("accuracy"):
        series = [
            (k, logs.get(k), s) for k, s in (("accuracy", "-"), ("val_accuracy", "--"))
        ]
        panels.append(("Accuracy per epoch", "accuracy", series))
    show_steps = steps and len(step_loss) > 0
    fig = new_figure(4.2 * (len(panels) + show_steps), 3.6)
    fig.suptitle(title)
    for i, (name, ylabel, series) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels) + show_steps, i + 1)
        for key, values, style in series:
            if not values:
                continue
            epochs = np.arange(1, len(values) + 1)
            color = "#ff7f0e" if key.startswith("val_") else "#1f77b4"
            label = "validation" if key.startswith("val_") else "train"
            marker = "o" if len(values) < 30 else None
            ax.plot(
                epochs,
                values,
                style,
                color=color,
                label=label,
                marker=marker,
                markersize=3,
            )
        ax.set(title=name, xlabel="epoch", ylabel=ylabel)
        if ylabel == "loss" and _spans_decades(series):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if show_steps:
        ax = fig.add_subplot(1, len(panels) + 1, len(panels) + 1)
        per_step = np.asarray(step_loss, dtype=np.float64)
        ax.plot(
            np.arange(1, per_step.size + 1),
            per_step,
            color="#1f77b4",
            linewidth=0.8,
            label="batch loss",
        )
        ax.set(title="Loss per step", xlabel="optimizer step", ylabel="loss (batch)")
        if _spans_decades([("", per_step, "")]):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return fig


def _spans_decades(series: Sequence[tuple[str, Any, str]]) -> bool:
    """Whether the positive values range over more than a factor 30 (log scale)."""
    values = np.concatenate(
        [
            np.asarray(v, dtype=np.float64)
            for _, v, _ in series
            if v is not None and len(v)
        ]
    )
    values = values[np.isfinite(values)]
    return bool(values.size and values.min() > 0 and values.max() / values.min() > 30)
