"""Every formula a docstring states is what the code computes.

Each formula below is copied verbatim from a docstring. The test first checks that the
docstring still contains it (so a docstring edited out of sync fails), then turns the
formula's text into Python — only notation changes: − → -, · → *, ² → **2, √ → sqrt,
^ → **, and a space between two factors becomes * — evaluates it, and compares the
result with what the code returns.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import glassnet as gn
from glassnet import activations, optimizers


def to_python(text: str) -> str:
    """The formula's text as a Python expression (notation only, no math changes)."""
    s = text.replace("−", "-").replace("·", "*").replace("²", "**2").replace("^", "**")
    s = re.sub(r"√\(", "sqrt(", s)
    s = re.sub(r"√(\w+)", r"sqrt(\1)", s)
    s = s.replace(")(", ")*(")
    # implicit product: a name, number or ")" followed by a space and a name or "("
    return re.sub(r"(?<=[\w)])\s+(?=[\w(])", " * ", s)


def split(formula: str) -> tuple[str, str]:
    """'lhs = rhs' or 'lhs := rhs' → (lhs, rhs as Python)."""
    lhs, rhs = re.split(r"\s+:?=\s+", formula, maxsplit=1)
    return lhs.strip(), to_python(rhs)


def evaluate(formula: str, names: dict) -> np.ndarray:
    _, rhs = split(formula)
    return eval(rhs, {}, names)  # our own formula text, nothing from outside


def logsumexp(Z, axis):
    z_max = Z.max(axis=axis, keepdims=True)
    return (np.log(np.exp(Z - z_max).sum(axis=axis, keepdims=True)) + z_max).squeeze(
        axis
    )


MATH = {
    "max": np.maximum,
    "where": np.where,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sqrt": np.sqrt,
    "σ": activations.sigmoid,
    "softmax": activations.softmax,
    "logsumexp": logsumexp,
    "e": np.e,
}


def assert_stated(obj, formula: str) -> None:
    doc = inspect.getdoc(obj) or ""
    assert formula in doc, (
        f"{obj.__qualname__}'s docstring no longer states {formula!r}"
    )


def test_translation_of_notation():
    assert to_python("ρ s + (1 − ρ) dW²") == "ρ * s + (1 - ρ) * dW**2"
    assert to_python("W − lr · dW / (√s + ε)") == "W - lr * dW / (sqrt(s) + ε)"
    assert to_python("((Y_hat − Y) ** 2).sum() / (2 m)") == (
        "((Y_hat - Y) ** 2).sum() / (2 * m)"
    )
    assert to_python("where(Z > 0, Z, α Z)") == "where(Z > 0, Z, α * Z)"


# ---- layers ----
def test_dense_formulas():
    rng = np.random.default_rng(0)
    layer = gn.Dense(4, 3, rng=0, dtype=np.float64)
    layer.b[...] = rng.normal(size=3)
    X, dZ = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    Z = layer.forward(X)
    dX = layer.backward(dZ)
    names = {"X": X, "W": layer.W, "b": layer.b, "dZ": dZ}
    results = {"Z": Z, "dW": layer.dW, "db": layer.db, "dX": dX}
    for formula in (
        "Z = X @ W.T + b",
        "dW = dZ.T @ X",
        "db = dZ.sum(axis=0)",
        "dX = dZ @ W",
    ):
        assert_stated(gn.Dense, formula)
        lhs, _ = split(formula)
        np.testing.assert_allclose(
            results[lhs], evaluate(formula, names), rtol=1e-14, atol=1e-15
        )
    assert_stated(gn.Dense, "Caches: X")
    assert_stated(gn.Dense, "W (n_out, n_in)")


ACTIVATION_FORMULAS = [
    (gn.ReLU, "A = max(Z, 0)", "dZ = dA * (Z > 0)"),
    (gn.LeakyReLU, "A = where(Z > 0, Z, α Z)", "dZ = dA * where(Z > 0, 1, α)"),
    (gn.Sigmoid, "A = σ(Z)", "dZ = dA * A * (1 − A)"),
    (gn.Tanh, "A = tanh(Z)", "dZ = dA * (1 − A²)"),
    (
        gn.Softmax,
        "A = exp(Z) / exp(Z).sum(axis=1, keepdims=True)",
        "dZ = A * (dA − (dA * A).sum(axis=1, keepdims=True))",
    ),
    (gn.Identity, "A = Z", "dZ = dA"),
]


