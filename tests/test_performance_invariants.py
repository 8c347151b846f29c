"""The speed work changes no results, keeps float32 float32, and copies no data set.

The optimized training path (one-array sigmoid, ones @ dZ bias gradient, in-place
softmax, optimizer work arrays, gathered batches) is compared with a plain NumPy
reference written here from the docstring formulas, with the same initial weights and
sample order.
"""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

import glassnet as gn


# ---- a plain reference: the formulas of the docstrings, nothing else --------------
def _ref_sigmoid(Z):
    return 1.0 / (1.0 + np.exp(-Z))


def _ref_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _reference_fit(Ws, bs, X, y, hidden, out, opt, lr, epochs, batch, seed):
    """Train copies of (Ws, bs) the way fit is documented to; return them."""
    Ws = [W.copy() for W in Ws]
    bs = [b.copy() for b in bs]
    state = [{} for _ in range(2 * len(Ws))]
    rng = np.random.default_rng(seed)
    t = 0
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch):
            idx = order[start : start + batch]
            A, T = X[idx], y[idx]
            m = A.shape[0]
            acts = [A]
            for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
                Z = acts[-1] @ W.T + b
                last = i == len(Ws) - 1
                if last:
                    acts.append(
                        _ref_softmax(Z) if out == "softmax" else _ref_sigmoid(Z)
                    )
                elif hidden == "sigmoid":
                    acts.append(_ref_sigmoid(Z))
                elif hidden == "tanh":
                    acts.append(np.tanh(Z))
                else:
                    acts.append(np.maximum(Z, 0))
            onehot = (
                np.eye(Ws[-1].shape[0], dtype=X.dtype)[T] if out == "softmax" else T
            )
            dZ = (acts[-1] - onehot.reshape(acts[-1].shape)) / m
            grads = []
            for i in range(len(Ws) - 1, -1, -1):
                grads.append((dZ.T @ acts[i], dZ.sum(axis=0)))
                if i:
                    dA = dZ @ Ws[i]
                    a = acts[i]
                    if hidden == "sigmoid":
                        dZ = dA * a * (1 - a)
                    elif hidden == "tanh":
                        dZ = dA * (1 - a * a)
                    else:
                        dZ = dA * (a > 0)
            grads.reverse()
            t += 1
            params = [p for pair in zip(Ws, bs, strict=True) for p in pair]
            for k, (P, g) in enumerate(
                zip(params, [g for pair in grads for g in pair], strict=True)
            ):
                s = state[k]
                if opt == "sgd":
                    P -= lr * g
                elif opt == "momentum":
                    s["v"] = 0.9 * s.get("v", 0) + g
                    P -= lr * s["v"]
                else:  # adam, torch's form
                    s["m"] = 0.9 * s.get("m", 0) + 0.1 * g
                    s["v"] = 0.999 * s.get("v", 0) + 0.001 * g * g
                    m_hat = s["m"] / (1 - 0.9**t)
                    v_hat = s["v"] / (1 - 0.999**t)
                    P -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return Ws, bs


def _model(sizes, hidden, out, seed=0, dtype=np.float32):
    act = {"sigmoid": gn.Sigmoid, "tanh": gn.Tanh, "relu": gn.ReLU}[hidden]
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(gn.Dense(n_in, n_out, rng=seed + i, dtype=dtype))
        layers.append(act() if i < len(sizes) - 2 else None)
    layers[-1] = gn.Softmax() if out == "softmax" else gn.Sigmoid()
    return gn.Sequential(layers)


def _data(m, n_in, classes, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_in)).astype(dtype)
    y = rng.integers(0, classes, m)
    return X, y


