"""The one-sample trace: its numbers are the forward and backward formulas."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.playground.engine import build_model
from glassnet.playground.trace import trace_sample


@pytest.mark.parametrize(
    ("task", "n_out", "t"),
    [
        ("binary", 1, np.array([[1.0]], np.float32)),
        ("multiclass", 3, np.array([2])),
        ("regression", 1, np.array([[-0.4]], np.float32)),
    ],
)
def test_trace_states_each_formula_and_matches_backprop(task, n_out, t):
    model, loss = build_model("tanh", [4, 3], n_in=2, n_out=n_out, task=task, seed=5)
    x = np.array([[0.7, -1.3]], np.float32)
    out = trace_sample(model, loss, x, t)
    dense = model.layers[0::2]
    A_prev = x[0].astype(np.float64)
    for k, layer in enumerate(out["layers"]):
        W, b = dense[k].W.astype(np.float64), dense[k].b.astype(np.float64)
        Z, A, dZ = (np.array(layer[key]) for key in ("Z", "A", "dZ"))
        np.testing.assert_allclose(
            Z, W @ A_prev + b, rtol=1e-5, atol=1e-6
        )  # Z = W·a + b
        np.testing.assert_allclose(
            layer["dW"], np.outer(dZ, A_prev), rtol=1e-5, atol=1e-7
        )
        np.testing.assert_allclose(layer["db"], dZ, rtol=1e-6)
        if k:  # dA of the layer below = W.T @ dZ
            np.testing.assert_allclose(layer["dA_in"], W.T @ dZ, rtol=1e-5, atol=1e-7)
        A_prev = A
    # the same gradients as the fused backward of loss_and_gradients
    traced = [np.array(layer["dW"]) for layer in out["layers"]]
    model.loss_and_gradients(x, t, loss)
    for dW, layer in zip(traced, dense, strict=True):
        np.testing.assert_allclose(dW, layer.dW, rtol=1e-5, atol=1e-7)


def test_trace_changes_no_weight():
    model, loss = build_model("relu", [3], n_in=2, n_out=1, task="binary", seed=1)
    before = [W.copy() for _, W, _ in model.parameters()]
    trace_sample(model, loss, np.ones((1, 2), np.float32), np.zeros((1, 1), np.float32))
    for W0, (_, W, _) in zip(before, model.parameters(), strict=True):
        np.testing.assert_array_equal(W0, W)