@pytest.mark.parametrize(
    ("cls", "forward", "backward"),
    ACTIVATION_FORMULAS,
    ids=[c.__name__ for c, _, _ in ACTIVATION_FORMULAS],
)
def test_activation_layer_formulas(cls, forward, backward):
    rng = np.random.default_rng(1)
    Z, dA = rng.normal(0, 2, size=(4, 5)), rng.normal(size=(4, 5))
    layer = cls(0.2) if cls is gn.LeakyReLU else cls()
    A = layer.forward(Z)
    dZ = layer.backward(dA)
    names = {**MATH, "Z": Z, "A": A, "dA": dA, "α": 0.2}
    assert_stated(cls, forward)
    assert_stated(cls, backward)
    np.testing.assert_allclose(A, evaluate(forward, names), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(dZ, evaluate(backward, names), rtol=1e-13, atol=1e-15)


# ---- losses ----
def test_mse_formulas():
    rng = np.random.default_rng(2)
    Y_hat, Y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    loss = gn.MSE()
    value = loss.forward(Y_hat, Y)
    names = {"Y_hat": Y_hat, "Y": Y, "m": 6}
    forward = "L = ((Y_hat − Y) ** 2).sum() / (2 m)"
    backward = "dY_hat = (Y_hat − Y) / m"
    assert_stated(gn.MSE, forward)
    assert_stated(gn.MSE, backward)
    assert value == pytest.approx(evaluate(forward, names), rel=1e-14)
    np.testing.assert_allclose(loss.backward(), evaluate(backward, names), rtol=1e-15)


def test_binary_cross_entropy_formulas():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(6, 2))
    Y_hat, Y = activations.sigmoid(Z), rng.uniform(0, 1, size=(6, 2))
    stated_softplus = "softplus(z) = log(1 + e^z)"

    def softplus(z):  # the docstring's own definition, evaluated
        return evaluate(stated_softplus, {**MATH, "z": z})

    names = {**MATH, "softplus": softplus, "Y_hat": Y_hat, "Y": Y, "Z": Z, "m": 6}
    loss = gn.BinaryCrossEntropy()
    plain = (
        "L = −(Y * log(Y_hat) + (1 − Y) * log(1 − Y_hat)).sum() / m",
        "dY_hat = (Y_hat − Y) / (Y_hat * (1 − Y_hat)) / m",
    )
    fused = ("L  = (softplus(Z) − Y * Z).sum() / m", "dZ = (σ(Z) − Y) / m")
    for formula in (*plain, *fused, stated_softplus):
        assert_stated(gn.BinaryCrossEntropy, formula)
    assert loss.forward(Y_hat, Y) == pytest.approx(evaluate(plain[0], names), rel=1e-13)
    np.testing.assert_allclose(loss.backward(), evaluate(plain[1], names), rtol=1e-13)
    assert loss.forward_logits(Z, Y) == pytest.approx(
        evaluate(fused[0], names), rel=1e-13
    )
    np.testing.assert_allclose(
        loss.backward_logits(), evaluate(fused[1], names), rtol=1e-13, atol=1e-16
    )


@pytest.mark.parametrize("targets", ["ids", "onehot"])
def test_cross_entropy_formulas(targets):
    rng = np.random.default_rng(4)
    Z = rng.normal(size=(6, 3))
    y = rng.integers(0, 3, size=6)
    T = np.eye(3)[y]
    Y_hat = activations.softmax(Z)
    given = y if targets == "ids" else T
    names = {**MATH, "Y_hat": Y_hat, "T": T, "Z": Z, "m": 6}
    plain = ("L = −(T * log(Y_hat)).sum() / m", "dY_hat = −T / Y_hat / m")
    fused = (
        "L  = (logsumexp(Z, axis=1) − (T * Z).sum(axis=1)).sum() / m",
        "dZ = (softmax(Z) − T) / m",
    )
    for formula in (*plain, *fused):
        assert_stated(gn.CrossEntropy, formula)
    assert_stated(gn.CrossEntropy, "T[i, y[i]] = 1")
    loss = gn.CrossEntropy()
    assert loss.forward(Y_hat, given) == pytest.approx(evaluate(plain[0], names))
    np.testing.assert_allclose(loss.backward(), evaluate(plain[1], names), rtol=1e-14)
    assert loss.forward_logits(Z, given) == pytest.approx(
        evaluate(fused[0], names), rel=1e-13
    )
    np.testing.assert_allclose(
        loss.backward_logits(), evaluate(fused[1], names), rtol=1e-13, atol=1e-16
    )


