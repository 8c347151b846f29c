"""Dropout: inverted scaling, identity in inference, seeded masks, gradients, models."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error


def test_inference_is_the_identity_and_its_backward_passes_dY_through():
    layer = gn.Dropout(0.5, rng=0)
    X = np.arange(6.0).reshape(2, 3)
    assert layer.forward(X) is X
    G = np.ones((2, 3))
    assert layer.backward(G) is G


def test_training_keeps_each_entry_with_probability_1_minus_p_scaled_by_its_inverse():
    layer = gn.Dropout(0.2, rng=0)
    X = np.ones((400, 500), dtype=np.float32)
    Y = layer.forward(X, training=True)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(np.unique(Y), np.float32([0.0, 1 / 0.8]))
    kept = np.count_nonzero(Y) / Y.size
    assert kept == pytest.approx(0.8, abs=0.005)  # 200 000 draws: σ ≈ 0.0009
    assert Y.mean() == pytest.approx(1.0, abs=0.01)  # E[Y] = X: inverted dropout


def test_backward_multiplies_by_the_same_mask_as_the_forward():
    layer = gn.Dropout(0.5, rng=1)
    X = np.random.default_rng(0).normal(size=(8, 5)) + 3.0  # no zeros in X
    Y = layer.forward(X, training=True)
    G = np.random.default_rng(1).normal(size=X.shape)
    np.testing.assert_array_equal(layer.backward(G), G * (Y / X))


def test_dropout_backward_matches_central_differences_with_the_mask_fixed():
    # each evaluation reseeds the layer, so every forward draws the same mask
    rng = np.random.default_rng(2)
    X, G = rng.normal(size=(4, 3, 2, 2)), rng.normal(size=(4, 3, 2, 2))
    layer = gn.Dropout(0.3)

    def L(x: np.ndarray) -> float:
        layer.rng = np.random.default_rng(5)
        return float(np.sum(G * layer.forward(x, training=True)))

    L(X)
    dX = layer.backward(G)
    assert relative_error(dX, numerical_gradient(L, X)) < 1e-6


def test_a_seed_gives_the_same_masks_and_another_seed_others():
    X = np.ones((10, 10))
    a = [gn.Dropout(0.5, rng=3).forward(X, training=True) for _ in range(2)]
    b = gn.Dropout(0.5, rng=4).forward(X, training=True)
    np.testing.assert_array_equal(a[0], a[1])
    assert not np.array_equal(a[0], b)


def test_p_zero_is_the_identity_even_while_training():
    X = np.ones((3, 3))
    assert gn.Dropout(0.0).forward(X, training=True) is X


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan"), True, "0.5"])
def test_a_p_outside_0_1_is_refused(p):
    with pytest.raises(ValueError, match=r"0 ≤ p < 1"):
        gn.Dropout(p)


def test_fit_trains_with_dropout_and_predict_does_not_drop():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = gn.Sequential(
        [
            gn.Dense(4, 32, rng=0),
            gn.ReLU(),
            gn.Dropout(0.5, rng=1),
            gn.Dense(32, 2, rng=2),
            gn.Softmax(),
        ]
    )
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=gn.Adam(0.01),
        epochs=30,
        batch_size=16,
        seed=0,
        verbose=0,
    )
    np.testing.assert_array_equal(model.predict(X), model.predict(X))  # no masks
    assert model.evaluate(X, y, loss=gn.CrossEntropy())["accuracy"] > 0.9


def test_torch_dropout_draws_the_same_two_values_and_is_the_identity_in_eval():
    torch = pytest.importorskip("torch")
    # the masks come from different generators; what must agree is the rule:
    # outputs in {0, x / (1 − p)} while training, x itself in evaluation
    X = np.full((50, 40), 2.0)
    ref = torch.nn.Dropout(0.25)
    ours = gn.Dropout(0.25, rng=0)
    np.testing.assert_allclose(
        np.unique(ref(torch.from_numpy(X)).numpy()),
        np.unique(ours.forward(X, training=True)),
    )
    ref.eval()
    np.testing.assert_array_equal(ref(torch.from_numpy(X)).numpy(), ours.forward(X))
