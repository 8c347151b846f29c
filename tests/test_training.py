"""fit and evaluate: batching, determinism, history, callbacks, divergence, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def small_net(seed: int = 0, dtype=np.float32, k: int = 1) -> gn.Sequential:
    out = gn.Sigmoid() if k == 1 else gn.Softmax()
    return gn.Sequential(
        [
            gn.Dense(2, 8, rng=seed, dtype=dtype),
            gn.Tanh(),
            gn.Dense(8, k, rng=seed + 1, dtype=dtype),
            out,
        ]
    )


def blobs(m: int = 40, seed: int = 0):
    """Two Gaussian blobs, labels 0/1."""
    rng = np.random.default_rng(seed)
    y = np.arange(m) % 2
    X = rng.normal(size=(m, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    return X, y


def weights(model: gn.Sequential) -> list[np.ndarray]:
    return [W.copy() for _, W, _ in model.parameters()]


# ---- what a step is ----
def test_full_batch_epoch_is_one_gradient_step_on_all_data():
    X, y = blobs()
    model, twin = small_net(dtype=np.float64), small_net(dtype=np.float64)
    loss = gn.BinaryCrossEntropy()
    history = model.fit(X, y, loss=loss, optimizer=gn.SGD(0.5), epochs=1, verbose=0)
    assert len(history.step_loss) == 1
    twin.loss_and_gradients(X, y, gn.BinaryCrossEntropy())
    for (_, W, dW), W_fit in zip(twin.parameters(), weights(model), strict=True):
        np.testing.assert_array_equal(W_fit, W - 0.5 * dW)


@pytest.mark.parametrize("batch_size", [1, 7, 40])
def test_unshuffled_batches_are_consecutive_slices_in_order(batch_size):
    X, y = blobs()
    model, twin = small_net(dtype=np.float64), small_net(dtype=np.float64)
    history = model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.SGD(0.1),
        epochs=2,
        batch_size=batch_size,
        shuffle=False,
        verbose=0,
    )
    opt, losses = gn.SGD(0.1), []
    for _ in range(2):
        for start in range(0, 40, batch_size):
            sl = slice(start, start + batch_size)
            value, _ = twin.loss_and_gradients(X[sl], y[sl], gn.BinaryCrossEntropy())
            opt.step(twin)
            losses.append(value)
    assert history.step_loss == losses
    assert len(losses) == 2 * -(-40 // batch_size)
    for W_fit, W in zip(weights(model), weights(twin), strict=True):
        np.testing.assert_array_equal(W_fit, W)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    X, y = blobs(m=10)
    model = small_net()
    history = model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.SGD(0.1),
        epochs=1,
        batch_size=4,
        shuffle=False,
        verbose=0,
    )
    a, b, c = history.step_loss  # batches of 4, 4 and 2 samples
    assert history.history["loss"][0] == pytest.approx((4 * a + 4 * b + 2 * c) / 10)


# ---- determinism ----
def train(seed, shuffle=True):
    X, y = blobs()
    model = small_net(seed=3)
    model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.Adam(0.01),
        epochs=5,
        batch_size=8,
        shuffle=shuffle,
        seed=seed,
        verbose=0,
    )
    return weights(model)


def test_same_seed_gives_bit_identical_weights():
    for a, b in zip(train(7), train(7), strict=True):
        assert np.array_equal(a, b)


def test_different_seed_gives_different_weights():
    assert not all(
        np.array_equal(a, b) for a, b in zip(train(7), train(8), strict=True)
    )


def test_shuffling_uses_only_the_seed_passed_in():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - only reading it
    train(1)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    gen_a, gen_b = np.random.default_rng(5), np.random.default_rng(5)
    for a, b in zip(train(gen_a), train(gen_b), strict=True):
        assert np.array_equal(a, b)


# ---- history ----
def test_history_keys_for_classification_with_validation():
    X, y = blobs()
    history = small_net().fit(
        X[:30],
        y[:30],
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.SGD(0.5),
        epochs=4,
        validation_data=(X[30:], y[30:]),
        verbose=0,
    )
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epochs_run == 4
    for key in ("accuracy", "val_accuracy"):
        assert all(0.0 <= a <= 1.0 for a in history.history[key])


def test_history_keys_for_regression_have_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    Y = X.sum(axis=1, keepdims=True)
    model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    history = model.fit(
        X,
        Y,
        loss=gn.MSE(),
        optimizer=gn.SGD(0.1),
        epochs=3,
        verbose=0,
        validation_data=(X, Y),
    )
    assert set(history.history) == {"loss", "val_loss"}


def test_classification_with_softmax_and_class_ids_learns_and_reports_accuracy():
    X, y = blobs(m=60)
    model = small_net(k=2)
    history = model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=gn.Adam(0.05),
        epochs=30,
        batch_size=16,
        seed=0,
        verbose=0,
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.95
    result = model.evaluate(X, y, loss=gn.CrossEntropy())
    assert set(result) == {"loss", "accuracy"}
    assert result["accuracy"] > 0.95


def test_verbose_two_prints_one_line_per_epoch(capsys):
    X, y = blobs(m=10)
    small_net().fit(
        X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.1), epochs=3, verbose=2
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3")
    assert "loss" in lines[0]


def test_verbose_zero_is_silent(capsys):
    X, y = blobs(m=10)
    small_net().fit(
        X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.1), epochs=2, verbose=0
    )
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""


# ---- callbacks ----
def test_early_stopping_stops_and_restores_the_best_weights():
    # one weight, L = ½ w² on x = 1, y = 0; lr 2.5 multiplies w by (1 − 2.5) = −1.5
    # per epoch: w = 1 → −1.5 → 2.25 → −3.375. Against the validation target −1.2,
    # val_loss is best after epoch 1 (w = −1.5), then grows: with patience 2 training
    # stops after epoch 3 and w = −1.5 is put back.
    model = gn.Sequential([gn.Dense(1, 1, bias=False, init=[[1.0]], dtype=np.float64)])
    stopper = gn.EarlyStopping(monitor="val_loss", patience=2)
    history = model.fit(
        np.ones((1, 1)),
        np.zeros((1, 1)),
        loss=gn.MSE(),
        optimizer=gn.SGD(2.5),
        epochs=20,
        validation_data=(np.ones((1, 1)), np.full((1, 1), -1.2)),
        callbacks=[stopper],
        verbose=0,
    )
    assert history.epochs_run == 3
    assert stopper.best_epoch == 1
    assert model.layers[0].W[0, 0] == -1.5
    assert history.history["val_loss"][0] == pytest.approx(0.3**2 / 2)


def test_early_stopping_maximises_accuracy_and_needs_a_recorded_monitor():
    assert gn.EarlyStopping(monitor="val_accuracy").sign == -1.0
    X, y = blobs(m=10)
    with pytest.raises(ValueError, match="val_loss"):
        small_net().fit(
            X,
            y,
            loss=gn.BinaryCrossEntropy(),
            optimizer=gn.SGD(0.1),
            epochs=2,
            callbacks=[gn.EarlyStopping()],
            verbose=0,
        )


def test_every_n_steps_is_called_at_step_zero_then_every_n():
    X, y = blobs(m=10)
    seen: list[tuple[int, bool]] = []
    initial = weights(model := small_net())

    def record(model, step, logs):
        if step == 0:  # before any update: the initial weights, and no logs
            assert all(
                np.array_equal(a, b)
                for a, b in zip(weights(model), initial, strict=True)
            )
        seen.append((step, "loss" in logs))

    model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.SGD(0.1),
        epochs=5,
        batch_size=5,
        callbacks=[gn.EveryNSteps(3, record)],
        verbose=0,
    )
    # 2 steps per epoch × 5 epochs = 10 steps: called at 0, 3, 6, 9
    assert seen == [(0, False), (3, True), (6, True), (9, True)]


# ---- divergence ----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divergence_raises_with_weights_restored_and_a_hint(dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 3))
    Y = X @ np.array([[1.0], [2.0], [3.0]])
    model = gn.Sequential(
        [
            gn.Dense(3, 8, rng=0, dtype=dtype),
            gn.Tanh(),
            gn.Dense(8, 1, rng=1, dtype=dtype),
        ]
    )
    snapshots = []
    hook = gn.EveryNSteps(1, lambda m, step, logs: snapshots.append(weights(m)))
    with pytest.raises(gn.DivergenceError, match="smaller learning rate") as err:
        model.fit(
            X,
            Y,
            loss=gn.MSE(),
            optimizer=gn.SGD(1e3),
            epochs=200,
            callbacks=[hook],
            verbose=0,
        )
    for _, W, _ in model.parameters():
        assert np.all(np.isfinite(W))
        assert W.dtype == dtype
    # full batch: one step per epoch, so the weights at the start of the failing epoch
    # are the last ones a step produced
    for W, W_good in zip(weights(model), snapshots[-1], strict=True):
        np.testing.assert_array_equal(W, W_good)
    assert "1000" in str(err.value)
    history = err.value.history
    assert history.epochs_run == len(snapshots) - 1
    assert all(np.isfinite(history.history["loss"]))


def test_nan_in_the_data_is_rejected_before_training_saying_where():
    X = np.array([[1.0, 2.0], [0.0, np.nan]])
    with pytest.raises(
        ValueError, match=r"fit's X contains NaN or inf \(first at index \(1, 1\)"
    ):
        small_net().fit(
            X,
            np.array([0, 1]),
            loss=gn.BinaryCrossEntropy(),
            optimizer=gn.SGD(0.1),
            epochs=1,
            verbose=0,
        )


# ---- dtypes: no silent upcast ----
class RecordingMSE(gn.MSE):
    """MSE that remembers the dtypes it was given."""

    def __init__(self):
        super().__init__()
        self.seen: set[tuple[np.dtype, np.dtype]] = set()

    def forward(self, Y_hat, Y):
        self.seen.add((Y_hat.dtype, np.asarray(Y).dtype))
        return super().forward(Y_hat, Y)


def test_float32_model_trains_in_float32_on_float64_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))  # float64
    Y = X[:, :1] * 2.0  # float64
    model = gn.Sequential([gn.Dense(2, 4, rng=0), gn.Tanh(), gn.Dense(4, 1, rng=1)])
    loss = RecordingMSE()
    grad_dtypes = set()
    hook = gn.EveryNSteps(
        1,
        lambda m, s, logs: grad_dtypes.update(dW.dtype for _, _, dW in m.parameters()),
    )
    model.fit(
        X,
        Y,
        loss=loss,
        optimizer=gn.Adam(0.01),
        epochs=3,
        batch_size=8,
        callbacks=[hook],
        validation_data=(X, Y),
        verbose=0,
    )
    assert loss.seen == {(np.dtype(np.float32), np.dtype(np.float32))}
    assert grad_dtypes == {np.dtype(np.float32)}
    for _, W, _ in model.parameters():
        assert W.dtype == np.float32
    assert model.predict(X).dtype == np.float32


def test_float64_model_after_astype_trains_in_float64():
    X, y = blobs()
    model = small_net().astype(np.float64)
    model.fit(
        X.astype(np.float32),
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.SGD(0.1),
        epochs=2,
        verbose=0,
    )
    assert {W.dtype for _, W, _ in model.parameters()} == {np.dtype(np.float64)}
    assert model.predict(X).dtype == np.float64


# ---- evaluate ----
def test_evaluate_in_chunks_equals_one_pass():
    X, y = blobs()
    model = small_net(dtype=np.float64)
    loss = gn.BinaryCrossEntropy()
    whole = model.evaluate(X, y, loss=loss)
    chunked = gn.evaluate(model, X, y, loss=loss, batch_size=7)
    assert chunked["loss"] == pytest.approx(whole["loss"], rel=1e-12)
    assert chunked["accuracy"] == whole["accuracy"]
    value, Y_hat = model.forward_loss(X, y, loss)
    assert whole["loss"] == pytest.approx(value, rel=1e-12)
    assert whole["accuracy"] == np.mean((Y_hat[:, 0] >= 0.5) == (y == 1))
    assert set(model.evaluate(X, Y_hat, loss=gn.MSE())) == {"loss"}


def test_accuracy_function():
    bce, ce = gn.BinaryCrossEntropy(), gn.CrossEntropy()
    assert (
        gn.accuracy(np.array([[0.9], [0.2], [0.6]]), np.array([1, 0, 0]), bce) == 2 / 3
    )
    P = np.array([[0.1, 0.9], [0.8, 0.2]])
    assert gn.accuracy(P, np.array([1, 1]), ce) == 0.5
    assert gn.accuracy(P, np.array([[0, 1], [1, 0]]), ce) == 1.0
    assert gn.accuracy(P, P, gn.MSE()) is None


# ---- argument errors ----
@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"X": np.zeros(4)}, ValueError, r"one sample per row.*reshape\(1, -1\)"),
        ({"y": np.zeros(3)}, ValueError, "one row per sample"),
        ({"X": np.array([["a", "b"]] * 4)}, TypeError, "numbers"),
    ],
)
def test_fit_argument_errors(kwargs, exc, match):
    args = {"X": np.zeros((4, 2)), "y": np.zeros(4), "epochs": 1, "batch_size": None}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        small_net().fit(
            args["X"],
            args["y"],
            loss=gn.BinaryCrossEntropy(),
            optimizer=gn.SGD(0.1),
            epochs=args["epochs"],
            batch_size=args["batch_size"],
            verbose=0,
        )


def test_early_stopping_starts_afresh_in_each_fit():
    X = np.linspace(-1, 1, 20).reshape(-1, 1)
    Y = 2 * X
    stop = gn.EarlyStopping(monitor="loss", patience=2)
    for _ in range(2):
        model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], dtype=np.float64)])
        history = model.fit(
            X,
            Y,
            loss=gn.MSE(),
            optimizer=gn.SGD(0.1),
            epochs=5,
            verbose=0,
            callbacks=[stop],
        )
        # the loss falls every epoch: a fresh watcher never stops early
        assert len(history.history["loss"]) == 5
        assert stop.best_epoch == 5


def test_predict_hints_at_reshaping_a_single_sample():
    model = gn.Sequential([gn.Dense(3, 1, rng=0)])
    with pytest.raises(ValueError, match=r"reshape\(1, -1\)"):
        model.predict(np.zeros(3))


class _Linear(gn.Layer):
    """A user's own layer: Z = X @ W.T, its gradient stored one way or the other."""

    def __init__(self, n_in: int, n_out: int, seed: int, rebind: bool) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.params["W"] = (rng.standard_normal((n_out, n_in)) * 0.5).astype(np.float32)
        self.grads["W"] = np.zeros((n_out, n_in), np.float32)
        self.rebind = rebind

    def output_shape(self, in_shape):
        return (self.params["W"].shape[0],)

    def forward(self, X, training=False):
        self.X = X
        return X @ self.params["W"].T

    def backward(self, dZ, need_dX=True):
        if self.rebind:
            self.grads = {"W": dZ.T @ self.X}  # a new dict of new arrays: copied in
        else:
            self.grads["W"][...] = dZ.T @ self.X
        return dZ @ self.params["W"]


