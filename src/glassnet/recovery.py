"""Callbacks that let a long run survive: checkpoints with resume, and Ctrl-C.

``BackupAndRestore`` (Keras' name) writes the whole training state
to one file — after every epoch, every ``every`` steps, and when the run is
interrupted — and, with ``resume=True``, puts a fit back where that file left it, so
the resumed run ends bit-identical to one never interrupted. ``Interrupts`` holds
Ctrl-C (and SIGTERM, while checkpointing) until the current step is done, so a
signal never leaves half an update.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet._validate import positive_int
from glassnet.callbacks import Callback
from glassnet.checkpoint import Checkpoint, FitState, check_writable, run_settings
from glassnet.run import History

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["BackupAndRestore", "Interrupts"]


class Interrupts(Callback):
    """Defer Ctrl-C (and SIGTERM when ``catch_term``) to the end of the step.

    The signal handler only records the signal in ``run.interrupted``; after the
    step, ``fit`` calls every callback's ``on_interrupt`` (the checkpoint is saved)
    and raises KeyboardInterrupt.
    A second Ctrl-C stops at once. Python delivers signals to the main thread only,
    so elsewhere this does nothing.

    ``fit`` always adds one. Here a callback sends Ctrl-C (SIGINT) to the process
    during step 2: that step still ends (the optimizer makes its update), then fit
    stops:

    >>> import signal
    >>> import numpy as np
    >>> import glassnet as gn
    >>> class CtrlC(gn.Callback):
    ...     def on_backward_end(self, step, model, logs):
    ...         if step == 2:
    ...             signal.raise_signal(signal.SIGINT)
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X, sgd = np.array([[1.0], [2.0]]), gn.SGD(0.1)
    >>> try:
    ...     model.fit(X, 3 * X, loss=gn.MSE(), optimizer=sgd, epochs=3, batch_size=1,
    ...               verbose=0, callbacks=[CtrlC()])
    ... except KeyboardInterrupt as err:
    ...     print(f"{err}; {sgd.t} updates")
    training interrupted after step 2 (epoch 1); 2 updates
    """

    def __init__(self, catch_term: bool = False) -> None:
        self.previous: dict[int, Any] = {}
        self.signals = [signal.SIGINT] + ([signal.SIGTERM] if catch_term else [])

    def _handler(self, signum: int, frame: Any) -> None:
        if self.run.interrupted is not None:
            raise KeyboardInterrupt
        self.run.interrupted = signum  # fit stops after the current step

    def on_train_begin(self, model: Sequential) -> None:
        """Install the handlers."""
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                self.previous[sig] = signal.signal(sig, self._handler)

    def on_exit(self, model: Sequential) -> None:
        """Put the previous handlers back."""
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}


class BackupAndRestore(Callback):
    """Save the training state to ``path``; with ``resume``, start from it.

    The file format, its checks and the history file beside it are
    ``glassnet.checkpoint.Checkpoint``'s; this callback says when to save and puts a
    resumed run back where the file left it.

    Args:
        path: the checkpoint file (safetensors, written atomically); the losses go to
            ``path`` + ".history".
        every: steps between saves within an epoch (None: after each epoch only).
        resume: when ``path`` exists, go on from it (else start afresh).
        clip_norm: the fit's gradient clipping, a setting a resume must share.

    Raises:
        ValueError: the folder of ``path`` is missing or not writable (at once, so
            that a typo fails before any training).

    Two epochs saved, then a fresh model resumes from the file for a third: it ends
    where a 3-epoch fit never interrupted ends. (``fit(..., checkpoint=path,
    resume=True)`` adds this callback for you.)

    >>> import os, tempfile
    >>> import numpy as np
    >>> import glassnet as gn
    >>> path = os.path.join(tempfile.mkdtemp(), "run.ckpt")
    >>> X = np.array([[1.0], [2.0]])
    >>> def weight_after(epochs, *callbacks):
    ...     model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    ...     model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=epochs,
    ...               verbose=0, callbacks=callbacks)
    ...     return model.layers[0].W.tolist()
    >>> weight_after(2, gn.BackupAndRestore(path))
    [[1.3125]]
    >>> weight_after(3, gn.BackupAndRestore(path, resume=True)), weight_after(3)
    ([[1.734375]], [[1.734375]])
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        every: int | None = None,
        resume: bool = False,
        clip_norm: float | None = None,
    ) -> None:
        check_writable(path)
        self.path = path
        self.every = None if every is None else positive_int(every, "checkpoint_every")
        self.resume, self.clip_norm = resume, clip_norm
        self.file: Checkpoint | None = None

    def on_train_begin(self, model: Sequential) -> None:
        """Record the run's settings; resume from the file when asked and present."""
        run = self.run
        settings = run_settings(
            model, run.X, run.Y, loss=run.loss, optimizer=run.optimizer,
            batch_size=run.batch_size, shuffle=run.shuffle, seed=run.seed,
            clip_norm=self.clip_norm, validation=run.validation,
        )  # fmt: skip
        self.file = Checkpoint(self.path, settings)
        if not (self.resume and Path(self.path).exists()):
            return
        state = self.file.load(model, run.optimizer, run.epochs)
        run.rng.bit_generator.state = state.rng_state
        generators = layer_generators(model)
        if set(state.layer_rng_states) != set(generators):
            raise ValueError(
                f"cannot resume from {self.path}: it holds the random state of layers "
                f"{sorted(state.layer_rng_states)} but the model draws at "
                f"{sorted(generators)}. Resume with the model that wrote it."
            )
        for key, rng_state in state.layer_rng_states.items():
            generators[key].bit_generator.state = rng_state
        run.history = History(
            state.history, state.step_loss, len(state.history.get("loss", []))
        )
        run.epoch, run.batch, run.step = state.epoch, state.batch, state.step
        run.order = state.order
        run.loss_sum, run.correct = state.loss_sum, state.correct
        run.epoch_start = model.theta.copy()
        views = model.vector.views(run.epoch_start)
        for (name, _, _), saved in zip(
            model.parameters(), state.epoch_start, strict=True
        ):
            views[name][...] = saved

    def save(self, at_epoch_end: bool = False) -> None:
        """Write the state between two steps, or that of the next epoch's start."""
        run, file = self.run, self.file
        assert file is not None  # made in on_train_begin
        assert run.epoch_start is not None  # taken when the epoch began
        model = run.model
        start = model.theta if at_epoch_end else run.epoch_start
        views = model.vector.views(start)
        state = FitState(
            epoch=run.epoch + 1 if at_epoch_end else run.epoch,
            batch=0 if at_epoch_end else run.batch,
            step=run.step,
            rng_state=dict(run.rng.bit_generator.state),
            loss_sum=0.0 if at_epoch_end else run.loss_sum,
            correct=0.0 if at_epoch_end else run.correct,
            classify=run.classify,
            history=run.history.history,
            step_loss=run.history.step_loss,
            finished=at_epoch_end and run.epoch + 1 > run.epochs,
            order=None if at_epoch_end else run.order,
            epoch_start=[views[name] for name, _, _ in model.parameters()],
            layer_rng_states={
                key: dict(rng.bit_generator.state)
                for key, rng in layer_generators(model).items()
            },
        )
        file.save(model, run.optimizer, state)

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Save every ``every`` steps."""
        if self.every is not None and step % self.every == 0:
            self.save()

    def on_interrupt(self, model: Sequential) -> str | None:
        """Save the state the run was interrupted in."""
        self.save()
        return f"checkpoint saved to {self.path}"

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Save the state of the start of the next epoch."""
        self.save(at_epoch_end=True)


def layer_generators(model: Sequential) -> dict[str, np.random.Generator]:
    """The layers' own generators (``Dropout.rng``) by position, saved by checkpoints.

    A layer that draws random numbers keeps its Generator in ``rng``; its state after
    the last step is part of where a fit stands, so a resumed run draws the masks an
    uninterrupted one would.
    """
    generators = {}
    for i, layer in enumerate(model.layers):
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.Generator):
            generators[str(i)] = rng
    return generators
