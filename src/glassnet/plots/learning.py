"""The learning process as an animation (seed A, figure 3): recorded, then drawn.

To watch learning, pass a ``LearningRecorder`` (``glassnet.plots.recording``,
re-exported here) to ``fit``; ``animate_learning`` draws as many of its frames as
asked, chosen by ``spaced_by_change`` so that the picture changes about as much from
each frame to the next; each frame is the decision view of ``glassnet.plots.decision``
beside the loss curve, titled with the loss and accuracy on the whole training set,
and the last one is held.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.plots._common import (
    check_points,
    class_ids,
    new_figure,
    predicted_classes,
    write_animation,
)
from glassnet.plots.decision import _BoundaryView, _n_classes
from glassnet.plots.recording import Frame as Frame
from glassnet.plots.recording import LearningRecorder, spaced_by_change

__all__ = [
    "LearningRecorder",
    "animate_learning",
    "learning_figure",
    "spaced_by_change",
]

Array = NDArray[Any]


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

    >>> import glassnet as gn
    >>> X, y = [[0.0, 0.0], [1.0, 1.0]], [0, 1]
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> rec = gn.plots.LearningRecorder(X, resolution=10)
    >>> _ = model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.5),
    ...               epochs=10, callbacks=[rec], verbose=0)  # frames at steps 0 … 10
    >>> fig = gn.plots.learning_figure(rec, X, y, frame=0)
    >>> print(fig.axes[0].get_title())
    before training
    training loss 0.695, accuracy 0.0 %
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

    >>> import glassnet as gn
    >>> X, y = [[0.0, 0.0], [1.0, 1.0]], [0, 1]
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> rec = gn.plots.LearningRecorder(X, resolution=10)
    >>> _ = model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.5),
    ...               epochs=10, callbacks=[rec], verbose=0)  # frames at steps 0 … 10
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> gif = Path(tempfile.mkdtemp()) / "learning.gif"
    >>> path = gn.plots.animate_learning(rec, X, y, gif, dpi=30, size=2, max_frames=3)
    >>> with Image.open(path) as image:  # 3 of the 11 recorded frames
    ...     path.name, image.n_frames
    ('learning.gif', 3)
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
