"""The gradient checker: right on known functions, passes correct models, and FAILS
on planted bugs (a check that cannot fail proves nothing)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error


# ---- numerical_gradient on functions with known gradients ----
def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    A = rng.normal(size=(3, 4))
    # Σ x² → 2x (exact for a quadratic: the h² error term vanishes)
    np.testing.assert_allclose(
        numerical_gradient(lambda v: float((v**2).sum()), x), 2 * x, atol=1e-10
    )
    # Σ A ⊙ x → A
    np.testing.assert_allclose(
        numerical_gradient(lambda v: float((A * v).sum()), x), A, atol=1e-10
    )
    # Σ sin x → cos x, with an error of order h² / 6
    np.testing.assert_allclose(
        numerical_gradient(lambda v: float(np.sin(v).sum()), x), np.cos(x), atol=1e-8
    )
    # exp of a scalar-valued product: d/dx0 exp(x0 x1) = x1 exp(x0 x1)
    p = np.array([0.5, -1.5])
    g = numerical_gradient(lambda v: float(np.exp(v[0] * v[1])), p)
    expected = np.exp(-0.75) * np.array([-1.5, 0.5])
    assert relative_error(g, expected) < 1e-8


def test_numerical_gradient_restores_x_exactly_and_returns_float64():
    x = np.array([[0.1, 0.2], [0.3, 0.7]], dtype=np.float32)
    before = x.copy()
    g = numerical_gradient(lambda v: float(v.sum()), x, h=1e-2)
    np.testing.assert_array_equal(x, before)
    assert g.dtype == np.float64
    assert g.shape == x.shape


def test_numerical_gradient_argument_errors():
    with pytest.raises(TypeError, match="floating NumPy array"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))
    with pytest.raises(TypeError, match="floating NumPy array"):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="contiguous"):
        numerical_gradient(lambda v: 0.0, np.zeros((3, 4))[:, :2])


def test_relative_error_is_norm_based():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0  # opposite signs: the maximum
    # tiny gradients that agree in relative terms are not punished
    assert relative_error([1e-9, 2e-9], [1.0001e-9, 2e-9]) < 1e-4
    # scale invariant
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.1, 3.0])
    assert relative_error(a, b) == pytest.approx(relative_error(1e6 * a, 1e6 * b))
    assert relative_error([0.0], [0.0]) == 0.0


# ---- check_gradients passes on correct models ----
def tanh_net(k: int, head: gn.Layer, seed: int = 0) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(3, 5, rng=seed),
            gn.Tanh(),
            gn.Dense(5, 4, rng=seed + 1, bias=False),
            gn.Sigmoid(),
            gn.Dense(4, k, rng=seed + 2),
            head,
        ]
    )


@pytest.mark.parametrize(
    ("k", "head", "loss", "target"),
    [
        (1, gn.Sigmoid(), gn.BinaryCrossEntropy(), "binary"),  # fused
        (4, gn.Softmax(), gn.CrossEntropy(), "ids"),  # fused, class ids
        (4, gn.Softmax(), gn.CrossEntropy(), "onehot"),  # fused, one-hot
        (2, gn.Identity(), gn.MSE(), "real"),  # regression
        (3, gn.Tanh(), gn.MSE(), "real"),
        (2, gn.Sigmoid(), gn.MSE(), "binary"),  # not fused: plain backward chain
        (3, gn.Softmax(), gn.MSE(), "onehot"),  # Softmax's own backward
    ],
)
def test_check_gradients_passes_on_correct_models(k, head, loss, target):
    rng = np.random.default_rng(1)
    m = 6
    X = rng.normal(size=(m, 3))
    Y = {
        "binary": rng.integers(0, 2, size=(m, k)).astype(float),
        "ids": rng.integers(0, k, size=m),
        "onehot": np.eye(k)[rng.integers(0, k, size=m)],
        "real": rng.normal(size=(m, k)),
    }[target]
    errors = gn.check_gradients(tanh_net(k, head), loss, X, Y)
    assert list(errors) == ["0.W", "0.b", "2.W", "4.W", "4.b"]
    assert max(errors.values()) < 1e-6


def test_check_gradients_on_a_relu_net_and_a_single_sample():
    model = gn.Sequential(
        [gn.Dense(2, 6, rng=3), gn.ReLU(), gn.Dense(6, 1, rng=4), gn.Sigmoid()]
    )
    X = np.array([[0.7, -1.3]])
    errors = gn.check_gradients(model, gn.BinaryCrossEntropy(), X, np.array([1.0]))
    assert max(errors.values()) < 1e-6


def test_check_gradients_does_not_touch_the_callers_model_or_loss():
    model = tanh_net(1, gn.Sigmoid())
    before = [W.copy() for _, W, _ in model.parameters()]
    grads_before = [dW.copy() for _, _, dW in model.parameters()]
    loss = gn.BinaryCrossEntropy()
    X = np.random.default_rng(2).normal(size=(4, 3))
    gn.check_gradients(model, loss, X, np.array([0.0, 1.0, 1.0, 0.0]))
    assert model.dtype == np.float32
    for (_, W, dW), W0, dW0 in zip(
        model.parameters(), before, grads_before, strict=True
    ):
        assert W.dtype == np.float32
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(dW, dW0)
    assert loss.cache is None


# ---- the meta-test: planted bugs must be caught ----
class IgnoresUpstream(gn.Dense):
    """Bug: backward uses an upstream gradient of ones instead of dZ."""

    def backward(self, dZ, *, need_dX=True):
        return super().backward(np.ones_like(dZ), need_dX=need_dX)


class TransposedWeightGradient(gn.Dense):
    """Bug: dW = X.T @ dZ (transposed; same shape for a square layer)."""

    def backward(self, dZ, *, need_dX=True):
        dX = super().backward(dZ, need_dX=need_dX)
        self.dW[...] = self.X.T @ dZ
        return dX


class ForgetsBiasSum(gn.Dense):
    """Bug: db from the first sample only."""

    def backward(self, dZ, *, need_dX=True):
        dX = super().backward(dZ, need_dX=need_dX)
        self.db[...] = dZ[0]
        return dX


class WrongDXDense(gn.Dense):
    """Bug: dX = dZ @ W with W's rows scaled (a wrong chain to the layer before)."""

    def backward(self, dZ, *, need_dX=True):
        super().backward(dZ, need_dX=need_dX)
        return dZ @ (self.W * 1.1)


