"""Seed B: gradient descent on f(x, y) = x² + y², printing the path.

The gradient is (2x, 2y). From (−5, −5) with step size 0.5 one step lands on
(−5, −5) − 0.5 · (−10, −10) = (0, 0), where the gradient is the zero vector, so the
descent stops there. The same run with central differences instead of the analytic
gradient lands within about 1e-11 of the origin: the difference quotient is rounded.

Run: python examples/seed_b_descent.py
"""

from __future__ import annotations

import numpy as np

import glassnet as gn


def f(p: np.ndarray) -> float:
    """The bowl x² + y²."""
    return float(p[0] ** 2 + p[1] ** 2)


def grad_f(p: np.ndarray) -> np.ndarray:
    """Its gradient (2x, 2y)."""
    return 2 * p


def show(title: str, path: np.ndarray) -> None:
    print(title)
    for k, p in enumerate(path):
        print(f"  step {k}: (x, y) = ({p[0]: .6g}, {p[1]: .6g})   f = {f(p):.6g}")
    g = grad_f(path[-1])
    print(
        f"  took {len(path) - 1} step(s); gradient at the end: ({g[0]:.3g}, {g[1]:.3g})"
    )


def main() -> None:
    show(
        "analytic gradient, lr 0.5:",
        gn.gradient_descent(f, [-5.0, -5.0], lr=0.5, steps=10, grad=grad_f),
    )
    show(
        "central differences (h = 1e-4), lr 0.5, stop once |grad| <= 1e-6:",
        gn.gradient_descent(f, [-5.0, -5.0], lr=0.5, steps=10, tol=1e-6),
    )
    show(
        "analytic gradient, lr 0.1 (each step keeps 80 % of the distance):",
        gn.gradient_descent(f, [-5.0, -5.0], lr=0.1, steps=5, grad=grad_f),
    )


if __name__ == "__main__":
    main()