@pytest.mark.parametrize("optimizer", [gn.SGD(0.1), gn.Adam(0.01)], ids=repr)
def test_a_layer_that_stores_new_gradient_arrays_trains_like_one_that_writes_in_place(
    optimizer,
):
    X = np.random.default_rng(0).standard_normal((64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    runs = []
    for rebind in (False, True):
        first, second = _Linear(3, 4, 0, rebind), _Linear(4, 2, 1, rebind)
        model = gn.Sequential([first, gn.Tanh(), second, gn.Softmax()])
        history = model.fit(
            X,
            y,
            loss=gn.CrossEntropy(),
            optimizer=type(optimizer)(optimizer.lr),
            epochs=3,
            batch_size=16,
            seed=0,
            verbose=0,
            clip_norm=1.0,
        )
        runs.append((model, history))
    (kept, h_kept), (rebound, h_rebound) = runs
    assert h_rebound.step_loss == h_kept.step_loss
    assert h_kept.step_loss[-1] < h_kept.step_loss[0]  # it did learn
    for (_, W, _), (_, W_ref, _) in zip(
        rebound.parameters(), kept.parameters(), strict=True
    ):
        np.testing.assert_array_equal(W, W_ref)


@pytest.mark.parametrize("pair", [(np.zeros((2, 2)),), (1, 2, 3), ()], ids=len)
def test_validation_data_of_another_length_than_two_is_a_type_error(pair):
    model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    with pytest.raises(
        TypeError,
        match=rf"pair \(X_val, Y_val\); got a tuple of "
        rf"{len(pair)} items",
    ):
        model.fit(
            np.zeros((3, 2)),
            np.zeros(3),
            loss=gn.MSE(),
            optimizer=gn.SGD(0.1),
            epochs=1,
            verbose=0,
            validation_data=pair,
        )


def test_a_layer_whose_params_are_not_its_own_dict_is_refused_at_build():
    class Detached(gn.Layer):
        def __init__(self):  # no super().__init__(): params is the property below
            pass

        @property
        def params(self):
            return {"W": np.ones((1, 1))}

    with pytest.raises(TypeError, match=r"layer 0.*super\(\).__init__\(\)"):
        gn.Sequential([Detached()])


def test_assigning_a_parameter_writes_into_theta_and_a_wrong_shape_is_refused():
    model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Tanh(), gn.Dense(3, 1, rng=1)])
    layer = model.layers[0]
    W = layer.W
    layer.W = np.ones((3, 2))  # float64 into float32: written into the view
    assert layer.W is W
    assert W.base is model.theta
    np.testing.assert_array_equal(model.theta[:6], np.ones(6, np.float32))
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 3\)"):
        layer.W = np.ones((2, 3))


def test_fortran_ordered_initial_weights_become_c_ordered_and_train():
    C = np.asfortranarray(np.arange(6.0).reshape(2, 3)).T  # (3, 2), Fortran order
    layer = gn.Dense(2, 3, init=C)
    assert layer.W.flags.c_contiguous
    model = gn.Sequential([layer, gn.Sigmoid()])
    X = np.random.default_rng(0).standard_normal((8, 2))
    model.fit(X, np.ones((8, 3)), loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.1),
              epochs=2, verbose=0)  # fmt: skip


def test_history_has_a_short_repr():
    model = gn.Sequential([gn.Dense(1, 1, rng=0)])
    X = np.ones((200, 1))
    history = model.fit(X, X, loss=gn.MSE(), optimizer=gn.SGD(0.01), epochs=3,
                        batch_size=1, verbose=0)  # fmt: skip
    text = repr(history)
    assert text.startswith("History(3 epochs, 600 steps; last: loss ")
    assert len(text) < 80