class WrongSigmoid(gn.Sigmoid):
    """Bug: σ' taken as σ instead of σ(1 − σ)."""

    def backward(self, dA):
        return dA * self.A


class WrongTanh(gn.Tanh):
    """Bug: tanh' taken as 1 − A instead of 1 − A²."""

    def backward(self, dA):
        return dA * (1 - self.A)


class MSEWithoutMean(gn.MSE):
    """Bug: the gradient forgets the 1/m of the average."""

    def backward(self):
        return super().backward() * self.cache[0].shape[0]


def planted(kind: str) -> tuple[gn.Sequential, gn.Loss]:
    first = {
        "ignores-upstream": IgnoresUpstream,
        "transposed-dW": TransposedWeightGradient,
        "bias-sum": ForgetsBiasSum,
    }.get(kind, gn.Dense)(3, 3, rng=0)
    middle = {"sigmoid": WrongSigmoid, "tanh": WrongTanh}.get(kind, gn.Tanh)()
    second = (WrongDXDense if kind == "wrong-dX" else gn.Dense)(3, 2, rng=1)
    loss = MSEWithoutMean() if kind == "loss-mean" else gn.MSE()
    return gn.Sequential([first, middle, second, gn.Identity()]), loss


BUGS = [
    "ignores-upstream",
    "transposed-dW",
    "bias-sum",
    "wrong-dX",
    "sigmoid",
    "tanh",
    "loss-mean",
]


