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
    arrays += [a for slots in optimizer.state.values() for a in slots.values()]
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
    state = sum(a.nbytes for s in optimizer.state.values() for a in s.values())
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
def test_unchecked_training_step_gives_the_checked_gradients_step_after_step():
    # fit's step skips the checks and reuses its arrays between steps of the same
    # size; over several steps and two batch sizes it must match the checked path.
    X, y = _data(70, 12, 4)
    for hidden in ("sigmoid", "tanh", "relu"):
        fast = _model((12, 9, 7, 4), hidden, "softmax")
        checked = _model((12, 9, 7, 4), hidden, "softmax")
        loss = gn.CrossEntropy()
        step = fast._training_step(loss)
        for start, stop in [(0, 32), (32, 64), (64, 70), (0, 32)]:
            L1, Y1 = step(X[start:stop], y[start:stop])
            L2, Y2 = checked.loss_and_gradients(X[start:stop], y[start:stop], loss)
            assert L1 == L2
            np.testing.assert_array_equal(Y1, Y2)
            for (_, _, g1), (_, _, g2) in zip(
                fast.parameters(), checked.parameters(), strict=True
            ):
                np.testing.assert_array_equal(g1, g2)


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


def test_fit_honours_an_optimizer_subclass_with_its_own_update():
    class HalfSGD(gn.SGD):
        def update(self, name, W, g):
            W -= 0.5 * self.lr * g

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


def test_fit_reports_a_wrong_input_width_with_the_layers_own_error():
    X, y = _data(20, 5, 3)
    model = _model((4, 3), "relu", "softmax")
    with pytest.raises(
        ValueError, match=r"Dense\(4 → 3\) expected X of shape \(m, 4\)"
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_short_loop_takes_the_rule_s_steps_bit_for_bit_and_follows_lr(dtype):
    # fit's SGD loop passes lr as a 0-d array of W's dtype; it must give the bits of
    # W −= lr · dW with a Python float lr, also after lr is changed between steps.
    rng = np.random.default_rng(0)
    model = gn.Sequential([gn.Dense(7, 5, rng=0, dtype=dtype)])
    params = model.parameters()
    W_ref = [W.copy() for _, W, _ in params]
    optimizer = gn.SGD(0.1)
    for step, lr in enumerate([0.1, 0.1, 0.1, 0.037, 0.037, 1.3]):
        optimizer.lr = lr
        for (_, _, dW), ref in zip(params, W_ref, strict=True):
            dW[...] = rng.standard_normal(dW.shape)
            ref -= lr * dW
        optimizer._step(params)
        assert optimizer.t == step + 1
        for (_, W, _), ref in zip(params, W_ref, strict=True):
            assert W.dtype == dtype
            np.testing.assert_array_equal(W, ref)


def _per_array(cls):
    """``cls`` with its rule restated: fit must then update array by array."""

    class PerArray(cls):
        def _rule(self, W, g, *arrays):
            super()._rule(W, g, *arrays)

    return PerArray


_PerArraySGD = _per_array(gn.SGD)

OPTIMIZERS = [
    (gn.SGD, {"lr": 0.1}),
    (gn.SGD, {"lr": 0.1, "weight_decay": 0.01}),
    (gn.Momentum, {"lr": 0.05}),
    (gn.RMSProp, {"lr": 0.01}),
    (gn.Adam, {"lr": 0.01}),
    (gn.Adam, {"lr": 0.01, "weight_decay": 0.01}),
]


def _fit(model, optimizer, X, y, seed=0, epochs=2):
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=optimizer,
        epochs=epochs,
        batch_size=16,
        seed=seed,
        verbose=0,
    )


