"""Callbacks: every concern of training but the step itself, one object per job.

``fit``'s loop is the seeds' four lines — forward, loss, backward, step — and calls
the hooks of a list of callbacks around them. Progress output, the history, the
validation, the divergence guard, gradient clipping, checkpoints and resuming,
Ctrl-C, early stopping and learning-rate schedules are all callbacks
(``glassnet.training.fit`` builds the list from its arguments); yours use the same
hooks. Each hook gets the model and reads (or changes) the fit through ``self.run``,
a ``Run`` set before ``on_train_begin``. ``glassnet.callbacks.LivePlot`` is the
notebook view of ``glassnet.plots.live``, loaded on first use so that importing
glassnet never imports matplotlib.

This module holds the callbacks ``fit`` builds from its arguments (the divergence
guard, clipping, validation, the progress bar); the hooks themselves are
``glassnet.hooks.Callback``, and ``EveryNSteps``, ``LearningRateSchedule`` and
``EarlyStopping`` live in ``glassnet.schedule``. All are importable from here.

>>> import numpy as np
>>> import glassnet as gn
>>> steps = []
>>> model = gn.Sequential([gn.Dense(1, 1, rng=0)])
>>> hook = gn.EveryNSteps(2, lambda model, step, logs: steps.append(step))
>>> X = Y = np.ones((4, 1))
>>> _ = model.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2, batch_size=2,
...               verbose=0, callbacks=[hook])
>>> steps
[0, 2, 4]
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from glassnet.hooks import Callback as Callback
from glassnet.run import DivergenceError, History
from glassnet.schedule import EarlyStopping as EarlyStopping
from glassnet.schedule import EveryNSteps as EveryNSteps
from glassnet.schedule import LearningRateSchedule as LearningRateSchedule

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "Callback",
    "DivergenceError",
    "DivergenceGuard",
    "EarlyStopping",
    "EveryNSteps",
    "GradientClipping",
    "History",
    "LearningRateSchedule",
    "ProgressBar",
    "Validation",
]

Array = NDArray[Any]


class DivergenceGuard(Callback):
    """Stop with ``DivergenceError`` as soon as the loss or a weight is NaN or inf.

    The loss is checked after every backward, before the update; the weights once
    an epoch (one pass over θ). The weights are restored to those at the start of
    the epoch (``Run.diverged``).

    ``fit`` always adds one. With a learning rate far too large (w ← w − 10·2.5(w − 3),
    so w − 3 is multiplied by −24 a step) the float32 loss overflows in epoch 15:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> try:
    ...     model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(10.0), epochs=100,
    ...               verbose=0)
    ... except gn.DivergenceError as err:
    ...     print(err.history.epochs_run, bool(np.isfinite(model.theta).all()))
    14 True
    """

    def on_backward_end(
        self, step: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Check the batch loss."""
        if not math.isfinite(logs["loss"]):
            self.run.diverged(f"the loss became {logs['loss']}")

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Check every weight."""
        if not np.isfinite(model.theta).all():
            self.run.diverged("a weight became NaN or inf")


class GradientClipping(Callback):
    """Scale dθ by max_norm / ‖dθ‖ when the norm ‖dθ‖ exceeds max_norm.

    ‖dθ‖ = √(dθ · dθ): all gradients seen as one vector, whose direction is kept
    while its length is capped. A norm that is not finite is a divergence.
    ``fit(..., clip_norm=0.5)`` adds one for you.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> _ = model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(1.0), epochs=2,
    ...               verbose=0, callbacks=[gn.GradientClipping(0.5)])
    >>> model.layers[0].W.tolist()  # 2 steps of lr · 0.5; unclipped, one was 7.5
    [[1.0]]
    """

    def __init__(self, max_norm: float) -> None:
        if not (math.isfinite(max_norm) and max_norm > 0):
            raise ValueError(
                f"clip_norm must be a finite number > 0; got {max_norm!r}."
            )
        self.max_norm = float(max_norm)

    def on_backward_end(
        self, step: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Clip dθ in place."""
        norm = clip_gradients(model, self.max_norm)
        if not math.isfinite(norm):
            self.run.diverged(f"the gradient norm became {norm}")