@pytest.mark.parametrize(
    ("hidden", "out", "opt"),
    [
        ("sigmoid", "softmax", "sgd"),
        ("relu", "softmax", "momentum"),
        ("tanh", "sigmoid", "sgd"),
        ("relu", "softmax", "adam"),
    ],
)
def test_fit_matches_plain_numpy_reference_within_float32_rounding(hidden, out, opt):
    sizes = (20, 16, 12, 5 if out == "softmax" else 1)
    X, y = _data(300, 20, 5 if out == "softmax" else 2)
    model = _model(sizes, hidden, out)
    dense = [layer for layer in model.layers if isinstance(layer, gn.Dense)]
    Ws0 = [d.W.copy() for d in dense]
    bs0 = [d.b.copy() for d in dense]
    lr = 0.01 if opt == "adam" else 0.1
    optimizer = {"sgd": gn.SGD, "momentum": gn.Momentum, "adam": gn.Adam}[opt](lr)
    loss = gn.CrossEntropy() if out == "softmax" else gn.BinaryCrossEntropy()
    model.fit(
        X, y, loss=loss, optimizer=optimizer, epochs=3, batch_size=32, seed=7, verbose=0
    )
    yref = y if out == "softmax" else y.astype(np.float32)
    Ws, bs = _reference_fit(Ws0, bs0, X, yref, hidden, out, opt, lr, 3, 32, seed=7)
    for d, W, b in zip(dense, Ws, bs, strict=True):
        assert d.W.dtype == np.float32
        np.testing.assert_allclose(d.W, W, rtol=2e-4, atol=2e-5)
        np.testing.assert_allclose(d.b, b, rtol=2e-4, atol=2e-5)
    # the same predictions: the optimizations did the same training
    P = model.predict(X)
    A = X
    for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        Z = A @ W.T + b
        if i == len(Ws) - 1:
            A = Z
        else:
            A = {
                "sigmoid": _ref_sigmoid,
                "tanh": np.tanh,
                "relu": lambda z: np.maximum(z, 0),
            }[hidden](Z)
    if out == "softmax":
        assert np.mean(P.argmax(axis=1) == A.argmax(axis=1)) >= 0.99
    else:
        assert np.mean((P[:, 0] >= 0.5) == (A[:, 0] >= 0)) >= 0.99


def test_same_seed_gives_bit_identical_weights():
    X, y = _data(500, 30, 4)
    weights = []
    for _ in range(2):
        model = _model((30, 24, 4), "sigmoid", "softmax")
        model.fit(
            X,
            y,
            loss=gn.CrossEntropy(),
            optimizer=gn.Adam(0.01),
            epochs=2,
            batch_size=50,
            seed=3,
            verbose=0,
        )
        weights.append([W.copy() for _, W, _ in model.parameters()])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("opt", [gn.SGD, gn.Momentum, gn.RMSProp, gn.Adam])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_float32_stays_float32_through_forward_backward_and_optimizer(opt, hidden):
    X, y = _data(64, 10, 3)
    model = _model((10, 8, 3), hidden, "softmax")
    optimizer = opt(0.01)
    loss = gn.CrossEntropy()
    _, Y_hat = model.loss_and_gradients(X, y, loss)
    optimizer.step(model)
    assert Y_hat.dtype == np.float32
    assert model.forward(X).dtype == np.float32
    assert model.backward(np.ones_like(Y_hat) / 64).dtype == np.float32
    arrays = [a for _, W, dW in model.parameters() for a in (W, dW)]
    arrays += list(optimizer.state.values())
    for layer in model.layers:
        arrays += [v for v in vars(layer).values() if isinstance(v, np.ndarray)]
    assert arrays
    for a in arrays:
        assert a.dtype in (np.float32, np.bool_), a.dtype


@pytest.mark.parametrize("opt", [gn.SGD, gn.Momentum, gn.RMSProp, gn.Adam])
def test_optimizer_step_allocates_no_parameter_sized_temporaries(opt):
    # A float64 temporary (a silent upcast) or a new lr·dW array per step would show
    # as an allocation of at least the parameter's size.
    model = gn.Sequential([gn.Dense(500, 400, rng=0)])
    model.layers[0].dW[...] = 0.01
    optimizer = opt(0.01)
    optimizer.step(model)  # first step: state and work arrays are created
    tracemalloc.start()
    optimizer.step(model)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < model.layers[0].W.nbytes / 4, peak


