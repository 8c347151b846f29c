"""Standardize and Unstandardize: worked values, central differences, σ = 0, files.

PyTorch has no such module (people standardize outside the model, with
``torchvision.transforms.Normalize`` or by hand), so there is no PyTorch reference
here: the formulas are checked by hand-worked numbers, by central differences and by
NumPy's own mean and std.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error

TOL = 1e-6


def test_fit_takes_numpys_mean_and_population_std_of_each_feature():
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(40, 5))
    layer = gn.Standardize.fit(X, dtype=np.float64)
    np.testing.assert_allclose(layer.mean, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.std, X.std(axis=0), rtol=1e-12)
    Y = layer.forward(X)
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Y.std(axis=0), 1.0, rtol=1e-12)


def test_worked_example_forward_and_backward_by_hand():
    # μ = (2, 10), σ = (1, 5): row (4, 0) → ((4−2)/1, (0−10)/5) = (2, −2);
    # dX = dY / σ: (3, 10) → (3, 2)
    layer = gn.Standardize([2.0, 10.0], [1.0, 5.0], dtype=np.float64)
    np.testing.assert_array_equal(layer.forward(np.array([[4.0, 0.0]])), [[2, -2]])
    np.testing.assert_array_equal(layer.backward(np.array([[3.0, 10.0]])), [[3, 2]])
    inverse = layer.inverse()  # Y = X σ + μ: (2, −2) → (4, 0); dX = dY σ
    np.testing.assert_array_equal(inverse.forward(np.array([[2.0, -2.0]])), [[4, 0]])
    np.testing.assert_array_equal(inverse.backward(np.array([[3.0, 2.0]])), [[3, 10]])


@pytest.mark.parametrize("kind", [gn.Standardize, gn.Unstandardize])
@pytest.mark.parametrize("shape", [(4,), (2, 3, 3)])
def test_backward_matches_central_differences_with_a_random_upstream(kind, shape):
    rng = np.random.default_rng(1)
    X = rng.normal(1.0, 3.0, size=(6, *shape))
    layer = kind(rng.normal(size=shape), rng.uniform(0.3, 4.0, size=shape),
                 dtype=np.float64)  # fmt: skip
    G = rng.normal(size=(6, *shape))  # L = Σ G ⊙ layer(X)
    layer.forward(X)
    dX = layer.backward(G)
    numeric = numerical_gradient(lambda Z: float(np.sum(G * layer.forward(Z))), X)
    assert relative_error(dX, numeric) < TOL
    assert layer.params == {}
    assert layer.grads == {}


def test_the_check_fails_a_backward_that_ignores_its_upstream():
    rng = np.random.default_rng(2)
    X, G = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    layer = gn.Standardize(np.zeros(3), rng.uniform(0.5, 2, size=3), dtype=np.float64)
    wrong = np.ones_like(G) / layer.std  # as if dY were all ones
    numeric = numerical_gradient(lambda Z: float(np.sum(G * layer.forward(Z))), X)
    assert relative_error(wrong, numeric) > 0.1


def test_a_constant_feature_gets_std_one_and_maps_to_zero():
    X = np.array([[1.0, 0.1, 7.0], [3.0, 0.1, 7.0], [5.0, 0.1, 7.0]])
    layer = gn.Standardize.fit(X, dtype=np.float64)
    np.testing.assert_array_equal(layer.std[1:], [1.0, 1.0])
    with np.errstate(all="raise"):  # no division by zero anywhere
        Y = layer.forward(np.array([[3.0, 0.1, 8.0]]))
    np.testing.assert_allclose(Y, [[0.0, 0.0, 1.0]], atol=1e-15)


def test_any_sample_shape_gets_statistics_of_that_shape():
    X = np.random.default_rng(3).normal(size=(10, 1, 4, 4)).astype(np.float32)
    layer = gn.Standardize.fit(X)
    assert layer.mean.shape == layer.std.shape == (1, 4, 4)
    model = gn.Sequential([layer, gn.Flatten(), gn.Dense(16, 2, rng=0)],
                          input_shape=(1, 4, 4))  # fmt: skip
    assert model.predict(X).shape == (10, 2)


def test_mean_and_std_are_buffers_an_optimizer_never_steps():
    X = np.random.default_rng(4).normal(5, 2, size=(64, 2)).astype(np.float32)
    y = (X[:, :1] > 5).astype(np.float32)
    first = gn.Standardize.fit(X)
    mean, std = first.mean.copy(), first.std.copy()
    model = gn.Sequential([first, gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    assert set(first.buffers) == {"mean", "std"}
    assert model.theta.size == 3  # only the Dense layer's W and b
    model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.5), epochs=3,
              verbose=0)  # fmt: skip
    np.testing.assert_array_equal(first.mean, mean)
    np.testing.assert_array_equal(first.std, std)


def test_a_standardizing_model_trains_on_raw_data_like_a_model_on_scaled_data():
    rng = np.random.default_rng(5)
    X = rng.normal(100, 30, size=(50, 3)).astype(np.float32)
    scale = gn.Standardize.fit(X)
    inner = gn.Dense(3, 1, rng=0)
    whole = gn.Sequential([scale, inner])
    alone = gn.Sequential([gn.Dense(3, 1, rng=0)])
    np.testing.assert_allclose(
        whole.predict(X), alone.predict((X - scale.mean) / scale.std), rtol=1e-6
    )


def test_regression_predictions_come_back_in_the_targets_units():
    rng = np.random.default_rng(6)
    X = rng.uniform(200, 250, size=(200, 2)).astype(np.float32)
    y = (1000 + 3 * X[:, :1] - 2 * X[:, 1:]).astype(np.float32)  # far from 0 and 1
    first, last = gn.Standardize.fit(X), gn.Unstandardize.fit(y)
    net = gn.Dense(2, 1, rng=0)
    gn.Sequential([net]).fit(first.forward(X), last.inverse().forward(y),
                             loss=gn.MSE(), optimizer=gn.Adam(0.05), epochs=300,
                             verbose=0)  # fmt: skip
    model = gn.Sequential([first, net, last])  # raw X in, y's units out
    error = np.abs(model.predict(X) - y)
    assert error.max() < 0.01 * y.std()
    assert np.abs(net.forward(first.forward(X)) - y).min() > 100  # net alone: not


def test_summary_and_explain_show_both_layers():
    X = np.random.default_rng(7).normal(size=(9, 3))
    model = gn.Sequential([gn.Standardize.fit(X), gn.Dense(3, 1, rng=0),
                           gn.Unstandardize([2.0], [3.0])])  # fmt: skip
    summary = model.summary()
    assert "Standardize(3)" in summary
    assert "Unstandardize(1)" in summary
    text = gn.explain(model)
    # the input's standardization is A[0]; the Dense is layer 1, as in summary
    assert "A[0] = (X − μ) / σ" in text
    assert "Z[1] = A[0] @ W[1].T" in text
    assert "A[1] = Z[1] * σ + μ" in text
    assert "dZ[1] = dA[1] * σ" in text
    assert "mean (3,), std (3,)" in text


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([0.0, 1.0], [1.0]), ValueError, r"one feature shape"),
        (([0.0], [0.0]), ValueError, r"std > 0"),
        (([np.nan], [1.0]), ValueError, r"finite"),
        ((["a"], [1.0]), TypeError, r"must hold numbers"),
        ((0.0, 1.0), ValueError, r"one feature shape"),
    ],
)
def test_bad_statistics_are_refused(args, error, match):
    with pytest.raises(error, match=match):
        gn.Standardize(*args)


def test_fit_refuses_data_without_rows_or_with_nan():
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        gn.Standardize.fit(np.ones(5))
    with pytest.raises(ValueError, match="m ≥ 1"):
        gn.Standardize.fit(np.ones((0, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        gn.Unstandardize.fit(np.array([[1.0], [np.nan]]))


def test_wrong_input_shapes_are_named():
    layer = gn.Standardize(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match=r"expected X of shape \(m, 3\); got \(2, 4\)"):
        layer.forward(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected dY of shape"):
        layer.backward(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expects samples of shape \(3,\)"):
        gn.Sequential([gn.Dense(2, 4), layer])
    with pytest.raises(ValueError, match=r"input_shape=\(1, 2, 2\)"):
        gn.Sequential([gn.Standardize(np.zeros((1, 2, 2)), np.ones((1, 2, 2)))])


def test_the_layer_follows_the_models_dtype():
    model = gn.Sequential([gn.Standardize([1.0], [2.0]), gn.Dense(1, 1, rng=0)])
    model.astype(np.float64)
    Y = model.predict(np.array([[3.0]]))
    assert Y.dtype == np.float64
    assert model.layers[0].forward(np.array([[3.0]])).tolist() == [[1.0]]
