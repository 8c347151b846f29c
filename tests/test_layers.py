"""Layers: backward against central differences, worked examples, errors, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error

FAST = settings(max_examples=15, deadline=None, database=None, derandomize=True)
TOL = 1e-6

ACTIVATIONS = {
    "ReLU": gn.ReLU,
    "LeakyReLU": lambda: gn.LeakyReLU(0.1),
    "Sigmoid": gn.Sigmoid,
    "Tanh": gn.Tanh,
    "Softmax": gn.Softmax,
    "Identity": gn.Identity,
}
KINKED = {"ReLU", "LeakyReLU"}


def away_from_kink(Z: np.ndarray) -> np.ndarray:
    """Move entries within 0.05 of zero out to ±0.05 (h = 1e-4 then never crosses)."""
    return np.where(np.abs(Z) < 0.05, np.where(Z < 0, -0.05, 0.05), Z)


def layer_loss(layer: gn.Layer, X: np.ndarray, G: np.ndarray) -> float:
    """L = Σ G ⊙ layer(X): its gradient wrt the layer's output is exactly G."""
    return float(np.sum(G * layer.forward(X)))


def check_layer(layer: gn.Layer, X: np.ndarray, rng: np.random.Generator) -> None:
    """Backward with a random upstream G against central differences, X and params."""
    Y = layer.forward(X)
    G = rng.normal(size=Y.shape)
    dX = layer.backward(G)
    assert dX.shape == X.shape
    numeric = numerical_gradient(lambda x: layer_loss(layer, x, G), X)
    assert relative_error(dX, numeric) < TOL, "dX"
    layer.forward(X)
    layer.backward(G)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    for key, W in layer.params.items():
        assert analytic[key].shape == W.shape
        numeric = numerical_gradient(lambda _: layer_loss(layer, X, G), W)
        assert relative_error(analytic[key], numeric) < TOL, key


shapes = st.tuples(st.integers(1, 5), st.integers(1, 4))