def _weights(model):
    return [W.copy() for _, W, _ in model.parameters()]


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS)
def test_optimizers_update_all_parameters_as_one_vector_bit_for_bit(cls, kwargs):
    X, y = _data(100, 6, 3)
    flat, per_array = (_model((6, 9, 7, 3), "relu", "softmax") for _ in range(2))
    opt, opt_ref = cls(**kwargs), _per_array(cls)(**kwargs)
    assert opt._elementwise()
    assert not opt_ref._elementwise()
    _fit(flat, opt, X, y)
    _fit(per_array, opt_ref, X, y)
    for W, ref in zip(_weights(flat), _weights(per_array), strict=True):
        np.testing.assert_array_equal(W, ref)
    # the flat path was taken: every parameter is a view of one vector ...
    theta, dtheta = flat._flat
    assert all(W.base is theta and dW.base is dtheta for _, W, dW in flat.parameters())
    assert per_array._flat is None
    # ... and the state, still kept per parameter name, is the same
    assert opt.state.keys() == opt_ref.state.keys()
    for name, slots in opt_ref.state.items():
        for slot, value in slots.items():
            np.testing.assert_array_equal(opt.state[name][slot], value)
            assert opt.state[name][slot].base is not None  # a view of the vector
    # a public step after fit goes on from the same state
    for model, optimizer in ((flat, opt), (per_array, opt_ref)):
        model.loss_and_gradients(X, y, gn.CrossEntropy())
        optimizer.step(model)
    for W, ref in zip(_weights(flat), _weights(per_array), strict=True):
        np.testing.assert_array_equal(W, ref)


def test_flat_parameters_are_remade_after_astype_an_assignment_or_a_shared_layer():
    X, y = _data(100, 6, 3)
    X64 = X.astype(np.float64)
    flat, ref = (_model((6, 9, 3), "tanh", "softmax") for _ in range(2))
    other, other_ref = (_model((6, 9, 3), "tanh", "softmax", seed=5) for _ in range(2))
    # model and other share their first Dense layer
    other.layers[0], other_ref.layers[0] = flat.layers[0], ref.layers[0]
    sgd, sgd_ref = gn.SGD(0.1), _PerArraySGD(0.1)
    _fit(flat, sgd, X, y)
    _fit(ref, sgd_ref, X, y)
    _fit(other, sgd, X, y, seed=1)  # packs the shared layer into other's vectors
    _fit(other_ref, sgd_ref, X, y, seed=1)
    _fit(flat, sgd, X, y, seed=2)  # must notice, and pack it back
    _fit(ref, sgd_ref, X, y, seed=2)
    new_b = np.full(3, 0.25, dtype=np.float32)
    flat.layers[2].b, ref.layers[2].b = new_b.copy(), new_b.copy()  # an assignment
    _fit(flat, sgd, X, y, seed=3)
    _fit(ref, sgd_ref, X, y, seed=3)
    flat.astype(np.float64)
    ref.astype(np.float64)
    _fit(flat, sgd, X64, y, seed=4)
    _fit(ref, sgd_ref, X64, y, seed=4)
    for model, reference in ((flat, ref), (other, other_ref)):
        for W, W_ref in zip(_weights(model), _weights(reference), strict=True):
            assert W.dtype == W_ref.dtype
            np.testing.assert_array_equal(W, W_ref)
    assert flat._flat[0].dtype == np.float64


def test_no_flat_vector_for_mixed_dtypes_a_repeated_layer_or_an_own_update():
    mixed = gn.Sequential(
        [gn.Dense(2, 2, rng=0), gn.Dense(2, 2, rng=1, dtype=np.float64)]
    )
    assert mixed._flat_parameters() is None
    shared = gn.Dense(2, 2, rng=0)
    assert gn.Sequential([shared, gn.Tanh(), shared])._flat_parameters() is None

    class DenseWithScale(gn.Dense):  # a parameter beyond W and b
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.s, self.ds = np.ones(1, np.float32), np.zeros(1, np.float32)

        @property
        def params(self):
            return {**super().params, "s": self.s}

        @property
        def grads(self):
            return {**super().grads, "s": self.ds}

    assert gn.Sequential([DenseWithScale(2, 2)])._flat_parameters() is None

    class OwnUpdate(gn.Adam):
        def update(self, name, W, g):
            W -= 0.01 * g

    assert not OwnUpdate()._elementwise()
    X, y = _data(40, 6, 3)
    model = _model((6, 5, 3), "relu", "softmax")
    _fit(model, OwnUpdate(), X, y)
    assert model._flat is None
