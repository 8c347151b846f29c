"""Gradient descent on a plain function f(x) of a vector, keeping its path (seed B).

>>> import numpy as np
>>> def f(p):
...     return p[0] ** 2 + p[1] ** 2
>>> path = gradient_descent(f, [-5.0, -5.0], lr=0.5, steps=3, grad=lambda p: 2 * p)
>>> path                       # one step of 0.5 · (−10, −10) lands on the minimum
array([[-5., -5.],
       [ 0.,  0.]])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validate import positive_int
from glassnet.gradcheck import numerical_gradient

__all__ = ["DescentError", "gradient_descent"]

Vector = NDArray[np.float64]


class DescentError(FloatingPointError):
    """A descent whose numbers cannot be trusted.

    It left the finite numbers, or its numerical gradient vanished where f still
    decreases. ``kind`` is "diverged" or "stalled".

    >>> import glassnet as gn
    >>> from glassnet.descent import DescentError
    >>> try:                        # lr 10 on x²: every step multiplies x by −19
    ...     gn.gradient_descent(lambda x: x[0] ** 2, [1.0], lr=10.0, steps=1000,
    ...                         grad=lambda x: 2 * x)
    ... except DescentError as error:
    ...     print(error.kind, isinstance(error, FloatingPointError))
    diverged True
    """

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _probe_lower(
    f: Callable[[Vector], float], x: Vector
) -> tuple[Vector, float] | None:
    """A point near x with f below f(x), if one of a few probes finds one; else None.

    The probes step ±δ along each axis for δ = 10⁻³, 10⁻¹ and 1 times max(1, |x_i|):
    scales at which a true minimum would show f rising in every direction.
    """
    f0 = float(f(x))
    for scale in (1e-3, 1e-1, 1.0):
        for i in range(x.size):
            for sign in (1.0, -1.0):
                p = x.copy()
                p[i] += sign * scale * max(1.0, abs(float(x[i])))
                value = float(f(p))
                if value < f0:
                    return p, value
    return None


def gradient_descent(
    f: Callable[[Vector], float],
    x0: ArrayLike,
    lr: float,
    steps: int,
    grad: Callable[[Vector], ArrayLike] | None = None,
    tol: float = 0.0,
) -> Vector:
    """Follow x := x − lr · ∇f(x) from x0; return every point visited, x0 first.

    Args:
        f: the function to minimise, taking a float64 vector.
        x0: the starting point.
        lr: the step size α (> 0).
        steps: the most steps to take (≥ 0).
        grad: ∇f; when None, central differences of f with h = 1e-4.
        tol: stop early once ‖∇f(x)‖ ≤ tol (the default 0 stops only at an exact zero
            gradient, as seed B's descent does at the origin).

    Returns:
        The path, shape (k + 1, n) for k steps taken.

    Raises:
        DescentError: (a FloatingPointError) the gradient or the next point is not
            finite (lr too large: the descent diverged), or a numerical gradient is
            exactly zero where f still decreases nearby (h = 1e-4 is below what f's
            float64 values resolve there, far from any minimum).

    >>> import glassnet as gn
    >>> def f(x):
    ...     return (x[0] - 3.0) ** 2
    >>> path = gn.gradient_descent(f, [0.0], lr=0.25, steps=20)   # numerical ∇f
    >>> path.shape, round(float(path[-1, 0]), 4)
    ((21, 1), 3.0)
    >>> len(gn.gradient_descent(f, [0.0], lr=0.25, steps=100, tol=1e-3))  # stops early
    14
    """
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"gradient_descent needs a finite lr > 0; got {lr!r}.")
    steps = positive_int(steps, "gradient_descent's steps", minimum=0)
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"gradient_descent needs a finite x0; got {x}.")
    gradient = grad if grad is not None else (lambda p: numerical_gradient(f, p))
    path = [x.copy()]
    for k in range(steps):
        with np.errstate(all="ignore"):  # reported just below, with the step
            g = np.asarray(gradient(x), dtype=np.float64).reshape(x.shape)
            norm = float(np.linalg.norm(g))  # may overflow to inf: still > tol
        if not np.all(np.isfinite(g)):
            raise DescentError(
                f"gradient descent diverged: the gradient at step {k}, x = {x}, is "
                "not finite; try a smaller lr.",
                "diverged",
            )
        if norm <= tol:
            if grad is None and not np.any(g):
                lower = _probe_lower(f, x)
                if lower is not None:
                    # f grown since x0: the steps overshot until h was too small
                    grew = float(f(x)) > float(f(path[0]))
                    raise DescentError(
                        f"gradient descent {'diverged and ' if grew else ''}stalled "
                        f"at step {k}: the numerical gradient at x = {x} is exactly "
                        f"0 but f is lower nearby (f = {lower[1]:.6g} at "
                        f"{lower[0]}): central differences with h = 1e-4 cannot "
                        "resolve f there; "
                        + (
                            "try a smaller lr."
                            if grew
                            else "start nearer the minimum or give the gradient."
                        ),
                        "diverged" if grew else "stalled",
                    )
            break
        with np.errstate(all="ignore"):
            x = x - lr * g
        if not np.all(np.isfinite(x)):
            raise DescentError(
                f"gradient descent diverged: step {k + 1} left the finite numbers "
                f"(lr {lr:g}, gradient {g}); try a smaller lr.",
                "diverged",
            )
        path.append(x.copy())
    return np.array(path)
