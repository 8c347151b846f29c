"""Gradient descent on a function of two variables, drawn (seed A figure 8, seed B).

Built-in functions (``FUNCTIONS``): seed B's bowl x² + y², an elongated bowl, the
Rosenbrock valley and a function with two minima. A user's own function is a string
in x and y, read safely by ``glassnet.plots.expression.parse_expression``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.descent import gradient_descent
from glassnet.plots._common import new_figure, write_animation
from glassnet.plots.expression import parse_expression

__all__ = [
    "FUNCTIONS",
    "Function2D",
    "animate_descent",
    "descent_figure",
    "descent_path",
    "function_2d",
]

Array = NDArray[np.float64]
F2 = Callable[[Array, Array], Array]


@dataclass(frozen=True)
class Function2D:
    """A function of (x, y) to descend, with sensible defaults for drawing it.

    Attributes:
        name: short name ("bowl", or the expression itself).
        formula: the formula as text, for titles.
        f: f(x, y) on arrays (broadcasting).
        grad: ∇f(x, y) → (∂f/∂x, ∂f/∂y), or None for central differences.
        x0: default starting point.
        lr: default learning rate α.
        steps: default number of steps.
        bounds: ((x_min, x_max), (y_min, y_max)) of the drawing.
    """

    name: str
    formula: str
    f: F2
    grad: Callable[[float, float], tuple[float, float]] | None
    x0: tuple[float, float]
    lr: float
    steps: int
    bounds: tuple[tuple[float, float], tuple[float, float]]

    def __call__(self, p: ArrayLike) -> float:
        """The value f(x, y) at p = (x, y), as ``gradient_descent`` calls it."""
        p = np.asarray(p, dtype=np.float64)
        return float(self.f(p[0], p[1]))


FUNCTIONS: dict[str, Function2D] = {
    "bowl": Function2D(
        "bowl",
        "x² + y²",
        lambda x, y: x**2 + y**2,
        lambda x, y: (2 * x, 2 * y),
        (-5.0, -5.0),
        0.5,
        10,
        ((-6.0, 6.0), (-6.0, 6.0)),
    ),
    "elongated": Function2D(
        "elongated",
        "x² + 10·y²",
        lambda x, y: x**2 + 10 * y**2,
        lambda x, y: (2 * x, 20 * y),
        (-4.5, 1.5),
        0.09,
        40,
        ((-5.0, 5.0), (-2.0, 2.0)),
    ),
    "rosenbrock": Function2D(
        "rosenbrock",
        "(1 − x)² + 100·(y − x²)²",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
        (-1.2, 1.0),
        0.001,
        4000,
        ((-2.0, 2.0), (-1.0, 3.0)),
    ),
    "two_minima": Function2D(
        "two_minima",
        "(x² − 1)² + y² + 0.3·x",
        lambda x, y: (x**2 - 1) ** 2 + y**2 + 0.3 * x,
        lambda x, y: (4 * x * (x**2 - 1) + 0.3, 2 * y),
        (1.6, 1.5),
        0.05,
        60,
        ((-2.0, 2.0), (-2.0, 2.0)),
    ),
}


def function_2d(spec: str | Function2D) -> Function2D:
    """A built-in function by name (see ``FUNCTIONS``) or a user's expression in x, y.

    An expression gets x0 = (1.5, 1.5), lr = 0.1, 50 steps, bounds ±3, and the
    gradient by central differences.

    >>> function_2d("bowl").formula
    'x² + y²'
    >>> function_2d("x**2 + 3*y**2").lr
    0.1
    """
    if isinstance(spec, Function2D):
        return spec
    if spec in FUNCTIONS:
        return FUNCTIONS[spec]
    try:
        f = parse_expression(spec)
    except ValueError as err:
        raise ValueError(
            f"{err} (Or name a built-in function: {', '.join(FUNCTIONS)}.)"
        ) from None
    return Function2D(spec, spec, f, None, (1.5, 1.5), 0.1, 50, ((-3, 3), (-3, 3)))


def descent_path(
    fn: str | Function2D,
    x0: ArrayLike | None = None,
    lr: float | None = None,
    steps: int | None = None,
) -> Array:
    """The points visited by ``glassnet.gradient_descent`` on fn; shape (k + 1, 2).

    Defaults come from the function (seed B's bowl: x0 = (−5, −5), α = 0.5).

    >>> descent_path("bowl")
    array([[-5., -5.],
           [ 0.,  0.]])
    """
    fn = function_2d(fn)
    grad = None
    if fn.grad is not None:
        g = fn.grad

        def grad(p: Array) -> Array:
            return np.array(g(float(p[0]), float(p[1])))

    return gradient_descent(
        fn,
        fn.x0 if x0 is None else x0,
        fn.lr if lr is None else lr,
        fn.steps if steps is None else steps,
        grad=grad,
    )


def _grid(fn: Function2D, path: Array | None, resolution: int) -> tuple[Array, ...]:
    (x_lo, x_hi), (y_lo, y_hi) = fn.bounds
    if path is not None and path.size:
        finite = path[np.all(np.isfinite(path), axis=1)]
        x_lo, x_hi = min(x_lo, finite[:, 0].min()), max(x_hi, finite[:, 0].max())
        y_lo, y_hi = min(y_lo, finite[:, 1].min()), max(y_hi, finite[:, 1].max())
    xs = np.linspace(x_lo, x_hi, resolution)
    ys = np.linspace(y_lo, y_hi, resolution)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(fn.f(gx, gy), dtype=np.float64)
    return gx, gy, Z


def _levels(Z: Array, n: int = 24) -> Array:
    """Contour levels at quantiles of f: even spacing in area, for any range of f."""
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("the function is not finite anywhere on the drawing.")
    levels = np.unique(np.quantile(finite, np.linspace(0, 0.98, n)))
    if levels.size < 2:  # a constant function: one band around its value
        levels = np.array([finite.min() - 1, finite.min() + 1])
    return levels


def descent_figure(
    fn: str | Function2D,
    path: Array | None = None,
    *,
    surface: bool = True,
    resolution: int = 160,
) -> Figure:
    """Contour map (and 3-D surface) of f with the path of gradient descent on it.

    Args:
        fn: a built-in name ("bowl", "elongated", "rosenbrock", "two_minima"), an
            expression in x and y, or a Function2D.
        path: the points visited, (k + 1, 2); None runs ``descent_path(fn)``.
        surface: add a 3-D surface with the path on it, beside the contours.
        resolution: grid points per axis.

    Returns:
        A Figure with one axes (contours), or two with ``surface``.
    """
    fn = function_2d(fn)
    path = descent_path(fn) if path is None else np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
        raise ValueError(f"the descent path must have shape (k, 2); got {path.shape}.")
    gx, gy, Z = _grid(fn, path, resolution)
    levels = _levels(Z)
    fig = new_figure(9.5 if surface else 5.2, 4.4)
    ax = fig.add_subplot(1, 2 if surface else 1, 1)
    filled = ax.contourf(
        gx, gy, np.ma.masked_invalid(Z), levels=levels, cmap="viridis", extend="both"
    )
    ax.contour(
        gx,
        gy,
        np.ma.masked_invalid(Z),
        levels=levels,
        colors="white",
        linewidths=0.3,
        alpha=0.6,
    )
    fig.colorbar(filled, ax=ax, label="f(x, y)", format="%.3g")
    _draw_path(ax, path)
    f_end = fn(path[-1])
    n_steps = path.shape[0] - 1
    ax.set(
        title=f"f = {fn.formula}\n{n_steps} step{'' if n_steps == 1 else 's'}, "
        f"end ({path[-1, 0]:.3g}, {path[-1, 1]:.3g}), f = {f_end:.3g}",
        xlabel="x",
        ylabel="y",
    )
    ax.title.set_fontsize(9)
    ax.legend(loc="best", fontsize="x-small")
    if surface:
        ax3 = fig.add_subplot(1, 2, 2, projection="3d")
        top = levels[-1]
        ax3.plot_surface(
            gx,
            gy,
            np.clip(Z, None, top),
            cmap="viridis",
            alpha=0.75,
            linewidth=0,
            rstride=4,
            cstride=4,
        )
        fz = np.clip(np.array([fn(p) for p in path]), None, top)
        ax3.plot(
            path[:, 0],
            path[:, 1],
            fz,
            "o-",
            color="#d62728",
            markersize=2.5,
            linewidth=1.2,
            zorder=10,
        )
        ax3.set(xlabel="x", ylabel="y", zlabel="f", title="Surface (clipped at top)")
        ax3.title.set_fontsize(9)
    return fig


def _draw_path(ax: Any, path: Array, upto: int | None = None) -> list[Any]:
    pts = path if upto is None else path[: upto + 1]
    artists = ax.plot(
        pts[:, 0],
        pts[:, 1],
        "o-",
        color="#d62728",
        markersize=3,
        linewidth=1.2,
        label="descent path",
    )
    artists += ax.plot(
        *path[0],
        "s",
        color="white",
        markeredgecolor="black",
        markersize=7,
        label="start",
    )
    artists += ax.plot(
        *pts[-1],
        "*",
        color="#ffdd00",
        markeredgecolor="black",
        markersize=12,
        label="current" if upto is not None else "end",
    )
    return artists


def animate_descent(
    fn: str | Function2D,
    path: Array | None,
    out: str | os.PathLike[str],
    *,
    fps: float = 5,
    dpi: float = 72,
    max_frames: int = 80,
) -> Path:
    """Write the descent on the contour map as an animation, one frame per step.

    With more than ``max_frames`` steps, evenly spaced steps are drawn (always the
    first and the last).

    Returns:
        The path written (.gif; .mp4 needs ffmpeg).
    """
    fn = function_2d(fn)
    path = descent_path(fn) if path is None else np.asarray(path, dtype=np.float64)
    gx, gy, Z = _grid(fn, path, 120)
    levels = _levels(Z)
    fig = new_figure(5.0, 4.4)
    ax = fig.add_subplot()
    filled = ax.contourf(
        gx, gy, np.ma.masked_invalid(Z), levels=levels, cmap="viridis", extend="both"
    )
    fig.colorbar(filled, ax=ax, label="f(x, y)", format="%.3g")
    ax.set(xlabel="x", ylabel="y")
    chosen = np.unique(
        np.linspace(0, len(path) - 1, min(max_frames, len(path))).round().astype(int)
    )
    drawn: list[Any] = []

    def draw(i: int) -> None:
        for artist in drawn:
            artist.remove()
        drawn.clear()
        k = int(chosen[i])
        drawn.extend(_draw_path(ax, path, k))
        ax.set_title(f"f = {fn.formula}: step {k}, f = {fn(path[k]):.4g}", fontsize=9)

    return write_animation(fig, draw, len(chosen), out, fps=fps, dpi=dpi)