def test_fit_peak_memory_stays_below_1_5_times_data_params_and_state():
    rng = np.random.default_rng(0)
    X = rng.random((20_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 20_000)
    model = _model((784, 64, 10), "relu", "softmax")
    optimizer = gn.Adam(1e-3)
    tracemalloc.start()
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=optimizer,
        epochs=1,
        batch_size=128,
        seed=0,
        verbose=0,
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    params = sum(W.nbytes for _, W, _ in model.parameters())
    state = sum(a.nbytes for a in optimizer.state.values())
    data = X.nbytes + y.nbytes
    # peak counts what fit allocated (parameters were allocated before: count them)
    assert data + params + peak < 1.5 * (data + params + state)
    # and far less than one more copy of X: batches are gathered, never the data set
    assert peak < 0.25 * X.nbytes


def test_forward_returns_fresh_arrays_that_a_later_forward_leaves_alone():
    model = _model((6, 5, 3), "sigmoid", "softmax")
    X1, _ = _data(4, 6, 3, seed=1)
    X2, _ = _data(4, 6, 3, seed=2)
    layer = model.layers[0]
    Z1 = layer.forward(X1)
    kept = Z1.copy()
    layer.forward(X2)
    np.testing.assert_array_equal(Z1, kept)
    Y1 = model.forward(X1)
    kept = Y1.copy()
    model.forward(X2)
    np.testing.assert_array_equal(Y1, kept)


@pytest.mark.parametrize("layer", [gn.Sigmoid(), gn.Tanh(), gn.ReLU()])
def test_activation_backward_leaves_its_argument_and_cache_unchanged(layer):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((5, 4)).astype(np.float32)
    A = layer.forward(Z).copy()
    dA = rng.standard_normal((5, 4)).astype(np.float32)
    dA_before = dA.copy()
    dZ = layer.backward(dA)
    np.testing.assert_array_equal(dA, dA_before)
    np.testing.assert_array_equal(layer.forward(Z), A)
    assert dZ is not dA


def test_bias_gradient_by_ones_product_equals_column_sum():
    rng = np.random.default_rng(0)
    layer = gn.Dense(7, 5, rng=0, dtype=np.float64)
    X = rng.standard_normal((9, 7))
    layer.forward(X)
    dZ = rng.standard_normal((9, 5))
    layer.backward(dZ)
    np.testing.assert_allclose(layer.db, dZ.sum(axis=0), rtol=1e-12)
    layer.forward(X[:3])  # another batch size: the ones vector follows it
    layer.backward(dZ[:3])
    np.testing.assert_allclose(layer.db, dZ[:3].sum(axis=0), rtol=1e-12)


def test_sigmoid_keeps_relative_precision_on_both_tails_without_warnings():
    import math

    for dtype, lo in ((np.float32, -87.0), (np.float64, -700.0)):
        z = np.linspace(lo, -lo, 2001).astype(dtype)
        ref = np.array([1 / (1 + math.exp(-float(v))) for v in z])
        got = gn.activations.sigmoid(z)
        assert got.dtype == dtype
        rel = np.abs(got - ref) / ref
        assert rel.max() < 4 * np.finfo(dtype).eps
        far = gn.activations.sigmoid(np.array([-1e4, 1e4], dtype=dtype))
        np.testing.assert_array_equal(far, [0.0, 1.0])


# ---- the unchecked training step of fit ----------------------------------------
@pytest.mark.parametrize("opt", [gn.SGD(0.1), gn.Adam(0.01)], ids=repr)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_fit_reusing_outputs_gives_the_bits_of_a_loop_of_public_calls(hidden, opt):
    # fit trains inside model.reusing_outputs() (each layer writes its results into
    # the arrays of the last step); a loop of the public calls, every result a new
    # array, with the same batches must end with the same bits.
    X, y = _data(70, 12, 4)
    fast = _model((12, 9, 7, 4), hidden, "softmax")
    plain = _model((12, 9, 7, 4), hidden, "softmax")
    loss = gn.CrossEntropy()
    fast.fit(X, y, loss=loss, optimizer=type(opt)(opt.lr), epochs=2, batch_size=32,
             seed=3, verbose=0)  # fmt: skip
    rng, optimizer = np.random.default_rng(3), type(opt)(opt.lr)
    for _ in range(2):
        order = rng.permutation(70)
        for start in range(0, 70, 32):
            idx = order[start : start + 32]
            with np.errstate(over="ignore"):
                plain.loss_and_gradients(X[idx], y[idx], loss)
            optimizer.step(plain)
    np.testing.assert_array_equal(fast.theta, plain.theta)


def test_fit_honours_a_layer_subclass_that_overrides_backward():
    class ScaledGradient(gn.Dense):
        def backward(self, dZ, *, need_dX=True):
            return super().backward(2 * dZ, need_dX=need_dX)

    X, y = _data(40, 3, 2)
    runs = []
    for cls in (gn.Dense, ScaledGradient):
        model = gn.Sequential([cls(3, 2, rng=0), gn.Softmax()])
        model.fit(
            X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=1, verbose=0
        )
        runs.append(model.layers[0].W.copy())
    W_plain, W_scaled = runs
    W0 = gn.Dense(3, 2, rng=0).W
    np.testing.assert_allclose(W_scaled - W0, 2 * (W_plain - W0), rtol=1e-4, atol=1e-6)


def test_fit_honours_an_optimizer_subclass_with_its_own_rule():
    class HalfSGD(gn.Optimizer):
        def rule(self, theta, g):
            theta -= 0.5 * self.lr * g

    X, y = _data(40, 3, 2)
    moved = []
    for opt in (gn.SGD(0.1), HalfSGD(0.1)):
        model = gn.Sequential([gn.Dense(3, 2, rng=0), gn.Softmax()])
        model.fit(X, y, loss=gn.CrossEntropy(), optimizer=opt, epochs=1, verbose=0)
        moved.append(model.layers[0].W - gn.Dense(3, 2, rng=0).W)
    np.testing.assert_allclose(moved[1], moved[0] / 2, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("loss", "y", "exc", "match"),
    [
        (gn.BinaryCrossEntropy(), np.full(20, 2.0), ValueError, r"targets in \[0, 1\]"),
        (gn.CrossEntropy(), np.full(20, 7), ValueError, r"class ids in \[0, 3\)"),
        (gn.CrossEntropy(), np.full(20, 0.5), TypeError, "integer class ids"),
        (gn.MSE(), np.zeros((20, 2)), ValueError, r"shape \(20, 3\)"),
    ],
)
def test_fit_checks_all_targets_once_with_the_losses_own_errors(loss, y, exc, match):
    X, _ = _data(20, 4, 3)
    out = gn.Sigmoid() if isinstance(loss, gn.BinaryCrossEntropy) else gn.Softmax()
    width = 1 if isinstance(loss, gn.BinaryCrossEntropy) else 3
    model = gn.Sequential([gn.Dense(4, width, rng=0), out])
    with pytest.raises(exc, match=match):
        model.fit(X, y, loss=loss, optimizer=gn.SGD(0.1), epochs=1, verbose=0)


def test_fit_reports_a_wrong_input_width_with_the_users_own_shape():
    X, y = _data(20, 5, 3)
    model = _model((4, 3), "relu", "softmax")
    with pytest.raises(
        ValueError,
        match=r"fit's X must have shape \(m, 4\).*Dense\(4 → 3\); got \(20, 5\)",
    ):
        model.fit(
            X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=1, verbose=0
        )


def test_public_forward_after_fit_still_returns_fresh_arrays():
    X, y = _data(64, 6, 3)
    model = _model((6, 5, 3), "relu", "softmax")
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=gn.SGD(0.1),
        epochs=1,
        batch_size=32,
        verbose=0,
    )
    first = model.forward(X[:32])
    kept = first.copy()
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=gn.SGD(0.1),
        epochs=1,
        batch_size=32,
        verbose=0,
    )
    model.forward(X[32:])
    np.testing.assert_array_equal(first, kept)