def clip_gradients(model: Sequential, max_norm: float) -> float:
    """Scale dθ by max_norm / ‖dθ‖ when ‖dθ‖ > max_norm; return ‖dθ‖ before.

    ‖dθ‖ is inf or NaN when some gradient is not finite (then nothing is scaled).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]], dtype=np.float32)
    >>> _ = model.loss_and_gradients(X, 3 * X, gn.MSE())  # the gradients in dθ
    >>> gn.clip_gradients(model, 1.0), model.dtheta.tolist()
    (7.5, [-1.0])
    """
    dtheta = model.dtheta
    norm = math.sqrt(float(np.dot(dtheta, dtheta)))
    if norm > max_norm:
        dtheta *= max_norm / norm
    return norm


class Validation(Callback):
    """Evaluate (X_val, Y_val) after each epoch: "val_loss" (and "val_accuracy").

    ``fit(..., validation_data=(X_val, Y_val))`` adds one, before the History records
    the epoch; one passed in ``callbacks`` is run there too, with the same result:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> history = model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
    ...                     verbose=0, validation_data=(X, 2 * X))
    >>> [round(v, 3) for v in history.history["val_loss"]]
    [1.953, 0.591]
    """

    def __init__(self, X: Array, Y: Array) -> None:
        self.X, self.Y = X, Y

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Add the validation results to the epoch's logs."""
        for key, value in self.run.evaluate(self.X, self.Y).items():
            logs[f"val_{key}"] = value


class ProgressBar(Callback):
    """Progress on stderr: a bar with the live loss (verbose 1), a line an epoch (2).

    ``fit``'s ``verbose`` makes one; here its lines are sent to stdout to be shown:

    >>> import contextlib, sys
    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> with contextlib.redirect_stderr(sys.stdout):
    ...     _ = model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
    ...                   verbose=0, callbacks=[gn.ProgressBar(verbose=2)])
    epoch 1/2  loss 11.2500
    epoch 2/2  loss 6.3281
    """

    def __init__(self, verbose: int = 1) -> None:
        self.verbose = verbose
        self.bar: Any = None

    def on_train_begin(self, model: Sequential) -> None:
        """Open the bar at the step reached (a resumed run starts part way)."""
        run = self.run
        # tqdm's update costs a µs or two: a few hundred a pass, or none without a bar
        self.every = max(1, run.steps_per_epoch // 200) if self.verbose == 1 else 0
        if self.verbose != 1:
            return  # no bar: opening a disabled one costs as much as a few steps
        total = run.epochs * run.steps_per_epoch
        self.bar = tqdm(
            total=total,
            initial=min(run.step, total),
            file=sys.stderr,
            unit="step",
            dynamic_ncols=True,
            leave=True,
        )

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Move the bar now and then."""
        if self.every and step % self.every == 0:
            self.bar.update(step - self.bar.n)

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Show the epoch's results."""
        if self.verbose == 1:
            self.bar.update(self.run.step - self.bar.n)
            self.bar.set_postfix(
                {k: f"{v:.4g}" for k, v in logs.items()}, refresh=False
            )
        elif self.verbose >= 2:
            parts = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
            print(f"epoch {epoch}/{self.run.epochs}  {parts}", file=sys.stderr)

    def on_exit(self, model: Sequential) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()


def __getattr__(name: str) -> Any:
    """``LivePlot``, imported from ``glassnet.plots.live`` when first asked for.

    The plots need matplotlib; a module-level ``__getattr__`` (PEP 562) keeps that
    import out of ``import glassnet`` for everyone who never draws.
    """
    if name == "LivePlot":
        from glassnet.plots.live import LivePlot

        return LivePlot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
