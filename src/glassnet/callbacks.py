"""Callbacks: code that ``fit`` calls at fixed moments of training.

Override the hooks you need; ``on_epoch_end`` returning True stops training.

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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validate import positive_int

if TYPE_CHECKING:
    from glassnet.model import Sequential
    from glassnet.training import History

__all__ = ["Callback", "EarlyStopping", "EveryNSteps"]

Array = NDArray[Any]


class Callback:
    """Hooks called by ``fit``; override the ones you need.

    ``on_epoch_end`` returning True stops training after that epoch.
    """

    def on_train_begin(self, model: Sequential) -> None:
        """Before the first step."""

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """After optimizer step ``step`` (1-based); logs has the batch "loss"."""

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> bool | None:
        """After epoch ``epoch`` (1-based), with its logs; True stops training."""
        return None

    def on_train_end(self, model: Sequential, history: History) -> None:
        """After the last epoch (also after an early stop)."""


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
        self.best_weights: list[Array] | None = None
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
                self.best_weights = [W.copy() for _, W, _ in model.parameters()]
            return False
        self.wait += 1
        return self.wait >= self.patience  # patience epochs without improvement

    def on_train_end(self, model: Sequential, history: History) -> None:
        """Put back the best weights."""
        if self.restore_best and self.best_weights is not None:
            for (_, W, _), best in zip(
                model.parameters(), self.best_weights, strict=True
            ):
                W[...] = best
