"""RNN and LSTM: BPTT against central differences and PyTorch, shapes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error

TOL = 1e-6
LAYERS = {"RNN": gn.RNN, "LSTM": gn.LSTM}
KEYS = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def make(name: str, n_in: int, h: int, seq: bool, seed: int) -> gn.Layer:
    layer = LAYERS[name](n_in, h, return_sequences=seq, rng=seed, dtype=np.float64)
    for W in layer.params.values():  # larger than PyTorch's init: tanh off its line
        W *= 2.0
    return layer


def check_bptt(layer, X, rng):
    Y = layer.forward(X)
    G = rng.normal(size=Y.shape)
    dX = layer.backward(G)
    assert dX.shape == X.shape
    analytic = {k: g.copy() for k, g in layer.grads.items()}

    def L(_: np.ndarray) -> float:
        return float(np.sum(G * layer.forward(X)))

    assert relative_error(dX, numerical_gradient(L, X)) < TOL, "dX"
    for key, W in layer.params.items():
        assert analytic[key].shape == W.shape
        assert relative_error(analytic[key], numerical_gradient(L, W)) < TOL, key


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("seq", [True, False])
@pytest.mark.parametrize(("m", "T"), [(3, 5), (2, 1), (1, 4)])
def test_bptt_matches_central_differences(name, seq, m, T):
    rng = np.random.default_rng(m * 10 + T)
    layer = make(name, 3, 4, seq, seed=T)
    check_bptt(layer, rng.normal(size=(m, T, 3)), rng)


@pytest.mark.parametrize("name", list(LAYERS))
def test_bptt_that_stopped_at_one_step_would_fail(name):
    # Meta-test: the gradient through time matters; dropping the carry from t + 1
    # (truncating BPTT to one step) is caught by the check above.
    rng = np.random.default_rng(0)
    layer = make(name, 2, 3, True, seed=0)
    X = rng.normal(size=(2, 4, 2))
    G = rng.normal(size=(2, 4, 3))
    layer.forward(X)
    full = layer.backward(G)
    G_last = np.zeros_like(G)
    G_last[:, -1] = G[:, -1]
    layer.forward(X)
    only_last = layer.backward(G_last)
    # the first step's input influences the last output only through the carry
    assert np.abs(only_last[:, 0]).max() > 1e-3
    assert relative_error(full, only_last) > 1e-2


def test_rnn_worked_example_by_hand():
    rnn = gn.RNN(1, 1, return_sequences=True, dtype=np.float64)
    rnn.params["weight_ih_l0"] = [[0.5]]
    rnn.params["weight_hh_l0"] = [[2.0]]
    rnn.params["bias_ih_l0"] = [0.1]
    rnn.params["bias_hh_l0"] = [-0.1]
    H = rnn.forward(np.array([[[1.0], [0.0]]]))
    h1 = np.tanh(0.5 * 1.0 + 0.0)  # b_ih + b_hh = 0
    h2 = np.tanh(0.5 * 0.0 + 2.0 * h1)
    np.testing.assert_allclose(H[0, :, 0], [h1, h2])


def test_lstm_worked_example_one_step_by_hand():
    lstm = gn.LSTM(1, 1, dtype=np.float64)
    lstm.params["weight_ih_l0"] = [[1.0], [2.0], [3.0], [4.0]]  # i, f, g, o
    lstm.params["weight_hh_l0"] = np.zeros((4, 1))
    lstm.params["bias_ih_l0"] = np.zeros(4)
    lstm.params["bias_hh_l0"] = np.zeros(4)
    x = 0.5
    h = lstm.forward(np.array([[[x]]]))

    def s(z: float) -> float:
        return 1 / (1 + np.exp(-z))

    c = s(1 * x) * np.tanh(3 * x)  # f · c_0 = 0
    np.testing.assert_allclose(h[0, 0], s(4 * x) * np.tanh(c))


@pytest.mark.parametrize("name", list(LAYERS))
def test_return_sequences_last_step_equals_the_final_output(name):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 6, 2)).astype(np.float32)
    seq = LAYERS[name](2, 5, return_sequences=True, rng=0).forward(X)
    last = LAYERS[name](2, 5, rng=0).forward(X)
    assert seq.shape == (3, 6, 5)
    assert last.shape == (3, 5)
    np.testing.assert_array_equal(seq[:, -1], last)


@pytest.mark.parametrize("name", list(LAYERS))
def test_recurrent_output_shape_and_model_chain(name):
    cls = LAYERS[name]
    model = gn.Sequential(
        [cls(3, 8, return_sequences=True, rng=0), cls(8, 4, rng=1), gn.Dense(4, 2)],
        input_shape=(10, 3),
    )
    assert model.shapes == [(10, 3), (10, 8), (4,), (2,)]
    assert model.forward(np.zeros((5, 10, 3))).shape == (5, 2)
    G = 4 if name == "LSTM" else 1
    assert [n for n, _, _ in model.parameters()][:4] == [f"0.{k}" for k in KEYS]
    assert model.layers[0].params["weight_hh_l0"].shape == (G * 8, 8)
    assert cls(3, 8).output_shape((None, 3)) == (8,)


@pytest.mark.parametrize("name", list(LAYERS))
def test_recurrent_errors_name_layer_expected_given_and_fix(name):
    cls = LAYERS[name]
    with pytest.raises(
        ValueError,
        match=rf"{name}\(3 → 4\) expected X of shape "
        r"\(m, T, 3\).*got \(5, 3\).*reshape\(m, 1, 3\)",
    ):
        cls(3, 4).forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"got \(5, 2, 2\)"):
        cls(3, 4).forward(np.ones((5, 2, 2)))
    with pytest.raises(
        ValueError,
        match=r"expects samples of shape \(T, 3\).*\(4,\)"
        r".*input_shape=\(T, 3\)",
    ):
        gn.Sequential([gn.Dense(2, 4), cls(3, 4)])
    with pytest.raises(TypeError, match="return_sequences"):
        cls(3, 4, return_sequences=1)
    layer = cls(3, 4)
    layer.forward(np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"backward expected dY of shape \(2, 4\)"):
        layer.backward(np.ones((2, 5, 4)))


@pytest.mark.parametrize("name", list(LAYERS))
def test_backward_does_not_change_argument_or_parameters(name):
    rng = np.random.default_rng(2)
    layer = make(name, 2, 3, True, seed=0)
    X = rng.normal(size=(2, 3, 2))
    G = rng.normal(size=(2, 3, 3))
    X0, G0 = X.copy(), G.copy()
    params0 = {k: v.copy() for k, v in layer.params.items()}
    layer.forward(X)
    layer.backward(G)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(G, G0)
    for k, v in layer.params.items():
        np.testing.assert_array_equal(v, params0[k])


@pytest.mark.parametrize("name", list(LAYERS))
def test_check_gradients_passes_through_a_recurrent_model(name):
    rng = np.random.default_rng(3)
    model = gn.Sequential(
        [LAYERS[name](2, 3, rng=0), gn.Dense(3, 2, rng=1), gn.Softmax()],
        input_shape=(4, 2),
    )
    errors = gn.check_gradients(
        model, gn.CrossEntropy(), rng.normal(size=(5, 4, 2)), rng.integers(0, 2, 5)
    )
    assert set(errors) == {*(f"0.{k}" for k in KEYS), "1.W", "1.b"}


def test_lstm_learns_to_remember_the_first_value_of_a_sequence():
    # the target is the sign of x_1, followed by 5 steps of noise: memory matters
    rng = np.random.default_rng(4)
    X = rng.normal(size=(256, 6, 1)).astype(np.float32)
    y = (X[:, 0, 0] > 0).astype(np.int64)
    model = gn.Sequential(
        [gn.LSTM(1, 8, rng=0), gn.Dense(8, 1, rng=1), gn.Sigmoid()], input_shape=(6, 1)
    )
    model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.Adam(0.02), epochs=40,
              batch_size=32, seed=0, verbose=0)  # fmt: skip
    assert model.evaluate(X, y, loss=gn.BinaryCrossEntropy())["accuracy"] > 0.95


# ---- PyTorch as the reference (skipped without torch) ----
@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("seq", [True, False])
def test_recurrent_matches_torch_forward_and_every_gradient(name, seq):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    ours = make(name, 3, 4, seq, seed=1)
    ref = getattr(torch.nn, name)(3, 4, batch_first=True).double()
    with torch.no_grad():
        for key in KEYS:
            getattr(ref, key).copy_(torch.from_numpy(ours.params[key].copy()))
    X = rng.normal(size=(2, 6, 3))
    Y = ours.forward(X)
    G = rng.normal(size=Y.shape)
    dX = ours.backward(G)
    Xt = torch.tensor(X, requires_grad=True)
    out = ref(Xt)[0]
    Yt = out if seq else out[:, -1]
    (Yt * torch.from_numpy(G)).sum().backward()
    assert relative_error(Y, Yt.detach().numpy()) < 1e-12
    assert relative_error(dX, Xt.grad.numpy()) < 1e-10
    for key in KEYS:
        grad = getattr(ref, key).grad.numpy()
        assert relative_error(ours.grads[key], grad) < 1e-10, key


# ---- save and load ----
@pytest.mark.parametrize("name", list(LAYERS))
def test_recurrent_model_saves_and_loads(name, tmp_path):
    rng = np.random.default_rng(6)
    cls = LAYERS[name]
    model = gn.Sequential(
        [cls(2, 3, return_sequences=True, rng=0), cls(3, 4, rng=1), gn.Dense(4, 1)],
        input_shape=(5, 2),
    )
    gn.io.save(model, tmp_path / "r.safetensors")
    back = gn.io.load(tmp_path / "r.safetensors")
    assert repr(back) == repr(model)
    X = rng.normal(size=(3, 5, 2))
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert back.predict(rng.normal(size=(3, 7, 2))).shape == (3, 1)  # any T now


@pytest.mark.parametrize("name", list(LAYERS))
def test_recurrent_file_loads_into_torch_sequential_strictly(name, tmp_path):
    # torch's RNN/LSTM return (output, state) tuples, so an nn.Sequential of them
    # cannot run; its state_dict loads, and the module itself then agrees with us.
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    cls = LAYERS[name]
    model = gn.Sequential([cls(2, 3, rng=0), gn.Dense(3, 1, rng=1)], input_shape=(4, 2))
    gn.io.save(model, tmp_path / "r.safetensors")
    ref = torch.nn.Sequential(
        getattr(torch.nn, name)(2, 3, batch_first=True), torch.nn.Linear(3, 1)
    )
    ref.load_state_dict(load_file(tmp_path / "r.safetensors"), strict=True)
    X = np.random.default_rng(7).normal(size=(2, 4, 2)).astype(np.float32)
    with torch.no_grad():
        out = ref[1](ref[0](torch.from_numpy(X))[0][:, -1]).numpy()
    np.testing.assert_allclose(out, model.predict(X), rtol=1e-5, atol=1e-6)


def test_load_refuses_bad_recurrent_entries(tmp_path):
    import json

    from safetensors.numpy import load_file, save_file

    from glassnet import _files

    model = gn.Sequential([gn.LSTM(2, 3)], input_shape=(4, 2))
    path = tmp_path / "r.safetensors"
    gn.io.save(model, path)
    tensors = load_file(path)
    _, meta = _files.read_safetensors_header(path, "model file")
    arch = json.loads(meta["architecture"])
    arch[0]["return_sequences"] = "no"
    save_file(tensors, tmp_path / "bad.safetensors",
              metadata={**meta, "architecture": json.dumps(arch)})  # fmt: skip
    with pytest.raises(ValueError, match="return_sequences must be true or false"):
        gn.io.load(tmp_path / "bad.safetensors")
    arch[0]["return_sequences"] = False
    arch[0]["n_hidden"] = 4
    save_file(tensors, tmp_path / "bad.safetensors",
              metadata={**meta, "architecture": json.dumps(arch)})  # fmt: skip
    with pytest.raises(
        ValueError, match=r"weight_ih_l0' has shape \(12, 2\).*\(16, 2\)"
    ):
        gn.io.load(tmp_path / "bad.safetensors")


# ---- summary and explain ----
def test_summary_and_explain_show_time_steps_and_every_parameter():
    model = gn.Sequential(
        [gn.LSTM(3, 8, return_sequences=True, rng=0), gn.RNN(8, 4, rng=1),
         gn.Dense(4, 1, rng=2), gn.Sigmoid()],
        input_shape=(None, 3),
    )  # fmt: skip
    summary = model.summary()
    assert "LSTM(3 → 8, return_sequences=True)  (m, ?, 8)" in summary
    assert "weight_ih_l0 (32, 3)" in summary
    assert f"total parameters: {model.theta.size}" in summary
    text = model.explain(m=5)
    assert "0  T×3" in text
    assert "(5, T, 3)" in text
    assert (
        "layer 0, LSTM(3 → 8, return_sequences=True): X (5, T, 3) → Y (5, T, 8)" in text
    )
    assert "layer 1, RNN(8 → 4): X (5, T, 8) → Y (5, 4)" in text
    assert "h_t = tanh(x_t @ W_ih.T + b_ih + h_{t−1} @ W_hh.T + b_hh)" in text
    assert "c_t = f * c_{t−1} + i * g" in text
    assert r"T \times 3" in model.explain(latex=True)


def test_explain_shapes_are_those_of_the_real_arrays():
    from glassnet.explain import dimensions

    model = gn.Sequential([gn.RNN(3, 4, return_sequences=True)], input_shape=(6, 3))
    X = np.zeros((2, 6, 3), dtype=np.float32)
    Y = model.forward(X)
    dims = dimensions(model, m=2)
    assert dims[0]["A"] == X.shape
    assert dims[1]["A"] == Y.shape
