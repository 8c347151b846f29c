"""Activation functions g(z) and g'(z): derivatives, stability, properties, values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from glassnet import activations as act
from glassnet.gradcheck import numerical_gradient, relative_error

FAST = settings(max_examples=15, deadline=None, database=None, derandomize=True)
TOL = 1e-6

# name -> (g, g'); KINKED names get inputs kept away from their kink at 0
ELEMENTWISE = {
    "sigmoid": (act.sigmoid, act.sigmoid_derivative),
    "tanh": (act.tanh, act.tanh_derivative),
    "relu": (act.relu, act.relu_derivative),
    "leaky_relu": (
        lambda z: act.leaky_relu(z, 0.1),
        lambda z: act.leaky_relu_derivative(z, 0.1),
    ),
}
KINKED = {"relu", "leaky_relu"}
ALL = ["sigmoid", "tanh", "relu", "leaky_relu", "softmax"]


def apply(name: str, Z: np.ndarray) -> np.ndarray:
    if name == "softmax":
        return act.softmax(Z)
    return ELEMENTWISE[name][0](Z)


def draw_inputs(rng: np.random.Generator, shape: tuple[int, ...], kinked: bool):
    Z = rng.normal(0.0, 2.0, size=shape)
    if kinked:  # keep every entry at least 0.05 from the kink: h = 1e-4 never crosses
        Z = np.where(np.abs(Z) < 0.05, np.sign(Z + 1e-300) * 0.05 + Z, Z)
    return Z


shapes = st.tuples(st.integers(1, 5), st.integers(1, 4))


# ---- derivatives against central differences, with a random upstream G ----
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@FAST
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
@example(shape=(1, 1), seed=0)  # one sample, one feature
def test_elementwise_derivative_matches_central_differences(name, shape, seed):
    rng = np.random.default_rng(seed)
    g, dg = ELEMENTWISE[name]
    Z = draw_inputs(rng, shape, name in KINKED)
    G = rng.normal(size=shape)  # L = Σ G ⊙ g(Z), so dL/dZ = G ⊙ g'(Z)
    numeric = numerical_gradient(lambda z: float(np.sum(G * g(z))), Z.copy())
    assert relative_error(G * dg(Z), numeric) < TOL


@FAST
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
@example(shape=(1, 1), seed=0)
@example(shape=(1, 4), seed=1)
def test_softmax_jacobian_matches_central_differences(shape, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(0.0, 2.0, size=shape)
    G = rng.normal(size=shape)
    J = act.softmax_jacobian(Z)  # J[i, j, l] = ∂A[i, j] / ∂Z[i, l]
    analytic = np.einsum("ijl,ij->il", J, G)
    numeric = numerical_gradient(lambda z: float(np.sum(G * act.softmax(z))), Z.copy())
    assert relative_error(analytic, numeric) < TOL


def test_softmax_jacobian_entries_match_each_partial_derivative():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(2, 4))
    J = act.softmax_jacobian(Z)
    for i in range(2):
        for j in range(4):
            numeric = numerical_gradient(
                lambda z, i=i, j=j: float(act.softmax(z)[i, j]), Z.copy()
            )
            assert relative_error(J[i, j], numeric[i]) < TOL
            other = [r for r in range(2) if r != i]  # rows do not mix
            assert np.abs(numeric[other]).max() < 1e-10


def test_softmax_jacobian_vector_product_is_the_layer_formula():
    rng = np.random.default_rng(4)
    Z, G = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    A = act.softmax(Z)
    via_jacobian = np.einsum("ijl,ij->il", act.softmax_jacobian(Z), G)
    np.testing.assert_allclose(
        via_jacobian, A * (G - (G * A).sum(axis=1, keepdims=True)), rtol=0, atol=1e-15
    )


@pytest.mark.parametrize("name", ALL)
def test_directional_derivative_on_a_big_array(name):
    rng = np.random.default_rng(11)
    shape = (200, 30)
    Z = draw_inputs(rng, shape, name in KINKED)
    G, V = rng.normal(size=shape), rng.normal(size=shape)
    if name == "softmax":
        grad = np.einsum("ijl,ij->il", act.softmax_jacobian(Z), G)
    else:
        grad = G * ELEMENTWISE[name][1](Z)
    eps = 1e-6  # |eps · V| stays far below the 0.05 margin from the kink

    def L(z):
        return float(np.sum(G * apply(name, z)))

    numeric = (L(Z + eps * V) - L(Z - eps * V)) / (2 * eps)
    exact = float(np.sum(grad * V))
    assert abs(numeric - exact) <= 1e-6 * max(abs(exact), 1.0)


# ---- the kink of ReLU and leaky ReLU, on its own ----
def test_relu_kink_takes_derivative_zero_and_one_sided_limits_agree():
    z = np.array([0.0])
    assert act.relu_derivative(z)[0] == 0.0
    h = 1e-6  # one-sided slopes at the kink: 0 from the left, 1 from the right
    assert (act.relu(z + h) - act.relu(z))[0] / h == pytest.approx(1.0)
    assert (act.relu(z) - act.relu(z - h))[0] / h == 0.0


def test_leaky_relu_kink_takes_derivative_alpha():
    assert act.leaky_relu_derivative(np.array([0.0]), 0.2)[0] == pytest.approx(0.2)
    assert act.leaky_relu(np.array([0.0]), 0.2)[0] == 0.0


# ---- extreme inputs: no warning (filterwarnings = error), no NaN ----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL)
def test_extreme_inputs_give_finite_values_and_derivatives(name, dtype):
    Z = np.array([[-1e4, -700.0, -50.0, 0.0, 50.0, 700.0, 1e4]], dtype=dtype)
    A = apply(name, Z)
    assert A.dtype == dtype
    assert np.all(np.isfinite(A))
    if name == "softmax":
        D = act.softmax_jacobian(Z)
        assert np.all(np.isfinite(D))
        np.testing.assert_allclose(A, [[0, 0, 0, 0, 0, 0, 1]], atol=1e-30)
    else:
        D = ELEMENTWISE[name][1](Z)
        assert np.all(np.isfinite(D))
    if name == "sigmoid":
        assert A[0, 0] == 0.0
        assert A[0, -1] == 1.0
        assert A[0, 3] == 0.5
    if name == "tanh":
        assert A[0, 0] == -1.0
        assert A[0, -1] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL)
def test_all_zero_input(name, dtype):
    Z = np.zeros((3, 4), dtype=dtype)
    expected = {
        "sigmoid": 0.5,
        "tanh": 0.0,
        "relu": 0.0,
        "leaky_relu": 0.0,
        "softmax": 0.25,
    }[name]
    A = apply(name, Z)
    assert A.dtype == dtype
    assert A.shape == Z.shape
    np.testing.assert_array_equal(A, np.full_like(Z, expected))


def test_softmax_of_a_single_row_and_single_column():
    np.testing.assert_array_equal(act.softmax(np.array([[3.0]])), [[1.0]])
    np.testing.assert_allclose(
        act.softmax(np.array([0.0, math.log(3.0)])), [0.25, 0.75]
    )


# ---- independent scalar references ----
@pytest.mark.parametrize("z", [-30.0, -2.5, -0.1, 0.0, 0.7, 4.0, 30.0])
def test_values_match_math_module_formulas(z):
    Z = np.array([z])
    assert act.sigmoid(Z)[0] == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-15)
    assert act.tanh(Z)[0] == pytest.approx(math.tanh(z), rel=1e-15, abs=1e-300)
    s = 1 / (1 + math.exp(-z))
    assert act.sigmoid_derivative(Z)[0] == pytest.approx(s * (1 - s), rel=1e-12)
    assert act.tanh_derivative(Z)[0] == pytest.approx(1 - math.tanh(z) ** 2, abs=1e-15)
    assert act.relu(Z)[0] == max(0.0, z)
    assert act.leaky_relu(Z, 0.01)[0] == pytest.approx(z if z > 0 else 0.01 * z)


def test_sigmoid_keeps_full_relative_precision_on_the_negative_tail():
    # 1 / (1 + e^40) ≈ e^−40 = 4.248354255291589e-18; a naive 1 − σ(40) would be 0
    assert act.sigmoid(np.array([-40.0]))[0] == pytest.approx(math.exp(-40), rel=1e-15)


# ---- properties ----
finite = st.floats(-50, 50, allow_nan=False)


@FAST
@given(
    st.lists(finite, min_size=1, max_size=12),
    st.sampled_from([np.float32, np.float64]),
)
def test_sigmoid_is_symmetric(values, dtype):
    Z = np.array(values, dtype=dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(act.sigmoid(-Z), 1 - act.sigmoid(Z), rtol=0, atol=tol)


@FAST
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), shift=st.floats(-100, 100))
def test_softmax_rows_sum_to_one_and_ignore_a_row_constant(shape, seed, shift):
    rng = np.random.default_rng(seed)
    Z = rng.normal(0.0, 5.0, size=shape)
    c = shift * rng.normal(size=(shape[0], 1))  # a different constant for each row
    A = act.softmax(Z)
    assert A.shape == shape
    assert np.all(A >= 0)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(act.softmax(Z + c), A, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ALL)
@FAST
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_outputs_keep_shape_and_dtype_and_do_not_change_input(name, shape, seed):
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        Z = rng.normal(size=shape).astype(dtype)
        before = Z.copy()
        A = apply(name, Z)
        assert A.shape == Z.shape
        assert A.dtype == dtype
        np.testing.assert_array_equal(Z, before)
        if name != "softmax":
            assert ELEMENTWISE[name][1](Z).shape == Z.shape
        else:
            assert act.softmax_jacobian(Z).shape == (*shape, shape[1])


@FAST
@given(st.lists(finite, min_size=1, max_size=12))
def test_ranges(values):
    Z = np.array(values)
    assert np.all((act.sigmoid(Z) >= 0) & (act.sigmoid(Z) <= 1))
    assert np.all(np.abs(act.tanh(Z)) <= 1)
    assert np.all(act.relu(Z) >= 0)
    assert np.all(
        (act.sigmoid_derivative(Z) >= 0) & (act.sigmoid_derivative(Z) <= 0.25)
    )