# ---- optimizers: the stated rules, run for three steps ----
OPTIMIZER_RULES = [
    (gn.SGD, {"lr": 0.1}, {}, ["θ := θ − lr · dθ"]),
    (
        gn.Momentum,
        {"lr": 0.1, "beta": 0.8},
        {"v": 0.0},
        ["v := β v + dθ", "θ := θ − lr · v"],
    ),
    (
        gn.RMSProp,
        {"lr": 0.01, "rho": 0.9, "eps": 1e-8},
        {"s": 0.0},
        ["s := ρ s + (1 − ρ) dθ²", "θ := θ − lr · dθ / (√s + ε)"],
    ),
    (
        gn.Adam,
        {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8},
        {"m": 0.0, "v": 0.0},
        [
            "m := β1 m + (1 − β1) dθ",
            "v := β2 v + (1 − β2) dθ²",
            "θ := θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)",
        ],
    ),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "state", "rules"),
    OPTIMIZER_RULES,
    ids=[c.__name__ for c, _, _, _ in OPTIMIZER_RULES],
)
def test_optimizer_update_rules(cls, kwargs, state, rules):
    for rule in rules:
        assert_stated(cls, rule)
    rng = np.random.default_rng(5)
    model = gn.Sequential([gn.Dense(3, 2, rng=0, dtype=np.float64)])
    opt = cls(**kwargs)
    theta = model.theta.copy()
    names = {
        **MATH,
        "lr": kwargs["lr"],
        "β": kwargs.get("beta"),
        "ρ": kwargs.get("rho"),
        "ε": kwargs.get("eps"),
        "β1": kwargs.get("beta1"),
        "β2": kwargs.get("beta2"),
        **{k: np.zeros_like(theta) for k in state},
    }
    for t in range(1, 4):
        dtheta = rng.normal(size=theta.shape)
        model.dtheta[...] = dtheta  # every dW and db at once
        opt.step(model)
        names.update(dθ=dtheta, θ=theta, t=t)
        for rule in rules:  # in the stated order, each line updating its name
            lhs, _ = split(rule)
            names[lhs] = evaluate(rule, names)
        theta = names["θ"]
        np.testing.assert_allclose(model.theta, theta, rtol=1e-13, atol=1e-15)


def test_weight_decay_is_stated_and_is_l2_added_to_the_gradient():
    assert "adds ``weight_decay · θ`` to dθ" in (optimizers.__doc__ or "")
    rng = np.random.default_rng(6)
    for make in (
        lambda wd: gn.SGD(0.1, weight_decay=wd),
        lambda wd: gn.Momentum(0.1, weight_decay=wd),
        lambda wd: gn.RMSProp(0.01, weight_decay=wd),
        lambda wd: gn.Adam(0.01, weight_decay=wd),
    ):
        a = gn.Sequential([gn.Dense(2, 2, rng=1, dtype=np.float64)])
        b = gn.Sequential([gn.Dense(2, 2, rng=1, dtype=np.float64)])
        opt_a, opt_b = make(0.3), make(0.0)
        for _ in range(3):
            g = rng.normal(size=(2, 2))
            a.layers[0].dW[...] = g
            b.layers[0].dW[...] = g + 0.3 * b.layers[0].W  # weight_decay * W, by hand
            opt_a.step(a)
            opt_b.step(b)
        np.testing.assert_allclose(a.layers[0].W, b.layers[0].W, rtol=1e-14)


# ---- the activation functions' own docstrings ----
@pytest.mark.parametrize(
    ("fn", "formula"),
    [
        (activations.sigmoid, "σ(z) = 1 / (1 + e^(−z))"),
        (activations.sigmoid_derivative, "σ'(z) = σ(z)(1 − σ(z))"),
        (activations.tanh_derivative, "tanh'(z) = 1 − tanh(z)²"),
        (activations.relu, "max(0, z)"),
    ],
    ids=["sigmoid", "sigmoid_derivative", "tanh_derivative", "relu"],
)
def test_activation_function_formulas(fn, formula):
    assert_stated(fn, formula)
    z = np.linspace(-8, 8, 17)
    expr = formula if "=" in formula else f"g = {formula}"
    np.testing.assert_allclose(
        fn(z), evaluate(expr, {**MATH, "z": z}), rtol=1e-13, atol=1e-300
    )


def test_softmax_jacobian_formula():
    assert_stated(activations.softmax_jacobian, "J[i] = diag(a) − a aᵀ")
    Z = np.random.default_rng(7).normal(size=(3, 4))
    J = activations.softmax_jacobian(Z)
    for i, a in enumerate(activations.softmax(Z)):
        np.testing.assert_allclose(J[i], np.diag(a) - np.outer(a, a), rtol=1e-15)
