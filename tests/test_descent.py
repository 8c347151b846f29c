"""gradient_descent on a plain function: the path, stopping, numerical gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import glassnet as gn


def bowl(p: np.ndarray) -> float:
    return float(p[0] ** 2 + p[1] ** 2)


def test_path_starts_at_x0_and_follows_the_rule():
    # f = x² + 3y², ∇f = (2x, 6y); lr 0.1: x ← 0.8 x, y ← 0.4 y
    def f(p):
        return float(p[0] ** 2 + 3 * p[1] ** 2)

    path = gn.gradient_descent(
        f, [1.0, 1.0], lr=0.1, steps=3, grad=lambda p: np.array([2 * p[0], 6 * p[1]])
    )
    assert path.shape == (4, 2)
    np.testing.assert_allclose(
        path, [[1, 1], [0.8, 0.4], [0.64, 0.16], [0.512, 0.064]], rtol=1e-15
    )


def test_numerical_gradient_path_matches_the_analytic_one():
    def f(p):
        return float(np.sin(p[0]) + p[1] ** 2 * p[0] ** 2)

    def grad(p):
        return np.array([np.cos(p[0]) + 2 * p[0] * p[1] ** 2, 2 * p[1] * p[0] ** 2])

    a = gn.gradient_descent(f, [0.3, 0.8], lr=0.05, steps=20, grad=grad)
    b = gn.gradient_descent(f, [0.3, 0.8], lr=0.05, steps=20)
    np.testing.assert_allclose(a, b, atol=1e-8)


def test_descent_decreases_a_convex_function():
    path = gn.gradient_descent(bowl, [3.0, -4.0], lr=0.1, steps=30)
    values = [bowl(p) for p in path]
    assert all(b < a for a, b in itertools.pairwise(values))
    assert values[-1] < 1e-4 * values[0]


def test_tolerance_stops_early_and_zero_steps_returns_x0():
    path = gn.gradient_descent(bowl, [1.0, 1.0], lr=0.25, steps=100, tol=1e-3)
    # each step halves x; ‖∇f‖ = 2√2·x ≤ 1e-3 once x ≤ 3.5e-4: 2^−12 = 2.4e-4
    assert len(path) == 13
    np.testing.assert_array_equal(
        gn.gradient_descent(bowl, [2.0, 1.0], lr=0.1, steps=0), [[2.0, 1.0]]
    )


def test_x0_is_not_changed_and_the_path_is_float64():
    x0 = np.array([1.0, 2.0])
    path = gn.gradient_descent(bowl, x0, lr=0.1, steps=2)
    np.testing.assert_array_equal(x0, [1.0, 2.0])
    assert path.dtype == np.float64


def test_local_minimum_is_where_descent_stops():
    # f(x) = x⁴ − 2x² has minima at ±1; starting right of 0 it finds +1, left −1
    def f(p):
        return float(p[0] ** 4 - 2 * p[0] ** 2)

    def grad(p):
        return 4 * p**3 - 4 * p

    right = gn.gradient_descent(f, [0.2], lr=0.05, steps=300, grad=grad)[-1, 0]
    left = gn.gradient_descent(f, [-0.2], lr=0.05, steps=300, grad=grad)[-1, 0]
    assert right == pytest.approx(1.0, abs=1e-9)
    assert left == pytest.approx(-1.0, abs=1e-9)


def test_errors():
    with pytest.raises(ValueError, match="lr"):
        gn.gradient_descent(bowl, [1.0, 1.0], lr=0.0, steps=1)
    with pytest.raises(ValueError, match="steps"):
        gn.gradient_descent(bowl, [1.0, 1.0], lr=0.1, steps=-1)
    with pytest.raises(FloatingPointError, match="smaller lr"):
        gn.gradient_descent(
            bowl, [1.0, 1.0], lr=0.1, steps=3, grad=lambda p: np.array([np.inf, 0.0])
        )
