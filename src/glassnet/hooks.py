"""The contract of a callback: the hooks ``fit`` calls around the seeds' loop.

``fit``'s loop is forward, loss, backward, step; everything else a fit does is an
object with these hooks, and a callback of yours is one more. The callbacks that
``fit`` builds from its arguments are in ``glassnet.callbacks`` (which re-exports
``Callback``), the ones that schedule or stop training in ``glassnet.schedule``,
checkpoints and Ctrl-C in ``glassnet.recovery``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.run import History, Run

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["Callback"]


class Callback:
    """Hooks called by ``fit``; override the ones you need.

    In the order of a fit: ``on_train_begin``; for each epoch ``on_epoch_begin``,
    then for each batch ``on_backward_end`` (gradients computed, θ not yet changed)
    and ``on_step_end``; ``on_epoch_end`` (returning True stops training after this
    epoch); ``on_train_end``. After a step during which Ctrl-C came,
    ``on_interrupt``, then fit raises KeyboardInterrupt. ``on_exit`` runs last
    whatever happened (an error, an interrupt). ``self.run`` is the fit's state
    (``glassnet.run.Run``).

    A value your ``on_epoch_end`` puts into ``logs`` reaches the History (and the
    progress line and checkpoints): they run after your callbacks, as in Keras. So
    read the epoch's numbers from ``logs``; ``self.run.history`` gets them after
    every callback has seen the epoch.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> class PrintLoss(gn.Callback):
    ...     def on_epoch_end(self, epoch, model, logs):
    ...         print(epoch, round(logs["loss"], 3))
    ...         logs["weight"] = float(model.layers[0].W[0, 0])  # into the History
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> history = model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1),
    ...                     epochs=2, verbose=0, callbacks=[PrintLoss()])
    1 11.25
    2 6.328
    >>> history.history["weight"]
    [0.75, 1.3125]
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
        """After the backward of step ``step`` (1-based), before the update.

        dθ may be changed here (clipping, a penalty's gradient); so may
        ``logs["loss"]``, and the step is recorded with the loss left there.
        """

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
