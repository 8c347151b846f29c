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

__all__ = ["gradient_descent"]

Vector = NDArray[np.float64]


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
    """
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"gradient_descent needs a finite lr > 0; got {lr!r}.")
    steps = positive_int(steps, "gradient_descent's steps", minimum=0)
    x = np.array(x0, dtype=np.float64).reshape(-1)
    gradient = grad if grad is not None else (lambda p: numerical_gradient(f, p))
    path = [x.copy()]
    for _ in range(steps):
        g = np.asarray(gradient(x), dtype=np.float64).reshape(x.shape)
        if not np.all(np.isfinite(g)):
            raise FloatingPointError(
                f"gradient_descent: the gradient at {x} is not finite; "
                "try a smaller lr."
            )
        if np.linalg.norm(g) <= tol:
            break
        x = x - lr * g
        path.append(x.copy())
    return np.array(path)