@pytest.mark.parametrize("kind", BUGS)
def test_check_gradients_fails_on_a_planted_bug(kind):
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    model, loss = planted(kind)
    with pytest.raises(gn.GradientCheckError, match="NO") as err:
        gn.check_gradients(model, loss, X, Y)
    assert "relative error" in str(err.value)


def test_the_same_models_without_bugs_pass():
    # the control for the meta-test: only the planted bug makes the check fail
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    model, loss = planted("none")
    assert max(gn.check_gradients(model, loss, X, Y).values()) < 1e-6


def test_a_bug_in_a_fused_output_path_is_caught():
    class WrongFusedBCE(gn.BinaryCrossEntropy):
        def backward_logits(self):
            return super().backward_logits() * 2  # (A − Y) · 2/m

    model = gn.Sequential([gn.Dense(3, 1, rng=0), gn.Sigmoid()])
    X = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(gn.GradientCheckError):
        gn.check_gradients(model, WrongFusedBCE(), X, np.array([0, 1, 1, 0.0]))


def test_the_report_names_every_parameter():
    rng = np.random.default_rng(7)
    model, loss = planted("transposed-dW")
    with pytest.raises(gn.GradientCheckError) as err:
        gn.check_gradients(
            model, loss, rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
        )
    text = str(err.value)
    for name in ("0.W", "0.b", "2.W", "2.b"):
        assert name in text
    line_0W = next(line for line in text.splitlines() if line.startswith("0.W"))
    assert line_0W.rstrip().endswith("NO")
    line_2W = next(line for line in text.splitlines() if line.startswith("2.W"))
    assert line_2W.rstrip().endswith("yes")


def test_the_failure_table_shows_the_seeds_numbering_beside_the_position():
    class DoubledW(gn.Dense):
        def backward(self, dZ, need_dX=True):
            dX = super().backward(dZ, need_dX)
            self.dW[...] *= 2
            return dX

    model = gn.Sequential(
        [
            gn.Dense(2, 3, rng=0, dtype=np.float64),
            gn.Tanh(),
            DoubledW(3, 1, rng=1, dtype=np.float64),
            gn.Sigmoid(),
        ]
    )
    X = np.random.default_rng(0).standard_normal((5, 2))
    with pytest.raises(gn.GradientCheckError) as err:
        gn.check_gradients(model, gn.BinaryCrossEntropy(), X, np.array([0, 1, 0, 1, 1]))
    rows = {line.split()[0]: line for line in str(err.value).splitlines()[2:]}
    assert rows["2.W"].split()[1:] == ["W[2]", rows["2.W"].split()[2], "NO"]
    assert rows["0.W"].split()[1] == "W[1]"


class Square(gn.Layer):
    """A = X² (dX = 2·X·dA), or with ``wrong`` the bug dX = 3·X·dA."""

    def __init__(self, wrong: bool = False) -> None:
        super().__init__()
        self.factor = 3.0 if wrong else 2.0

    def forward(self, X, training=False):
        self.X = X
        return X * X

    def backward(self, dY, need_dX=True):
        return self.factor * self.X * dY


def test_a_right_backward_on_a_loss_curved_near_eps_passes_a_wrong_one_fails():
    # Z = −0.0064 here and L = ½·mean(Z⁴): at h = 1e-4 the central difference is off
    # by about h²/Z² = 2.4e-4 of the gradient, so correct code failed the check; the
    # error of a right backward shrinks as h does, a wrong one's stays
    X, Y = np.ones((3, 2)), np.zeros(3)
    right = gn.Sequential([gn.Dense(2, 1, rng=0), Square()])
    assert max(gn.check_gradients(right, gn.MSE(), X, Y).values()) < 1e-7
    wrong = gn.Sequential([gn.Dense(2, 1, rng=0), Square(wrong=True)])
    # |3 − 2| / (3 + 2) = 0.2 at every h
    with pytest.raises(gn.GradientCheckError, match=r"W\[1\]       1\.99\de-01  NO"):
        gn.check_gradients(wrong, gn.MSE(), X, Y)
