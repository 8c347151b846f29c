"""Decision boundaries, and the learning process as an animation (seed A, figure 3).

The picture of a classifier is its predicted class at every point of a grid over the
data. ``decision_grid`` computes that grid; every figure here draws exactly it, so a
test can check the image against ``model.predict``.

To watch learning, pass a ``LearningRecorder`` to ``fit``: it is an ``EveryNSteps``
callback that stores, every n steps, the grid of predicted classes (not a copy of the
model) and, at every step, the loss. ``animate_learning`` turns the recording into a
GIF: the boundary moving over the data beside the loss curve so far.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.plots._common import (
    check_points,
    class_ids,
    new_figure,
    predicted_classes,
    region_cmap,
    scatter_classes,
    write_animation,
)
from glassnet.training import EveryNSteps

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "DecisionGrid",
    "LearningRecorder",
    "animate_learning",
    "decision_boundary",
    "decision_grid",
    "grid_axes",
    "learning_figure",
    "predict_grid",
]

Array = NDArray[Any]


@dataclass(frozen=True)
class DecisionGrid:
    """A model's predictions on a grid of points.

    Attributes:
        xs: the grid's x₁ coordinates, shape (nx,).
        ys: the grid's x₂ coordinates, shape (ny,).
        classes: predicted class at (xs[j], ys[i]) in ``classes[i, j]``, (ny, nx).
        score: the output for one-output models (P(class 1) with a sigmoid), else the
            largest output of each point; (ny, nx).
        outputs: the model's number of outputs.
    """

    xs: Array
    ys: Array
    classes: NDArray[np.int64]
    score: Array
    outputs: int

    def points(self) -> Array:
        """The grid as rows (x₁, x₂), in the order of ``classes.ravel()``."""
        return grid_points(self.xs, self.ys)


def grid_points(xs: Array, ys: Array) -> Array:
    """Rows (x₁, x₂) for every grid point, x₁ varying fastest; shape (ny·nx, 2)."""
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def grid_axes(
    X: ArrayLike, resolution: int = 150, margin: float = 0.1
) -> tuple[Array, Array]:
    """Grid coordinates covering the points X (m, 2), widened by ``margin`` × range."""
    X = check_points(X, "grid_axes")
    if resolution < 2:
        raise ValueError(f"grid_axes needs resolution ≥ 2; got {resolution!r}.")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    return xs, ys


def predict_grid(model: Sequential, xs: Array, ys: Array) -> DecisionGrid:
    """Predicted classes (rule of ``glassnet.accuracy``) at every point of the grid."""
    if model.n_in is not None and model.n_in != 2:
        raise ValueError(
            f"a decision boundary needs a model with 2 inputs; this one takes "
            f"{model.n_in}. Train on 2-D data (circles, moons) to draw it."
        )
    Y_hat = np.asarray(model.predict(grid_points(xs, ys)), dtype=np.float64)
    shape = (len(ys), len(xs))
    score = Y_hat[:, 0] if Y_hat.shape[1] == 1 else Y_hat.max(axis=1)
    classes = predicted_classes(Y_hat).reshape(shape)
    return DecisionGrid(xs, ys, classes, score.reshape(shape), Y_hat.shape[1])


def decision_grid(
    model: Sequential, X: ArrayLike, *, resolution: int = 150, margin: float = 0.1
) -> DecisionGrid:
    """The model's predicted class on a resolution × resolution grid over X (m, 2)."""
    xs, ys = grid_axes(X, resolution, margin)
    return predict_grid(model, xs, ys)


def _n_classes(grid_classes: Array, y: Array, n_outputs: int | None) -> int:
    k = max(int(grid_classes.max()), int(y.max()) if y.size else 0) + 1
    return max(k, 2, n_outputs or 0)


