"""A classifier's decision grid, and the figure of its regions and boundary.

The picture of a classifier is its output at every point of a grid over the data.
``decision_grid`` computes that grid; every figure drawn from it shows exactly it, so
a test can check the image against ``model.predict``. Each region has its class
colour, deeper where the model is more confident (as TensorFlow Playground shades
them), and the boundary is the smooth line where the two largest outputs are equal
(Ŷ = 0.5 for one output), found by interpolating the outputs, not the stair-steps of
the class grid. The learning animation (``glassnet.plots.learning``) redraws the
same view frame by frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.plots._common import (
    check_points,
    class_color,
    class_ids,
    new_figure,
    predicted_classes,
    scatter_classes,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "DecisionGrid",
    "decision_boundary",
    "decision_grid",
    "grid_axes",
    "predict_grid",
    "region_colors",
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

    ``decision_grid`` and ``predict_grid`` make one from a model; by hand:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> grid = gn.plots.DecisionGrid(xs=np.array([0.0, 1.0]), ys=np.array([0.0]),
    ...     classes=np.array([[0, 1]]), score=np.array([[0.2, 0.9]]), outputs=1)
    >>> grid.points().tolist()
    [[0.0, 0.0], [1.0, 0.0]]
    >>> grid.confidence().round(2).tolist()  # |2p − 1|
    [[0.6, 0.8]]
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
    """Grid coordinates covering the points X (m, 2), widened by ``margin`` × range.

    >>> import glassnet as gn
    >>> xs, ys = gn.plots.grid_axes([[0, 0], [1, 2]], resolution=3)
    >>> xs.round(2).tolist(), ys.round(2).tolist()  # 10 % of the range beyond the data
    ([-0.1, 0.5, 1.1], [-0.2, 1.0, 2.2])
    """
    X = check_points(X, "grid_axes")
    if resolution < 2:
        raise ValueError(f"grid_axes needs resolution ≥ 2; got {resolution!r}.")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    return xs, ys


def predict_grid(model: Sequential, xs: Array, ys: Array) -> DecisionGrid:
    """Predicted classes (rule of ``glassnet.accuracy``) at every point of the grid.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> layer = gn.Dense(2, 1, bias=False, init=[[1.0, -1.0]])  # Ŷ = σ(x₁ − x₂)
    >>> model = gn.Sequential([layer, gn.Sigmoid()])
    >>> grid = gn.plots.predict_grid(model, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    >>> grid.classes.tolist(), grid.score.round(2).tolist()  # row i is ys[i]
    ([[1, 1], [0, 1]], [[0.5, 0.73], [0.27, 0.5]])
    """
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
    """The model's predicted class on a resolution × resolution grid over X (m, 2).

    >>> import glassnet as gn
    >>> layer = gn.Dense(2, 1, bias=False, init=[[1.0, -1.0]])  # Ŷ = σ(x₁ − x₂)
    >>> model = gn.Sequential([layer, gn.Sigmoid()])
    >>> grid = gn.plots.decision_grid(model, [[0, 0], [1, 1]], resolution=3)
    >>> grid.xs.round(2).tolist()
    [-0.1, 0.5, 1.1]
    >>> grid.classes.tolist()  # class 1 where x₁ ≥ x₂; row i is ys[i]
    [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
    """
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

    >>> import glassnet as gn
    >>> layer = gn.Dense(2, 1, bias=False, init=[[1.0, -1.0]])  # Ŷ = σ(x₁ − x₂)
    >>> model = gn.Sequential([layer, gn.Sigmoid()])
    >>> image = gn.plots.region_colors(gn.plots.decision_grid(model, [[0, 0], [1, 1]]))
    >>> image.shape, bool(image.min() >= 0 and image.max() <= 1)
    ((200, 200, 3), True)
    """
    base = np.array([to_rgb(class_color(k)) for k in range(max(grid.outputs, 2, 10))])
    depth = _LIGHTEST + (_DEEPEST - _LIGHTEST) * grid.confidence()
    colours = base[np.asarray(grid.classes) % base.shape[0]]
    return 1.0 - (1.0 - colours) * depth[..., None]


class _BoundaryView:
    """An axes of shaded regions, the boundary line and the data; ``update`` redraws.

    The learning animation (``glassnet.plots.learning``) updates one per frame.
    """

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

    >>> import glassnet as gn
    >>> layer = gn.Dense(2, 1, bias=False, init=[[1.0, -1.0]])  # Ŷ = σ(x₁ − x₂)
    >>> model = gn.Sequential([layer, gn.Sigmoid()])
    >>> fig = gn.plots.decision_boundary(model, [[1, 0], [0, 1]], [1, 0], resolution=20)
    >>> print(fig.axes[0].get_title())
    Decision boundary
    training accuracy 100.00 %
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
