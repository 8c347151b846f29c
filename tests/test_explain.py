"""explain: the dimension table matches the real arrays, and every stated equation,
evaluated with NumPy, reproduces the engine's forward and backward pass."""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain import (
    blocks,
    dimensions,
    explain,
    input_layers,
    layer_numbers,
    steps,
)


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


# ---- the input's layers (a Standardize first) are l = 0 ---------------------------
def standardized_model() -> gn.Sequential:
    """The CLI's shape of model: a Standardize, then the seeds' layers 1 and 2."""
    X = np.random.default_rng(0).normal(2.0, 3.0, size=(50, 3))
    return gn.Sequential(
        [gn.Standardize.fit(X), gn.Dense(3, 4, rng=0), gn.ReLU(), gn.Dense(4, 1, rng=1)]
    )


def summary_numbers(model: gn.Sequential) -> dict[int, int]:
    """{position in model.layers: l} of each row of model.summary() that shows an l."""
    rows = [line.split() for line in model.summary().splitlines()[1:-1]]
    return {int(r[0]): int(r[1]) for r in rows if r[1].isdigit()}


def test_standardize_first_belongs_to_the_input_and_dense_is_layer_1():
    model = standardized_model()
    assert layer_numbers(model) == [0, 1, 1, 2]
    assert input_layers(model) == [model.layers[0]]
    assert [(b.index, b.first, b.dense) for b in blocks(model)] == [
        (1, 1, model.layers[1]),
        (2, 3, model.layers[3]),
    ]
    table = dimensions(model, m=5)
    assert table == [
        {"A": (5, 3)},
        {"Z": (5, 4), "A": (5, 4), "W": (4, 3), "dW": (4, 3), "b": (4,),
         "db": (4,), "dZ": (5, 4), "dA": (5, 4)},
        {"Z": (5, 1), "A": (5, 1), "W": (1, 4), "dW": (1, 4), "b": (1,),
         "db": (1,), "dZ": (5, 1), "dA": (5, 1)},
    ]  # fmt: skip
    text = explain(model)
    assert "  A[0] = (X − μ) / σ           (m, 3)" in text
    assert "Z[1] = A[0] @ W[1].T + b[1]" in text
    assert "dW[1] = dZ[1].T @ A[0]" in text
    assert "W[2] := W[2] − α·dW[2],  b[2] := b[2] − α·db[2]" in text
    assert "A[0] = X " not in text
    assert "[3]" not in text  # L = 2, as in summary
    rows = [line.split()[0] for line in text.splitlines() if line[:3] in ("  0", "  1",
            "  2", "  3")]  # fmt: skip
    assert rows == ["0", "1", "2"]


def test_explain_numbers_every_dense_as_summary_and_seed_names_do():
    conv = gn.Sequential(
        [
            gn.Standardize(np.zeros((1, 6, 6)), np.ones((1, 6, 6))),
            gn.Conv2D(1, 2, 3, padding=1),
            gn.ReLU(),
            gn.Flatten(),
            gn.Dense(72, 3),
        ],
        input_shape=(1, 6, 6),
    )
    flat = gn.Sequential(
        [gn.Standardize(np.zeros((2, 2)), np.ones((2, 2))), gn.Flatten(),
         gn.Dense(4, 3), gn.Tanh(), gn.Dense(3, 1)], input_shape=(2, 2),
    )  # fmt: skip
    for model in (seed_a_model(), standardized_model(), conv, flat):
        numbers = layer_numbers(model)
        for i, l in summary_numbers(model).items():  # noqa: E741
            assert numbers[i] == l, (model, i)
        by_l = {b.index: b.first for b in blocks(model) if b.map is not None}
        for name, seed in model.seed_names().items():  # "1.W" → "W[1]": gradcheck's
            l = int(re.fullmatch(r"\w+\[(\d+)\]", seed).group(1))  # noqa: E741
            assert by_l[l] == int(name.split(".")[0]), (name, seed)
    assert "Z[1] = conv(A[0], W[1]" in explain(conv)
    forward = [(st.text, st.shape) for st in steps(flat, m=2)][:3]
    assert forward == [
        ("A[0] = (X − μ) / σ", (2, 2, 2)),
        ("A[0] = A[0].reshape(m, −1)", (2, 4)),
        ("Z[1] = A[0] @ W[1].T + b[1]", (2, 3)),
    ]
    assert dimensions(flat)[0] == {"A": ("m", 4)}  # A[0]: the input, prepared


def test_backward_stops_at_layer_1_and_says_da0_is_not_needed():
    backward = [st for st in steps(standardized_model()) if st.phase == "backward"]
    assert [st.text for st in backward[-3:]] == [
        "dW[1] = dZ[1].T @ A[0]",
        "db[1] = dZ[1].sum(axis=0)",
        "dA[0] = dZ[1] @ W[1]",
    ]
    assert backward[-1].note.startswith("not needed")
    assert "Standardize" in backward[-1].note
    assert not any("σ" in st.text for st in backward)  # no dX through the input
    plain = [st for st in steps(seed_a_model()) if st.phase == "backward"]
    assert plain[-1].note == "not computed: nothing comes before layer 1"