OPTIMIZERS = [
    (gn.SGD, {"lr": 0.1}),
    (gn.SGD, {"lr": 0.1, "weight_decay": 0.01}),
    (gn.Momentum, {"lr": 0.05}),
    (gn.RMSProp, {"lr": 0.01}),
    (gn.Adam, {"lr": 0.01}),
    (gn.Adam, {"lr": 0.01, "weight_decay": 0.01}),
]


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS)
def test_one_step_on_theta_is_the_step_of_each_parameter_bit_for_bit(cls, kwargs):
    # Each rule treats every number on its own, so stepping θ at once must give, in
    # each slice, the bits of the same rule stepping that parameter alone.
    rng = np.random.default_rng(0)
    model = _model((6, 9, 3), "relu", "softmax")
    alone = []  # one single-layer model per Dense, with a copy of its weights
    for layer in model.layers[::2]:
        copy = gn.Dense(layer.n_in, layer.n_out)
        copy.W, copy.b = layer.W, layer.b
        alone.append((gn.Sequential([copy]), cls(**kwargs)))
    optimizer = cls(**kwargs)
    for _ in range(3):
        model.dtheta[...] = rng.standard_normal(model.dtheta.shape)
        for layer, (single, opt) in zip(model.layers[::2], alone, strict=True):
            single.layers[0].dW, single.layers[0].db = layer.dW, layer.db
            opt.step(single)
        optimizer.step(model)
    for layer, (single, _) in zip(model.layers[::2], alone, strict=True):
        np.testing.assert_array_equal(layer.W, single.layers[0].W)
        np.testing.assert_array_equal(layer.b, single.layers[0].b)
    # the state vectors, read per parameter, are those of the single models
    views = optimizer.state_views()
    for i, (_, opt) in zip((0, 2), alone, strict=True):
        for slot, vector in opt.state.items():
            W_view = views[f"{i}.W"][slot]
            np.testing.assert_array_equal(W_view.ravel(), vector[: W_view.size])


