"""Gradient descent on a function of two variables, drawn (seed A figure 8, seed B).

``descent_figure`` draws the contour map of f (and its 3-D surface) with the path of
gradient descent on it; ``animate_descent`` draws the path step by step. The
functions themselves, built-in or a user's expression, and the path are in
``glassnet.plots.descent_functions`` (re-exported here).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from glassnet.plots._common import new_figure, write_animation
from glassnet.plots.descent_functions import (
    FUNCTIONS,
    Function2D,
    descent_path,
    function_2d,
)

__all__ = [
    "FUNCTIONS",
    "Function2D",
    "animate_descent",
    "descent_figure",
    "descent_path",
    "function_2d",
    "soft_clip",
]

Array = NDArray[np.float64]


def _grid(fn: Function2D, path: Array | None, resolution: int) -> tuple[Array, ...]:
    """The drawing's grid: the function's bounds, widened to the path's finite points.

    The margin of 5 % of the range keeps a marker at the edge whole.
    """
    (x_lo, x_hi), (y_lo, y_hi) = fn.bounds
    if path is not None and path.size:
        finite = path[np.all(np.isfinite(path), axis=1)]
        if finite.size:
            lo, hi = finite.min(axis=0), finite.max(axis=0)
            pad = 0.05 * np.array([x_hi - x_lo, y_hi - y_lo])
            x_lo, x_hi = min(x_lo, lo[0] - pad[0]), max(x_hi, hi[0] + pad[0])
            y_lo, y_hi = min(y_lo, lo[1] - pad[1]), max(y_hi, hi[1] + pad[1])
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


def _colorbar(fig: Figure, filled: Any, ax: Any, levels: Array) -> Any:
    """A colour bar with at most six ticks, at contour levels, as short plain numbers.

    The levels are quantiles, so the bar gives each band the same length; a tick at
    every level would print two dozen crowded, uneven numbers.
    """
    bar = fig.colorbar(filled, ax=ax, label="f(x, y)")
    ticks = levels[np.unique(np.linspace(0, levels.size - 1, 6).round().astype(int))]
    bar.set_ticks(ticks, labels=[_tick_label(t) for t in ticks])
    return bar


def _tick_label(t: float) -> str:
    """A short plain number: 1,590 rather than 1.59e+03, 0.0001 rather than 0.000103."""
    if abs(t) >= 100:
        return f"{t:,.0f}"
    if abs(t) >= 1:
        return f"{t:.3g}"
    return f"{t:.2g}"


def soft_clip(Z: Array, top: float, width: float) -> Array:
    """min(Z, top), rounded off over ``width``: smooth, so a surface has no saw-teeth.

    ``top − width·log(1 + exp((top − Z)/width))`` is Z far below ``top`` and tends to
    ``top`` far above it; its slope falls smoothly from 1 to 0. A hard clip puts a kink
    inside grid cells, which a surface draws as a row of teeth.

    >>> soft_clip(np.array([2.0, 100.0]), 10.0, 1.0).round(3)
    array([ 2., 10.])
    """
    with np.errstate(all="ignore"):
        u = (top - np.asarray(Z, dtype=np.float64)) / width
        return top - width * np.logaddexp(0.0, u)


def _mark_minima(ax: Any, fn: Function2D) -> list[Any]:
    if not fn.minima:
        return []
    xy = np.asarray(fn.minima, dtype=np.float64)
    label = "minimum" if len(xy) == 1 else "minima (global first)"
    return ax.plot(
        xy[:, 0],
        xy[:, 1],
        "X",
        color="white",
        markeredgecolor="black",
        markersize=9,
        linestyle="none",
        label=label,
        zorder=2.5,  # under the path's end star, which often sits on it
    )


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
        A Figure: the contour map with its colour bar, and the 3-D surface beside
        them with ``surface``.

    >>> import glassnet as gn
    >>> fig = gn.plots.descent_figure("bowl")  # seed B: x0 = (−5, −5), α = 0.5
    >>> print(fig.axes[0].get_title())
    f = x² + y²
    1 step, end (0, 0), f = 0
    >>> fig.axes[-1].get_title()
    'Surface (rounded off at top)'
    """
    fn = function_2d(fn)
    path = descent_path(fn) if path is None else np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
        raise ValueError(f"the descent path must have shape (k, 2); got {path.shape}.")
    grid = _grid(fn, path, resolution)  # (x, y, f) on a mesh
    levels = _levels(grid[2])
    fig = new_figure(10.0 if surface else 5.2, 4.8)
    ax = fig.add_subplot(1, 2 if surface else 1, 1)
    _contour_map(fig, ax, fn, path, grid, levels)
    if surface:  # added after the map, so that the map keeps the first axes
        ax3 = fig.add_subplot(1, 2, 2, projection="3d")
        _surface(ax3, fn, path, grid, levels)
    return fig


def _contour_map(
    fig: Figure,
    ax: Any,
    fn: Function2D,
    path: Array,
    grid: tuple[Array, ...],
    levels: Array,
) -> None:
    """Filled contours of f, its minima and the path, titled with where it ends."""
    gx, gy, Z = grid
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
    _colorbar(fig, filled, ax, levels)
    _mark_minima(ax, fn)
    _draw_path(ax, path)
    ax.set_aspect("equal")  # x² + y² looks round
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


def _surface(
    ax3: Any, fn: Function2D, path: Array, grid: tuple[Array, ...], levels: Array
) -> None:
    """The surface of f with the path on it, rounded off above the top contour level.

    ``soft_clip`` keeps a steep function (Rosenbrock) from dwarfing the valley the path
    runs along; the path's heights go through the same rounding, so it stays on it.
    """
    gx, gy, Z = grid
    top = float(levels[-1])
    finite = Z[np.isfinite(Z)]
    width = 0.08 * max(top - float(finite.min()), 1e-12)
    ax3.plot_surface(
        gx,
        gy,
        soft_clip(Z, top, width),
        cmap="viridis",
        alpha=0.75,
        linewidth=0,
        rstride=2,
        cstride=2,
    )
    fz = soft_clip(np.array([fn(p) for p in path]), top, width)
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
    (x_lo, x_hi), (y_lo, y_hi) = (gx[0, 0], gx[0, -1]), (gy[0, 0], gy[-1, 0])
    ax3.set_box_aspect((1.0, (y_hi - y_lo) / (x_hi - x_lo), 0.7))
    ax3.set(xlabel="x", ylabel="y", zlabel="f", title="Surface (rounded off at top)")
    ax3.title.set_fontsize(9)


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
        zorder=6,
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

    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> import glassnet as gn
    >>> path = gn.plots.descent_path("bowl", lr=0.25, steps=3)  # x0 and 3 steps
    >>> gif = Path(tempfile.mkdtemp()) / "bowl.gif"
    >>> with Image.open(gn.plots.animate_descent("bowl", path, gif, dpi=30)) as image:
    ...     image.n_frames
    4
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
    _colorbar(fig, filled, ax, levels)
    _mark_minima(ax, fn)
    ax.set(xlabel="x", ylabel="y")
    ax.set_aspect("equal")
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
