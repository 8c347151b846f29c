"""L1Penalty: its gradient, the loss it reports, which parameters, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error
from glassnet.penalty import is_bias


def small_model(dtype=np.float64) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(3, 4, rng=0, dtype=dtype),
            gn.Tanh(),
            gn.Dense(4, 1, rng=1, dtype=dtype),
        ]
    )


def data(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 3)), rng.normal(size=(8, 1))


def test_penalty_gradient_matches_central_differences_of_the_total_loss():
    X, Y = data()
    model = small_model()
    for _, W, _ in model.parameters():  # keep every weight away from the kink at 0
        W[...] = np.where(np.abs(W) < 0.05, 0.1, W)
    penalty, loss = gn.L1Penalty(0.03), gn.MSE()
    model.loss_and_gradients(X, Y, loss)
    penalty.add_gradient(model)
    analytic = model.dtheta.copy()

    def total(_: np.ndarray) -> float:
        return model.forward_loss(X, Y, loss)[0] + penalty.value(model)

    numeric = numerical_gradient(total, model.theta)
    assert relative_error(analytic, numeric) < 1e-6


def test_penalty_leaves_biases_alone_unless_asked():
    model = small_model()
    model.dtheta[...] = 0.0
    gn.L1Penalty(0.5).add_gradient(model)
    for name, W, dW in model.parameters():
        if name.endswith(".b"):
            assert not dW.any(), name
        else:
            np.testing.assert_array_equal(dW, 0.5 * np.sign(W))
    model.dtheta[...] = 0.0
    gn.L1Penalty(0.5, biases=True).add_gradient(model)
    np.testing.assert_array_equal(model.dtheta, 0.5 * np.sign(model.theta))
    weights = sum(np.abs(W).sum() for n, W, _ in model.parameters() if n[-1] == "W")
    assert gn.L1Penalty(0.5).value(model) == pytest.approx(0.5 * weights)
    assert gn.L1Penalty(0.5, biases=True).value(model) == pytest.approx(
        0.5 * np.abs(model.theta).sum()
    )


def test_which_keys_count_as_biases():
    assert not is_bias("W")
    assert not is_bias("weight_hh_l0")
    assert is_bias("b")
    assert is_bias("bias_ih_l0")
    assert is_bias("gamma")
    assert is_bias("beta")


def test_a_weight_at_zero_gets_no_push():
    model = gn.Sequential([gn.Dense(2, 1, init=[[0.0, 2.0]], bias=False)])
    model.dtheta[...] = 0.0
    gn.L1Penalty(1.0).add_gradient(model)
    np.testing.assert_array_equal(model.dtheta, [0.0, 1.0])


def test_reported_loss_and_history_include_the_penalty():
    X, Y = data(1)
    lam = 0.01
    model = small_model()
    start = model.theta.copy()
    expected_data = model.evaluate(X, Y, loss=gn.MSE())["loss"]
    expected_penalty = gn.L1Penalty(lam).value(model)
    history = model.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
                        verbose=0, callbacks=[gn.L1Penalty(lam)])  # fmt: skip
    # full batch: epoch 1's loss is that of the starting weights, penalty included
    assert history.history["loss"][0] == pytest.approx(expected_data + expected_penalty)
    assert history.step_loss[0] == pytest.approx(expected_data + expected_penalty)
    assert len(history.history["l1_penalty"]) == 2
    # and the step: θ − lr · (dθ_data + λ sign(W)) on the weights
    twin = small_model()
    twin.theta[...] = start
    twin.loss_and_gradients(X, Y, gn.MSE())
    gn.L1Penalty(lam).add_gradient(twin)
    gn.SGD(0.1).step(twin)
    P1 = gn.L1Penalty(lam).value(twin)  # the penalty after step 1 = end of epoch 1
    assert history.history["l1_penalty"][0] == pytest.approx(P1)
    second = twin.evaluate(X, Y, loss=gn.MSE())["loss"] + P1
    assert history.history["loss"][1] == pytest.approx(second)
    assert history.history["l1_penalty"][1] == pytest.approx(
        gn.L1Penalty(lam).value(model)
    )


def test_minibatch_epoch_loss_is_the_row_weighted_mean_with_penalty():
    X, Y = data(2)
    plain, with_l1 = small_model(), small_model()
    hist_plain = plain.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(1e-12), epochs=1,
                           batch_size=3, seed=0, verbose=0)  # fmt: skip
    hist = with_l1.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(1e-12), epochs=1,
                       batch_size=3, seed=0, verbose=0,
                       callbacks=[gn.L1Penalty(0.2)])  # fmt: skip
    P = gn.L1Penalty(0.2).value(plain)  # lr 1e-12: θ barely moves, P is fixed
    assert hist.history["loss"][0] == pytest.approx(hist_plain.history["loss"][0] + P)
    np.testing.assert_allclose(np.array(hist.step_loss) - hist_plain.step_loss, P)


def test_l1_drives_weights_to_zero_more_than_l2():
    X, Y = data(3)
    Y = X[:, :1] * 2.0  # only the first input matters
    runs = {}
    for name, opt, cbs in [
        ("l1", gn.SGD(0.05), [gn.L1Penalty(0.05)]),
        ("l2", gn.SGD(0.05, weight_decay=0.05), []),
    ]:
        model = gn.Sequential([gn.Dense(3, 1, rng=0, dtype=np.float64)])
        model.fit(X, Y, loss=gn.MSE(), optimizer=opt, epochs=300, verbose=0,
                  callbacks=cbs)  # fmt: skip
        runs[name] = np.abs(model.layers[0].W[0, 1:]).max()
    assert runs["l1"] < 0.02 < runs["l2"]


def test_penalty_refuses_bad_strength():
    for bad in (-1.0, float("nan"), float("inf"), "0.1", True):
        with pytest.raises(ValueError, match="L1Penalty's lam must be a finite number"):
            gn.L1Penalty(bad)


def test_penalty_matches_torch_sgd_steps():
    torch = pytest.importorskip("torch")
    X, Y = data(4)
    lam, lr = 0.02, 0.1
    model = small_model()
    ref = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    ).double()
    with torch.no_grad():
        for i in (0, 2):
            ref[i].weight.copy_(torch.from_numpy(model.layers[i].W.copy()))
            ref[i].bias.copy_(torch.from_numpy(model.layers[i].b.copy()))
    opt = torch.optim.SGD(ref.parameters(), lr=lr)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        data_loss = 0.5 * ((ref(Xt) - Yt) ** 2).sum() / X.shape[0]  # glassnet's MSE
        total = data_loss + lam * sum(ref[i].weight.abs().sum() for i in (0, 2))
        total.backward()
        opt.step()
        losses.append(float(total.detach()))
    history = model.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(lr), epochs=3,
                        verbose=0, callbacks=[gn.L1Penalty(lam)])  # fmt: skip
    np.testing.assert_allclose(history.step_loss, losses, rtol=1e-12)
    for i in (0, 2):
        np.testing.assert_allclose(model.layers[i].W, ref[i].weight.detach().numpy(),
                                   rtol=1e-12)  # fmt: skip
