"""Checkpoints, resuming, interruption, divergence and gradient clipping."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

import glassnet as gn
from glassnet.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[1]


def data(seed: int = 0, m: int = 96):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 3)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


def net(seed: int = 0) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(3, 8, rng=seed),
            gn.Tanh(),
            gn.Dense(8, 2, rng=seed + 1),
            gn.Softmax(),
        ]
    )


def train(model, optimizer, path=None, **kw):
    X, y = data()
    Xv, yv = data(seed=1, m=32)
    return model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=optimizer,
        epochs=kw.pop("epochs", 4),
        batch_size=10,
        seed=3,
        validation_data=(Xv, yv),
        verbose=0,
        checkpoint=path,
        **kw,
    )


def weights(model):
    return [W.copy() for _, W, _ in model.parameters()]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


class StopAt(gn.Callback):
    """Simulates a crash: raises at a given step, after that step's update."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, step, model, logs):
        if step == self.step:
            raise RuntimeError("simulated crash")


class CtrlCAt(gn.Callback):
    """Sends this process SIGINT at a given step, as a user pressing Ctrl-C."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, step, model, logs):
        if step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture
def reference():
    model = net()
    history = train(model, gn.Adam(0.01))
    return weights(model), history


def test_a_resumed_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path, reference):
    W_ref, h_ref = reference
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(net(), gn.Adam(0.01), path, checkpoint_every=7, callbacks=[StopAt(23)])
    # the file holds step 21, the last multiple of 7 before the crash
    assert load_checkpoint(path, net(), gn.Adam(0.01)).step == 21
    model = net(seed=42)  # other initial weights: all must come from the checkpoint
    history = train(model, gn.Adam(0.01), path, resume=True)
    assert same(weights(model), W_ref)
    assert history.history == h_ref.history
    assert history.step_loss == h_ref.step_loss


def test_ctrl_c_saves_a_checkpoint_between_steps_and_resume_matches(
    tmp_path, reference
):
    W_ref, _ = reference
    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt, match=r"after step 13.*checkpoint saved"):
        train(net(), gn.Adam(0.01), path, callbacks=[CtrlCAt(13)])
    assert load_checkpoint(path, net(), gn.Adam(0.01)).step == 13
    model = net()
    train(model, gn.Adam(0.01), path, resume=True)
    assert same(weights(model), W_ref)
    # the handler is gone after fit: Ctrl-C behaves normally again
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_without_checkpoint_still_stops_cleanly_between_steps():
    model = net()
    with pytest.raises(KeyboardInterrupt, match="after step 5"):
        train(model, gn.SGD(0.1), callbacks=[CtrlCAt(5)])
    assert all(np.isfinite(W).all() for _, W, _ in model.parameters())


def test_resume_after_the_end_returns_the_history_and_extends(tmp_path):
    path = tmp_path / "run.ckpt"
    full = net()
    train(full, gn.Momentum(0.05), epochs=6)
    model = net()
    first = train(model, gn.Momentum(0.05), path, epochs=3)
    again = train(model, gn.Momentum(0.05), path, epochs=3, resume=True)
    assert again.history == first.history
    longer = net()
    h = train(longer, gn.Momentum(0.05), path, epochs=6, resume=True)
    assert same(weights(longer), weights(full))
    assert len(h.history["loss"]) == 6


def test_resume_without_a_file_starts_afresh(tmp_path, reference):
    W_ref, _ = reference
    model = net()
    train(model, gn.Adam(0.01), tmp_path / "new.ckpt", resume=True)
    assert same(weights(model), W_ref)
    assert (tmp_path / "new.ckpt").exists()


class ScaledCE(gn.CrossEntropy):
    """A loss with a parameter: resuming with another value of it is refused."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = scale


def relu_net(seed: int = 0) -> gn.Sequential:
    """The same parameters as ``net`` (names, shapes), another activation."""
    return gn.Sequential(
        [
            gn.Dense(3, 8, rng=seed),
            gn.ReLU(),
            gn.Dense(8, 2, rng=seed + 1),
            gn.Softmax(),
        ]
    )


def _changed_x(kw):
    kw["X"] = kw["X"].copy()
    kw["X"][50, 1] += 1e-3  # one value of one row: the fingerprint sees every byte


def _changed_y(kw):
    kw["y"] = kw["y"].copy()
    kw["y"][7] = 1 - kw["y"][7]


def _changed_validation(kw):
    Xv, yv = kw["validation_data"]
    kw["validation_data"] = (Xv * 2, yv)


