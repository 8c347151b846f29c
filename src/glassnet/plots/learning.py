"""The learning process as an animation (seed A, figure 3): recorded, then drawn.

To watch learning, pass a ``LearningRecorder`` to ``fit``: a callback that stores the
grid of outputs (not a copy of the model) at steps that are dense early, when the
picture changes fastest, and at most ``every`` steps apart later. ``animate_learning``
draws as many of them as asked, chosen by ``spaced_by_change`` so that the picture
changes about as much from each frame to the next; each frame is the decision view of
``glassnet.plots.decision`` beside the loss curve, titled with the loss and accuracy
on the whole training set, and the last one is held.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.callbacks import Callback
from glassnet.plots._common import (
    check_points,
    class_ids,
    new_figure,
    predicted_classes,
    write_animation,
)
from glassnet.plots.decision import (
    DecisionGrid,
    _BoundaryView,
    _n_classes,
    grid_axes,
    predict_grid,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "LearningRecorder",
    "animate_learning",
    "learning_figure",
    "spaced_by_change",
]

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


def _cross_entropy(outputs: Array, labels: NDArray[np.int64]) -> float | None:
    """Mean cross-entropy of probabilities (one sigmoid output, or softmax rows)."""
    P = np.asarray(outputs, dtype=np.float64)
    if P.size == 0 or P.min() < 0 or P.max() > 1:
        return None  # not probabilities: no cross-entropy to show
    eps = 1e-12
    if P.shape[1] == 1:
        p = np.clip(P[:, 0], eps, 1 - eps)
        return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    if not np.allclose(P.sum(axis=1), 1.0, atol=1e-3) or labels.max() >= P.shape[1]:
        return None
    return float(-np.mean(np.log(np.clip(P[np.arange(len(labels)), labels], eps, 1))))


class _LearningView:
    """Boundary over the data beside the loss curve; ``show(i)`` draws frame i."""

    def __init__(self, rec: LearningRecorder, X: ArrayLike, y: ArrayLike, size: float):
        if not rec.frames:
            raise ValueError(
                "the LearningRecorder has no frames; pass it to fit(callbacks=[...]) "
                "before drawing."
            )
        X = check_points(X, "the learning animation")
        labels = class_ids(y)
        if labels.shape[0] != rec.frames[0].outputs.shape[0]:
            raise ValueError(
                f"the learning animation needs the recorder's training points: it "
                f"recorded outputs for {rec.frames[0].outputs.shape[0]} points, y has "
                f"{labels.shape[0]}. Pass the X, y given to fit."
            )
        self.rec = rec
        k = max(_n_classes(f.grid.classes, labels, None) for f in rec.frames)
        self.accuracy = [
            float(np.mean(predicted_classes(f.outputs) == labels)) for f in rec.frames
        ]
        self.loss = [_cross_entropy(f.outputs, labels) for f in rec.frames]
        self.fig = new_figure(2 * size + 0.8, size + 0.3)
        self.ax_b = self.fig.add_subplot(1, 2, 1)
        self.ax_l = self.fig.add_subplot(1, 2, 2)
        self.view = _BoundaryView(self.ax_b, rec.frames[0].grid, X, labels, k)
        batch = np.asarray(rec.step_loss, dtype=np.float64)
        self.ax_l.plot(
            np.arange(1, batch.size + 1),
            batch,
            color="#d0d0d0",
            linewidth=0.8,
            label="batch loss",
        )
        steps = np.array([f.step for f in rec.frames])
        have_loss = all(v is not None for v in self.loss)
        curve = np.array(
            [v for v in self.loss] if have_loss else [1 - a for a in self.accuracy],
            dtype=np.float64,
        )
        self.steps, self.curve = steps, curve
        what = "training loss" if have_loss else "training error (1 − accuracy)"
        (self.line,) = self.ax_l.plot([], [], color="#1f77b4", linewidth=2, label=what)
        (self.dot,) = self.ax_l.plot([], [], "o", color="#d62728", markersize=6)
        self.ax_l.set(
            title="Loss while learning",
            xlabel="optimizer step",
            ylabel="cross-entropy" if have_loss else "error",
        )
        values = np.concatenate([batch, curve])
        finite = values[np.isfinite(values)]
        if finite.size and finite.min() > 0 and finite.max() / finite.min() > 30:
            self.ax_l.set_yscale("log")
        self.ax_l.set_xlim(0, 1.02 * max(int(steps[-1]), 1))  # the last dot shows
        if steps[-1] > 200:  # most frames are early: a log axis spreads them out
            self.ax_l.set_xscale("symlog", linthresh=10, linscale=0.5)
            self.ax_l.set_xlim(0, 1.1 * int(steps[-1]))
            self.ax_l.set_xlabel("optimizer step (log scale)")
        self.ax_l.legend(loc="upper right", fontsize="small")
        self.ax_l.grid(alpha=0.3)
        self.have_loss = have_loss

    def show(self, i: int) -> None:
        frame = self.rec.frames[i]
        self.view.update(frame.grid)
        self.line.set_data(self.steps[: i + 1], self.curve[: i + 1])
        self.dot.set_data(self.steps[i : i + 1], self.curve[i : i + 1])
        when = (
            "before training"
            if frame.step == 0
            else f"step {frame.step}, epoch {frame.epoch}"
        )
        acc = f"accuracy {100 * self.accuracy[i]:.1f} %"
        loss = f"loss {self.loss[i]:.3g}, " if self.have_loss else ""
        self.ax_b.set_title(f"{when}\ntraining {loss}{acc}", fontsize=11)


def learning_figure(
    recorder: LearningRecorder,
    X: ArrayLike,
    y: ArrayLike,
    *,
    frame: int = -1,
    size: float = 4.0,
) -> Figure:
    """One frame of the learning animation as a still: boundary and loss so far.

    Returns:
        A Figure with two axes (boundary, loss curve).
    """
    view = _LearningView(recorder, X, y, size)
    view.show(range(len(recorder.frames))[frame])
    return view.fig


def animate_learning(
    recorder: LearningRecorder,
    X: ArrayLike,
    y: ArrayLike,
    path: str | os.PathLike[str],
    *,
    fps: float = 6,
    dpi: float = 90,
    size: float = 3.8,
    max_frames: int | None = 40,
    hold: float = 2.5,
) -> Path:
    """Write the learning process as an animation (seed A's figure 3).

    Each frame shows the shaded decision regions over the data, titled with the step,
    the epoch and the loss and accuracy on the whole training set, beside the loss
    curve up to that moment. With more recorded frames than ``max_frames``, exactly
    ``max_frames`` are drawn, chosen by ``spaced_by_change`` so that the picture
    changes about equally between frames (the early, fast learning gets most of
    them); the last one stays on screen ``hold`` seconds.

    Args:
        recorder: a LearningRecorder that was passed to ``fit``.
        X: the training points (m, 2) given to ``fit``, drawn under the boundary.
        y: their classes.
        path: a .gif (always available) or .mp4 (needs ffmpeg) file name.
        fps: frames per second.
        dpi: resolution; with ``size`` it sets the frame's pixel size (the default
            writes 11-point titles 14 pixels high).
        size: height of the figure in inches.
        max_frames: how many frames to draw (None: all recorded).
        hold: seconds the last frame is shown (GIF).

    Returns:
        The path written.
    """
    view = _LearningView(recorder, X, y, size)
    count = len(recorder.frames)
    chosen = spaced_by_change(recorder, count if max_frames is None else max_frames)
    return write_animation(
        view.fig,
        lambda i: view.show(int(chosen[i])),
        len(chosen),
        path,
        fps=fps,
        dpi=dpi,
        hold=hold,
    )
