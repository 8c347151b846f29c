"""A live view of training in a Jupyter notebook: curves and decision boundary.

``LivePlot`` is a ``Callback``: pass it to ``fit`` and the cell's output shows one
figure, redrawn in place every ``every`` steps and once at the end — the loss of each
step and of each epoch, the accuracy per epoch (training and validation), and for
2-D data the decision boundary over the points, drawn by the same code as
``plots.decision_boundary``: each region in its class colour, deeper where the model
is surer, and a black line where the two largest outputs are equal.

Drawing a figure takes a tenth of a second or more, while a small network's step
takes microseconds, so redrawing every few steps would spend most of the time
drawing. LivePlot keeps its own cost within a budget by design, timing every drawing
it makes:

- a redraw falls due every ``every`` steps; a due redraw is made at the first step
  end where the drawings so far, this one and one more in reserve for the end would
  take at most ``max_overhead`` (5 % by default) of the training time so far
  (elapsed time minus drawing time) — so it is deferred, never lost, and the last
  due state is drawn as soon as it fits;
- what a drawing costs is the time the latest one of the same figure took (same
  panels, resolution and size, on the same clock), remembered across LivePlots in
  the process; before any it is taken to be ``FIRST_DRAW_GUESS`` (0.5 s, more than
  the three-panel figure takes on most machines), so the first picture of a process
  appears once training has run for 2 × 0.5 s / 5 % = 20 s, and while a drawing costs
  at most twice that guess the budget below holds;
- the final state is always drawn, at the end of fit (the one drawing in reserve).

So over a fit of T seconds drawing takes at most ``max_overhead`` · T, plus, when
T is shorter than two drawings' worth of budget (about 20 s at 0.5 s a drawing), the
one final drawing. ``benchmarks/liveplot.py`` measures it; ``clock`` (a function
returning seconds) is the one the budget is kept in, ``time.perf_counter`` unless a
test passes another.

Outside a notebook the figure goes to ``IPython.display`` all the same (which prints a
placeholder to the terminal); ``LivePlot.figure`` is the matplotlib Figure.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.callbacks import Callback
from glassnet.plots._common import check_points, class_ids
from glassnet.plots.boundary import _BoundaryView, _n_classes, grid_axes, predict_grid

if TYPE_CHECKING:
    from glassnet.model import Sequential
    from glassnet.training import History

__all__ = ["LivePlot"]

Array = NDArray[Any]


class LivePlot(Callback):
    """Redraw the loss, the accuracy and (2-D data) the decision boundary during fit.

    Args:
        every: a redraw falls due every ``every`` optimizer steps (and at the end).
        X: points of shape (m, 2) to draw the decision boundary over (e.g. the
            training inputs); None draws the curves only.
        y: class ids of X, for the colours of the points.
        resolution: grid points per axis of the decision boundary.
        max_overhead: the largest share of the training time that drawing may take
            (0.05 = 5 %); a due redraw waits while it would go over.
            ``math.inf`` redraws every ``every`` steps whatever it costs.
        size: height of the figure in inches.
        clock: the clock the budget is kept in, a function returning seconds
            (``time.perf_counter``; tests pass a fake one).

    Attributes:
        figure: the matplotlib Figure that is shown.
        draws: how many times the figure was drawn.
        draw_seconds: total time spent drawing.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X, y = gn.datasets.make_moons(n_samples=64, noise=0.1, seed=0)
    >>> model = gn.Sequential([gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 2, rng=1),
    ...                        gn.Softmax()])
    >>> live = LivePlot(every=5, X=X, y=y, resolution=20, max_overhead=float("inf"))
    >>> live.show = lambda: None  # in a notebook this updates the cell's output
    >>> _ = model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(0.05), epochs=3,
    ...               batch_size=16, verbose=0, seed=0, callbacks=[live])
    >>> live.draws  # 12 steps: drawn after steps 5 and 10, and at the end
    3
    """

    # What a drawing is taken to cost until one has been timed, in seconds: more
    # than the three-panel figure takes on most machines, so the first drawing is
    # not made before the budget can pay for it (see the module's docstring).
    FIRST_DRAW_GUESS = 0.5
    # What the latest drawing of each kind of figure took, by (clock, panels,
    # resolution, size): a new LivePlot starts from it rather than from the guess.
    _costs: ClassVar[dict[tuple[Any, ...], float]] = {}

    def __init__(
        self,
        every: int = 100,
        X: ArrayLike | None = None,
        y: ArrayLike | None = None,
        *,
        resolution: int = 60,
        max_overhead: float = 0.05,
        size: float = 3.6,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"LivePlot's every must be an integer ≥ 1; got {every!r}.")
        if not (isinstance(max_overhead, (int, float)) and max_overhead > 0):  # inf ok
            raise ValueError(
                f"LivePlot's max_overhead must be a number > 0 (0.1 = 10 % of the "
                f"training time); got {max_overhead!r}."
            )
        if resolution < 2:
            raise ValueError(f"LivePlot's resolution must be ≥ 2; got {resolution!r}.")
        self.every = every
        self.max_overhead = float(max_overhead)
        self.resolution = resolution
        self.X: Array | None = None
        self.y: Array | None = None
        if X is not None:
            self.X = check_points(X, "LivePlot")
            self.y = (
                np.zeros(len(self.X), dtype=np.int64) if y is None else class_ids(y)
            )
            if len(self.y) != len(self.X):
                raise ValueError(
                    f"LivePlot got {len(self.X)} points X but {len(self.y)} labels y."
                )
        self.size = size
        self.clock = clock
        # no layout engine (unlike new_figure): margins are set once in _layout
        self.figure = Figure(figsize=(size * (3 if self.X is not None else 2), size))
        self.draws = 0
        self.draw_seconds = 0.0
        self._cost = self.FIRST_DRAW_GUESS  # seconds a drawing is expected to take
        self._due = False  # a redraw fell due and waits for the budget
        self._handle: Any = None

    # ---- the callback hooks -------------------------------------------------------
    def on_train_begin(self, model: Sequential) -> None:
        """Start the curves afresh and lay out the figure (drawn once due)."""
        self.step_losses: list[float] = []
        self.epoch_steps: list[int] = []
        self.epoch_logs: list[dict[str, float]] = []
        self.draws = 0
        self.draw_seconds = 0.0
        self._due = False
        self._handle = None  # a new fit shows a new figure in its own cell
        self._layout(model)
        self._cost = self._costs.get(self._kind(), self._cost)
        self._start = self.clock()  # after the layout: the budget is for drawings

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Record the step's loss; redraw when due and within the time budget."""
        self.step_losses.append(logs["loss"])
        if step % self.every == 0:
            self._due = True
        if self._due and self._affordable():
            self.draw(model)

    def _kind(self) -> tuple[Any, ...]:
        """What a drawing's cost depends on: the clock, the panels and the pixels."""
        return (self.clock, self.X is not None, self.resolution, self.size)

    def _affordable(self) -> bool:
        """Whether this drawing and one in reserve for the end fit in the budget."""
        if self.max_overhead == math.inf:
            return True
        training = self.clock() - self._start - self.draw_seconds
        return self.draw_seconds + 2 * self._cost <= self.max_overhead * training

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> bool | None:
        """Record the epoch's loss and accuracies."""
        self.epoch_steps.append(len(self.step_losses))
        self.epoch_logs.append(dict(logs))
        return None

    def on_train_end(self, model: Sequential, history: History) -> None:
        """Draw the final state."""
        self.draw(model)

    # ---- drawing ------------------------------------------------------------------
    def _layout(self, model: Sequential) -> None:
        fig = self.figure
        fig.clear()
        n = 3 if self.X is not None else 2
        self.ax_loss = fig.add_subplot(1, n, 1)
        self.ax_acc = fig.add_subplot(1, n, 2)
        (self.line_step,) = self.ax_loss.plot([], [], lw=0.8, alpha=0.6, label="step")
        (self.line_epoch,) = self.ax_loss.plot([], [], "o-", ms=3, label="epoch")
        (self.line_val,) = self.ax_loss.plot([], [], "s--", ms=3, label="validation")
        self.ax_loss.set(xlabel="step", ylabel="loss", title="Loss")
        self.ax_loss.legend(fontsize="x-small")
        (self.acc_train,) = self.ax_acc.plot([], [], "o-", ms=3, label="training")
        (self.acc_val,) = self.ax_acc.plot([], [], "s--", ms=3, label="validation")
        self.ax_acc.set(xlabel="step", ylabel="accuracy", title="Accuracy")
        self.ax_acc.set_ylim(0, 1.02)
        self.ax_acc.legend(fontsize="x-small", loc="lower right")
        self.boundary: _BoundaryView | None = None
        if self.X is not None and self.y is not None:
            self.ax_boundary = fig.add_subplot(1, n, 3)
            self.xs, self.ys = grid_axes(self.X, self.resolution)
            grid = predict_grid(model, self.xs, self.ys)
            k = _n_classes(grid.classes, self.y, grid.outputs)
            self.boundary = _BoundaryView(self.ax_boundary, grid, self.X, self.y, k)
            self.ax_boundary.set_title("Decision boundary")
        # fixed margins: a layout engine would re-solve the layout at every redraw
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.88, wspace=0.32)

    def draw(self, model: Sequential) -> None:
        """Update every artist from the records and the model, then show the figure."""
        t0 = self.clock()
        steps = np.arange(1, len(self.step_losses) + 1)
        self.line_step.set_data(steps, self.step_losses)
        ep = np.asarray(self.epoch_steps)
        self.line_epoch.set_data(ep, [lg["loss"] for lg in self.epoch_logs])
        val = [lg.get("val_loss", np.nan) for lg in self.epoch_logs]
        self.line_val.set_data(ep, val)
        self.acc_train.set_data(
            ep, [lg.get("accuracy", np.nan) for lg in self.epoch_logs]
        )
        self.acc_val.set_data(
            ep, [lg.get("val_accuracy", np.nan) for lg in self.epoch_logs]
        )
        for ax in (self.ax_loss, self.ax_acc):
            ax.relim()
            ax.autoscale_view()
        self.ax_acc.set_ylim(0, 1.02)
        if self.step_losses and min(self.step_losses) > 0:
            self.ax_loss.set_yscale("log")
        if self.boundary is not None:
            self.boundary.update(predict_grid(model, self.xs, self.ys))
            acc = self._accuracy(model)
            self.ax_boundary.set_title(f"Decision boundary (accuracy {acc:.1%})")
        self.show()
        self.draws += 1
        self._due = False
        self._cost = self._costs[self._kind()] = self.clock() - t0
        self.draw_seconds += self._cost

    def _accuracy(self, model: Sequential) -> float:
        assert self.X is not None
        assert self.y is not None
        Y_hat = model.predict(self.X)
        predicted = (
            (Y_hat[:, 0] > 0.5).astype(np.int64)
            if Y_hat.shape[1] == 1
            else Y_hat.argmax(axis=1)
        )
        return float(np.mean(predicted == self.y))

    def png(self) -> bytes:
        """The figure as PNG bytes (what the notebook cell shows)."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def show(self) -> None:
        """Show the figure in the cell's output, replacing the previous one in place."""
        try:
            from IPython.display import Image, display
        except ImportError:
            raise ImportError(
                "LivePlot shows its figure with IPython; install it with "
                'pip install "glassnet[notebooks]".'
            ) from None
        image = Image(data=self.png(), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
