"""PyTorch as an independent reference: optimizer steps and autograd gradients."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassnet as gn  # noqa: E402

TOL = 1e-5  # DESIGN.md: gradients agree with PyTorch autograd to < 1e-5 (float64)


def t(a: np.ndarray, grad: bool = False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def rel(a, b) -> float:
    return gn.relative_error(np.asarray(a), np.asarray(b))


# ---- optimizers: several steps against torch.optim, float64 ----
OPTIMIZERS = {
    "SGD": (lambda: gn.SGD(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "SGD+wd": (
        lambda: gn.SGD(0.1, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01),
    ),
    "Momentum": (
        lambda: gn.Momentum(0.05, beta=0.9),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    ),
    "Momentum+wd": (
        lambda: gn.Momentum(0.05, beta=0.8, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, weight_decay=0.1),
    ),
    "RMSProp": (
        lambda: gn.RMSProp(0.01, rho=0.99, eps=1e-8),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8),
    ),
    "RMSProp+wd": (
        lambda: gn.RMSProp(0.02, rho=0.9, eps=1e-6, weight_decay=0.05),
        lambda p: torch.optim.RMSprop(
            p, lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.05
        ),
    ),
    "Adam": (
        lambda: gn.Adam(0.01),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
    ),
    "Adam+wd": (
        lambda: gn.Adam(0.003, beta1=0.8, beta2=0.99, eps=1e-7, weight_decay=0.1),
        lambda p: torch.optim.Adam(
            p, lr=0.003, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.1
        ),
    ),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_matches_torch_optim_over_several_steps(name):
    make_gn, make_torch = OPTIMIZERS[name]
    rng = np.random.default_rng(0)
    model = gn.Sequential(
        [
            gn.Dense(3, 4, rng=1, dtype=np.float64),
            gn.Dense(4, 2, rng=2, dtype=np.float64),
        ]
    )
    for _, W, _ in model.parameters():
        W[...] = rng.normal(size=W.shape)
    params = [t(W.copy(), grad=True) for _, W, _ in model.parameters()]
    opt_gn, opt_torch = make_gn(), make_torch(params)
    for _ in range(7):
        for (_, _, dW), p in zip(model.parameters(), params, strict=True):
            g = rng.normal(size=dW.shape)
            dW[...] = g
            p.grad = t(g)
        opt_gn.step(model)
        opt_torch.step()
    for (_, W, _), p in zip(model.parameters(), params, strict=True):
        np.testing.assert_allclose(W, p.detach().numpy(), rtol=0, atol=1e-12)


# ---- layer gradients against autograd ----
def torch_activation(name: str):
    return {
        "ReLU": torch.relu,
        "LeakyReLU": lambda z: torch.nn.functional.leaky_relu(z, 0.1),
        "Sigmoid": torch.sigmoid,
        "Tanh": torch.tanh,
        "Softmax": lambda z: torch.softmax(z, dim=1),
        "Identity": lambda z: z,
    }[name]


GN_ACTIVATIONS = {
    "ReLU": gn.ReLU,
    "LeakyReLU": lambda: gn.LeakyReLU(0.1),
    "Sigmoid": gn.Sigmoid,
    "Tanh": gn.Tanh,
    "Softmax": gn.Softmax,
    "Identity": gn.Identity,
}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 3, 2), (5, 1, 4), (6, 4, 3)])
def test_dense_gradients_match_autograd(shape, bias):
    m, n_in, n_out = shape
    rng = np.random.default_rng(m * 100 + n_in * 10 + n_out)
    layer = gn.Dense(n_in, n_out, bias=bias, rng=rng, dtype=np.float64)
    if bias:
        layer.b[...] = rng.normal(size=n_out)
    X, G = rng.normal(size=(m, n_in)), rng.normal(size=(m, n_out))
    Z = layer.forward(X)
    dX = layer.backward(G)
    Xt, Wt = t(X, True), t(layer.W, True)
    Zt = Xt @ Wt.T
    if bias:
        bt = t(layer.b, True)
        Zt = Zt + bt
    np.testing.assert_allclose(Z, Zt.detach().numpy(), rtol=1e-14, atol=1e-14)
    (Zt * t(G)).sum().backward()
    assert rel(dX, Xt.grad) < TOL
    assert rel(layer.dW, Wt.grad) < TOL
    if bias:
        assert rel(layer.db, bt.grad) < TOL


@pytest.mark.parametrize("name", list(GN_ACTIVATIONS))
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (6, 1), (7, 5)])
def test_activation_gradients_match_autograd(name, shape):
    rng = np.random.default_rng(shape[0] * 10 + shape[1])
    Z, G = rng.normal(0, 2, size=shape), rng.normal(size=shape)
    layer = GN_ACTIVATIONS[name]()
    A = layer.forward(Z)
    dZ = layer.backward(G)
    Zt = t(Z, True)
    At = torch_activation(name)(Zt)
    np.testing.assert_allclose(A, At.detach().numpy(), rtol=1e-13, atol=1e-15)
    (At * t(G)).sum().backward()
    assert rel(dZ, Zt.grad) < TOL


# ---- losses, with the right factor between the conventions ----
def test_mse_is_half_the_sum_over_m_not_torch_mean():
    rng = np.random.default_rng(1)
    m, k = 5, 3
    Y_hat, Y = rng.normal(size=(m, k)), rng.normal(size=(m, k))
    loss = gn.MSE()
    value = loss.forward(Y_hat, Y)
    Yt = t(Y_hat, True)
    torch_mean = torch.nn.functional.mse_loss(Yt, t(Y))  # mean over all m·k squares
    # glassnet L = Σ / (2m) = torch_mean · k / 2
    assert value == pytest.approx(torch_mean.item() * k / 2, rel=1e-14)
    (torch_mean * k / 2).backward()
    assert rel(loss.backward(), Yt.grad) < TOL


@pytest.mark.parametrize("fused", [False, True])
def test_bce_matches_torch_times_outputs(fused):
    rng = np.random.default_rng(2)
    m, k = 6, 2
    Z, Y = rng.normal(0, 2, size=(m, k)), rng.uniform(0, 1, size=(m, k))
    loss = gn.BinaryCrossEntropy()
    Zt = t(Z, True)
    if fused:
        value = loss.forward_logits(Z, Y)
        ref = torch.nn.functional.binary_cross_entropy_with_logits(Zt, t(Y))
        grad, wrt = loss.backward_logits(), Zt
    else:
        A = 1 / (1 + np.exp(-Z))
        value = loss.forward(A, Y)
        At = t(A, True)
        ref = torch.nn.functional.binary_cross_entropy(At, t(Y))
        grad, wrt = loss.backward(), At
    # torch averages over all m·k entries; glassnet sums outputs, averages samples
    assert value == pytest.approx(ref.item() * k, rel=1e-12)
    (ref * k).backward()
    assert rel(grad, wrt.grad) < TOL


@pytest.mark.parametrize("labels", ["ids", "onehot"])
@pytest.mark.parametrize("fused", [False, True])
def test_cross_entropy_matches_torch(fused, labels):
    rng = np.random.default_rng(3)
    m, k = 7, 4
    Z = rng.normal(0, 2, size=(m, k))
    y = rng.integers(0, k, size=m)
    Y = y if labels == "ids" else np.eye(k)[y]
    loss = gn.CrossEntropy()
    Zt = t(Z, True)
    ref = torch.nn.functional.cross_entropy(Zt, torch.tensor(y))
    if fused:
        value = loss.forward_logits(Z, Y)
        ref.backward()
        grad, expected = loss.backward_logits(), Zt.grad
    else:
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        value = loss.forward(P, Y)
        Pt = t(P, True)
        torch.nn.functional.nll_loss(torch.log(Pt), torch.tensor(y)).backward()
        grad, expected = loss.backward(), Pt.grad
    assert value == pytest.approx(ref.item(), rel=1e-12)
    assert rel(grad, expected) < TOL


# ---- a whole network: every parameter's gradient against autograd ----
@pytest.mark.parametrize("out", ["softmax-ce", "sigmoid-bce", "identity-mse"])
def test_network_gradients_match_autograd(out):
    rng = np.random.default_rng(4)
    m, k = 9, 3 if out == "softmax-ce" else 1
    head, loss = {
        "softmax-ce": (gn.Softmax(), gn.CrossEntropy()),
        "sigmoid-bce": (gn.Sigmoid(), gn.BinaryCrossEntropy()),
        "identity-mse": (gn.Identity(), gn.MSE()),
    }[out]
    model = gn.Sequential(
        [
            gn.Dense(4, 6, rng=5, dtype=np.float64),
            gn.Tanh(),
            gn.Dense(6, 5, rng=6, dtype=np.float64),
            gn.LeakyReLU(0.1),
            gn.Dense(5, k, rng=7, dtype=np.float64),
            head,
        ]
    )
    X = rng.normal(size=(m, 4))
    Y = rng.integers(0, k, size=m) if k > 1 else rng.integers(0, 2, size=(m, 1)) * 1.0
    value, _ = model.loss_and_gradients(X, Y, loss)
    tensors = [t(W, True) for _, W, _ in model.parameters()]
    W1, b1, W2, b2, W3, b3 = tensors
    H = torch.tanh(t(X) @ W1.T + b1)
    H = torch.nn.functional.leaky_relu(H @ W2.T + b2, 0.1)
    Z = H @ W3.T + b3
    F = torch.nn.functional
    if out == "softmax-ce":
        ref = F.cross_entropy(Z, torch.tensor(Y))
    elif out == "sigmoid-bce":
        ref = F.binary_cross_entropy_with_logits(Z, t(Y))
    else:
        ref = F.mse_loss(Z, t(Y)) * k / 2
    ref.backward()
    assert value == pytest.approx(ref.item(), rel=1e-12)
    for (name, _, dW), p in zip(model.parameters(), tensors, strict=True):
        assert rel(dW, p.grad) < TOL, name