class _BoundaryView:
    """An axes showing class regions, the boundary line and the data; updatable."""

    def __init__(self, ax: Any, grid: DecisionGrid, X: Array, y: Array, k: int):
        self.ax, self.k, self.contour = ax, k, None
        self.mesh = ax.pcolormesh(
            grid.xs,
            grid.ys,
            grid.classes,
            cmap=region_cmap(k),
            vmin=-0.5,
            vmax=k - 0.5,
            shading="nearest",
            rasterized=True,
        )
        scatter_classes(ax, X, y, size=10)
        ax.set(xlabel="$x_1$", ylabel="$x_2$")
        ax.set_xlim(grid.xs[0], grid.xs[-1])
        ax.set_ylim(grid.ys[0], grid.ys[-1])
        ax.set_aspect("equal")
        ax.legend(loc="upper right", fontsize="x-small", framealpha=0.8)
        self.update(grid)

    def update(self, grid: DecisionGrid) -> None:
        self.mesh.set_array(grid.classes.ravel())
        if self.contour is not None:
            self.contour.remove()
            self.contour = None
        levels = np.arange(self.k - 1) + 0.5
        present = np.unique(grid.classes)
        if present.size < 2:  # a boundary exists only when two classes are predicted
            return
        values = grid.classes
        if grid.outputs == 1:  # the smooth line Ŷ = 0.5 is exactly the class change
            values, levels = grid.score, np.array([0.5])
        self.contour = self.ax.contour(
            grid.xs, grid.ys, values, levels=levels, colors="k", linewidths=1.2
        )


def decision_boundary(
    model: Sequential,
    X: ArrayLike,
    y: ArrayLike,
    *,
    resolution: int = 150,
    title: str = "Decision boundary",
    size: float = 4.5,
) -> Figure:
    """Class regions of ``model`` over the data (m, 2), with the points and boundary.

    Region colours are the class colours of ``scatter_data``, lightened; the line is
    where the predicted class changes. Accuracy on (X, y) is in the title.

    Returns:
        A Figure with one axes; its first collection is the region mesh whose array
        equals ``decision_grid(model, X, resolution=resolution).classes``.
    """
    X = check_points(X, "decision_boundary")
    labels = class_ids(y)
    grid = decision_grid(model, X, resolution=resolution)
    acc = float(np.mean(predicted_classes(model.predict(X)) == labels))
    fig = new_figure(size, size)
    ax = fig.add_subplot()
    k = _n_classes(grid.classes, labels, _n_outputs(model))
    _BoundaryView(ax, grid, X, labels, k)
    ax.set_title(f"{title} (accuracy {acc:.1%})")
    return fig


def _n_outputs(model: Sequential) -> int | None:
    last = model.shapes[-1]
    return last[0] if len(last) == 1 else None


@dataclass(frozen=True)
class Frame:
    """One recorded moment of training: the step and the predicted grid."""

    step: int
    grid: DecisionGrid


