"""Sequential: shape chain, parameters, summary, dtypes, forward/backward, predict."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import glassnet as gn


def reference_net(dtype=np.float32) -> gn.Sequential:
    """Seed A's 2-25-50-50-25-1 network."""
    widths = [2, 25, 50, 50, 25, 1]
    layers: list[gn.Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        layers.append(gn.Dense(n_in, n_out, rng=i, dtype=dtype))
        layers.append(gn.ReLU() if n_out != 1 else gn.Sigmoid())
    return gn.Sequential(layers)


def test_mismatched_widths_are_rejected_when_the_model_is_built():
    with pytest.raises(ValueError, match="layer 2, Dense\\(4 → 1\\)") as err:
        gn.Sequential([gn.Dense(2, 3), gn.ReLU(), gn.Dense(4, 1)])
    assert "expects samples of shape (4,)" in str(err.value)
    assert "give (3,)" in str(err.value)


def test_a_dtype_mix_is_rejected_when_the_model_is_built():
    with pytest.raises(
        ValueError,
        match=r"layer 2, Dense\(3 → 1\), has float32.*"
        r"layer 0 has float64.*astype",
    ):
        gn.Sequential([gn.Dense(2, 3, dtype=np.float64), gn.ReLU(), gn.Dense(3, 1)])


def test_empty_and_non_layer_items_are_rejected():
    with pytest.raises(ValueError, match="at least one layer"):
        gn.Sequential([])
    with pytest.raises(TypeError, match="item 1 is ufunc"):
        gn.Sequential([gn.Dense(2, 2), np.tanh])


def test_parameters_names_values_and_gradients():
    model = gn.Sequential(
        [gn.Dense(2, 3), gn.Tanh(), gn.Dense(3, 1, bias=False), gn.Sigmoid()]
    )
    params = model.parameters()
    assert [name for name, _, _ in params] == ["0.W", "0.b", "2.W"]
    assert params[0][1] is model.layers[0].W  # the arrays themselves, not copies
    assert params[0][2] is model.layers[0].dW
    for _, W, dW in params:
        assert W.shape == dW.shape


def test_summary_lists_layers_shapes_and_parameter_counts():
    text = reference_net().summary()
    lines = text.splitlines()
    assert lines[0].split() == ["#", "l", "layer", "output", "parameters"]
    assert len(lines) == 1 + 10 + 1
    # Dense(2 → 25): 2·25 + 25 = 75; Dense(25 → 50): 1250 + 50 = 1300;
    # Dense(50 → 50): 2550; Dense(50 → 25): 1275; Dense(25 → 1): 26; total 5226
    assert "Dense(2 → 25)" in lines[1]
    assert "(m, 25)" in lines[1]
    assert "75  (W (25, 2), b (25,))" in lines[1]
    assert "ReLU()" in lines[2]
    assert lines[2].split()[-1] == "0"
    assert "1300" in lines[3]
    assert "2550" in lines[5]
    assert "1275" in lines[7]
    assert "Sigmoid()" in lines[10]
    assert "(m, 1)" in lines[10]
    assert lines[-1] == "total parameters: 5226"
    assert sum(W.size for _, W, _ in reference_net().parameters()) == 5226


def test_float32_by_default_and_astype_converts_params_and_grads():
    model = reference_net()
    assert model.dtype == np.float32
    assert model.astype(np.float64) is model
    assert model.dtype == np.float64
    for _, W, dW in model.parameters():
        assert W.dtype == np.float64
        assert dW.dtype == np.float64
    Y_hat = model.forward(np.zeros((3, 2), dtype=np.float32))
    assert Y_hat.dtype == np.float64  # input follows the model's dtype
    with pytest.raises(TypeError, match="floating"):
        model.astype(np.int64)


def test_astype_keeps_values():
    model = reference_net(np.float64)
    before = [W.copy() for _, W, _ in model.parameters()]
    model.astype(np.float32).astype(np.float64)
    for (_, W, _), W0 in zip(model.parameters(), before, strict=True):
        np.testing.assert_allclose(W, W0, rtol=1e-7)


def test_float32_model_keeps_float32_through_forward_and_backward():
    model = reference_net()
    X = np.random.default_rng(0).normal(size=(5, 2))  # float64 data
    loss = gn.BinaryCrossEntropy()
    _, Y_hat = model.loss_and_gradients(X, np.ones(5), loss)
    assert Y_hat.dtype == np.float32
    for _, W, dW in model.parameters():
        assert W.dtype == np.float32
        assert dW.dtype == np.float32


def test_forward_backward_chain_rule_by_hand():
    # Ŷ = 2 · relu(3x − 1): at x = 1, Z1 = 2, A1 = 2, Ŷ = 4; dŶ = 1 gives
    # dW2 = A1 = 2, dA1 = W2 = 2, dZ1 = 2 (Z1 > 0), dW1 = dZ1 · x = 2, db1 = 2, dx = 6
    model = gn.Sequential(
        [
            gn.Dense(1, 1, init=[[3.0]], dtype=np.float64),
            gn.ReLU(),
            gn.Dense(1, 1, bias=False, init=[[2.0]], dtype=np.float64),
        ]
    )
    model.layers[0].b[...] = -1.0
    np.testing.assert_array_equal(model.forward(np.array([[1.0]])), [[4.0]])
    dX = model.backward(np.array([[1.0]]))
    np.testing.assert_array_equal(dX, [[6.0]])
    assert model.layers[2].dW[0, 0] == 2.0
    assert model.layers[0].dW[0, 0] == 2.0
    assert model.layers[0].db[0] == 2.0


def test_predict_in_chunks_equals_one_forward_and_returns_a_new_array():
    model = reference_net(np.float64)
    X = np.random.default_rng(1).normal(size=(10, 2))
    full = model.forward(X).copy()
    np.testing.assert_array_equal(model.predict(X, batch_size=3), full)
    out = model.predict(X)
    np.testing.assert_array_equal(out, full)
    out[...] = -1  # the result is the caller's: changing it changes nothing inside
    np.testing.assert_array_equal(model.predict(X), full)


def test_predict_errors():
    model = reference_net()
    with pytest.raises(ValueError, match="m ≥ 1"):
        model.predict(np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"\(m, 2\).*got \(2,\).*reshape"):
        model.predict(np.zeros(2))
    with pytest.raises(ValueError, match="Dense\\(2 → 25\\)"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="numbers"):
        model.predict(np.array([["a", "b"]]))


def test_fuses_with_only_the_matching_pairs():
    sig = gn.Sequential([gn.Dense(2, 1), gn.Sigmoid()])
    soft = gn.Sequential([gn.Dense(2, 3), gn.Softmax()])
    assert gn.BinaryCrossEntropy().fuses_with(sig.layers[-1])
    assert not gn.MSE().fuses_with(sig.layers[-1])
    assert gn.CrossEntropy().fuses_with(soft.layers[-1])
    assert not gn.BinaryCrossEntropy().fuses_with(soft.layers[-1])


def test_fused_forward_loss_equals_the_plain_loss_of_the_output():
    model = gn.Sequential([gn.Dense(3, 4, rng=0, dtype=np.float64), gn.Softmax()])
    X = np.random.default_rng(2).normal(size=(6, 3))
    y = np.array([0, 1, 2, 3, 0, 1])
    value, Y_hat = model.forward_loss(X, y, gn.CrossEntropy())
    np.testing.assert_allclose(Y_hat, model.forward(X), rtol=1e-15)
    assert value == pytest.approx(gn.CrossEntropy().forward(model.forward(X), y))


def test_repr():
    assert repr(gn.Sequential([gn.Dense(2, 3), gn.ReLU()])) == (
        "Sequential([Dense(2 → 3), ReLU()])"
    )
