"""Losses: plain and fused gradients, stability, worked examples, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.activations import sigmoid, softmax
from glassnet.gradcheck import numerical_gradient, relative_error

FAST = settings(max_examples=20, deadline=None, database=None, derandomize=True)
TOL = 1e-6

sizes = st.tuples(st.integers(1, 5), st.integers(1, 4))
seeds = st.integers(0, 2**32 - 1)


def targets(kind: str, rng: np.random.Generator, m: int, k: int):
    """Targets of each kind the losses accept."""
    if kind == "real":
        return rng.normal(size=(m, k))
    if kind == "binary":
        return rng.integers(0, 2, size=(m, k)).astype(np.float64)
    if kind == "soft":
        return rng.uniform(0, 1, size=(m, k))
    if kind == "ids":
        return rng.integers(0, k, size=m)
    if kind == "onehot":
        return np.eye(k)[rng.integers(0, k, size=m)]
    raise AssertionError(kind)


def check_plain(loss: gn.Loss, Y_hat: np.ndarray, Y) -> None:
    loss.forward(Y_hat, Y)
    analytic = loss.backward()
    assert analytic.shape == Y_hat.shape
    numeric = numerical_gradient(lambda y: loss.forward(y, Y), Y_hat.copy())
    assert relative_error(analytic, numeric) < TOL


def check_fused(loss, Z: np.ndarray, Y) -> None:
    loss.forward_logits(Z, Y)
    analytic = loss.backward_logits()
    assert analytic.shape == Z.shape
    numeric = numerical_gradient(lambda z: loss.forward_logits(z, Y), Z.copy())
    assert relative_error(analytic, numeric) < TOL


# ---- central differences ----
@FAST
@given(size=sizes, seed=seeds)
@example(size=(1, 1), seed=0)
@example(size=(1, 4), seed=1)
def test_mse_backward_matches_central_differences(size, seed):
    rng = np.random.default_rng(seed)
    check_plain(gn.MSE(), rng.normal(size=size), targets("real", rng, *size))


@pytest.mark.parametrize("kind", ["binary", "soft"])
@FAST
@given(size=sizes, seed=seeds)
@example(size=(1, 1), seed=0)
@example(size=(1, 4), seed=1)
def test_bce_backward_matches_central_differences(kind, size, seed):
    rng = np.random.default_rng(seed)
    Y_hat = rng.uniform(0.1, 0.9, size=size)
    check_plain(gn.BinaryCrossEntropy(), Y_hat, targets(kind, rng, *size))


@pytest.mark.parametrize("kind", ["binary", "soft"])
@FAST
@given(size=sizes, seed=seeds)
@example(size=(1, 1), seed=0)
@example(size=(1, 4), seed=1)
def test_fused_sigmoid_bce_backward_matches_central_differences(kind, size, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(0.0, 3.0, size=size)
    check_fused(gn.BinaryCrossEntropy(), Z, targets(kind, rng, *size))


@pytest.mark.parametrize("kind", ["ids", "onehot"])
@FAST
@given(size=sizes, seed=seeds)
@example(size=(1, 1), seed=0)
@example(size=(1, 4), seed=1)
def test_ce_backward_matches_central_differences(kind, size, seed):
    rng = np.random.default_rng(seed)
    # the plain formula −Σ T log Ŷ / m holds for any positive Ŷ; entries ≥ 0.1 keep the
    # h² error of central differences on log (≈ (h/p)² / 3) below the tolerance
    Y_hat = rng.uniform(0.1, 1.0, size=size)
    check_plain(gn.CrossEntropy(), Y_hat, targets(kind, rng, *size))


@pytest.mark.parametrize("kind", ["ids", "onehot"])
@FAST
@given(size=sizes, seed=seeds)
@example(size=(1, 1), seed=0)
@example(size=(1, 4), seed=1)
def test_fused_softmax_ce_backward_matches_central_differences(kind, size, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(0.0, 3.0, size=size)
    check_fused(gn.CrossEntropy(), Z, targets(kind, rng, *size))


@pytest.mark.parametrize(
    ("loss", "kind"),
    [(gn.BinaryCrossEntropy, "soft"), (gn.CrossEntropy, "ids")],
)
def test_fused_loss_equals_plain_loss_of_the_activation(loss, kind):
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(6, 3))
    Y = targets(kind, rng, 6, 3)
    act = sigmoid if loss is gn.BinaryCrossEntropy else softmax
    fused, plain = loss(), loss()
    assert fused.forward_logits(Z, Y) == pytest.approx(plain.forward(act(Z), Y))
    # chain rule through the activation gives the same dZ as the fused formula
    layer = gn.Sigmoid() if loss is gn.BinaryCrossEntropy else gn.Softmax()
    layer.forward(Z)
    np.testing.assert_allclose(
        layer.backward(plain.backward()), fused.backward_logits(), atol=1e-15
    )


def test_directional_derivative_on_a_big_batch():
    rng = np.random.default_rng(2)
    m, k = 500, 10
    Z, V = rng.normal(size=(m, k)), rng.normal(size=(m, k))
    y = rng.integers(0, k, size=m)
    eps = 1e-5
    for loss, Y in (
        (gn.CrossEntropy(), y),
        (gn.BinaryCrossEntropy(), targets("binary", rng, m, k)),
    ):
        loss.forward_logits(Z, Y)
        exact = float(np.sum(loss.backward_logits() * V))
        numeric = (
            loss.forward_logits(Z + eps * V, Y) - loss.forward_logits(Z - eps * V, Y)
        ) / (2 * eps)
        assert abs(numeric - exact) <= 1e-7 * max(abs(exact), 1.0)
    mse = gn.MSE()
    Y = rng.normal(size=(m, k))
    mse.forward(Z, Y)
    exact = float(np.sum(mse.backward() * V))
    numeric = (mse.forward(Z + eps * V, Y) - mse.forward(Z - eps * V, Y)) / (2 * eps)
    assert abs(numeric - exact) <= 1e-7 * max(abs(exact), 1.0)


# ---- worked examples by hand ----
def test_mse_worked_example_uses_half_and_mean_over_samples():
    Y_hat = np.array([[1.0, 2.0], [0.0, -1.0]])
    Y = np.array([[0.0, 0.0], [0.0, 1.0]])
    loss = gn.MSE()
    # errors (1, 2), (0, −2): squares 1 + 4 + 0 + 4 = 9; L = 9 / (2 · 2 samples) = 2.25
    assert loss.forward(Y_hat, Y) == 2.25
    # dŶ = (Ŷ − Y) / m = ((1, 2), (0, −2)) / 2
    np.testing.assert_array_equal(loss.backward(), [[0.5, 1.0], [0.0, -1.0]])


def test_bce_worked_example():
    Y_hat = np.array([[0.8], [0.25]])
    Y = np.array([[1.0], [0.0]])
    loss = gn.BinaryCrossEntropy()
    # L = −(log 0.8 + log 0.75) / 2 = (0.22314355 + 0.28768207) / 2 = 0.25541281
    assert loss.forward(Y_hat, Y) == pytest.approx(
        -(math.log(0.8) + math.log(0.75)) / 2, rel=1e-14
    )
    assert loss.forward(Y_hat, Y) == pytest.approx(0.25541281, abs=1e-8)
    # dŶ = (Ŷ − Y) / (Ŷ(1 − Ŷ)) / m: (−0.2 / 0.16) / 2 = −0.625; (0.25 / 0.1875) / 2
    np.testing.assert_allclose(loss.backward(), [[-0.625], [2 / 3]], rtol=1e-14)


def test_fused_bce_worked_example():
    loss = gn.BinaryCrossEntropy()
    # Z = 0: σ = 0.5, softplus(0) = log 2; L = (log 2 − 1·0 + log 2 − 0) / 2 = log 2
    value = loss.forward_logits(np.zeros((2, 1)), np.array([[1.0], [0.0]]))
    assert value == pytest.approx(math.log(2), rel=1e-15)
    # dZ = (σ(0) − Y) / m = (−0.5, 0.5) / 2
    np.testing.assert_array_equal(loss.backward_logits(), [[-0.25], [0.25]])


def test_ce_worked_example_with_ids_and_one_hot():
    Y_hat = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])
    y = np.array([0, 2])
    # L = −(log 0.5 + log 0.7) / 2 = (0.69314718 + 0.35667494) / 2 = 0.52491106
    expected = -(math.log(0.5) + math.log(0.7)) / 2
    for Y in (y, np.eye(3)[y]):
        loss = gn.CrossEntropy()
        assert loss.forward(Y_hat, Y) == pytest.approx(expected, rel=1e-14)
        # dŶ = −T / Ŷ / m: −1 / 0.5 / 2 = −1 at (0, 0); −1 / 0.7 / 2 at (1, 2)
        np.testing.assert_allclose(
            loss.backward(), [[-1.0, 0, 0], [0, 0, -1 / 1.4]], rtol=1e-14
        )


def test_fused_ce_worked_example():
    loss = gn.CrossEntropy()
    # Z = (0, ln 3): softmax (0.25, 0.75); label 1: L = −log 0.75 = 0.28768207
    Z = np.array([[0.0, math.log(3.0)]])
    assert loss.forward_logits(Z, np.array([1])) == pytest.approx(-math.log(0.75))
    # dZ = (A − T) / m = (0.25, 0.75 − 1) / 1
    np.testing.assert_allclose(loss.backward_logits(), [[0.25, -0.25]], rtol=1e-15)


# ---- confidently wrong, saturated, all-zero, one-sample, float32 ----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("z", [500.0, -500.0])
def test_confidently_wrong_sigmoid_bce_is_finite_with_exact_gradient(z, dtype):
    Z = np.array([[z]], dtype=dtype)
    Y = np.array([[0.0 if z > 0 else 1.0]])  # the opposite of what Z says
    loss = gn.BinaryCrossEntropy()
    value = loss.forward_logits(Z, Y)
    assert math.isfinite(value)
    assert value == pytest.approx(500.0, rel=1e-6)  # softplus(500) − 0 ≈ 500
    dZ = loss.backward_logits()
    assert dZ.dtype == dtype
    # (A − Y) / m with A = σ(±500) = 1 or ~7e-218 (0 in float32), m = 1: exactly ±1
    np.testing.assert_array_equal(dZ, [[1.0 if z > 0 else -1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", ["ids", "onehot"])
def test_confidently_wrong_softmax_ce_is_finite_with_exact_gradient(labels, dtype):
    Z = np.array([[500.0, 0.0, -500.0], [0.0, 0.0, 0.0]], dtype=dtype)
    y = np.array([1, 2])
    Y = y if labels == "ids" else np.eye(3)[y]
    loss = gn.CrossEntropy()
    value = loss.forward_logits(Z, Y)
    # row 0: logsumexp ≈ 500 minus Z[0, 1] = 0 → 500; row 1: log 3; mean over m = 2
    assert value == pytest.approx((500.0 + math.log(3)) / 2, rel=1e-6)
    A = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    T = np.eye(3)[y]
    np.testing.assert_allclose(loss.backward_logits(), (A - T) / 2, atol=1e-7)
    assert loss.backward_logits().dtype == dtype


def test_fused_losses_through_a_model_stay_finite():
    # Sequential uses the fused path for Sigmoid + BCE: a saturated σ never reaches log
    model = gn.Sequential(
        [gn.Dense(1, 1, init=[[1.0]], dtype=np.float64), gn.Sigmoid()]
    )
    value, Y_hat = model.forward_loss(
        np.array([[500.0]]), np.array([[0.0]]), gn.BinaryCrossEntropy()
    )
    assert value == pytest.approx(500.0)
    assert Y_hat[0, 0] == 1.0


def test_plain_losses_stay_finite_on_saturated_outputs():
    bce, ce = gn.BinaryCrossEntropy(), gn.CrossEntropy()
    value = bce.forward(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))
    assert math.isfinite(value)
    assert value > 700  # −log(tiny) ≈ 708 in float64
    assert np.all(np.isfinite(bce.backward()))
    value = ce.forward(np.array([[1.0, 0.0]]), np.array([1]))
    assert math.isfinite(value)
    assert np.all(np.isfinite(ce.backward()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_zero_inputs(dtype):
    zeros = np.zeros((3, 2), dtype=dtype)
    assert gn.MSE().forward(zeros, zeros) == 0.0
    bce = gn.BinaryCrossEntropy()
    assert bce.forward_logits(zeros, zeros) == pytest.approx(2 * math.log(2), rel=1e-6)
    ce = gn.CrossEntropy()
    assert ce.forward_logits(zeros, np.zeros(3, dtype=np.int64)) == pytest.approx(
        math.log(2), rel=1e-6
    )
    value = bce.forward(zeros, zeros)  # Ŷ = 0 with Y = 0 is a perfect prediction
    assert value == 0.0
    assert np.all(np.isfinite(bce.backward()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_dtype_follows_predictions(dtype):
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(1, 3)).astype(dtype)  # one-sample batch
    for loss, Y in (
        (gn.MSE(), np.zeros((1, 3))),
        (gn.BinaryCrossEntropy(), np.ones((1, 3))),
        (gn.CrossEntropy(), np.array([2])),
    ):
        loss.forward(np.abs(Z) / 4 + 0.1, Y)
        assert loss.backward().dtype == dtype
    ce = gn.CrossEntropy()
    ce.forward_logits(Z, np.array([2]))
    assert ce.backward_logits().dtype == dtype


# ---- properties ----
@FAST
@given(size=sizes, seed=seeds)
def test_losses_are_non_negative_and_gradients_shaped_like_predictions(size, seed):
    rng = np.random.default_rng(seed)
    m, k = size
    Z = rng.normal(0.0, 5.0, size=size)
    cases = [
        (gn.MSE(), Z, targets("real", rng, m, k), False),
        (gn.BinaryCrossEntropy(), sigmoid(Z), targets("soft", rng, m, k), False),
        (gn.BinaryCrossEntropy(), Z, targets("binary", rng, m, k), True),
        (gn.CrossEntropy(), softmax(Z), targets("ids", rng, m, k), False),
        (gn.CrossEntropy(), Z, targets("onehot", rng, m, k), True),
    ]
    for loss, inputs, Y, fused in cases:
        if fused:
            value, g = loss.forward_logits(inputs, Y), loss.backward_logits()
        else:
            value, g = loss.forward(inputs, Y), loss.backward()
        # soft BCE targets have a positive minimum (the entropy of Y), never below 0
        assert value >= -1e-12
        assert g.shape == inputs.shape


@FAST
@given(m=st.integers(1, 6), seed=seeds)
def test_a_one_d_target_is_one_column_for_one_output(m, seed):
    rng = np.random.default_rng(seed)
    Y_hat = rng.uniform(0.1, 0.9, size=(m, 1))
    y = rng.integers(0, 2, size=m).astype(np.float64)
    for loss in (gn.MSE(), gn.BinaryCrossEntropy()):
        assert loss.forward(Y_hat, y) == loss.forward(Y_hat, y.reshape(-1, 1))


# ---- errors ----
def test_mismatched_shapes_say_expected_and_got():
    with pytest.raises(ValueError, match=r"\(4, 2\).*got \(4, 3\)"):
        gn.MSE().forward(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="3 class ids"):
        gn.CrossEntropy().forward(np.full((3, 2), 0.5), np.array([0, 1]))
    with pytest.raises(ValueError, match="m ≥ 1"):
        gn.MSE().forward(np.zeros(3), np.zeros(3))


def test_bce_targets_outside_zero_one_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gn.BinaryCrossEntropy().forward(np.full((2, 1), 0.5), np.array([[0.0], [2.0]]))
    with pytest.raises(ValueError, match=r"-1"):
        gn.BinaryCrossEntropy().forward_logits(np.zeros((2, 1)), np.array([-1.0, 0.0]))


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]])
def test_ce_class_ids_out_of_range_are_rejected(bad):
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        gn.CrossEntropy().forward_logits(np.zeros((2, 3)), np.array(bad))


def test_ce_rejects_non_integer_ids_and_rows_that_are_not_distributions():
    with pytest.raises(TypeError, match="integer class ids"):
        gn.CrossEntropy().forward(np.full((2, 2), 0.5), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="one-hot"):
        gn.CrossEntropy().forward(np.full((2, 2), 0.5), np.array([[1.0, 1.0]] * 2))
    # float ids that are whole numbers are accepted
    assert gn.CrossEntropy().forward(np.full((2, 2), 0.5), np.array([0.0, 1.0])) > 0


@pytest.mark.parametrize(
    "loss", [gn.MSE(), gn.BinaryCrossEntropy(), gn.CrossEntropy()], ids=repr
)
def test_string_and_object_targets_raise_type_error(loss):
    with pytest.raises(TypeError, match="dtype"):
        loss.forward(np.full((2, 2), 0.5), np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match="object"):
        loss.forward(np.full((2, 2), 0.5), np.array([[0, None], [1, 0]], dtype=object))


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        gn.MSE().backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_losses_stay_finite_and_exact_at_logits_of_1e4(dtype):
    # CE: each row's logsumexp is 1e4 (to rounding) and the true class has −1e4, so
    # each row's loss is 2e4; softmax is one-hot on the 1e4 logit, so dZ = (A − T)/m.
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=dtype)
    ce = gn.CrossEntropy()
    assert ce.forward_logits(Z, np.array([1, 0])) == pytest.approx(2e4)
    expected = np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0]]) / 2
    np.testing.assert_array_equal(ce.backward_logits(), expected.astype(dtype))
    # BCE: softplus(1e4) − 0 = 1e4, softplus(−1e4) + 1e4 = 1e4, softplus(0) − 0 = log 2
    Zb = np.array([[1e4], [-1e4], [0.0]], dtype=dtype)
    bce = gn.BinaryCrossEntropy()
    assert bce.forward_logits(Zb, np.array([0, 1, 1])) == pytest.approx(
        (2e4 + np.log(2)) / 3, rel=1e-6
    )
    np.testing.assert_allclose(
        bce.backward_logits().ravel(), np.array([1.0, -1.0, -0.5]) / 3, rtol=1e-6
    )


# ---- targets checked once per data set (fit, evaluate) ----
@pytest.mark.parametrize(
    ("loss", "bad", "message"),
    [
        (gn.BinaryCrossEntropy(), np.array([[0.0], [2.0]]), r"\[0, 1\]"),
        (gn.CrossEntropy(), np.array([0, 5]), r"\[0, 3\)"),
    ],
    ids=["bce", "ce"],
)
def test_checked_targets_block_is_scoped_and_restored_on_error(loss, bad, message):
    # outside the block a batch's targets are checked; inside they are taken as
    # given (fit checked the whole set); the flag comes back even after an error
    Z = np.zeros((2, 1 if isinstance(loss, gn.BinaryCrossEntropy) else 3))
    with pytest.raises(ValueError, match=message):
        loss.forward_logits(Z, bad)

    def fail_inside() -> None:
        with loss.checked_targets():
            assert loss.targets_checked
            raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        fail_inside()
    assert not loss.targets_checked
    with pytest.raises(ValueError, match=message):
        loss.forward_logits(Z, bad)


def test_fit_still_refuses_bad_targets_before_any_step():
    model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    theta = model.theta.copy()
    X, Y = np.zeros((4, 2)), np.array([0.0, 1.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.fit(X, Y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.1), epochs=1,
                  batch_size=2, verbose=0)  # fmt: skip
    np.testing.assert_array_equal(model.theta, theta)


def _raw_problem(name: str, X: np.ndarray, rng: np.random.Generator):
    """(loss, layers, targets as a user passes them: uint8 labels, float64 values)."""
    if name == "bce":
        layers = [gn.Dense(3, 1, rng=1), gn.Sigmoid()]
        return gn.BinaryCrossEntropy(), layers, (X[:, 0] > 0).astype(np.uint8)
    if name == "ce":
        layers = [gn.Dense(3, 3, rng=1), gn.Softmax()]
        return gn.CrossEntropy(), layers, rng.integers(0, 3, 40).astype(np.uint8)
    return gn.MSE(), [gn.Dense(3, 1, rng=1)], X[:, :1].astype(np.float64)


@pytest.mark.parametrize("name", ["bce", "ce", "mse"])
def test_evaluate_inside_fit_converts_raw_targets_as_outside(name):
    # a callback's evaluate during fit (where the loss trusts its batches) gets the
    # same numbers as evaluate after fit: evaluate checks and converts its targets
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    loss, layers, y = _raw_problem(name, X, rng)
    model = gn.Sequential(layers)
    seen = []

    class Probe(gn.callbacks.Callback):
        def on_epoch_end(self, epoch, model, logs):
            seen.append(model.evaluate(X, y, loss=loss))

    model.fit(X, y, loss=loss, optimizer=gn.SGD(0.1), epochs=1, batch_size=8,
              verbose=0, callbacks=[Probe()])  # fmt: skip
    assert not loss.targets_checked
    assert seen[0] == model.evaluate(X, y, loss=loss)