# ---- central differences ----
@pytest.mark.parametrize("bias", [True, False])
@FAST
@given(
    m=st.integers(1, 5),
    n_in=st.integers(1, 4),
    n_out=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
@example(m=1, n_in=1, n_out=1, seed=0)  # one sample, one feature, one neuron
@example(m=1, n_in=4, n_out=3, seed=1)
def test_dense_backward_matches_central_differences(bias, m, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = gn.Dense(n_in, n_out, bias=bias, rng=rng, dtype=np.float64)
    if bias:
        layer.b[...] = rng.normal(size=n_out)
    check_layer(layer, rng.normal(size=(m, n_in)), rng)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@FAST
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
@example(shape=(1, 1), seed=0)
@example(shape=(1, 4), seed=1)
def test_activation_layer_backward_matches_central_differences(name, shape, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(0.0, 2.0, size=shape)
    if name in KINKED:
        Z = away_from_kink(Z)
    check_layer(ACTIVATIONS[name](), Z, rng)


@pytest.mark.parametrize("name", ["Dense", *ACTIVATIONS])
def test_directional_derivative_on_a_big_array(name):
    rng = np.random.default_rng(5)
    m, n = 256, 40
    layer = (
        gn.Dense(n, n, rng=1, dtype=np.float64)
        if name == "Dense"
        else (ACTIVATIONS[name]())
    )
    X = rng.normal(size=(m, n))
    if name in KINKED:
        X = away_from_kink(X)
    G, V = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    layer.forward(X)
    dX = layer.backward(G)
    eps = 1e-6
    numeric = (
        layer_loss(layer, X + eps * V, G) - layer_loss(layer, X - eps * V, G)
    ) / (2 * eps)
    exact = float(np.sum(dX * V))
    assert abs(numeric - exact) <= 1e-6 * max(abs(exact), 1.0)


def test_a_backward_that_ignored_G_would_be_caught_by_random_G():
    # the reason for a random G: with G = ones a wrong dX = ones @ W still "passes"
    rng = np.random.default_rng(0)
    layer = gn.Dense(3, 2, rng=0, dtype=np.float64)
    X = rng.normal(size=(4, 3))
    layer.forward(X)
    G = rng.normal(size=(4, 2))
    wrong = np.ones_like(G) @ layer.W
    numeric = numerical_gradient(lambda x: layer_loss(layer, x, G), X)
    assert relative_error(wrong, numeric) > 1e-2


def test_relu_kink_gets_derivative_zero_and_leaky_relu_alpha():
    relu, leaky = gn.ReLU(), gn.LeakyReLU(0.3)
    Z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.forward(Z), [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.backward(np.full((1, 3), 5.0)), [[0, 0, 5.0]])
    np.testing.assert_allclose(leaky.forward(Z), [[-0.3, 0.0, 2.0]])
    np.testing.assert_allclose(leaky.backward(np.full((1, 3), 5.0)), [[1.5, 1.5, 5]])


# ---- worked example by hand ----
def test_dense_worked_example_by_hand():
    layer = gn.Dense(2, 2, init=[[1.0, 2.0], [-1.0, 0.5]], dtype=np.float64)
    layer.b[...] = [0.5, -1.0]
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    # Z[0] = (1·1 + 2·2 + 0.5, 1·(−1) + 2·0.5 − 1) = (5.5, −1)
    # Z[1] = (3·1 − 1·2 + 0.5, 3·(−1) − 1·0.5 − 1) = (1.5, −4.5)
    np.testing.assert_array_equal(layer.forward(X), [[5.5, -1.0], [1.5, -4.5]])
    dZ = np.array([[1.0, 0.0], [2.0, -1.0]])
    dX = layer.backward(dZ)
    # dW = dZ.T @ X: row 0 = 1·(1, 2) + 2·(3, −1) = (7, 0); row 1 = −1·(3, −1) = (−3, 1)
    np.testing.assert_array_equal(layer.dW, [[7.0, 0.0], [-3.0, 1.0]])
    # db = column sums of dZ = (1 + 2, 0 − 1) = (3, −1)
    np.testing.assert_array_equal(layer.db, [3.0, -1.0])
    # dX = dZ @ W: row 0 = 1·(1, 2) = (1, 2); row 1 = 2·(1, 2) − (−1, 0.5) = (3, 3.5)
    np.testing.assert_array_equal(dX, [[1.0, 2.0], [3.0, 3.5]])


def test_sigmoid_and_tanh_worked_values():
    sig, tanh = gn.Sigmoid(), gn.Tanh()
    # σ(0) = 0.5, σ'(0) = 0.5 · 0.5 = 0.25; tanh(0) = 0, tanh'(0) = 1
    assert sig.forward(np.zeros((1, 1)))[0, 0] == 0.5
    assert sig.backward(np.full((1, 1), 4.0))[0, 0] == 1.0  # 4 · 0.25
    assert tanh.forward(np.zeros((1, 1)))[0, 0] == 0.0
    assert tanh.backward(np.full((1, 1), 4.0))[0, 0] == 4.0


def test_softmax_layer_worked_example():
    sm = gn.Softmax()
    # softmax(0, ln 3) = (1, 3) / 4 = (0.25, 0.75)
    A = sm.forward(np.array([[0.0, np.log(3.0)]]))
    np.testing.assert_allclose(A, [[0.25, 0.75]])
    # dA = (1, 0): Σ dA·A = 0.25; dZ = A ⊙ (dA − 0.25) = (0.25·0.75, 0.75·(−0.25))
    np.testing.assert_allclose(sm.backward(np.array([[1.0, 0.0]])), [[0.1875, -0.1875]])


# ---- dtypes, extremes, zero inputs ----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["Dense", *ACTIVATIONS])
def test_layers_keep_dtype_and_survive_extreme_and_zero_inputs(name, dtype):
    layer = (
        gn.Dense(7, 3, rng=0, dtype=dtype) if name == "Dense" else ACTIVATIONS[name]()
    )
    Z = np.array([[-1e4, -700.0, -50.0, 0.0, 50.0, 700.0, 1e4]], dtype=dtype)
    for X in (Z, np.zeros((2, 7), dtype=dtype), np.zeros((1, 7), dtype=dtype)):
        Y = layer.forward(X)
        assert Y.dtype == dtype
        assert np.all(np.isfinite(Y))
        dX = layer.backward(np.ones_like(Y))
        assert dX.dtype == dtype
        assert dX.shape == X.shape
        assert np.all(np.isfinite(dX))
        for key, g in layer.grads.items():
            assert g.dtype == dtype
            assert g.shape == layer.params[key].shape


def test_dense_all_zero_input_outputs_the_bias():
    layer = gn.Dense(3, 2, rng=0, dtype=np.float64)
    layer.b[...] = [1.5, -2.0]
    np.testing.assert_array_equal(layer.forward(np.zeros((4, 3))), [[1.5, -2.0]] * 4)


def test_dense_without_bias_has_only_W():
    layer = gn.Dense(3, 2, bias=False, rng=0)
    assert list(layer.params) == ["W"]
    assert list(layer.grads) == ["W"]
    assert layer.b is None
    assert layer.db is None


# ---- properties ----
@FAST
@given(
    m=st.integers(1, 6),
    n_in=st.integers(1, 5),
    n_out=st.integers(1, 5),
    seed=st.integers(0, 1000),
)
def test_dense_shapes_and_grads_shaped_like_params(m, n_in, n_out, seed):
    layer = gn.Dense(n_in, n_out, rng=seed)
    X = np.random.default_rng(seed).normal(size=(m, n_in)).astype(np.float32)
    before = X.copy()
    Y = layer.forward(X)
    assert Y.shape == (m, n_out)
    dY = np.ones_like(Y)
    dY_before = dY.copy()
    W_before = layer.W.copy()
    assert layer.backward(dY).shape == (m, n_in)
    np.testing.assert_array_equal(X, before)  # nothing changed its arguments
    np.testing.assert_array_equal(dY, dY_before)
    np.testing.assert_array_equal(layer.W, W_before)  # backward never updates
    assert layer.W.shape == (n_out, n_in)
    assert layer.b.shape == (n_out,)
    for key, W in layer.params.items():
        assert layer.grads[key].shape == W.shape


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@FAST
@given(shape=shapes, seed=st.integers(0, 1000))
def test_activation_layers_keep_shape_and_do_not_change_arguments(name, shape, seed):
    rng = np.random.default_rng(seed)
    layer = ACTIVATIONS[name]()
    Z = rng.normal(size=shape)
    dA = rng.normal(size=shape)
    Z0, dA0 = Z.copy(), dA.copy()
    assert layer.forward(Z).shape == shape
    assert layer.backward(dA).shape == shape
    np.testing.assert_array_equal(Z, Z0)
    np.testing.assert_array_equal(dA, dA0)
    assert layer.params == {}
    assert layer.grads == {}


# ---- errors ----
def test_dense_wrong_feature_count_names_layer_and_shapes():
    layer = gn.Dense(3, 4, rng=0)
    with pytest.raises(ValueError, match="Dense\\(3 → 4\\)") as err:
        layer.forward(np.zeros((5, 2)))
    msg = str(err.value)
    assert "(m, 3)" in msg
    assert "(5, 2)" in msg
    assert "Rows are samples" in msg


def test_dense_one_dimensional_input_gets_a_reshape_hint():
    with pytest.raises(ValueError, match="reshape\\(1, -1\\)") as err:
        gn.Dense(3, 4, rng=0).forward(np.zeros(3))
    assert "(3,)" in str(err.value)


def test_dense_rejects_strings_and_objects():
    layer = gn.Dense(2, 1, rng=0)
    with pytest.raises(TypeError, match="numbers"):
        layer.forward(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="object"):
        layer.forward(np.array([[1, None]], dtype=object))


def test_dense_constructor_errors():
    with pytest.raises(ValueError, match="n_in"):
        gn.Dense(0, 2)
    with pytest.raises(ValueError, match="\\(2, 3\\)"):
        gn.Dense(3, 2, init=[[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="floating"):
        gn.Dense(3, 2, dtype=np.int32)
    with pytest.raises(ValueError, match="unknown initializer"):
        gn.Dense(3, 2, init="bogus")


def test_backward_with_wrong_upstream_shape_or_before_forward():
    layer = gn.Dense(3, 2, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 2), dtype=np.float32))
    layer.forward(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="\\(4, 2\\)"):
        layer.backward(np.zeros((4, 3), dtype=np.float32))
    sig = gn.Sigmoid()
    sig.forward(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="dY"):
        sig.backward(np.zeros((2, 3)))


def test_softmax_needs_rows_and_leaky_relu_needs_alpha():
    with pytest.raises(ValueError, match="\\(m, k\\)"):
        gn.Softmax().forward(np.zeros(3))
    with pytest.raises(ValueError, match="alpha"):
        gn.LeakyReLU(-1.0)


def test_dense_weights_are_the_seeds_shape_and_initializers_are_seeded():
    a, b = gn.Dense(5, 3, rng=7), gn.Dense(5, 3, rng=7)
    assert a.W.shape == (3, 5)  # the seeds' W[l]: n[l] × n[l−1]
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, gn.Dense(5, 3, rng=8).W)
    assert a.W.dtype == np.float32
    np.testing.assert_array_equal(a.b, np.zeros(3))
