"""Callbacks that time a fit: every n steps, the learning rate by epoch, early stop.

``EveryNSteps`` calls a function of yours every n optimizer steps,
``LearningRateSchedule`` sets the learning rate from the epoch, and ``EarlyStopping``
ends training when the validation loss stops improving. They are callbacks you add
yourself (``fit(..., callbacks=[...])``); ``glassnet.callbacks``
re-exports them beside the ones ``fit`` builds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validate import positive_int
from glassnet.hooks import Callback
from glassnet.run import History

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["EarlyStopping", "EveryNSteps", "LearningRateSchedule"]

Array = NDArray[Any]


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

    Trained towards Y = 3X but validated on 2X, val_loss is best near w = 2 (epoch 4);
    two epochs without improvement stop the fit, and w = 2.05 of epoch 4 comes back:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> stop = gn.EarlyStopping(patience=2)
    >>> history = model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=50,
    ...                     verbose=0, validation_data=(X, 2 * X), callbacks=[stop])
    >>> history.epochs_run, stop.best_epoch, round(float(model.layers[0].W[0, 0]), 2)
    (6, 4, 2.05)
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
