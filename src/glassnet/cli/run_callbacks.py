"""The callbacks a command-line run gives ``fit``: lr decay and the --plots records.

``training_callbacks`` makes them from the experiment; the learning recorder, which
draws pictures while training, goes inside ``Timed`` so that its time is reported
apart from the training time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from numpy.typing import NDArray

from glassnet import demos
from glassnet.callbacks import Callback, LearningRateSchedule
from glassnet.cli.data import Data
from glassnet.fit_settings import steps_per_epoch
from glassnet.losses import Loss
from glassnet.model import Sequential
from glassnet.run import History

__all__ = ["Timed", "training_callbacks"]

Array = NDArray[Any]


class Timed(Callback):
    """A callback that passes every call on to ``inner`` and adds up their time.

    The learning recorder draws pictures during training; its time is reported
    apart from the training time.
    """

    def __init__(self, inner: Callback) -> None:
        self.inner, self.seconds = inner, 0.0

    def _timed(self, method: Any, *args: Any) -> None:
        start = time.perf_counter()
        try:
            method(*args)
        finally:
            self.seconds += time.perf_counter() - start

    def set_run(self, run: Any) -> None:
        """Give the fit's state to this callback and the inner one."""
        super().set_run(run)
        self.inner.set_run(run)

    def on_train_begin(self, model: Sequential) -> None:
        """The inner callback's on_train_begin, timed."""
        self._timed(self.inner.on_train_begin, model)

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """The inner callback's on_step_end, timed."""
        self._timed(self.inner.on_step_end, step, model, logs)

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """The inner callback's on_epoch_end, timed."""
        self._timed(self.inner.on_epoch_end, epoch, model, logs)

    def on_train_end(self, model: Sequential, history: History) -> None:
        """The inner callback's on_train_end, timed."""
        self._timed(self.inner.on_train_end, model, history)


def _learning_recorder(
    exp: demos.Experiment, data: Data, X_fit: Array, frames: int
) -> Any:
    """A ``plots.LearningRecorder`` of about ``frames`` pictures, or None.

    Only a classifier of 2-D points has a decision boundary to record.
    """
    if not (frames > 0 and data.classes and X_fit.shape[1] == 2):
        return None
    from glassnet import plots  # matplotlib only when figures are asked for

    per_epoch = steps_per_epoch(len(X_fit), exp.batch_size or len(X_fit))
    every = max(1, -(-exp.epochs * per_epoch // frames))  # ceil: ≤ frames + 1
    return plots.LearningRecorder(X_fit, every=every, resolution=100)


def training_callbacks(
    exp: demos.Experiment,
    data: Data,
    X_fit: Array,
    loss: Loss,
    to_targets: Callable[[Array], Array],
    frames: int,
) -> tuple[list[Callback], Timed | None]:
    """The callbacks of a run, and the timed learning recorder among them (or None).

    ``X_fit`` are the rows trained on; ``frames`` > 0 when figures are asked for.
    """
    callbacks: list[Callback] = []
    if exp.lr_decay != 1:
        callbacks.append(LearningRateSchedule.exponential(exp.lr_decay))
    recorder = _learning_recorder(exp, data, X_fit, frames)
    timed = None if recorder is None else Timed(recorder)
    if timed is not None:
        callbacks.append(timed)
    if frames > 0:  # figures asked for: a test curve beside the training curve
        from glassnet.plots import HeldOutCurve

        callbacks.append(HeldOutCurve(data.X_test, to_targets(data.y_test), loss))
    return callbacks, timed
