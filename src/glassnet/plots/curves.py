"""Curves: activation functions and training histories.

``activation_functions`` is seed A's figure 6 (g and g' side by side);
``training_curves`` its figure 7 (loss and accuracy against epochs, and per step).
``HeldOutCurve`` is a callback for ``fit`` that measures held-out data (the test set)
after every epoch, so that the curves can show over-fitting even without validation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike, NDArray

from glassnet import activations as act
from glassnet.callbacks import Callback
from glassnet.plots._common import ACTIVATION_COLORS, new_figure
from glassnet.training import History, evaluate

if TYPE_CHECKING:
    from glassnet.losses import Loss
    from glassnet.model import Sequential

__all__ = ["ACTIVATIONS", "HeldOutCurve", "activation_functions", "training_curves"]

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

    >>> import glassnet as gn
    >>> fig = gn.plots.activation_functions(["sigmoid", "relu"])
    >>> [ax.get_title() for ax in fig.axes]
    ['Activation functions g(z)', "Derivatives g'(z)"]
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['sigmoid σ(z)', 'ReLU max(0, z)']
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


class HeldOutCurve(Callback):
    """A callback for ``fit``: the loss (and accuracy) on held-out data every epoch.

    Each epoch it adds ``"<name>_loss"`` (and ``"<name>_accuracy"`` for a
    classification loss) to the epoch's logs, so the History holds one value per
    epoch run (a checkpoint saves them with the rest), which
    ``training_curves`` draws beside the training curve. Unlike ``validation_data``
    it changes nothing in training: use it to watch the test set without choosing
    anything by it.

    Args:
        X: held-out inputs (m, n_in).
        Y: their targets, in the form the loss takes.
        loss: the training loss.
        name: the prefix of the History keys ("test").

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X = np.ones((4, 1)); model = gn.Sequential([gn.Dense(1, 1, rng=0)])
    >>> curve = HeldOutCurve(X, 2 * X, gn.MSE())
    >>> h = model.fit(X, X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=3,
    ...               callbacks=[curve], verbose=0)
    >>> len(h.history["test_loss"])
    3
    """

    def __init__(
        self, X: ArrayLike, Y: ArrayLike, loss: Loss, *, name: str = "test"
    ) -> None:
        if not name or not name.isidentifier():
            raise ValueError(
                f"HeldOutCurve's name is the prefix of History keys such as "
                f"'test_loss'; expected a word, got {name!r}."
            )
        self.X, self.Y, self.loss, self.name = X, Y, loss, name

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Measure the held-out data with the weights at the end of the epoch."""
        for key, value in evaluate(model, self.X, self.Y, loss=self.loss).items():
            logs[f"{self.name}_{key}"] = float(value)


# key prefix → (legend label, line style, colour) of a curve in training_curves
_SERIES = (
    ("", "train", "-", "#1f77b4"),
    ("val_", "validation", "--", "#ff7f0e"),
    ("test_", "test", ":", "#2ca02c"),
)


def training_curves(
    history: History | Mapping[str, Sequence[float]],
    *,
    steps: bool = True,
    title: str = "Training",
) -> Figure:
    """Loss and accuracy against epochs (train, validation, test); loss per step.

    The held-out curves are those of ``validation_data`` (val_*) and of a
    ``HeldOutCurve`` callback (test_*): a training loss that keeps falling while a
    held-out loss rises is over-fitting. Epoch ticks are integers.

    Args:
        history: a History from ``fit`` (or its ``history`` dict).
        steps: add a panel with the loss of every optimizer step (when recorded).
        title: the figure's title.

    Returns:
        A Figure with one axes for the loss, one for the accuracy when recorded, and
        one for the per-step loss when ``steps`` and recorded.

    >>> import glassnet as gn
    >>> logs = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.8]}  # or a History
    >>> fig = gn.plots.training_curves(logs)
    >>> [ax.get_title() for ax in fig.axes]  # no accuracy, no steps: one panel
    ['Loss per epoch']
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['train', 'validation']
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
    n_epochs = len(logs["loss"])
    panels = [("Loss per epoch", "loss")]
    if logs.get("accuracy"):
        panels.append(("Accuracy per epoch", "accuracy"))
    show_steps = steps and len(step_loss) > 0
    n_axes = len(panels) + show_steps
    fig = new_figure(4.2 * n_axes, 3.6)
    fig.suptitle(title)
    for i, (name, metric) in enumerate(panels):
        ax = fig.add_subplot(1, n_axes, i + 1)
        drawn = []
        for prefix, label, style, color in _SERIES:
            values = logs.get(prefix + metric)
            if not values:
                continue
            drawn.append(np.asarray(values, dtype=np.float64))
            # a curve shorter than the training one covers its last epochs (resume)
            first = max(n_epochs - len(values), 0) + 1
            epochs = np.arange(first, first + len(values))
            ax.plot(
                epochs,
                values,
                style,
                color=color,
                label=label,
                marker="o" if len(values) < 30 else None,
                markersize=3,
            )
        ax.set(title=name, xlabel="epoch", ylabel=metric)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        if metric == "loss" and _spans_decades(drawn):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if show_steps:
        ax = fig.add_subplot(1, n_axes, n_axes)
        per_step = np.asarray(step_loss, dtype=np.float64)
        ax.plot(
            np.arange(1, per_step.size + 1),
            per_step,
            color="#1f77b4",
            linewidth=0.8,
            label="batch loss",
        )
        ax.set(title="Loss per step", xlabel="optimizer step", ylabel="loss (batch)")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        if _spans_decades([per_step]):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return fig


def _spans_decades(series: Sequence[Array]) -> bool:
    """Whether the positive values range over more than a factor 30 (log scale)."""
    values = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in series])
    values = values[np.isfinite(values)]
    return bool(values.size and values.min() > 0 and values.max() / values.min() > 30)
