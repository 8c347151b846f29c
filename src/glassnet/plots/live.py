"""A live view of training in a Jupyter notebook: curves and decision boundary.

``LivePlot`` is a ``Callback``: pass it to ``fit`` and the cell's output shows one
figure, redrawn in place every ``every`` steps and once at the end — the loss of each
step and of each epoch, the accuracy per epoch (training and validation), and for
2-D data the decision boundary over the points, drawn by the same code as
``plots.decision_boundary``: each region in its class colour, deeper where the model
is surer, and a black line where the two largest outputs are equal.

A matplotlib drawing of such a figure takes tenths of a second while a small
network's step takes microseconds, so LivePlot makes drawing cheap and keeps it
rare. Cheap: its figure (``glassnet.plots._live_figure``) draws everything outside
the data area — ticks, labels, titles — as a background, once per fit and again
only when a frame changes (the step axis spans the whole fit from the start, the
loss axis whole decades), and each redraw paints only the curves, the regions,
the points, the boundary and the accuracy over a copy of it; every text is
rendered once a process and then composited as pixels. Building the figure takes
0.03–0.06 s of CPU and a drawing 0.03–0.06 s on the 2-core development machine
(the first LivePlot of a process 0.08–0.16 s and 0.14–0.24 s: it renders its texts).

Rare: LivePlot keeps its own time within a budget by design, timing everything:

- a redraw falls due every ``every`` steps; a due redraw is made at the first step
  end where building the figure (in the first fit), the drawings so far, this one
  and a full one in reserve for the end would take at most ``max_overhead`` (5 % by
  default) of the training time so far (elapsed time minus drawing time) — so it
  is deferred, never lost, and the last due state is drawn as soon as it fits;
- what a drawing costs is the time the latest one of its kind took (one that
  redraws the background, or one blitted over it; same panels, resolution and size,
  on the same clock), remembered across LivePlots in the process; before any,
  ``FIRST_DRAW_GUESS`` (0.25 s, about what the first drawing of a process takes),
  so the first picture of a process appears after about (0.1 s for the build +
  2 × 0.25 s) / 5 % = 12 s of training and a later LivePlot's after about
  (0.05 + 2 × 0.06) s / 5 % ≈ 3.5 s, or less in a second fit (nothing to build);
- the final state is always drawn, at the end of fit (the drawing in reserve).

So over a fit of T seconds LivePlot's building and drawing take at most
``max_overhead`` · T, or, when T is too short for a drawing during it, the build
and the final drawing: ≈ 0.1 s, under 10 % of a fit from T ≈ 1 s (≈ 0.35 s and
T ≈ 3.5 s for the first LivePlot of a process). ``benchmarks/liveplot.py``
measures it; ``clock`` (a function returning seconds) is the one the budget is
kept in, ``time.perf_counter`` unless a test passes another.

Outside a notebook the figure goes to ``IPython.display`` all the same (which prints a
placeholder to the terminal); ``LivePlot.figure`` is the matplotlib Figure.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.callbacks import Callback
from glassnet.plots._common import check_points, class_ids, predicted_classes
from glassnet.plots._live_figure import LiveFigure
from glassnet.plots.boundary import grid_axes, predict_grid
from glassnet.threads import blas_controller

if TYPE_CHECKING:
    from glassnet.model import Sequential
    from glassnet.training import History

__all__ = ["LivePlot"]

Array = NDArray[Any]


@functools.cache
def _blas() -> Any | None:
    return blas_controller()  # looked up once a process: it takes a millisecond


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the products inside on one BLAS thread, then give back the count.

    A drawing's products (the grid, the accuracy) are small; on two threads,
    OpenBLAS's second one spins about 0.1 s of CPU after each before it sleeps,
    more than the drawing itself costs.
    """
    controller = _blas()
    if controller is None:
        yield
        return
    lib = controller.lib_controllers[0]
    previous = lib.num_threads
    lib.set_num_threads(1)
    try:
        yield
    finally:
        lib.set_num_threads(previous)


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
        view: the ``LiveFigure`` that draws it (its artists, frames and pixels).
        draws: how many times the figure was drawn (in the latest fit).
        draw_seconds: total time spent drawing (in the latest fit).
        build_seconds: the time building the figure took (in ``LivePlot(...)``),
            counted in the budget of the first fit.

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

    # What a drawing that redraws the background is taken to cost until one has
    # been timed, in seconds: about what the first drawing of a process takes (it
    # renders every text), four times a later one, so the first drawing is not
    # made before the budget can pay for it (see the module's docstring). A
    # blitted drawing is taken to cost as much until one has been timed.
    FIRST_DRAW_GUESS = 0.25
    # What the latest drawing of each kind took, by (clock, panels, resolution,
    # size, whether it redrew the background): a new LivePlot starts from it.
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
        built = clock()
        self.every = every
        self.max_overhead = float(max_overhead)
        self.resolution = resolution
        self.X: Array | None = None
        self.y: Array | None = None
        points = None
        if X is not None:
            self.X = check_points(X, "LivePlot")
            self.y = (
                np.zeros(len(self.X), dtype=np.int64) if y is None else class_ids(y)
            )
            if len(self.y) != len(self.X):
                raise ValueError(
                    f"LivePlot got {len(self.X)} points X but {len(self.y)} labels y."
                )
            self.xs, self.ys = grid_axes(self.X, resolution)
            points = (self.X, self.y, self.xs, self.ys)
        self.size = size
        self.clock = clock
        self.view = LiveFigure(size, points)
        self.build_seconds = self._unpaid = clock() - built
        self.figure = self.view.figure
        self.draws = 0
        self.draw_seconds = 0.0
        self._full = self._blit = self.FIRST_DRAW_GUESS  # expected costs, seconds
        self._due = False  # a redraw fell due and waits for the budget
        self._handle: Any = None

    # ---- the callback hooks -------------------------------------------------------
    def on_train_begin(self, model: Sequential) -> None:
        """Start the curves afresh; the step axis spans the steps this fit plans."""
        self.step_losses: list[float] = []
        self.epoch_steps: list[int] = []
        self.epoch_logs: list[dict[str, float]] = []
        self._lo, self._hi = math.inf, -math.inf  # the finite losses' range
        self.draws = 0
        self.draw_seconds = 0.0
        self._charged, self._unpaid = self._unpaid, 0.0  # the build, in the first fit
        self._due = False
        self._handle = None  # a new fit shows a new figure in its own cell
        if self.X is not None:  # a model that cannot draw a boundary fails now
            predict_grid(model, self.xs[:2], self.ys[:2])
        run = getattr(self, "run", None)  # None: hooks called by hand
        planned = run.epochs * run.steps_per_epoch - run.step if run else self.every
        self.view.begin(planned)
        self._full = self._costs.get(self._kind(full=True), self._full)
        self._blit = self._costs.get(self._kind(full=False), self._full)
        self._start = self.clock()

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Record the step's loss; redraw when due and within the time budget."""
        loss = logs["loss"]
        self.step_losses.append(loss)
        if loss < self._lo:
            self._lo = loss
        if self._hi < loss < math.inf:
            self._hi = loss
        if step % self.every == 0:
            self._due = True
        if self._due and self._affordable():
            self.draw(model)

    def _kind(self, full: bool) -> tuple[Any, ...]:
        """What a drawing's cost depends on: clock, panels, pixels, background."""
        return (self.clock, self.X is not None, self.resolution, self.size, full)

    def _affordable(self) -> bool:
        """Whether this drawing and a full one in reserve for the end fit the budget."""
        if self.max_overhead == math.inf:
            return True
        training = self.clock() - self._start - self.draw_seconds
        spent = self._charged + self.draw_seconds
        left = self.max_overhead * training - spent - self._full
        if left < self._blit:  # not even a blitted drawing fits (the usual answer)
            return False
        return left >= self._full or not self.view.needs_background(
            len(self.step_losses), self._lo, self._hi
        )

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> bool | None:
        """Record the epoch's loss and accuracies."""
        self.epoch_steps.append(len(self.step_losses))
        self.epoch_logs.append(dict(logs))
        for name in ("loss", "val_loss"):
            value = logs.get(name, math.nan)
            if value < self._lo:
                self._lo = value
            if self._hi < value < math.inf:
                self._hi = value
        return None

    def on_train_end(self, model: Sequential, history: History) -> None:
        """Draw the final state."""
        self.draw(model)

    # ---- drawing ------------------------------------------------------------------
    def draw(self, model: Sequential) -> None:
        """Update every artist from the records and the model, then show the figure."""
        t0 = self.clock()
        grid = accuracy = None
        if self.X is not None:
            with _one_blas_thread():
                grid = predict_grid(model, self.xs, self.ys)
                accuracy = self._accuracy(model)
        full = self.view.update(
            self.step_losses, self.epoch_steps, self.epoch_logs, grid, accuracy
        )
        self.show()
        self.draws += 1
        self._due = False
        cost = self.clock() - t0
        self._costs[self._kind(full)] = cost
        if full:
            self._full = cost
        else:
            self._blit = cost
        self.draw_seconds += cost

    def _accuracy(self, model: Sequential) -> float:
        assert self.X is not None
        assert self.y is not None
        return float(np.mean(predicted_classes(model.predict(self.X)) == self.y))

    def png(self) -> bytes:
        """The figure as PNG bytes (what the notebook cell shows)."""
        return self.view.png()

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