SETTINGS = {
    # name of the setting in the message: how the resumed fit differs
    "data X": _changed_x,
    "data Y": _changed_y,
    "validation data": _changed_validation,
    "batch_size": lambda kw: kw.update(batch_size=12),
    "shuffle": lambda kw: kw.update(shuffle=False),
    "seed": lambda kw: kw.update(seed=4),
    "clip_norm": lambda kw: kw.update(clip_norm=1.0),
    "architecture": lambda kw: kw.update(model=relu_net()),
    "loss": lambda kw: kw.update(loss=ScaledCE()),
    "loss scale": lambda kw: kw.update(loss=ScaledCE(2.0)),
    "optimizer lr": lambda kw: kw.update(optimizer=gn.Adam(0.02)),
    "optimizer beta1": lambda kw: kw.update(optimizer=gn.Adam(0.01, beta1=0.8)),
    "optimizer beta2": lambda kw: kw.update(optimizer=gn.Adam(0.01, beta2=0.99)),
    "optimizer eps": lambda kw: kw.update(optimizer=gn.Adam(0.01, eps=1e-7)),
    "optimizer weight_decay": lambda kw: kw.update(
        optimizer=gn.Adam(0.01, weight_decay=1e-4)
    ),
    "optimizer Adam": lambda kw: kw.update(optimizer=gn.SGD(0.01)),
}


def fit_kwargs(path):
    X, y = data()
    return {
        "model": net(),
        "X": X,
        "y": y,
        "loss": gn.CrossEntropy(),
        "optimizer": gn.Adam(0.01),
        "epochs": 4,
        "batch_size": 10,
        "seed": 3,
        "shuffle": True,
        "clip_norm": None,
        "validation_data": data(seed=1, m=32),
        "verbose": 0,
        "checkpoint": path,
    }


def fit_with(kw, **more):
    kw = {**kw, **more}
    model, X, y = kw.pop("model"), kw.pop("X"), kw.pop("y")
    return model.fit(X, y, **kw)


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_resume_under_another_setting_is_refused_in_one_line_naming_it(
    tmp_path, setting
):
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit_with(fit_kwargs(path), checkpoint_every=7, callbacks=[StopAt(23)])
    kw = fit_kwargs(path)
    SETTINGS[setting](kw)
    with pytest.raises(ValueError, match=re.escape(setting) + "( was|;)") as err:
        fit_with(kw, resume=True)
    assert "\n" not in str(err.value)
    assert str(path) in str(err.value)
    # the same run with the original settings still resumes
    kw = fit_kwargs(path)
    fit_with(kw, resume=True)


def test_resume_may_ask_for_more_epochs_never_fewer_than_started(tmp_path):
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit_with(fit_kwargs(path), checkpoint_every=7, callbacks=[StopAt(23)])
    # step 21 of 10 per epoch: epoch 3 has started
    with pytest.raises(ValueError, match=r"started epoch 3.*at least 3 epochs, got 2"):
        fit_with(fit_kwargs(path), epochs=2, resume=True)
    history = fit_with(fit_kwargs(path), epochs=3, resume=True)
    assert len(history.history["loss"]) == 3
    history = fit_with(fit_kwargs(path), epochs=5, resume=True)
    assert len(history.history["loss"]) == 5


class CrashAtEpochEnd(gn.Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, epoch, model, logs):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash at the epoch's end")


def test_a_checkpoint_after_the_last_batch_before_the_epoch_end_resumes_bit_identical(
    tmp_path, reference
):
    """Saved at batch 10 of 10, then a crash before the epoch's own save."""
    W_ref, h_ref = reference
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="epoch's end"):
        train(net(), gn.Adam(0.01), path, checkpoint_every=10,
              callbacks=[CrashAtEpochEnd(2)])  # fmt: skip
    state = load_checkpoint(path, net(), gn.Adam(0.01))
    assert (state.epoch, state.batch, state.step) == (2, 10, 20)
    model = net()
    history = train(model, gn.Adam(0.01), path, resume=True)
    assert same(weights(model), W_ref)
    assert history.history == h_ref.history
    assert history.step_loss == h_ref.step_loss


def test_a_fresh_run_over_an_old_checkpoint_rewrites_its_history_from_the_start(
    tmp_path, reference
):
    W_ref, h_ref = reference
    path = tmp_path / "run.ckpt"
    train(net(seed=5), gn.Adam(0.02), path, epochs=6)  # another, longer run
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(net(), gn.Adam(0.01), path, checkpoint_every=7, callbacks=[StopAt(23)])
    model = net()
    history = train(model, gn.Adam(0.01), path, resume=True)
    assert same(weights(model), W_ref)
    assert history.step_loss == h_ref.step_loss
    assert history.history == h_ref.history
    # 4 epochs of 10 steps and 4 values (loss, accuracy, val_loss, val_accuracy)
    assert Path(f"{path}.history").stat().st_size == 8 * 4 * (10 + 4)