class LearningRecorder(EveryNSteps):
    """A callback for ``fit`` that records the frames of a learning animation.

    Every ``every`` optimizer steps (and before the first) it predicts the classes on
    a grid over X; after every step it keeps the batch loss. Memory: one
    resolution² grid per frame, never a copy of the model.

    Args:
        X: the training points (m, 2); the grid covers them.
        every: steps between frames (≥ 1).
        resolution: grid points per axis.
        margin: how far the grid reaches beyond the data, as a fraction of its range.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1])
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> rec = LearningRecorder(X, every=2, resolution=10)
    >>> _ = model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.1),
    ...               epochs=4, callbacks=[rec], verbose=0)
    >>> [f.step for f in rec.frames], len(rec.step_loss)
    ([0, 2, 4], 4)
    """

    def __init__(
        self,
        X: ArrayLike,
        every: int = 10,
        *,
        resolution: int = 100,
        margin: float = 0.1,
    ) -> None:
        super().__init__(every, self._record)
        self.xs, self.ys = grid_axes(X, resolution, margin)
        self.frames: list[Frame] = []
        self.step_loss: list[float] = []
        self._offset = 0

    def on_train_begin(self, model: Sequential) -> None:
        """Record the frame before training (a second ``fit`` continues the count)."""
        self._offset = len(self.step_loss)
        super().on_train_begin(model)

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Keep the loss; record a frame every ``every`` steps."""
        self.step_loss.append(float(logs["loss"]))
        super().on_step_end(step, model, logs)

    def _record(self, model: Sequential, step: int, logs: dict[str, float]) -> None:
        grid = predict_grid(model, self.xs, self.ys)
        small = DecisionGrid(
            grid.xs,
            grid.ys,
            grid.classes.astype(np.int8),
            grid.score.astype(np.float32),
            grid.outputs,
        )
        self.frames.append(Frame(self._offset + step, small))


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
        self.rec = rec
        k = max(_n_classes(f.grid.classes, labels, None) for f in rec.frames)
        self.fig = new_figure(2 * size + 0.6, size)
        self.ax_b = self.fig.add_subplot(1, 2, 1)
        self.ax_l = self.fig.add_subplot(1, 2, 2)
        self.view = _BoundaryView(self.ax_b, rec.frames[0].grid, X, labels, k)
        losses = np.asarray(rec.step_loss, dtype=np.float64)
        steps = np.arange(1, losses.size + 1)
        self.steps, self.losses = steps, losses
        self.ax_l.plot(steps, losses, color="#cccccc", linewidth=1, label="all steps")
        (self.line,) = self.ax_l.plot([], [], color="#1f77b4", label="loss so far")
        (self.dot,) = self.ax_l.plot([], [], "o", color="#d62728", markersize=4)
        self.ax_l.set(
            title="Loss per step", xlabel="optimizer step", ylabel="loss (batch)"
        )
        finite = losses[np.isfinite(losses)]
        if finite.size and finite.min() > 0 and finite.max() / finite.min() > 30:
            self.ax_l.set_yscale("log")
        self.ax_l.set_xlim(0, max(int(steps[-1]) if steps.size else 1, 1))
        self.ax_l.legend(loc="upper right", fontsize="small")
        self.ax_l.grid(alpha=0.3)

    def show(self, i: int) -> None:
        frame = self.rec.frames[i]
        self.view.update(frame.grid)
        n = min(frame.step, self.losses.size)
        self.line.set_data(self.steps[:n], self.losses[:n])
        self.dot.set_data(self.steps[n - 1 : n], self.losses[n - 1 : n])
        loss = f", loss {self.losses[n - 1]:.4f}" if n else ""
        self.ax_b.set_title(f"Decision boundary at step {frame.step}{loss}")


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
    fps: float = 8,
    dpi: float = 72,
    size: float = 3.6,
    max_frames: int | None = 120,
) -> Path:
    """Write the learning process as an animation (seed A's figure 3).

    Each frame shows the decision boundary over the data beside the loss curve up to
    that step. When there are more than ``max_frames`` recorded frames, an evenly
    spaced subset (always with the first and last) is drawn, to keep files small.

    Args:
        recorder: a LearningRecorder that was passed to ``fit``.
        X: the points (m, 2) drawn under the boundary.
        y: their classes.
        path: a .gif (always available) or .mp4 (needs ffmpeg) file name.
        fps: frames per second.
        dpi: resolution; with ``size`` it sets the frame's pixel size.
        size: height of the figure in inches.
        max_frames: the most frames to draw (None: all).

    Returns:
        The path written.
    """
    view = _LearningView(recorder, X, y, size)
    count = len(recorder.frames)
    chosen = np.arange(count)
    if max_frames is not None and count > max_frames:
        chosen = np.unique(np.linspace(0, count - 1, max_frames).round().astype(int))
    return write_animation(
        view.fig,
        lambda i: view.show(int(chosen[i])),
        len(chosen),
        path,
        fps=fps,
        dpi=dpi,
    )