def test_latex_of_a_standardized_model_numbers_the_first_dense_1():
    tex = explain(standardized_model(), m=8, latex=True)
    assert r"A^{[0]} = (X - \mu) / \sigma && 8 \times 3 \\" in tex
    assert r"Z^{[1]} = A^{[0]} {W^{[1]}}^{\top} + b^{[1]} && 8 \times 4" in tex
    assert r"dW^{[1]} = {dZ^{[1]}}^{\top} A^{[0]} && 4 \times 3" in tex
    assert "[3]" not in tex
    table = tex.split(r"\hline")[1].split(r"\end{tabular}")[0].strip().splitlines()
    assert [row.split(" & ")[:3] for row in table] == [
        ["0", "3", "--"],
        ["1", "4", r"$4 \times 3$"],
        ["2", "1", r"$1 \times 4$"],
    ]


def test_stated_equations_of_a_standardized_model_reproduce_the_engine():
    model = standardized_model().astype(np.float64)
    rng = np.random.default_rng(3)
    m = 6
    X, Y = rng.normal(2.0, 3.0, size=(m, 3)), rng.normal(size=(m, 1))
    loss = gn.MSE()
    model.loss_and_gradients(X, Y, loss)
    scale = model.layers[0]
    ns = {k: {} for k in ("A", "Z", "W", "b", "dA", "dZ", "dW", "db")}
    for b in blocks(model):
        ns["W"][b.index], ns["b"][b.index] = b.dense.W, b.dense.b
    env = {**ns, "X": X, "m": m, "max": np.maximum, "μ": scale.mean, "σ": scale.std}
    for st in steps(model, m):
        if st.phase not in ("forward", "backward"):
            continue
        kind, index = re.fullmatch(r"(\w+)\[(\d+)\]", st.text.split(" = ")[0]).groups()
        if "dL/d" in st.text:
            loss.forward(ns["A"][int(index)], Y)
            value = loss.backward()
        else:
            value = eval(_rhs(st.text), dict(env))  # trusted: explain's own text
        assert value.shape == st.shape, st.text
        ns[kind][int(index)] = value
    np.testing.assert_allclose(ns["A"][0], (X - scale.mean) / scale.std, rtol=1e-12)
    np.testing.assert_allclose(ns["A"][2], model.predict(X), rtol=1e-12)
    for b in blocks(model):
        np.testing.assert_allclose(ns["dW"][b.index], b.dense.dW, rtol=1e-9)
        np.testing.assert_allclose(ns["db"][b.index], b.dense.db, rtol=1e-9)


def test_a_model_without_parameters_is_one_layer():
    model = gn.Sequential([gn.Standardize(np.zeros(2), np.ones(2)), gn.Tanh()])
    assert layer_numbers(model) == [1, 1]
    assert input_layers(model) == []
    text = explain(model)
    assert "A[1] = (Z[1] − μ) / σ" in text
    assert "A[1] = tanh(A[1])" in text


def test_summary_seed_names_and_explain_number_a_batch_norm_model_alike():
    # BatchNorm normalises the Z of the Dense before it: γ[1], β[1] sit in layer 1,
    # and the next Dense is W[2] in summary, seed_names and explain alike
    model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.BatchNorm1D(4), gn.ReLU(),
                           gn.Dense(4, 2, rng=1), gn.Softmax()])  # fmt: skip
    assert model.layer_numbers() == [1, 1, 1, 2, 2]
    assert model.seed_names()["1.gamma"] == "gamma[1]"
    assert model.seed_names()["3.W"] == "W[2]"
    rows = [line.split()[:2] for line in model.summary().splitlines()[1:-1]]
    assert rows[3] == ["3", "2"]
    text = gn.explain(model)
    assert "Z[2] = A[1] @ W[2].T + b[2]" in text
    assert "W[3]" not in text


def test_stacked_recurrent_layers_are_layers_one_and_two_everywhere():
    model = gn.Sequential([gn.RNN(2, 4, return_sequences=True), gn.RNN(4, 3),
                           gn.Dense(3, 1, rng=0)], input_shape=(5, 2))  # fmt: skip
    assert model.layer_numbers() == [1, 2, 3]
    assert model.seed_names()["2.W"] == "W[3]"
    text = gn.explain(model)
    assert "Z[3] = A[2] @ W[3].T + b[3]" in text
    assert "A[2] = RNN(Z[2])" in text


def test_the_backward_of_stacked_rnns_passes_dA_from_each_to_the_one_before():
    model = gn.Sequential(
        [
            gn.RNN(3, 4, return_sequences=True, rng=0),
            gn.RNN(4, 5, rng=1),
            gn.Dense(5, 1, rng=2),
        ],
        input_shape=(6, 3),
    )
    lines = [s.text for s in steps(model) if s.phase == "backward"]
    # every dA[l] a backward reads was written by a line before it
    assert lines.index("dA[1] = dZ[2]") < lines.index("dZ[1] = RNN.backward(dA[1])")
    assert lines.index("dA[2] = dZ[3] @ W[3]") < lines.index(
        "dZ[2] = RNN.backward(dA[2])"
    )
