"""Figures of the data: 2-D points by class (seed A figure 1) or by target, digits."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from glassnet.plots._common import (
    check_points,
    class_ids,
    new_figure,
    scatter_classes,
)

__all__ = ["digit_grid", "scatter_data", "scatter_target"]


def scatter_data(
    X: ArrayLike, y: ArrayLike, *, title: str = "Training data", size: float = 4.5
) -> Figure:
    """The points of a 2-D data set, one colour per class (seed A's figure 1).

    Args:
        X: points, shape (m, 2).
        y: class ids (m,), 0/1 floats, or one-hot rows (m, k).
        title: the figure's title.
        size: width and height in inches.

    Returns:
        A Figure with one axes.

    >>> import glassnet as gn
    >>> fig = gn.plots.scatter_data([[0, 0], [1, 0], [0, 1]], [0, 1, 1])
    >>> len(fig.axes), fig.axes[0].get_title()
    (1, 'Training data (3 points)')
    """
    X = check_points(X, "scatter_data")
    labels = class_ids(y)
    fig = new_figure(size, size)
    ax = fig.add_subplot()
    scatter_classes(ax, X, labels)
    ax.set(title=f"{title} ({X.shape[0]} points)", xlabel="$x_1$", ylabel="$x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
    return fig


def scatter_target(
    X: ArrayLike,
    t: ArrayLike,
    *,
    axis_labels: tuple[str, str] = ("$x_1$", "$x_2$"),
    target: str = "target",
    title: str = "Training data",
    size: float = 4.8,
) -> Figure:
    """The points of a 2-D regression set, coloured by their target value.

    Pass the inputs and targets in their own units (undo any standardization) so
    that the axes and the colour bar read as the quantities they are, e.g. a table's
    length a and width b coloured by its area a·b.

    Args:
        X: inputs, shape (m, 2).
        t: the target of each point, (m,) or (m, 1).
        axis_labels: names of the two inputs, with units if any.
        target: the name of the target, for the colour bar.
        title: the figure's title.
        size: width and height in inches.

    Returns:
        A Figure with the scatter axes and its colour bar.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X = np.array([[2.0, 3.0], [4.0, 5.0]])  # two tables' length a and width b
    >>> fig = gn.plots.scatter_target(X, X[:, 0] * X[:, 1], target="area a·b (m²)")
    >>> len(fig.axes), fig.axes[1].get_ylabel()  # the scatter and its colour bar
    (2, 'area a·b (m²)')
    """
    X = check_points(X, "scatter_target")
    values = np.asarray(t, dtype=np.float64).reshape(-1)
    if values.shape[0] != X.shape[0]:
        raise ValueError(
            f"scatter_target needs one target per point: X has {X.shape[0]} rows, "
            f"t has {values.shape[0]} values."
        )
    fig = new_figure(size + 0.8, size)
    ax = fig.add_subplot()
    points = ax.scatter(
        X[:, 0], X[:, 1], c=values, cmap="viridis", s=14, edgecolors="none"
    )
    fig.colorbar(points, ax=ax, label=target)
    ax.set(
        title=f"{title} ({X.shape[0]} points)",
        xlabel=axis_labels[0],
        ylabel=axis_labels[1],
    )
    ax.set_aspect("equal", adjustable="datalim")
    return fig


def digit_grid(
    images: ArrayLike,
    labels: ArrayLike,
    *,
    predicted: ArrayLike | None = None,
    n: int = 25,
    title: str = "Sample digits",
    class_names: Sequence[str] | None = None,
) -> Figure:
    """The first ``n`` images in a square grid, each with its label.

    With ``predicted``, each title reads "pred p / true t", red where they differ.

    Args:
        images: (m, 784) rows or (m, h, w) images; values in any range (greyscale).
        labels: true class ids (m,) or one-hot rows.
        predicted: predicted class ids (m,), optional.
        n: how many images to show (the first n).
        title: the figure's title.
        class_names: names for the class ids (default: the ids).

    Returns:
        A Figure with one axes per image shown.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> images = np.zeros((4, 3, 3)); images[:, 1, 1] = 1.0  # four tiny 3×3 images
    >>> fig = gn.plots.digit_grid(images, [0, 1, 2, 3], predicted=[0, 1, 2, 7])
    >>> len(fig.axes), fig.axes[3].get_title()  # a 2 × 2 grid; the last one is wrong
    (4, 'pred 7 / true 3')
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(
                f"digit_grid needs square images: rows of {images.shape[1]} pixels "
                "are not a square. Pass (m, h, w) images instead."
            )
        images = images.reshape(-1, side, side)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(
            f"digit_grid expected images of shape (m, h·w) or (m, h, w) with m ≥ 1; "
            f"got {images.shape}."
        )
    true = class_ids(labels, "labels")
    pred = None if predicted is None else class_ids(predicted, "predicted")
    count = min(int(n), images.shape[0])
    cols = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / cols))
    fig = new_figure(1.1 * cols, 1.25 * rows + 0.4)
    fig.suptitle(title)

    def name(k: int) -> str:
        return str(class_names[k]) if class_names is not None else str(k)

    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if pred is None:
            ax.set_title(name(true[i]), fontsize=9)
        else:
            wrong = pred[i] != true[i]
            ax.set_title(
                f"pred {name(pred[i])} / true {name(true[i])}",
                fontsize=7,
                color="#d62728" if wrong else "black",
            )
    return fig
