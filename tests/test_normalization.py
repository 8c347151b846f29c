"""BatchNorm1D and BatchNorm2D: central differences, worked values, PyTorch, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error

TOL = 1e-6


def make(kind: str, n: int, rng: np.random.Generator) -> gn.Layer:
    """A float64 layer with γ, β and running statistics away from 1, 0."""
    layer = (gn.BatchNorm1D if kind == "1d" else gn.BatchNorm2D)(n, dtype=np.float64)
    layer.params["gamma"] = rng.uniform(0.5, 2.0, size=n)
    layer.params["beta"] = rng.normal(size=n)
    layer.running_mean[...] = rng.normal(size=n)
    layer.running_var[...] = rng.uniform(0.5, 2.0, size=n)
    return layer


def sample(kind: str, m: int, n: int, rng: np.random.Generator) -> np.ndarray:
    shape = (m, n) if kind == "1d" else (m, n, 3, 2)
    return rng.normal(loc=1.5, scale=2.0, size=shape)


def check_central_differences(layer, X, training, rng):
    """dX, dγ, dβ against central differences of L = Σ G ⊙ layer(X), G random."""
    Y = layer.forward(X, training=training)
    G = rng.normal(size=Y.shape)
    dX = layer.backward(G)
    analytic = {k: g.copy() for k, g in layer.grads.items()}

    def L(_: np.ndarray) -> float:
        return float(np.sum(G * layer.forward(X, training=training)))

    assert relative_error(dX, numerical_gradient(L, X)) < TOL, "dX"
    for key, W in layer.params.items():
        assert relative_error(analytic[key], numerical_gradient(L, W)) < TOL, key


@pytest.mark.parametrize("kind", ["1d", "2d"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batchnorm_backward_matches_central_differences(kind, training, seed):
    rng = np.random.default_rng(seed)
    layer = make(kind, 3, rng)
    check_central_differences(layer, sample(kind, 5, 3, rng), training, rng)


def test_batchnorm_backward_ignoring_the_batch_statistics_would_fail():
    # Meta-test: the inference-mode backward (inv_std · dX̂) is wrong in training mode,
    # and the check above catches it — so it tests the path through μ and σ².
    rng = np.random.default_rng(3)
    layer = make("1d", 3, rng)
    X = sample("1d", 6, 3, rng)
    Y = layer.forward(X, training=True)
    G = rng.normal(size=Y.shape)
    wrong = G * layer.gamma * layer.inv_std
    numeric = numerical_gradient(
        lambda x: float(np.sum(G * layer.forward(x, training=True))), X
    )
    assert relative_error(wrong, numeric) > 1e-2


def test_batchnorm2d_with_one_sample_uses_its_pixels_and_matches_differences():
    # m = 1 is fine for images: each channel still has H·W values
    rng = np.random.default_rng(4)
    layer = make("2d", 2, rng)
    check_central_differences(layer, sample("2d", 1, 2, rng), True, rng)


def test_batchnorm1d_worked_example_and_running_statistics_by_hand():
    bn = gn.BatchNorm1D(1, dtype=np.float64)
    X = np.array([[1.0], [2.0], [6.0]])
    # μ = 3, σ² = (4 + 1 + 9)/3 = 14/3, unbiased 14/2 = 7
    Y = bn.forward(X, training=True)
    np.testing.assert_allclose(Y[:, 0], (X[:, 0] - 3) / np.sqrt(14 / 3 + 1e-5))
    np.testing.assert_allclose(bn.running_mean, [0.9 * 0 + 0.1 * 3])
    np.testing.assert_allclose(bn.running_var, [0.9 * 1 + 0.1 * 7])
    assert bn.num_batches_tracked == 1
    # inference: the running statistics, not the batch's
    Y_eval = bn.forward(X, training=False)
    np.testing.assert_allclose(Y_eval[:, 0], (X[:, 0] - 0.3) / np.sqrt(1.6 + 1e-5))
    assert bn.num_batches_tracked == 1  # inference counts nothing


def test_batchnorm_inference_changes_no_state_and_training_updates_it():
    rng = np.random.default_rng(5)
    bn = make("2d", 3, rng)
    X = sample("2d", 4, 3, rng)
    before = {k: v.copy() for k, v in bn.buffers.items()}
    bn.forward(X)
    for k, v in bn.buffers.items():
        np.testing.assert_array_equal(v, before[k])
    bn.forward(X, training=True)
    assert not np.array_equal(bn.running_mean, before["running_mean"])
    assert bn.num_batches_tracked == before["num_batches_tracked"] + 1


def test_batchnorm_gamma_beta_are_parameters_and_running_stats_are_not():
    model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.BatchNorm1D(4), gn.ReLU()])
    names = [name for name, _, _ in model.parameters()]
    assert names == ["0.W", "0.b", "1.gamma", "1.beta"]
    bn = model.layers[1]
    assert bn.gamma.base is model.theta
    assert bn.beta.base is model.theta
    assert not any(np.shares_memory(b, model.theta) for b in bn.buffers.values())
    assert model.theta.size == 3 * 4 + 4 + 4 + 4


def test_batchnorm_optimizer_never_steps_the_running_statistics():
    rng = np.random.default_rng(6)
    model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.BatchNorm1D(3)])
    X = rng.normal(size=(8, 2)).astype(np.float32)
    Y = rng.normal(size=(8, 3)).astype(np.float32)
    model.loss_and_gradients(X, Y, gn.MSE())
    bn = model.layers[1]
    before = {k: v.copy() for k, v in bn.buffers.items()}
    opt = gn.SGD(0.5, weight_decay=0.1)
    opt.step(model)
    for k, v in bn.buffers.items():
        np.testing.assert_array_equal(v, before[k])


def test_batchnorm_refuses_one_value_per_feature_in_training():
    bn = gn.BatchNorm1D(3)
    with pytest.raises(ValueError, match=r"BatchNorm1D\(3\) in training.*\(1, 3\)"):
        bn.forward(np.ones((1, 3), dtype=np.float32), training=True)
    assert bn.forward(np.ones((1, 3), dtype=np.float32)).shape == (1, 3)
    with pytest.raises(ValueError, match="more than one value"):
        gn.BatchNorm2D(2).forward(np.ones((1, 2, 1, 1)), training=True)


def test_batchnorm_shape_errors_name_layer_expected_given_and_fix():
    with pytest.raises(ValueError, match=r"BatchNorm1D\(4\) expected X of shape "):
        gn.BatchNorm1D(4).forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"use BatchNorm2D\(c\)"):
        gn.BatchNorm1D(4).forward(np.ones((2, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"use BatchNorm1D\(n\)"):
        gn.BatchNorm2D(4).forward(np.ones((2, 4)))
    with pytest.raises(
        ValueError,
        match=r"layer 1.*expects samples of shape \(4,\).*"
        r"give \(3,\). Use BatchNorm1D\(3\)",
    ):
        gn.Sequential([gn.Dense(2, 3), gn.BatchNorm1D(4)])
    with pytest.raises(ValueError, match=r"\(4, H, W\).*\(3, 8, 8\)"):
        gn.Sequential([gn.BatchNorm2D(4)], input_shape=(3, 8, 8))
    with pytest.raises(ValueError, match="momentum"):
        gn.BatchNorm1D(2, momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        gn.BatchNorm1D(2, eps=0.0)
    bn = gn.BatchNorm1D(2)
    bn.forward(np.ones((3, 2)), training=True)
    with pytest.raises(ValueError, match="backward expected dY"):
        bn.backward(np.ones((3, 3)))


def test_batchnorm_backward_does_not_change_its_argument_or_parameters():
    rng = np.random.default_rng(7)
    bn = make("1d", 3, rng)
    X = sample("1d", 4, 3, rng)
    X0 = X.copy()
    bn.forward(X, training=True)
    G = rng.normal(size=X.shape)
    G0, gamma0 = G.copy(), bn.gamma.copy()
    bn.backward(G)
    np.testing.assert_array_equal(G, G0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(bn.gamma, gamma0)


def test_batchnorm_running_statistics_follow_the_model_dtype():
    model = gn.Sequential([gn.BatchNorm1D(2)], input_shape=(2,)).astype(np.float64)
    model.forward(np.ones((3, 2)), training=True)
    assert model.layers[0].running_mean.dtype == np.float64


def test_check_gradients_passes_for_a_model_with_batchnorm():
    rng = np.random.default_rng(8)
    # No bias before the BatchNorm: its true gradient is exactly 0 (the batch mean
    # takes it away again), and a relative error of two zero-sized vectors (1e-17
    # from backprop, 1e-12 of rounding from the differences) says nothing.
    model = gn.Sequential(
        [gn.Dense(3, 4, bias=False, rng=0), gn.BatchNorm1D(4), gn.Tanh(),
         gn.Dense(4, 2, rng=1), gn.Softmax()]
    )  # fmt: skip
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, size=6)
    before = {k: v.copy() for k, v in model.layers[1].buffers.items()}
    errors = gn.check_gradients(model, gn.CrossEntropy(), X, y)
    assert set(errors) == {"0.W", "1.gamma", "1.beta", "3.W", "3.b"}
    for k, v in model.layers[1].buffers.items():  # the caller's model is untouched
        np.testing.assert_array_equal(v, before[k])


def test_a_bias_before_batchnorm_gets_zero_gradient():
    rng = np.random.default_rng(9)
    model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.BatchNorm1D(4)])
    model.loss_and_gradients(rng.normal(size=(6, 3)), rng.normal(size=(6, 4)), gn.MSE())
    assert np.abs(model.layers[0].db).max() < 1e-6
    assert np.abs(model.layers[0].dW).max() > 1e-3


def test_fit_with_batchnorm_is_deterministic_and_learns():
    X, y = gn.datasets.make_moons(n_samples=200, noise=0.1, seed=0)

    def train():
        model = gn.Sequential(
            [gn.Dense(2, 16, rng=0), gn.BatchNorm1D(16), gn.ReLU(),
             gn.Dense(16, 1, rng=1), gn.Sigmoid()]
        )  # fmt: skip
        history = model.fit(
            X,
            y,
            loss=gn.BinaryCrossEntropy(),
            optimizer=gn.Adam(0.02),
            epochs=30,
            batch_size=32,
            seed=0,
            verbose=0,
        )
        return model, history

    a, history = train()
    b, _ = train()
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.layers[1].running_var, b.layers[1].running_var)
    assert a.layers[1].num_batches_tracked == 30 * 7
    assert history.history["accuracy"][-1] > 0.9  # with batch statistics
    assert a.evaluate(X, y, loss=gn.BinaryCrossEntropy())["accuracy"] > 0.9  # running


def test_deepcopy_keeps_buffers_independent():
    bn = gn.BatchNorm1D(2)
    twin = copy.deepcopy(bn)
    twin.forward(np.arange(6.0).reshape(3, 2), training=True)
    assert bn.num_batches_tracked == 0
    assert twin.num_batches_tracked == 1


# ---- PyTorch as the reference (skipped without torch) ----
@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_batchnorm_matches_torch_forward_gradients_and_running_stats(kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    n = 3
    ours = make(kind, n, rng)
    ours.running_mean[...] = 0.0  # torch starts from 0 and 1
    ours.running_var[...] = 1.0
    ref = (torch.nn.BatchNorm1d if kind == "1d" else torch.nn.BatchNorm2d)(n).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(ours.gamma.copy()))
        ref.bias.copy_(torch.from_numpy(ours.beta.copy()))
    for step in range(4):  # several training steps: the running statistics agree
        X = sample(kind, 5 + step, n, rng)
        G = rng.normal(size=X.shape)
        Y = ours.forward(X, training=True)
        dX = ours.backward(G)
        Xt = torch.tensor(X, requires_grad=True)
        ref.zero_grad()
        Yt = ref.train()(Xt)
        (Yt * torch.from_numpy(G)).sum().backward()
        assert relative_error(Y, Yt.detach().numpy()) < 1e-12
        assert relative_error(dX, Xt.grad.numpy()) < 1e-10
        assert relative_error(ours.grads["gamma"], ref.weight.grad.numpy()) < 1e-10
        assert relative_error(ours.grads["beta"], ref.bias.grad.numpy()) < 1e-10
    np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), rtol=1e-12)
    assert int(ours.num_batches_tracked) == int(ref.num_batches_tracked) == 4
    # inference: the running statistics, and the gradient through constants
    X = sample(kind, 4, n, rng)
    G = rng.normal(size=X.shape)
    Y = ours.forward(X)
    dX = ours.backward(G)
    Xt = torch.tensor(X, requires_grad=True)
    ref.zero_grad()
    Yt = ref.eval()(Xt)
    (Yt * torch.from_numpy(G)).sum().backward()
    assert relative_error(Y, Yt.detach().numpy()) < 1e-12
    assert relative_error(dX, Xt.grad.numpy()) < 1e-10
    assert relative_error(ours.grads["gamma"], ref.weight.grad.numpy()) < 1e-10


# ---- save and load ----
def trained_bn_model(seed: int = 11) -> tuple[gn.Sequential, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = gn.Sequential(
        [gn.Dense(3, 4, rng=0), gn.BatchNorm1D(4, momentum=0.2), gn.ReLU(),
         gn.Dense(4, 2, rng=1)]
    )  # fmt: skip
    X = rng.normal(size=(40, 3)).astype(np.float32)
    Y = rng.normal(size=(40, 2)).astype(np.float32)
    model.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(0.05), epochs=3, batch_size=10,
              seed=0, verbose=0)  # fmt: skip
    return model, X


def test_save_load_keeps_gamma_beta_and_running_statistics(tmp_path):
    model, X = trained_bn_model()
    path = tmp_path / "bn.safetensors"
    gn.io.save(model, path)
    back = gn.io.load(path)
    assert repr(back) == repr(model)
    bn, bn2 = model.layers[1], back.layers[1]
    assert bn2.momentum == 0.2
    for key, value in bn.buffers.items():
        np.testing.assert_array_equal(bn2.buffers[key], value)
    assert int(bn2.num_batches_tracked) == 12
    np.testing.assert_array_equal(back.theta, model.theta)
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


def test_batchnorm2d_first_in_a_model_saves_and_loads(tmp_path):
    model = gn.Sequential([gn.BatchNorm2D(3)], input_shape=(3, 4, 4))
    model.forward(np.random.default_rng(0).normal(size=(2, 3, 4, 4)), training=True)
    gn.io.save(model, tmp_path / "m.safetensors")
    back = gn.io.load(tmp_path / "m.safetensors")
    assert back.shapes[0] == (3, None, None)
    np.testing.assert_array_equal(
        back.layers[0].running_var, model.layers[0].running_var
    )


def test_load_refuses_bad_batchnorm_entries(tmp_path):
    import json

    from safetensors.numpy import load_file, save_file

    model, _ = trained_bn_model()
    path = tmp_path / "bn.safetensors"
    gn.io.save(model, path)
    tensors = load_file(path)
    from glassnet import _files

    _, meta = _files.read_safetensors_header(path, "model file")

    def write(arch=None, **changes):
        t = dict(tensors)
        t.update(changes)
        m = dict(meta)
        if arch is not None:
            m["architecture"] = json.dumps(arch)
        bad = tmp_path / "bad.safetensors"
        save_file(t, bad, metadata=m)
        return bad

    arch = json.loads(meta["architecture"])
    arch[1]["momentum"] = 1.5
    with pytest.raises(ValueError, match=r"layer 1: momentum must be a number in"):
        gn.io.load(write(arch))
    arch[1]["momentum"] = 1  # an int: save writes 1.0
    with pytest.raises(ValueError, match=r"momentum must .* written as a float"):
        gn.io.load(write(arch))
    arch[1]["momentum"] = 0.1
    del arch[1]["eps"]
    with pytest.raises(ValueError, match=r"missing 'eps'"):
        gn.io.load(write(arch))
    with pytest.raises(ValueError, match=r"num_batches_tracked.*I64"):
        gn.io.load(write(**{"1.num_batches_tracked": np.zeros((), np.float32)}))
    with pytest.raises(ValueError, match=r"running_var must be ≥ 0"):
        gn.io.load(write(**{"1.running_var": -np.ones(4, np.float32)}))


def test_saved_file_loads_into_torch_sequential_strictly(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    model, X = trained_bn_model()
    path = tmp_path / "bn.safetensors"
    gn.io.save(model, path)
    ref = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
        torch.nn.Linear(4, 2),
    )  # fmt: skip
    ref.load_state_dict(load_file(path), strict=True)
    assert int(ref[1].num_batches_tracked) == 12
    with torch.no_grad():
        out = ref.eval()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(out, model.predict(X), rtol=1e-5, atol=1e-6)
    ref2 = torch.nn.Sequential(torch.nn.BatchNorm2d(3))
    model2 = gn.Sequential([gn.BatchNorm2D(3)], input_shape=(3, 2, 2))
    gn.io.save(model2, tmp_path / "bn2.safetensors")
    ref2.load_state_dict(load_file(tmp_path / "bn2.safetensors"), strict=True)


# ---- checkpoints ----
class _CrashAt(gn.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, step, model, logs):
        if step == self.step:
            raise RuntimeError("simulated crash")


def _bn_net(seed: int = 0) -> gn.Sequential:
    return gn.Sequential(
        [gn.Dense(3, 8, bias=False, rng=seed), gn.BatchNorm1D(8), gn.ReLU(),
         gn.Dense(8, 2, rng=seed + 1), gn.Softmax()]
    )  # fmt: skip


def _train_bn(model, path=None, callbacks=(), **kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(0.01), epochs=3,
                     batch_size=10, seed=3, validation_data=(X[:30], y[:30]),
                     verbose=0, checkpoint=path, callbacks=[gn.L1Penalty(1e-3),
                     *callbacks], **kw)  # fmt: skip


def test_checkpoint_of_a_batchnorm_model_resumes_bit_identically(tmp_path):
    ref = _bn_net()
    h_ref = _train_bn(ref)
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        _train_bn(_bn_net(), path, [_CrashAt(15)], checkpoint_every=4)
    model = _bn_net(seed=7)  # other weights and fresh running statistics
    h = _train_bn(model, path, resume=True, checkpoint_every=4)
    np.testing.assert_array_equal(model.theta, ref.theta)
    for key, value in ref.layers[1].buffers.items():
        np.testing.assert_array_equal(model.layers[1].buffers[key], value)
    assert int(model.layers[1].num_batches_tracked) == 27
    assert h.history == h_ref.history  # l1_penalty and val_loss included
    assert h.step_loss == h_ref.step_loss


def test_resume_reads_the_running_statistics_from_the_checkpoint(tmp_path):
    # Meta-test: the saved buffers are used and matter — the same checkpoint with
    # fresh running statistics written in resumes to other validation losses.
    from safetensors.numpy import load_file, save_file

    from glassnet import _files

    ref = _bn_net()
    h_ref = _train_bn(ref)
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        _train_bn(_bn_net(), path, [_CrashAt(15)], checkpoint_every=4)
    tensors = load_file(path)
    assert tensors["buffer/1.num_batches_tracked"] == 12
    _, meta = _files.read_safetensors_header(path, "checkpoint")
    tensors["buffer/1.running_mean"] = np.zeros(8, np.float32)
    tensors["buffer/1.running_var"] = np.ones(8, np.float32)
    save_file(tensors, path, metadata=meta)
    h = _train_bn(_bn_net(), path, resume=True, checkpoint_every=4)
    assert h.step_loss == h_ref.step_loss  # training uses batch statistics...
    assert h.history["val_loss"] != h_ref.history["val_loss"]  # ...inference not


def test_checkpoint_missing_a_buffer_is_refused(tmp_path):
    from safetensors.numpy import load_file, save_file

    from glassnet import _files

    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        _train_bn(_bn_net(), path, [_CrashAt(5)], checkpoint_every=4)
    tensors = load_file(path)
    _, meta = _files.read_safetensors_header(path, "checkpoint")
    del tensors["buffer/1.running_var"]
    save_file(tensors, path, metadata=meta)
    with pytest.raises(
        ValueError, match=r"buffer 1.running_var .* not in the checkpoint"
    ):
        _train_bn(_bn_net(), path, resume=True, checkpoint_every=4)


def test_summary_and_explain_list_gamma_beta_and_running_statistics():
    model = gn.Sequential([gn.Dense(3, 4), gn.BatchNorm1D(4), gn.ReLU()])
    assert "BatchNorm1D(4)  (m, 4)   8  (gamma (4,), beta (4,))" in model.summary()
    text = model.explain()
    assert "layer 1, BatchNorm1D(4): X (m, 4) → Y (m, 4)" in text
    assert "running_mean (4,), running_var (4,), num_batches_tracked ()" in text
    assert "dX = (dX̂ − mean(dX̂) − X̂·mean(dX̂ * X̂)) / √(σ² + ε)" in text
    conv = gn.Sequential([gn.BatchNorm2D(2)], input_shape=(2, 5, 5))
    assert "X.mean(axis=(0, 2, 3))" in conv.explain()


def test_batchnorm1d_docstring_formulas_are_what_the_code_computes():
    doc = gn.BatchNorm1D.__doc__
    for formula in (
        "X̂ = (X − μ) / √(σ² + ε)",
        "dγ = (dY * X̂).sum(axis=0)",
        "dβ = dY.sum(axis=0)",
        "dX = inv_std · (dX̂ − mean(dX̂) − X̂ · mean(dX̂ * X̂))",
        "running_var  = (1 − p)·running_var  + p·σ²·m/(m − 1)",
    ):
        assert formula in doc, formula
    rng = np.random.default_rng(12)
    bn = make("1d", 3, rng)
    rv0 = bn.running_var.copy()
    X = sample("1d", 6, 3, rng)
    dY = rng.normal(size=X.shape)
    Y = bn.forward(X, training=True)
    dX = bn.backward(dY)
    mu, var, m, p = X.mean(axis=0), X.var(axis=0), X.shape[0], 0.1
    inv_std = 1 / np.sqrt(var + 1e-5)
    X_hat = (X - mu) * inv_std
    dX_hat = dY * bn.gamma
    np.testing.assert_allclose(Y, bn.gamma * X_hat + bn.beta)
    np.testing.assert_allclose(bn.grads["gamma"], (dY * X_hat).sum(axis=0))
    np.testing.assert_allclose(bn.grads["beta"], dY.sum(axis=0))
    expected = inv_std * (
        dX_hat - dX_hat.mean(axis=0) - X_hat * (dX_hat * X_hat).mean(axis=0)
    )
    np.testing.assert_allclose(dX, expected)
    np.testing.assert_allclose(bn.running_var, (1 - p) * rv0 + p * var * m / (m - 1))


def test_a_divergence_restores_the_running_statistics_of_the_epoch_start():
    # a NaN weight poisons the next batch's statistics; the divergence restores θ and
    # the buffers to the epoch's start, so the model is usable again
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 3)), rng.integers(0, 2, 32)
    bn = gn.BatchNorm1D(4)
    model = gn.Sequential([gn.Dense(3, 4, rng=1), bn, gn.ReLU(), gn.Dense(4, 2, rng=2),
                           gn.Softmax()])  # fmt: skip
    model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=1,
              batch_size=8, verbose=0)  # fmt: skip
    start = {k: v.copy() for k, v in bn.buffers.items()}
    theta = model.theta.copy()

    class Poison(gn.callbacks.Callback):
        def on_step_end(self, step, model, logs):
            if step == 2:  # after the second step of this fit
                model.layers[0].params["W"][0, 0] = np.nan

    with pytest.raises(gn.DivergenceError):
        model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=1,
                  batch_size=8, verbose=0, callbacks=[Poison()])  # fmt: skip
    for key, value in bn.buffers.items():
        np.testing.assert_array_equal(value, start[key], err_msg=key)
    np.testing.assert_array_equal(model.theta, theta)
