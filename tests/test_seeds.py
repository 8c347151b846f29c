"""The seeds' worked examples, reproduced (SEEDS.md), and the example scripts."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

REPO = Path(__file__).resolve().parents[1]


# ---- seed B: x² + y² from (−5, −5), step 0.5 ----
def bowl(p: np.ndarray) -> float:
    return float(p[0] ** 2 + p[1] ** 2)


def test_seed_b_one_step_lands_exactly_on_the_minimum_and_stops():
    # (−5, −5) − 0.5 · (2·(−5), 2·(−5)) = (0, 0), where ∇f = (0, 0): descent stops
    path = gn.gradient_descent(
        bowl, [-5.0, -5.0], lr=0.5, steps=10, grad=lambda p: 2 * p
    )
    np.testing.assert_array_equal(path, [[-5.0, -5.0], [0.0, 0.0]])


def test_seed_b_with_central_differences():
    # The difference quotient ((−5 + h)² − (−5 − h)²) / 2h is −10 only up to rounding,
    # so the first step lands 1.2e-11 from the origin, not exactly on it. At that point
    # the quotient rounds to exactly 0 after one more step and the descent stops.
    path = gn.gradient_descent(bowl, [-5.0, -5.0], lr=0.5, steps=10)
    assert np.abs(path[1]).max() < 1e-10
    assert len(path) < 11  # stopped on a zero gradient, not by running out of steps
    assert np.abs(path[-1]).max() < 1e-15
    # with a tolerance it stops right after the one step, as in the seed
    assert len(gn.gradient_descent(bowl, [-5.0, -5.0], lr=0.5, steps=10, tol=1e-6)) == 2


# ---- seed D: three single weights, no activation, no bias ----
X_D = np.array([[1.0], [-1.0]])
Y_D = np.array([[-1.0], [1.0]])
SEED_D_WEIGHTS = (0.2333, -0.233, -0.52133)


def chain(weights) -> gn.Sequential:
    return gn.Sequential(
        [gn.Dense(1, 1, bias=False, init=[[w]], dtype=np.float64) for w in weights]
    )


def train_chain(weights) -> gn.Sequential:
    model = chain(weights)
    model.fit(
        X_D,
        Y_D,
        loss=gn.MSE(),
        optimizer=gn.SGD(0.05),
        epochs=160,
        batch_size=1,
        shuffle=False,
        verbose=0,
    )
    return model


def test_seed_d_learns_the_sign_of_minus_x():
    model = train_chain(SEED_D_WEIGHTS)
    assert model.predict(np.array([[1.0]]))[0, 0] < 0
    assert model.predict(np.array([[-1.0]]))[0, 0] > 0


def test_seed_d_training_is_the_hand_written_loop():
    # every gradient first, then the update (the seed's corrected order)
    w1, w2, w3 = SEED_D_WEIGHTS
    for _ in range(160):
        for x, target in ((1.0, -1.0), (-1.0, 1.0)):
            y = w1 * x
            z = w2 * y
            e = w3 * z
            delta = e - target  # dL/de for L = ½ (e − ê)²
            g3, g2, g1 = delta * z, delta * w3 * y, delta * w3 * w2 * x
            w1, w2, w3 = w1 - 0.05 * g1, w2 - 0.05 * g2, w3 - 0.05 * g3
    model = train_chain(SEED_D_WEIGHTS)
    got = [float(layer.W[0, 0]) for layer in model.layers]
    np.testing.assert_allclose(got, [w1, w2, w3], rtol=0, atol=1e-12)


@pytest.mark.parametrize(("x", "target"), [(1.0, -1.0), (-1.0, 1.0), (0.7, 2.0)])
@pytest.mark.parametrize("weights", [SEED_D_WEIGHTS, (0.9, -1.3, 0.4)])
def test_seed_d_backprop_equals_the_chain_rule_products(weights, x, target):
    model = chain(weights)
    model.loss_and_gradients(np.array([[x]]), np.array([[target]]), gn.MSE())
    w1, w2, w3 = weights
    y, z = w1 * x, w2 * w1 * x
    e = w3 * z
    expected = {
        "0.W": (e - target) * w3 * w2 * x,  # dL/dw1
        "1.W": (e - target) * w3 * y,  # dL/dw2
        "2.W": (e - target) * z,  # dL/dw3
    }
    for name, _, dW in model.parameters():
        assert dW[0, 0] == pytest.approx(expected[name], rel=0, abs=1e-12)
    errors = gn.check_gradients(model, gn.MSE(), np.array([[x]]), np.array([[target]]))
    assert max(errors.values()) < 1e-8


def test_seed_d_all_weights_equal_fails_to_learn():
    # What happens (checked, not assumed): the three equal weights get equal
    # gradients, stay equal, and shrink together towards 0; their product w³ stays
    # positive, so e has the sign of x — the wrong sign — and the loss stays near ½.
    model = train_chain((0.2333, 0.2333, 0.2333))
    w = [float(layer.W[0, 0]) for layer in model.layers]
    assert w[0] == pytest.approx(w[1], abs=1e-12)
    assert w[1] == pytest.approx(w[2], abs=1e-12)
    assert 0 < w[0] < 0.2333
    assert model.predict(np.array([[1.0]]))[0, 0] > 0  # should be negative
    assert model.predict(np.array([[-1.0]]))[0, 0] < 0  # should be positive
    assert model.evaluate(X_D, Y_D, loss=gn.MSE())["loss"] > 0.49


# ---- seed A: the reference network on two concentric circles ----
def circles(n: int, noise: float, factor: float, seed: int):
    """Two rings (radius 1 and ``factor``), labels alternating 0/1, Gaussian noise."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    y = np.arange(n) % 2
    radius = np.where(y == 1, factor, 1.0)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    X += rng.normal(0.0, noise, size=X.shape)
    return X.astype(np.float32), y


