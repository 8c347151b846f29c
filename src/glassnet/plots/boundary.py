"""Decision boundaries, and the learning process as an animation (seed A, figure 3).

The picture of a classifier is its output at every point of a grid over the data.
``decision_grid`` computes that grid; every figure here draws exactly it, so a test can
check the image against ``model.predict``. Each region has its class colour, deeper
where the model is more confident (as TensorFlow Playground shades them), and the
boundary is the smooth line where the two largest outputs are equal (Ŷ = 0.5 for one
output), found by interpolating the outputs, not the stair-steps of the class grid.

To watch learning, pass a ``LearningRecorder`` to ``fit``: a callback that stores the
grid of outputs (not a copy of the model) at steps that are dense early, when the
picture changes fastest, and at most ``every`` steps apart later. ``animate_learning``
draws as many of them as asked, chosen so that the picture changes about as much from
each frame to the next; each frame is titled with the loss and accuracy on the whole
training set, and the last one is held.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.callbacks import Callback
from glassnet.plots._common import (
    check_points,
    class_color,
    class_ids,
    new_figure,
    predicted_classes,
    scatter_classes,
    write_animation,
)

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
    "region_colors",
    "spaced_by_change",
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
        values: every output at every point, (ny, nx, outputs); None when not kept.
    """

    xs: Array
    ys: Array
    classes: NDArray[np.int64]
    score: Array
    outputs: int
    values: Array | None = None

    def confidence(self) -> Array:
        """How sure the model is at each point, from 0 (on the boundary) to 1.

        One output p: |2p − 1|. k outputs: (max − 1/k) / (1 − 1/k), 0 when all are
        equal. Outputs that are not probabilities are clipped into [0, 1] first.
        """
        p = np.clip(np.asarray(self.score, dtype=np.float64), 0.0, 1.0)
        if self.outputs == 1:
            return np.abs(2 * p - 1)
        k = self.outputs
        return np.clip((p - 1 / k) / (1 - 1 / k), 0.0, 1.0)

    def margins(self) -> Array | None:
        """For each class c, p_c − max of the other outputs: (outputs, ny, nx).

        Class c wins where its margin is positive; its boundary is the margin's zero
        line. None for one output (there the boundary is score = 0.5) or without
        ``values``.
        """
        if self.outputs == 1 or self.values is None:
            return None
        V = np.asarray(self.values, dtype=np.float64)
        top2 = np.sort(V, axis=-1)[..., -2:]
        is_top = top2[..., 1:] == V
        others = np.where(is_top, top2[..., :1], top2[..., 1:])
        return np.moveaxis(V - others, -1, 0)

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
    k = Y_hat.shape[1]
    values = Y_hat.reshape(*shape, k)
    return DecisionGrid(xs, ys, classes, score.reshape(shape), k, values)


def decision_grid(
    model: Sequential, X: ArrayLike, *, resolution: int = 200, margin: float = 0.1
) -> DecisionGrid:
    """The model's predicted class on a resolution × resolution grid over X (m, 2)."""
    xs, ys = grid_axes(X, resolution, margin)
    return predict_grid(model, xs, ys)


def _n_classes(grid_classes: Array, y: Array, n_outputs: int | None) -> int:
    k = max(int(grid_classes.max()), int(y.max()) if y.size else 0) + 1
    return max(k, 2, n_outputs or 0)


# how far a region's colour goes from white towards its class colour: a little at
# the boundary, most where the model is sure (deep enough to read, light enough for
# the points on top to stand out)
_LIGHTEST, _DEEPEST = 0.06, 0.45


def region_colors(grid: DecisionGrid) -> Array:
    """The RGB image (ny, nx, 3) of the regions: each point's class colour, lightened.

    RGB = 1 − (1 − class colour) · s, with s from 0.06 on the boundary to 0.45 where
    the model is sure (``grid.confidence()``): one hue per class, its depth the
    confidence.
    """
    base = np.array([to_rgb(class_color(k)) for k in range(max(grid.outputs, 2, 10))])
    depth = _LIGHTEST + (_DEEPEST - _LIGHTEST) * grid.confidence()
    colours = base[np.asarray(grid.classes) % base.shape[0]]
    return 1.0 - (1.0 - colours) * depth[..., None]


class _BoundaryView:
    """An axes showing shaded regions, the boundary line and the data; updatable."""

    def __init__(self, ax: Any, grid: DecisionGrid, X: Array, y: Array, k: int):
        self.ax, self.k = ax, k
        self.contours: list[Any] = []
        dx = (grid.xs[-1] - grid.xs[0]) / max(len(grid.xs) - 1, 1)
        dy = (grid.ys[-1] - grid.ys[0]) / max(len(grid.ys) - 1, 1)
        self.image = ax.imshow(
            region_colors(grid),
            origin="lower",
            extent=(
                grid.xs[0] - dx / 2,
                grid.xs[-1] + dx / 2,
                grid.ys[0] - dy / 2,
                grid.ys[-1] + dy / 2,
            ),
            interpolation="bilinear",
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
        self.image.set_data(region_colors(grid))
        for contour in self.contours:
            contour.remove()
        self.contours = []
        if np.unique(grid.classes).size < 2:  # a boundary needs two predicted classes
            return
        style: dict[str, Any] = {"colors": "k", "linewidths": 1.2}
        margins = grid.margins()
        if margins is None:  # one output: the line Ŷ = 0.5 is exactly the class change
            self.contours.append(
                self.ax.contour(grid.xs, grid.ys, grid.score, levels=[0.5], **style)
            )
            return
        for c in np.unique(grid.classes):  # each region's edge: its margin's zero line
            self.contours.append(
                self.ax.contour(grid.xs, grid.ys, margins[c], levels=[0.0], **style)
            )


def decision_boundary(
    model: Sequential,
    X: ArrayLike,
    y: ArrayLike,
    *,
    points: str = "training",
    resolution: int = 200,
    title: str = "Decision boundary",
    size: float = 4.5,
) -> Figure:
    """Class regions of ``model`` over the data (m, 2), with the points and boundary.

    Each region has the class colour of ``scatter_data``, from nearly white at the
    boundary to deep where the model is sure (``region_colors``); the black line is
    where the two largest outputs are equal. The title gives the accuracy on (X, y)
    and names that set (``points``), e.g. "test accuracy 99.50 %".

    Args:
        model: a classifier of 2-D points.
        X: the points drawn and measured, (m, 2).
        y: their classes.
        points: which set X is ("training", "test", ...), for the title.
        resolution: grid points per axis.
        title: the first line of the title.
        size: width and height in inches.

    Returns:
        A Figure with one axes; its first image is ``region_colors`` of
        ``decision_grid(model, X, resolution=resolution)``.
    """
    X = check_points(X, "decision_boundary")
    labels = class_ids(y)
    grid = decision_grid(model, X, resolution=resolution)
    acc = float(np.mean(predicted_classes(model.predict(X)) == labels))
    fig = new_figure(size, size + 0.25)
    ax = fig.add_subplot()
    k = _n_classes(grid.classes, labels, _n_outputs(model))
    _BoundaryView(ax, grid, X, labels, k)
    ax.set_title(f"{title}\n{points} accuracy {100 * acc:.2f} %")
    return fig


def _n_outputs(model: Sequential) -> int | None:
    last = model.shapes[-1]
    return last[0] if len(last) == 1 else None


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
