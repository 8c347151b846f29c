"""Optimizers: each update rule against a computation by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn


def one_weight(w: float = 1.0) -> gn.Sequential:
    """A model whose only parameter is the single weight w (float64)."""
    return gn.Sequential([gn.Dense(1, 1, bias=False, init=[[w]], dtype=np.float64)])


def step(opt: gn.Optimizer, model: gn.Sequential, g: float) -> float:
    """Set dW = g, take one step, return the new weight."""
    model.layers[0].dW[...] = g
    opt.step(model)
    return float(model.layers[0].W[0, 0])


def test_sgd_by_hand():
    model = one_weight(1.0)
    # W := W − lr · dW = 1 − 0.1 · 0.5 = 0.95, then 0.95 − 0.1 · (−2) = 1.15
    assert step(gn.SGD(0.1), model, 0.5) == pytest.approx(0.95, abs=1e-15)
    assert step(gn.SGD(0.1), model, -2.0) == pytest.approx(1.15, abs=1e-15)


def test_momentum_first_step_uses_v_equal_g_then_accumulates():
    model, opt = one_weight(1.0), gn.Momentum(lr=0.1, beta=0.9)
    # step 1: v = g = 0.5 (not (1 − β) g); W = 1 − 0.1 · 0.5 = 0.95
    assert step(opt, model, 0.5) == pytest.approx(0.95, abs=1e-15)
    np.testing.assert_allclose(opt.state_views()["0.W"]["v"], [[0.5]])
    # step 2: v = 0.9 · 0.5 + 0.2 = 0.65; W = 0.95 − 0.1 · 0.65 = 0.885
    assert step(opt, model, 0.2) == pytest.approx(0.885, abs=1e-15)
    # step 3 with g = 0: v = 0.585, W = 0.885 − 0.0585 = 0.8265 (momentum keeps going)
    assert step(opt, model, 0.0) == pytest.approx(0.8265, abs=1e-15)


def test_rmsprop_by_hand():
    model, opt = one_weight(1.0), gn.RMSProp(lr=0.01, rho=0.9, eps=1e-8)
    # step 1, g = 2: s = 0.1 · 4 = 0.4; W = 1 − 0.01 · 2 / (√0.4 + 1e-8)
    #   √0.4 = 0.63245553; 0.02 / 0.63245553 = 0.03162278 → W = 0.96837722
    w1 = 1 - 0.01 * 2 / (math.sqrt(0.4) + 1e-8)
    assert step(opt, model, 2.0) == pytest.approx(w1, abs=1e-15)
    assert w1 == pytest.approx(0.96837722, abs=1e-8)
    # step 2, g = 1: s = 0.9 · 0.4 + 0.1 · 1 = 0.46; W −= 0.01 / (√0.46 + 1e-8)
    w2 = w1 - 0.01 / (math.sqrt(0.46) + 1e-8)
    assert step(opt, model, 1.0) == pytest.approx(w2, abs=1e-15)
    np.testing.assert_allclose(opt.state_views()["0.W"]["s"], [[0.46]], rtol=1e-15)


def test_adam_bias_correction_at_steps_one_and_two():
    model, opt = one_weight(1.0), gn.Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    # t = 1, g = 2: m = 0.1 · 2 = 0.2, v = 0.001 · 4 = 0.004
    #   m̂ = 0.2 / (1 − 0.9) = 2, v̂ = 0.004 / (1 − 0.999) = 4, √v̂ = 2
    #   W = 1 − 0.1 · 2 / (2 + 1e-8) ≈ 0.9: the first step has size lr, whatever |g|
    w1 = 1 - 0.1 * 2 / (2 + 1e-8)
    assert step(opt, model, 2.0) == pytest.approx(w1, abs=1e-15)
    assert w1 == pytest.approx(0.9, abs=1e-8)
    # t = 2, g = 1: m = 0.9 · 0.2 + 0.1 = 0.28, v = 0.999 · 0.004 + 0.001 = 0.004996
    #   m̂ = 0.28 / 0.19 = 1.4736842, v̂ = 0.004996 / 0.001999 = 2.4992496
    #   step = 0.1 · 1.4736842 / (1.5809016 + 1e-8) = 0.0932179
    m_hat, v_hat = 0.28 / 0.19, 0.004996 / (1 - 0.999**2)
    w2 = w1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert step(opt, model, 1.0) == pytest.approx(w2, abs=1e-14)
    assert w1 - w2 == pytest.approx(0.0932179, abs=1e-7)
    assert opt.t == 2


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        # g' = g + wd · W = 1 + 0.5 · 2 = 2; W = 2 − 0.1 · 2 = 1.8
        (lambda: gn.SGD(0.1, weight_decay=0.5), 1.8),
        # first momentum step: v = g' = 2, same as SGD
        (lambda: gn.Momentum(0.1, beta=0.9, weight_decay=0.5), 1.8),
        # Adam's first step is lr · g'/|g'| whatever g' is: 2 − 0.1 = 1.9
        (lambda: gn.Adam(0.1, weight_decay=0.5), 2 - 0.1 * 2 / (2 + 1e-8)),
        # RMSProp, ρ = 0.99: s = 0.01 · 4 = 0.04, W = 2 − 0.1 · 2 / (0.2 + 1e-8)
        (lambda: gn.RMSProp(0.1, weight_decay=0.5), 2 - 0.1 * 2 / (0.2 + 1e-8)),
    ],
)
def test_weight_decay_adds_wd_times_w_to_the_gradient(make, expected):
    model = one_weight(2.0)
    assert step(make(), model, 1.0) == pytest.approx(expected, abs=1e-14)
    assert model.layers[0].dW[0, 0] == 1.0  # the stored gradient itself is untouched


def test_state_is_kept_per_parameter():
    model = gn.Sequential(
        [
            gn.Dense(2, 2, rng=0, dtype=np.float64),
            gn.Dense(2, 1, rng=1, dtype=np.float64),
        ]
    )
    opt = gn.Momentum(0.1, beta=0.5)
    grads = {}
    rng = np.random.default_rng(0)
    for name, _, dW in model.parameters():
        dW[...] = rng.normal(size=dW.shape)
        grads[name] = dW.copy()
    before = {name: W.copy() for name, W, _ in model.parameters()}
    opt.step(model)
    assert set(opt.state) == {"v"}  # one vector shaped like θ ...
    assert opt.state["v"].shape == model.theta.shape
    views = opt.state_views()  # ... read per parameter through views
    assert set(views) == {"0.W", "0.b", "1.W", "1.b"}
    for name, W, _ in model.parameters():
        assert views[name]["v"].base is opt.state["v"]
        np.testing.assert_allclose(views[name]["v"], grads[name])
        np.testing.assert_allclose(W, before[name] - 0.1 * grads[name], rtol=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gn.SGD(0.1),
        lambda: gn.Momentum(0.1),
        lambda: gn.RMSProp(0.01),
        lambda: gn.Adam(0.01),
    ],
    ids=["SGD", "Momentum", "RMSProp", "Adam"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_are_in_place_and_keep_dtype(make, dtype):
    model = gn.Sequential([gn.Dense(3, 2, rng=0, dtype=dtype)])
    W_obj = model.layers[0].W
    model.layers[0].dW[...] = 0.5
    opt = make()
    for _ in range(3):
        opt.step(model)
    assert model.layers[0].W is W_obj  # same array, changed in place
    assert W_obj.dtype == dtype
    for value in opt.state.values():
        assert value.dtype == dtype


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: gn.SGD(0.0), "lr"),
        (lambda: gn.SGD(-1.0), "lr"),
        (lambda: gn.SGD(float("nan")), "lr"),
        (lambda: gn.SGD(0.1, weight_decay=-1), "weight_decay"),
        (lambda: gn.Momentum(0.1, beta=1.0), "beta"),
        (lambda: gn.RMSProp(0.1, rho=1.5), "rho"),
        (lambda: gn.Adam(0.1, beta2=-0.1), "beta2"),
        (lambda: gn.Adam(0.1, eps=0.0), "eps"),
    ],
)
def test_bad_hyperparameters_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_an_optimizer_that_stepped_one_model_refuses_another():
    a = gn.Sequential([gn.Dense(2, 1, rng=0)])
    b = gn.Sequential([gn.Dense(2, 1, rng=0)])
    opt = gn.Adam(0.01)
    opt.step(a)
    with pytest.raises(ValueError, match="already stepped another model"):
        opt.step(b)
    X, y = np.ones((4, 2)), np.ones((4, 1))
    with pytest.raises(ValueError, match="its own optimizer"):
        b.fit(X, y, loss=gn.MSE(), optimizer=opt, epochs=1, verbose=0)


def test_state_survives_astype_of_the_same_model():
    model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    opt = gn.Momentum(0.1)
    model.dtheta[...] = 1.0
    opt.step(model)
    model.astype(np.float64)
    assert opt.state["v"].dtype == np.float32  # until the next step
    model.dtheta[...] = 0.0
    opt.step(model)  # v = 0.9 · 1 + 0, kept through the new layout
    np.testing.assert_allclose(opt.state["v"], 0.9)
    assert opt.state["v"].dtype == np.float64
