"""Callbacks that let a long run survive: checkpoints with resume, and Ctrl-C.

``Checkpoint`` (Keras calls it BackupAndRestore) writes the whole training state
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

from glassnet._validate import positive_int
from glassnet.callbacks import Callback
from glassnet.checkpoint import FitState, load_checkpoint, save_checkpoint
from glassnet.run import History

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["Checkpoint", "Interrupts"]


class Interrupts(Callback):
    """Defer Ctrl-C (and SIGTERM when ``catch_term``) to the end of the step.

    The signal handler only records the signal in ``run.interrupted``; after the
    step, ``fit`` calls every callback's ``on_interrupt`` (the checkpoint is saved)
    and raises KeyboardInterrupt.
    A second Ctrl-C stops at once. Python delivers signals to the main thread only,
    so elsewhere this does nothing.
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


class Checkpoint(Callback):
    """Save the training state to ``path``; with ``resume``, start from it.

    Args:
        path: the checkpoint file (safetensors, written atomically).
        every: steps between saves within an epoch (None: after each epoch only).
        resume: when ``path`` exists, go on from it (else start afresh).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        every: int | None = None,
        resume: bool = False,
    ) -> None:
        self.path = path
        self.every = None if every is None else positive_int(every, "checkpoint_every")
        self.resume = resume

    def on_train_begin(self, model: Sequential) -> None:
        """Put the run where the checkpoint left it (``resume=True`` and a file)."""
        run = self.run
        if not (self.resume and Path(self.path).exists()):
            return
        config = self.config()
        state = load_checkpoint(self.path, model, run.optimizer)
        if state.config != config:
            raise ValueError(
                f"checkpoint {self.path} was made for {state.config}; this fit has "
                f"{config}. Resume with the same data and batch size."
            )
        run.rng.bit_generator.state = state.rng_state
        run.history = History(
            state.history, state.step_loss, len(state.history.get("loss", []))
        )
        run.epoch, run.batch, run.step = state.epoch, state.batch, state.step
        run.order = state.order
        run.loss_sum, run.correct = state.loss_sum, state.correct
        run.epoch_start = (
            _vector_of(model, state.epoch_start)
            if state.epoch_start
            else model.theta.copy()
        )

    def config(self) -> dict[str, Any]:
        """What a resumed fit must share with the one that wrote the checkpoint."""
        run = self.run
        return {
            "m": run.m,
            "n_in": int(run.X.shape[1]),
            "batch_size": run.batch_size,
            "shuffle": run.shuffle,
        }

    def save(self, at_epoch_end: bool = False) -> None:
        """Write the state between two steps (or at the end of an epoch)."""
        run = self.run
        model = run.model
        if at_epoch_end:  # the state of the start of the next epoch
            state = FitState(
                epoch=run.epoch + 1,
                batch=0,
                step=run.step,
                rng_state=dict(run.rng.bit_generator.state),
                loss_sum=0.0,
                correct=0.0,
                classify=run.classify,
                history=run.history.history,
                step_loss=run.history.step_loss,
                config=self.config(),
                finished=run.epoch + 1 > run.epochs,
                order=None,
                epoch_start=[W.copy() for _, W, _ in model.parameters()],
            )
        else:
            assert run.epoch_start is not None  # set when the epoch began
            start = model.vector.views(run.epoch_start)
            state = FitState(
                epoch=run.epoch,
                batch=run.batch,
                step=run.step,
                rng_state=dict(run.rng.bit_generator.state),
                loss_sum=run.loss_sum,
                correct=run.correct,
                classify=run.classify,
                history=run.history.history,
                step_loss=run.history.step_loss,
                config=self.config(),
                finished=False,
                order=run.order,
                epoch_start=[start[name] for name, _, _ in model.parameters()],
            )
        save_checkpoint(self.path, model, run.optimizer, state)

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


def _vector_of(model: Sequential, arrays: list[Any]) -> Any:
    """The θ-shaped vector whose parameter views hold ``arrays`` (in θ's order)."""
    vector = model.theta.copy()
    for view, saved in zip(model.vector.views(vector).values(), arrays, strict=True):
        view[...] = saved
    return vector
