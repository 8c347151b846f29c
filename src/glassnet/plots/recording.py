"""Recording learning for the animation (seed A, figure 3): the frames, and which.

A ``LearningRecorder`` passed to ``fit`` stores the grid of the model's outputs (not
a copy of the model) at steps that are dense early, when the picture changes
fastest, and at most ``every`` steps apart later; ``spaced_by_change`` picks the
frames to draw so that the picture changes about as much from each to the next.
``glassnet.plots.learning`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.callbacks import Callback
from glassnet.plots._common import (
    check_points,
)
from glassnet.plots.decision import (
    DecisionGrid,
    grid_axes,
    predict_grid,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["Frame", "LearningRecorder", "spaced_by_change"]

Array = NDArray[Any]


@dataclass(frozen=True)
class Frame:
    """One recorded moment of training.

    Attributes:
        step: optimizer steps done (0: the initial weights).
        epoch: the epoch that step belongs to (0 before training).
        grid: the outputs on the recorder's grid.
        outputs: the model's outputs on the training points X, (m, n_out).
    """

    step: int
    epoch: int
    grid: DecisionGrid
    outputs: Array


class LearningRecorder(Callback):
    """A callback for ``fit`` that records the frames of a learning animation.

    It predicts the outputs on a grid over X (and on X itself) before the first step
    and then whenever ``gap(step)`` steps have passed since the last frame, where
    ``gap(step) = max(1, min(every, ⌊growth · step⌋))``: every step at first, when
    the boundary moves fastest, then ever further apart (10 % of the steps so far),
    but never more than ``every``. The last step is always recorded. It also keeps the
    loss of every batch. Memory: one resolution² grid per frame, never a model copy.

    Args:
        X: the training points (m, 2); the grid covers them.
        every: the most steps between two frames (≥ 1).
        resolution: grid points per axis.
        margin: how far the grid reaches beyond the data, as a fraction of its range.
        growth: the gap between frames as a fraction of the steps so far.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1])
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> rec = LearningRecorder(X, every=20, resolution=10, growth=0.5)
    >>> _ = model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.1),
    ...               epochs=12, callbacks=[rec], verbose=0)
    >>> [f.step for f in rec.frames], len(rec.step_loss)
    ([0, 1, 2, 3, 4, 6, 9, 12], 12)
    """

    def __init__(
        self,
        X: ArrayLike,
        every: int = 10,
        *,
        resolution: int = 100,
        margin: float = 0.1,
        growth: float = 0.1,
    ) -> None:
        if int(every) < 1:
            raise ValueError(f"LearningRecorder needs every ≥ 1; got {every!r}.")
        if not 0 <= growth < 1:
            raise ValueError(
                f"LearningRecorder's growth is a fraction of the steps so far, in "
                f"[0, 1); got {growth!r}."
            )
        self.X = check_points(X, "LearningRecorder")
        self.every, self.growth = int(every), float(growth)
        self.xs, self.ys = grid_axes(self.X, resolution, margin)
        self.frames: list[Frame] = []
        self.step_loss: list[float] = []
        self._offset = 0
        self._epochs = 0  # epochs finished, over every fit
        self._epoch_end = 0  # the step the last finished epoch ended on

    def gap(self, step: int) -> int:
        """Steps between the frame at ``step`` and the next one."""
        return max(1, min(self.every, int(self.growth * step)))

    def on_train_begin(self, model: Sequential) -> None:
        """Record the frame before training (a second ``fit`` continues the count)."""
        self._offset = len(self.step_loss)
        self._record(model, self._offset)

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Keep the loss; record a frame when the gap since the last one has passed."""
        self.step_loss.append(float(logs["loss"]))
        last = self.frames[-1].step
        total = self._offset + step
        if total - last >= self.gap(last):
            self._record(model, total)

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Count the epoch, for the frames' titles."""
        self._epochs += 1
        self._epoch_end = len(self.step_loss)

    def on_train_end(self, model: Sequential, history: Any) -> None:
        """Record the final weights unless the last step was just recorded."""
        if self.frames[-1].step != len(self.step_loss):
            self._record(model, len(self.step_loss))

    def _record(self, model: Sequential, step: int) -> None:
        grid = predict_grid(model, self.xs, self.ys)
        values = None if grid.values is None else grid.values.astype(np.float32)
        small = DecisionGrid(
            grid.xs,
            grid.ys,
            grid.classes.astype(np.int8),
            grid.score.astype(np.float32),
            grid.outputs,
            values,
        )
        outputs = np.asarray(model.predict(self.X), dtype=np.float32)
        epoch = self._epochs + (1 if step > self._epoch_end else 0)
        self.frames.append(Frame(step, epoch, small, outputs))


def spaced_by_change(recorder: LearningRecorder, n: int) -> NDArray[np.int64]:
    """Indices of ``n`` recorded frames, spaced so that the picture changes evenly.

    The change from one frame to the next is the mean absolute change of the outputs
    on the grid. Frames are picked where the cumulative change (85 %) plus the
    fraction of steps done (15 %, so that a long still stretch is not skipped
    entirely) crosses n evenly spaced levels; always the first and the last. Fewer
    recorded frames than n: all of them.

    Returns:
        Strictly increasing frame indices, exactly min(n, len(recorder.frames)).

    >>> import glassnet as gn
    >>> X, y = [[0.0, 0.0], [1.0, 1.0]], [0, 1]
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> rec = gn.plots.LearningRecorder(X, resolution=10)
    >>> _ = model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.5),
    ...               epochs=10, callbacks=[rec], verbose=0)  # frames at steps 0 … 10
    >>> gn.plots.spaced_by_change(rec, 4).tolist()  # denser early, where it changes
    [0, 2, 5, 10]
    """
    count = len(recorder.frames)
    if n < 1:
        raise ValueError(f"an animation needs at least one frame; got {n}.")
    if n >= count:
        return np.arange(count)
    if n == 1:
        return np.array([count - 1])
    change = np.zeros(count)
    for i in range(1, count):
        a, b = recorder.frames[i - 1].grid, recorder.frames[i].grid
        va = a.score if a.values is None else a.values
        vb = b.score if b.values is None else b.values
        change[i] = float(
            np.mean(np.abs(np.asarray(vb, float) - np.asarray(va, float)))
        )
    cum = np.cumsum(change)
    steps = np.array([f.step for f in recorder.frames], dtype=np.float64)
    span = steps[-1] - steps[0]
    progress = 0.85 * cum / cum[-1] if cum[-1] > 0 else 0.0 * cum
    progress = progress + (0.15 if cum[-1] > 0 else 1.0) * (steps - steps[0]) / max(
        span, 1.0
    )
    chosen = [0]
    for j in range(1, n - 1):
        lo, hi = chosen[-1] + 1, count - (n - j)  # leave room for the frames to come
        i = lo + int(np.searchsorted(progress[lo : hi + 1], j / (n - 1)))
        chosen.append(min(i, hi))
    chosen.append(count - 1)
    return np.asarray(chosen, dtype=np.int64)
