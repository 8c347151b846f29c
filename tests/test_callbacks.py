"""glassnet.callbacks: LivePlot loaded when asked for; the order callbacks run in."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from fresh_python import run_fresh


def test_liveplot_is_loaded_from_the_plots_only_when_asked_for() -> None:
    done = run_fresh(
        "import sys",
        "import glassnet as gn",
        "import glassnet.callbacks",
        "assert 'matplotlib' not in sys.modules, 'imported by glassnet'",
        "assert 'glassnet.plots.live' not in sys.modules",
        "from glassnet.callbacks import LivePlot",
        "from glassnet.plots.live import LivePlot as defined",
        "assert LivePlot is defined is gn.callbacks.LivePlot",
        "assert issubclass(LivePlot, gn.callbacks.Callback)",
        "print('matplotlib' in sys.modules)",
    )
    assert done.stdout.strip() == "True"  # loaded at the first use, not before


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'LivePlots'"):
        _ = gn.callbacks.LivePlots  # type: ignore[attr-defined]
    assert not hasattr(gn.callbacks, "NoSuchCallback")


def test_a_validation_callback_of_the_users_reaches_the_history_as_validation_data():
    # Keras habit: the validation as a callback; fit measures it before the History
    X = np.array([[1.0], [2.0]])

    def run(**kwargs):
        model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
        return model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
                         verbose=0, **kwargs).history  # fmt: skip

    by_argument = run(validation_data=(X, 2 * X))
    by_callback = run(callbacks=[gn.Validation(X, 2 * X)])
    assert by_callback == by_argument
    assert len(by_callback["val_loss"]) == 2


class _AddsWeight(gn.Callback):
    """Puts the weight at each epoch's end into the logs (a key fit does not make)."""

    def on_epoch_end(self, epoch, model, logs):
        logs["weight"] = float(model.layers[0].W[0, 0])


def _line_fit(epochs, callbacks, **kwargs):
    model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    X = np.array([[1.0], [2.0]])
    history = model.fit(
        X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=epochs, verbose=0,
        callbacks=callbacks, **kwargs,
    )  # fmt: skip
    return model, history


def test_a_key_a_callback_adds_to_the_logs_reaches_the_history():
    model, history = _line_fit(3, [_AddsWeight()])
    assert history.history["weight"] == [0.75, 1.3125, 1.734375]
    assert history.history["weight"][-1] == model.layers[0].W[0, 0]


class _AddsToTheLoss(gn.Callback):
    """Adds 1 to each step's loss in on_backward_end, as a penalty term would."""

    def on_backward_end(self, step, model, logs):
        logs["loss"] += 1.0


def test_a_loss_a_callback_changes_before_the_step_is_the_recorded_loss():
    _, plain = _line_fit(2, [])
    _, changed = _line_fit(2, [_AddsToTheLoss()])
    # one batch of 2 rows per epoch: each step's loss and each epoch's mean gain 1
    assert changed.step_loss == [L + 1.0 for L in plain.step_loss]
    assert changed.history["loss"] == [L + 1.0 for L in plain.history["loss"]]


def test_the_added_loss_weighs_by_its_batchs_rows_in_the_epochs_mean():
    X = np.array([[1.0], [2.0], [3.0]])  # batches of 2 and 1 rows

    def fit(callbacks):
        model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
        return model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.01), epochs=1,
                         batch_size=2, seed=0, verbose=0,
                         callbacks=callbacks)  # fmt: skip

    plain, changed = fit([]), fit([_AddsToTheLoss()])
    assert len(plain.step_loss) == 2
    assert changed.history["loss"][0] == pytest.approx(plain.history["loss"][0] + 1.0)


def test_the_progress_line_shows_a_key_a_callback_adds(capsys):
    model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    X = np.array([[1.0], [2.0]])
    model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=1, verbose=2,
              callbacks=[_AddsWeight()])  # fmt: skip
    out = capsys.readouterr()
    assert "weight" in out.out + out.err


@pytest.mark.parametrize("where", ["fit's checkpoint", "the user's, first"])
def test_a_checkpoint_saves_and_resumes_a_key_a_callback_adds(tmp_path, where):
    # checkpoints run after every other callback, also one passed in callbacks=
    # before the callback that adds the key: it saves each epoch complete
    path = tmp_path / "run.ckpt"

    def callbacks(resume):
        if where == "fit's checkpoint":
            return [_AddsWeight()], {"checkpoint": path, "resume": resume}
        return [gn.BackupAndRestore(path, resume=resume), _AddsWeight()], {}

    cbs, kwargs = callbacks(False)
    _line_fit(2, cbs, **kwargs)
    cbs, kwargs = callbacks(True)
    _, resumed = _line_fit(3, cbs, **kwargs)
    _, whole = _line_fit(3, [_AddsWeight()])
    assert resumed.history == whole.history
    assert resumed.history["weight"] == [0.75, 1.3125, 1.734375]
    assert resumed.step_loss == whole.step_loss


def test_a_held_out_curve_resumed_from_a_checkpoint_covers_every_epoch(tmp_path):
    X = np.linspace(-1, 1, 8).reshape(8, 1)

    def fit(epochs, resume):
        model = gn.Sequential([gn.Dense(1, 1, rng=0)])
        curve = gn.plots.HeldOutCurve(X, -X, gn.MSE())
        history = model.fit(
            X, 2 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=epochs, seed=0,
            verbose=0, callbacks=[curve], checkpoint=tmp_path / "c.ckpt",
            resume=resume,
        )  # fmt: skip
        return history.history

    fit(2, resume=False)
    resumed = fit(4, resume=True)
    assert len(resumed["test_loss"]) == len(resumed["loss"]) == 4
    (tmp_path / "c.ckpt").unlink()
    assert resumed == fit(4, resume=False)