def test_seed_a_reference_network_separates_the_circles():
    X, y = circles(1000, noise=0.05, factor=0.5, seed=0)
    X_train, y_train, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    widths = [2, 25, 50, 50, 25, 1]
    layers: list[gn.Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        layers += [
            gn.Dense(n_in, n_out, rng=i),
            gn.ReLU() if n_out > 1 else gn.Sigmoid(),
        ]
    model = gn.Sequential(layers)
    start = time.perf_counter()
    history = model.fit(
        X_train,
        y_train,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.Adam(0.01),
        epochs=40,
        batch_size=32,
        seed=0,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    result = model.evaluate(X_test, y_test, loss=gn.BinaryCrossEntropy())
    assert result["accuracy"] >= 0.99
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert seconds < 10.0


# ---- the example scripts run and print what they promise ----
def run_example(name: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / name), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_example_seed_b_descent():
    out = run_example("seed_b_descent.py")
    assert "step 0: (x, y) = (-5, -5)" in out
    assert "step 1: (x, y) = ( 0,  0)   f = 0" in out
    assert "took 1 step(s); gradient at the end: (0, 0)" in out


def test_example_seed_d_chain():
    out = run_example("seed_d_chain.py")
    rows = [line.split() for line in out.splitlines() if line[:4].strip().isdigit()]
    assert len(rows) == 12  # 4 steps × 3 weights
    for row in rows:
        backprop, numeric, diff = float(row[2]), float(row[3]), float(row[4])
        assert abs(backprop - numeric) < 1e-8
        assert diff < 1e-8
    assert "predict(+1) = -" in out
    assert "predict(-1) = +" in out
    assert "sign -1" in out


def test_example_seed_a_circles():
    out = run_example("seed_a_circles.py")
    assert "total parameters: 5226" in out
    error = float(out.split("gradient-check error before training: ")[1].split()[0])
    assert error < 1e-6
    assert float(out.split("test accuracy: ")[1].split()[0]) >= 99.0


def test_example_seed_e_area():
    out = run_example("seed_e_area.py")
    assert float(out.split("R² on held-out rectangles: ")[1].split()[0]) >= 0.99


@pytest.mark.slow
def test_example_seed_c_mnist(mnist_dir):
    out = run_example("seed_c_mnist.py", str(mnist_dir))
    last = [line for line in out.splitlines() if line.startswith("epoch")][-1]
    assert float(last.split("test accuracy")[1]) >= 0.94