def test_a_torn_tail_of_the_history_file_does_not_stop_a_bit_identical_resume(
    tmp_path, reference
):
    """A crash while appending leaves values past the count: they are overwritten."""
    W_ref, h_ref = reference
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(net(), gn.Adam(0.01), path, checkpoint_every=7, callbacks=[StopAt(23)])
    with open(f"{path}.history", "ab") as f:
        f.write(b"\x7f" * 13)  # a torn append: not even whole float64s
    model = net()
    history = train(model, gn.Adam(0.01), path, resume=True)
    assert same(weights(model), W_ref)
    assert history.history == h_ref.history
    assert history.step_loss == h_ref.step_loss


def test_a_corrupt_or_foreign_checkpoint_is_refused(tmp_path):
    path = tmp_path / "run.ckpt"
    train(net(), gn.SGD(0.1), path, epochs=1)
    data_bytes = path.read_bytes()
    path.write_bytes(data_bytes[: len(data_bytes) // 2])
    with pytest.raises(ValueError, match=r"corrupt checkpoint|not a safetensors file"):
        train(net(), gn.SGD(0.1), path, resume=True)
    gn.io.save(net(), tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="not a glassnet checkpoint"):
        train(net(), gn.SGD(0.1), tmp_path / "model.safetensors", resume=True)


def test_checkpoint_arguments_are_validated():
    with pytest.raises(ValueError, match="need a checkpoint path"):
        train(net(), gn.SGD(0.1), resume=True)
    with pytest.raises(ValueError, match="checkpoint_every"):
        train(net(), gn.SGD(0.1), "x.ckpt", checkpoint_every=0)
    with pytest.raises(ValueError, match="clip_norm"):
        train(net(), gn.SGD(0.1), clip_norm=float("nan"))


# ---- divergence and clipping ------------------------------------------------------
class PoisonLastStep(gn.SGD):
    """Writes inf into a weight at a given step: a divergence the loss cannot see."""

    def __init__(self, at: int) -> None:
        super().__init__(0.1)
        self.at = at

    def step(self, model):
        super().step(model)
        if self.t == self.at:
            model.layers[0].W[0, 0] = np.inf


def test_weights_that_become_inf_at_the_last_step_are_caught_and_restored():
    model = net()
    with pytest.raises(gn.DivergenceError, match="weight became NaN or inf"):
        train(model, PoisonLastStep(at=40), epochs=4)  # 10 steps/epoch: the last one
    assert all(np.isfinite(W).all() for _, W, _ in model.parameters())


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "run.ckpt"
    with pytest.raises(gn.DivergenceError):
        train(net(), PoisonLastStep(at=25), path, epochs=4)
    state = load_checkpoint(path, net(), PoisonLastStep(at=25))
    assert state.epoch == 3  # saved at the end of epoch 2 ...
    assert state.batch == 0  # ... before any batch of epoch 3


def test_clip_gradients_caps_the_global_norm_and_keeps_the_direction():
    model = net()
    X, y = data()
    model.loss_and_gradients(X, y, gn.CrossEntropy())
    before = [dW.copy() for _, _, dW in model.parameters()]
    norm = float(np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in before)))
    assert gn.clip_gradients(model, norm * 2) == pytest.approx(norm)
    assert same([dW for _, _, dW in model.parameters()], before)  # under the cap
    gn.clip_gradients(model, norm / 4)
    after = [dW for _, _, dW in model.parameters()]
    new_norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in after))
    assert new_norm == pytest.approx(norm / 4, rel=1e-5)
    for a, b in zip(after, before, strict=True):
        np.testing.assert_allclose(a, b / 4, rtol=1e-5)


def test_clipping_tames_a_learning_rate_that_diverges_without_it():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2)) * 50
    Y = X @ np.array([[3.0], [-2.0]])

    def fit(clip):
        model = gn.Sequential([gn.Dense(2, 1, rng=0, dtype=np.float64)])
        return model.fit(
            X,
            Y,
            loss=gn.MSE(),
            optimizer=gn.SGD(0.01),
            epochs=300,
            verbose=0,
            clip_norm=clip,
        )

    with pytest.raises(gn.DivergenceError):
        fit(None)
    assert np.isfinite(fit(1.0).history["loss"][-1])