def test_every_parameter_is_a_view_of_theta_and_every_gradient_of_dtheta():
    model = _model((6, 9, 7, 3), "tanh", "softmax")
    sizes = [W.size for _, W, _ in model.parameters()]
    assert model.theta.shape == model.dtheta.shape == (sum(sizes),)
    for _, W, dW in model.parameters():
        assert W.base is model.theta
        assert dW.base is model.dtheta
    X, y = _data(30, 6, 3)
    model.loss_and_gradients(X, y, gn.CrossEntropy())
    offset = 0
    for _, _, dW in model.parameters():  # laid end to end, in order
        np.testing.assert_array_equal(
            model.dtheta[offset : offset + dW.size], dW.ravel()
        )
        offset += dW.size


def test_a_layer_taken_by_another_model_is_taken_back_with_its_values():
    X, y = _data(60, 6, 3)
    first = _model((6, 9, 3), "tanh", "softmax")
    shared = first.layers[0]
    second = gn.Sequential([shared, gn.Tanh(), gn.Dense(9, 3, rng=7), gn.Softmax()])
    assert shared.W.base is second.theta  # the newest model holds the layer
    second.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=1,
               verbose=0)  # fmt: skip
    trained = shared.W.copy()
    assert first.theta is not None
    assert shared.W.base is first.theta
    np.testing.assert_array_equal(shared.W, trained)  # with the values of second
    first.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=1,
              verbose=0)  # fmt: skip
    assert not np.array_equal(shared.W, trained)


def test_a_layer_repeated_in_one_model_is_laid_out_once():
    shared = gn.Dense(3, 3, rng=0)
    model = gn.Sequential([shared, gn.Tanh(), shared])
    assert [name for name, _, _ in model.parameters()] == ["0.W", "0.b"]
    assert model.theta.shape == (12,)


def test_astype_lays_theta_out_again_in_the_new_dtype_with_the_values():
    model = _model((6, 5, 3), "relu", "softmax")
    before = model.theta.copy()
    model.astype(np.float64)
    assert model.theta.dtype == np.float64
    assert model.dtype == np.float64
    np.testing.assert_array_equal(model.theta, before.astype(np.float64))
    assert all(W.base is model.theta for _, W, _ in model.parameters())
