"""explain: the dimension table matches the real arrays, and every stated equation,
evaluated with NumPy, reproduces the engine's forward and backward pass."""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain import blocks, dimensions, explain, steps


def seed_a_model() -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(2, 25, rng=0),
            gn.ReLU(),
            gn.Dense(25, 50, rng=1),
            gn.ReLU(),
            gn.Dense(50, 50, rng=2),
            gn.ReLU(),
            gn.Dense(50, 25, rng=3),
            gn.ReLU(),
            gn.Dense(25, 1, rng=4),
            gn.Sigmoid(),
        ]
    )


def real_shapes(model: gn.Sequential, m: int) -> list[dict[str, tuple[int, ...]]]:
    """Shapes of the arrays the engine really builds for a batch of m."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, model.n_in))
    Y = (rng.random(m) > 0.5).astype(np.float64)
    model.loss_and_gradients(X, Y, gn.BinaryCrossEntropy())
    out = [{"A": X.shape}]
    A = X
    for layer in model.layers:
        A_new = layer.forward(A)
        if isinstance(layer, gn.Dense):
            out.append(
                {
                    "W": layer.W.shape,
                    "b": layer.b.shape,
                    "dW": layer.dW.shape,
                    "db": layer.db.shape,
                    "Z": A_new.shape,
                }
            )
        out[-1]["A"] = A_new.shape
        A = A_new
    return out


def test_dimension_table_matches_the_real_arrays():
    model = seed_a_model()
    table = dimensions(model, m=7)
    real = real_shapes(model, 7)
    assert len(table) == len(real) == 6
    for stated, actual in zip(table, real, strict=True):
        for key, shape in actual.items():
            assert stated[key] == shape, key
        if "Z" in stated:
            assert stated["dZ"] == stated["Z"]
            assert stated["dA"] == stated["A"]


def test_symbolic_m_and_seed_a_widths():
    table = dimensions(seed_a_model())
    assert table[0]["A"] == ("m", 2)
    assert [t["W"] for t in table[1:]] == [
        (25, 2),
        (50, 25),
        (50, 50),
        (25, 50),
        (1, 25),
    ]
    assert table[3]["Z"] == ("m", 50)


def test_explain_text_lists_every_shape_and_equation():
    model = seed_a_model()
    text = model.explain()
    for W in ("(25, 2)", "(50, 25)", "(50, 50)", "(25, 50)", "(1, 25)"):
        assert W in text
    assert "(m, 50)" in text
    assert "Z[3] = A[2] @ W[3].T + b[3]" in text
    assert "dW[5] = dZ[5].T @ A[4]" in text
    assert "dZ[5] = (A[5] − Y) / m" in text
    assert "BinaryCrossEntropy" in text
    # backward runs from the last layer to the first
    assert text.index("dW[5]") < text.index("dW[4]") < text.index("dW[1]")
    text7 = explain(model, m=7)
    assert "(7, 50)" in text7
    assert "(m, 50)" not in text7


def test_fused_gradient_is_named_for_softmax_and_absent_without():
    soft = gn.Sequential([gn.Dense(3, 4), gn.Tanh(), gn.Dense(4, 5), gn.Softmax()])
    assert "CrossEntropy" in explain(soft)
    linear = gn.Sequential([gn.Dense(3, 4), gn.Tanh(), gn.Dense(4, 1)])
    text = explain(linear)
    assert "fused" not in text
    assert "(A[2] − Y) / m" not in text
    assert "A[2] = Z[2]" in text  # no activation: the identity


def test_latex_has_table_and_aligned_equations():
    tex = explain(seed_a_model(), m=32, latex=True)
    assert r"\begin{tabular}" in tex
    assert r"\end{align*}" in tex
    assert r"32 \times 25" in tex
    assert r"{W^{[1]}}^{\top}" in tex
    assert tex.count(r"\\") > 20


@pytest.mark.parametrize("m", [0, -1, 2.5, True])
def test_bad_m_is_refused(m):
    with pytest.raises(ValueError, match="batch size"):
        explain(seed_a_model(), m=m)


def _rhs(text: str) -> str:
    """The last right-hand side of a stated equation, as NumPy code."""
    rhs = text.split(" = ")[-1]
    rhs = rhs.split(" (each row")[0]
    return rhs.replace("−", "-").replace("·", "*").replace("²", "**2")


@pytest.mark.parametrize(
    ("hidden", "last", "loss"),
    [
        (gn.ReLU(), gn.Sigmoid(), gn.BinaryCrossEntropy()),
        (gn.Tanh(), gn.Softmax(), gn.CrossEntropy()),
        (gn.LeakyReLU(0.1), gn.Identity(), gn.MSE()),
        (gn.Sigmoid(), gn.Tanh(), gn.MSE()),
    ],
)
def test_every_stated_equation_reproduces_the_engine(hidden, last, loss):
    rng = np.random.default_rng(1)
    n_out = 3
    model = gn.Sequential(
        [gn.Dense(4, 6, rng=2), hidden, gn.Dense(6, n_out, rng=3), last]
    ).astype(np.float64)
    m = 5
    X = rng.normal(size=(m, 4))
    if isinstance(loss, gn.CrossEntropy):
        Y = np.eye(n_out)[rng.integers(0, n_out, m)]
    elif isinstance(loss, gn.BinaryCrossEntropy):
        Y = (rng.random((m, n_out)) > 0.5).astype(np.float64)
    else:
        Y = rng.normal(size=(m, n_out))
    # the engine's own gradients
    model.loss_and_gradients(X, Y, loss)
    engine = {
        i: (b.dense.dW.copy(), b.dense.db.copy())
        for i, b in enumerate(blocks(model), start=1)
    }
    # the stated equations, evaluated in order
    ns = {k: {} for k in ("A", "Z", "W", "b", "dA", "dZ", "dW", "db")}
    for i, b in enumerate(blocks(model), start=1):
        ns["W"][i], ns["b"][i] = b.dense.W, b.dense.b
    env = {
        **ns,
        "X": X,
        "Y": Y,
        "m": m,
        "max": np.maximum,
        "exp": np.exp,
        "tanh": np.tanh,
        "where": np.where,
    }
    evaluated = 0
    for st in steps(model, m):
        if st.phase not in ("forward", "backward"):
            continue
        lhs = st.text.split(" = ")[0]
        kind, index = re.fullmatch(r"(\w+)\[(\d+)\]", lhs).groups()
        if "dL/d" in st.text:  # the loss's own gradient: taken from the loss
            Y_hat = ns["A"][int(index)]
            loss.forward(Y_hat, Y)
            value = loss.backward()
        elif "softmax(" in st.text:
            value = gn.activations.softmax(ns["Z"][int(index)])
        else:
            value = eval(_rhs(st.text), dict(env))  # trusted: explain's own text
            evaluated += 1
        if st.shape:
            assert value.shape == st.shape, st.text
        ns[kind][int(index)] = value
    assert evaluated >= 10
    np.testing.assert_allclose(ns["A"][2], model.predict(X), rtol=1e-12)
    for i, (dW, db) in engine.items():
        np.testing.assert_allclose(ns["dW"][i], dW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ns["db"][i], db, rtol=1e-9, atol=1e-12)


def test_explain_of_a_cnn_has_channels_rows_and_columns_in_every_shape():
    model = gn.Sequential(
        [
            gn.Conv2D(1, 4, 3, padding=1),
            gn.ReLU(),
            gn.MaxPool2D(2),
            gn.Flatten(),
            gn.Dense(4 * 4 * 4, 3),
            gn.Softmax(),
        ],
        input_shape=(1, 8, 8),
    )
    table = dimensions(model, m=5)
    assert table[0] == {"A": (5, 1, 8, 8)}
    assert table[1]["W"] == table[1]["dW"] == (4, 1, 3, 3)
    assert table[1]["Z"] == (5, 4, 8, 8)
    assert table[1]["A"] == (5, 64)  # after ReLU, pooling and Flatten
    assert table[2]["W"] == (3, 64)
    text = explain(model, m=5)
    assert "1  64     (4, 1, 3, 3)" in text  # n[1] is C·H·W after Flatten
    assert "0  1×8×8" in text
    assert "Z[1] = conv(A[0], W[1], stride 1×1, padding 1×1) + b[1]" in text
    assert "A[1] = max of each 2×2 window of A[1], stride 2×2" in text
    assert "dA[0] = col2im(" in text
    assert "W[1] := W[1] − α·dW[1],  b[1] := b[1] − α·db[1]" in text
    shapes = {st.text: st.shape for st in steps(model, m=5)}
    assert shapes["A[1] = A[1].reshape(m, −1)"] == (5, 64)
    assert shapes["dA[1] = dA[1] routed to each window's argmax (0 elsewhere)"] == (
        5,
        4,
        8,
        8,
    )
    assert r"\star" in explain(model, latex=True)