# ---- a real interruption of a separate process ----------------------------------
SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import glassnet as gn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = gn.Sequential([gn.Dense(4, 16, rng=1), gn.ReLU(), gn.Dense(16, 2, rng=2),
                           gn.Softmax()])
    slow = sys.argv[2] == "slow"

    def tick(model, step, logs):
        if step == 5:
            print("ready", flush=True)
        if slow:
            time.sleep(0.01)

    saving = {} if sys.argv[1] == "-" else dict(
        checkpoint=sys.argv[1], checkpoint_every=3, resume=True)
    model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(0.01), epochs=8,
              batch_size=8, seed=5, verbose=0, callbacks=[gn.EveryNSteps(1, tick)],
              **saving)
    gn.io.save(model, sys.argv[3])
    print("done", flush=True)
    """
)


def run_script(tmp_path, ckpt, mode, out):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(
        [sys.executable, str(script), str(ckpt), mode, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(proc) -> tuple[int, str]:
    """Wait for the process, close its pipes; return its exit code and stderr."""
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupting_a_training_process_then_resuming_is_bit_identical(tmp_path, sig):
    code, err = finish(run_script(tmp_path, "-", "fast", tmp_path / "ref.safetensors"))
    assert code == 0, err

    ckpt = tmp_path / "run.ckpt"
    proc = run_script(tmp_path, ckpt, "slow", tmp_path / "never.safetensors")
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.15)  # a few more steps and checkpoints
    proc.send_signal(sig)
    code, err = finish(proc)
    assert code != 0
    if sig != signal.SIGKILL:
        assert "checkpoint saved" in err
    assert ckpt.exists()
    assert not (tmp_path / "never.safetensors").exists()
    tensors_meta = safe_open(str(ckpt), "np").metadata()
    assert 0 < json.loads(tensors_meta["glassnet"])["state"]["step"] < 400

    resumed = run_script(tmp_path, ckpt, "fast", tmp_path / "resumed.safetensors")
    code, err = finish(resumed)
    assert code == 0, err
    a = gn.io.load(tmp_path / "ref.safetensors")
    b = gn.io.load(tmp_path / "resumed.safetensors")
    assert same(weights(a), weights(b))


# ---- the same guarantees for plain SGD --------------------------------------------
def test_sgd_resumed_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path):
    model = net()
    reference = train(model, gn.SGD(0.1), clip_norm=0.5)
    W_ref = weights(model)
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(net(), gn.SGD(0.1), path, checkpoint_every=7, clip_norm=0.5,
              callbacks=[StopAt(23)])  # fmt: skip
    resumed = net(seed=42)
    history = train(resumed, gn.SGD(0.1), path, resume=True, clip_norm=0.5)
    assert all(W.base is resumed.theta for _, W, _ in resumed.parameters())
    assert same(weights(resumed), W_ref)
    assert history.step_loss == reference.step_loss


def test_sgd_divergence_restores_the_weights_the_model_keeps_training_with():
    model = net()
    start = weights(model)
    with pytest.raises(gn.DivergenceError, match="at step"):
        train(model, gn.SGD(3e38), epochs=1)
    assert same(weights(model), start)
    assert all(W.base is model.theta for _, W, _ in model.parameters())
    train(model, gn.SGD(0.1), epochs=1)  # the restored views are still the weights
    assert not same(weights(model), start)


def dropout_net(seed: int = 0) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(3, 8, rng=seed),
            gn.Tanh(),
            gn.Dropout(0.5, rng=seed + 7),
            gn.Dense(8, 2, rng=seed + 1),
            gn.Softmax(),
        ]
    )


def test_a_resumed_run_with_dropout_draws_the_masks_an_uninterrupted_one_would(
    tmp_path,
):
    # the Dropout layer's generator is part of where a fit stands: without its state
    # in the checkpoint the resumed run draws other masks and ends elsewhere
    model = dropout_net()
    h_ref = train(model, gn.Adam(0.01))
    W_ref = weights(model)
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(dropout_net(), gn.Adam(0.01), path, checkpoint_every=7,
              callbacks=[StopAt(23)])  # fmt: skip
    model = dropout_net(seed=42)  # other weights and another dropout seed
    history = train(model, gn.Adam(0.01), path, resume=True)
    assert same(weights(model), W_ref)
    assert history.step_loss == h_ref.step_loss


def test_the_checkpoint_holds_the_random_state_of_each_dropout_layer(tmp_path):
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(dropout_net(), gn.Adam(0.01), path, checkpoint_every=7,
              callbacks=[StopAt(8)])  # fmt: skip
    state = load_checkpoint(path, dropout_net(), gn.Adam(0.01))
    assert set(state.layer_rng_states) == {"2"}
    assert state.layer_rng_states["2"]["bit_generator"] == "PCG64"
