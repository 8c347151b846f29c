"""Gradient descent on a function of two variables, drawn (seed A figure 8, seed B).

Built-in functions (``FUNCTIONS``): seed B's bowl x² + y², an elongated bowl, the
Rosenbrock valley and a function with two minima. A user's own function is a string
in x and y, read by ``parse_expression`` — a small interpreter over Python's ``ast``
that accepts only numbers, x, y, pi, e, + − * / ** and a list of NumPy functions.
Nothing in the string is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import math
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

__all__ = [
    "FUNCTIONS",
    "Function2D",
    "animate_descent",
    "descent_figure",
    "descent_path",
    "function_2d",
    "parse_expression",
]

Array = NDArray[np.float64]
F2 = Callable[[Array, Array], Array]

_FUNCS: dict[str, Callable[..., Any]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "arctan": np.arctan,
    "atan": np.arctan,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: np.positive,
    ast.USub: np.negative,
}
_MAX_LENGTH = 500


def parse_expression(expr: str) -> F2:
    """A function f(x, y) from a formula such as ``"x**2 + 3*sin(y)"``, read safely.

    Allowed: numbers, the names x, y, pi, e; + − * / ** and unary ±; calls of
    sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, arctan (atan) with one
    argument. Anything else — attribute access, subscripts, other names or calls,
    keywords, lambdas, comparisons, strings — is refused with a ValueError before
    any evaluation. Evaluation walks the parsed tree with NumPy, on float64 arrays,
    and never calls ``eval``; overflow gives inf (no warning), not an exception.

    >>> f = parse_expression("x**2 + y**2")
    >>> float(f(3.0, 4.0))
    25.0
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: the expression may only call sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, arctan, atan; got a call of '__import__'.
    """  # noqa: E501 — the doctest's message is one line
    if not isinstance(expr, str):
        raise TypeError(f"the expression must be a string; got {type(expr).__name__}.")
    if len(expr) > _MAX_LENGTH:
        raise ValueError(
            f"the expression is {len(expr)} characters long; at most {_MAX_LENGTH} "
            "are accepted."
        )
    if "^" in expr:
        raise ValueError(
            f"the expression {expr!r} uses '^'; write powers as ** (x**2), "
            "as in Python."
        )
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(
            f"the expression {expr!r} is not a valid formula ({err.msg}); write it "
            "in Python syntax, e.g. 'x**2 + 10*y**2'."
        ) from None
    _check(tree.body)
    body = tree.body

    def f(x: ArrayLike, y: ArrayLike) -> Array:
        env = {
            "x": np.asarray(x, dtype=np.float64),
            "y": np.asarray(y, dtype=np.float64),
        }
        with np.errstate(all="ignore"):
            out = np.asarray(_evaluate(body, env), dtype=np.float64)
        return np.broadcast_to(out, np.broadcast(env["x"], env["y"]).shape).copy()

    return f


def _check(node: ast.AST) -> None:
    """Refuse every node that is not a number, x, y, a constant, ± * / ** or a call."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(
                f"the expression may hold only real numbers; got {node.value!r}."
            )
    elif isinstance(node, ast.Name):
        if node.id not in ("x", "y", *_CONSTANTS):
            raise ValueError(
                f"the expression may use the variables x and y and the constants "
                f"pi and e; got the name {node.id!r}."
            )
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ValueError(
                f"the expression may use + - * / and **; got {type(node.op).__name__}."
            )
        _check(node.left)
        _check(node.right)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ValueError(
                f"the expression may use unary + and -; got {type(node.op).__name__}."
            )
        _check(node.operand)
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _FUNCS:
            shown = name if name is not None else type(node.func).__name__
            raise ValueError(
                f"the expression may only call {', '.join(_FUNCS)}; got a call of "
                f"{shown!r}."
            )
        if node.keywords or len(node.args) != 1:
            raise ValueError(
                f"{name}() takes exactly one argument, without keywords, in an "
                "expression."
            )
        _check(node.args[0])
    else:
        raise ValueError(
            f"the expression may not contain {type(node).__name__} "
            f"({ast.unparse(node)!r}); allowed are numbers, x, y, pi, e, + - * / ** "
            "and functions such as sin(x)."
        )


def _evaluate(node: ast.AST, env: dict[str, Array]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)  # floats: 9**9**9 overflows to inf, never a bigint
    if isinstance(node, ast.Name):
        return env[node.id] if node.id in env else _CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        op = _BINARY[type(node.op)]
        return op(_evaluate(node.left, env), _evaluate(node.right, env))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, env))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _FUNCS[node.func.id](_evaluate(node.args[0], env))
    raise ValueError(f"unexpected node {type(node).__name__}")  # _check forbids it


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
    ax.set(
        title=f"f = {fn.formula}\n{path.shape[0] - 1} steps, "
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
