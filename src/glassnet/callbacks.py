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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from glassnet._validate import positive_int
from glassnet.run import DivergenceError, History, Run

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


class Callback:
    """Hooks called by ``fit``; override the ones you need.

    In the order of a fit: ``on_train_begin``; for each epoch ``on_epoch_begin``,
    then for each batch ``on_backward_end`` (gradients computed, θ not yet changed)
    and ``on_step_end``; ``on_epoch_end`` (returning True stops training after this
    epoch); ``on_train_end``. After a step during which Ctrl-C came,
    ``on_interrupt``, then fit raises KeyboardInterrupt. ``on_exit`` runs last
    whatever happened (an error, an interrupt). ``self.run`` is the fit's state
    (``glassnet.run.Run``).
    """

    run: Run

    def set_run(self, run: Run) -> None:
        """Give the callback the fit's state (before ``on_train_begin``)."""
        self.run = run

    def on_train_begin(self, model: Sequential) -> None:
        """Before the first step."""

    def on_epoch_begin(self, epoch: int, model: Sequential) -> None:
        """Before the first step of epoch ``epoch`` (1-based)."""

    def on_backward_end(
        self, step: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """After the backward of step ``step`` (1-based), before the update."""

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """After optimizer step ``step`` (1-based); logs has the batch "loss"."""

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> bool | None:
        """After epoch ``epoch`` (1-based), with its logs; True stops training."""
        return None

    def on_train_end(self, model: Sequential, history: History) -> None:
        """After the last epoch (also after an early stop)."""

    def on_interrupt(self, model: Sequential) -> str | None:
        """After a step in which Ctrl-C or SIGTERM came; a note for the message."""
        return None

    def on_exit(self, model: Sequential) -> None:
        """At the very end of ``fit``, also when it ends with an exception."""


class DivergenceGuard(Callback):
    """Stop with ``DivergenceError`` as soon as the loss or a weight is NaN or inf.

    The loss is checked after every backward, before the update; the weights once
    an epoch (one pass over θ). The weights are restored to those at the start of
    the epoch (``Run.diverged``).
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
    """
    dtheta = model.dtheta
    norm = math.sqrt(float(np.dot(dtheta, dtheta)))
    if norm > max_norm:
        dtheta *= max_norm / norm
    return norm


class Validation(Callback):
    """Evaluate (X_val, Y_val) after each epoch: "val_loss" (and "val_accuracy")."""

    def __init__(self, X: Array, Y: Array) -> None:
        self.X, self.Y = X, Y

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Add the validation results to the epoch's logs."""
        for key, value in self.run.evaluate(self.X, self.Y).items():
            logs[f"val_{key}"] = value


class ProgressBar(Callback):
    """Progress on stderr: a bar with the live loss (verbose 1), a line an epoch (2)."""

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


class EveryNSteps(Callback):
    """Call ``fn(model, step, logs)`` every ``n`` optimizer steps and before training.

    The call before training has step 0 and empty logs, so recordings (the frames of a
    learning animation, say) start from the initial weights.

    >>> seen = []
    >>> hook = EveryNSteps(2, lambda model, step, logs: seen.append(step))
    """

    def __init__(
        self, n: int, fn: Callable[[Sequential, int, dict[str, float]], None]
    ) -> None:
        self.n, self.fn = positive_int(n, "EveryNSteps' n"), fn

    def on_train_begin(self, model: Sequential) -> None:
        """Call fn at step 0."""
        self.fn(model, 0, {})

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Call fn on every n-th step."""
        if step % self.n == 0:
            self.fn(model, step, logs)


class LearningRateSchedule(Callback):
    """Set the optimizer's lr after each epoch: ``lr = fn(epoch, lr)``.

    ``LearningRateSchedule.exponential(0.6)`` multiplies lr by 0.6 after every epoch
    (the MNIST demo's schedule).

    >>> schedule = LearningRateSchedule.exponential(0.5)
    >>> schedule.fn(1, 0.1)
    0.05
    """

    def __init__(self, fn: Callable[[int, float], float]) -> None:
        self.fn = fn

    @classmethod
    def exponential(cls, factor: float) -> LearningRateSchedule:
        """Lr × ``factor`` after each epoch."""
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(
                f"the lr factor must be a finite number > 0; got {factor!r}."
            )
        return cls(lambda epoch, lr: lr * factor)

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Apply the schedule."""
        optimizer = self.run.optimizer
        optimizer.lr = float(self.fn(epoch, optimizer.lr))


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    A monitor whose name contains "loss" is minimised, any other maximised. With
    ``restore_best`` the weights of the best epoch are put back at the end.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping needs patience ≥ 0; got {patience!r}.")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.restore_best = restore_best
        self.sign = 1.0 if "loss" in monitor else -1.0
        self.best = np.inf
        self.best_epoch = 0
        self.best_weights: Array | None = None
        self.wait = 0

    def on_train_begin(self, model: Sequential) -> None:
        """Forget any earlier fit: the same object can watch several fits in turn."""
        self.best, self.best_epoch, self.best_weights, self.wait = np.inf, 0, None, 0

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> bool:
        """Track the best value; True once patience runs out."""
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which fit does not record; "
                f"recorded: {sorted(logs)}. (val_* needs validation_data.)"
            )
        value = self.sign * logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = model.theta.copy()
            return False
        self.wait += 1
        return self.wait >= self.patience  # patience epochs without improvement

    def on_train_end(self, model: Sequential, history: History) -> None:
        """Put back the best weights."""
        if self.restore_best and self.best_weights is not None:
            model.theta[...] = self.best_weights


def __getattr__(name: str) -> Any:
    """``LivePlot``, imported from ``glassnet.plots.live`` when first asked for.

    The plots need matplotlib; a module-level ``__getattr__`` (PEP 562) keeps that
    import out of ``import glassnet`` for everyone who never draws.
    """
    if name == "LivePlot":
        from glassnet.plots.live import LivePlot

        return LivePlot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
