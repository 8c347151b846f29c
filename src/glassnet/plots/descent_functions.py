"""The functions of two variables that the descent figures draw, and descent on them.

Built-in functions (``FUNCTIONS``): seed B's bowl x² + y², an elongated bowl, the
Rosenbrock valley and a function with two minima, each with a starting point, a
learning rate and bounds that show its descent well. A user's own function is a string
in x and y, read safely by ``glassnet.plots.expression.parse_expression``.
``descent_path`` is the path ``glassnet.gradient_descent`` takes on one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.descent import gradient_descent
from glassnet.plots.expression import parse_expression

__all__ = [
    "FUNCTIONS",
    "Function2D",
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
        minima: the known local minima (x, y), global first; marked on the map.

    >>> import glassnet as gn
    >>> fn = gn.plots.Function2D("oval", "x² + 4·y²", lambda x, y: x**2 + 4 * y**2,
    ...     grad=None, x0=(2.0, 1.0), lr=0.1, steps=20, bounds=((-3, 3), (-2, 2)))
    >>> fn((1.0, 1.0))  # f(1, 1), as gradient_descent calls it
    5.0
    >>> gn.plots.descent_path(fn).shape  # x0 and 20 steps
    (21, 2)
    """

    name: str
    formula: str
    f: F2
    grad: Callable[[float, float], tuple[float, float]] | None
    x0: tuple[float, float]
    lr: float
    steps: int
    bounds: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[tuple[float, float], ...] = ()

    def __call__(self, p: ArrayLike) -> float:
        """The value f(x, y) at p = (x, y), as ``gradient_descent`` calls it."""
        p = np.asarray(p, dtype=np.float64)
        return float(self.f(p[0], p[1]))


def _two_minima_minima() -> tuple[tuple[float, float], ...]:
    """Minima of two_minima: 4x(x² − 1) + 0.3 = 0, 12x² − 4 > 0, y = 0; lowest first."""
    roots = np.roots([4.0, 0.0, -4.0, 0.3]).real
    xs = sorted(
        (float(x) for x in roots if 12 * x**2 - 4 > 0),
        key=lambda x: (x**2 - 1) ** 2 + 0.3 * x,
    )
    return tuple((x, 0.0) for x in xs)


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
        ((0.0, 0.0),),
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
        ((0.0, 0.0),),
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
        ((1.0, 1.0),),
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
        _two_minima_minima(),
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
