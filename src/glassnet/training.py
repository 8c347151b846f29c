"""The training loop: for each epoch, for each batch — forward, loss, backward, step.

``fit`` is gradient descent over the data: ``batch_size=None`` takes the whole set per
step (full-batch gradient descent, seed A), ``batch_size=100`` is seed C's mini-batch
SGD, and ``batch_size=1, shuffle=False`` is seed D's per-sample training in order.
Everything else a fit does — progress, history, validation, the divergence guard,
clipping, checkpoints, Ctrl-C, early stopping, schedules — is a callback
(``glassnet.callbacks``, ``glassnet.recovery``) called around those four lines.

>>> import numpy as np
>>> from glassnet import MSE, SGD, Dense, Sequential
>>> X = np.array([[1.0], [2.0]]); Y = 3 * X
>>> model = Sequential([Dense(1, 1, init=[[0.0]], bias=False)])
>>> history = model.fit(X, Y, loss=MSE(), optimizer=SGD(0.1), epochs=50, verbose=0)
>>> round(float(model.layers[0].W[0, 0]), 3)
3.0
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from glassnet._validate import positive_int
from glassnet.callbacks import (
    Callback,
    DivergenceGuard,
    EarlyStopping,
    EveryNSteps,
    GradientClipping,
    ProgressBar,
    Validation,
    clip_gradients,
)
from glassnet.losses import Loss
from glassnet.optimizers import Optimizer
from glassnet.recovery import BackupAndRestore, Interrupts
from glassnet.run import (
    DivergenceError,
    History,
    Run,
    accuracy,
    check_data,
    checked_targets,
    evaluate,
    positive_batch,
)
from glassnet.threads import thread_callbacks

if TYPE_CHECKING:
    from glassnet.model import Sequential

# fit and evaluate, and (for the code that imports them from here) the names the
# loop works with, which live in run and callbacks
__all__ = [
    "Callback",
    "DivergenceError",
    "EarlyStopping",
    "EveryNSteps",
    "History",
    "accuracy",
    "clip_gradients",
    "evaluate",
    "fit",
    "train",
]


# Overflow on the way to a divergence is expected: the guard turns it into a
# DivergenceError with the weights restored, instead of a stray RuntimeWarning.
@np.errstate(over="ignore", invalid="ignore")
def fit(
    model: Sequential,
    X: ArrayLike,
    Y: ArrayLike,
    *,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
    clip_norm: float | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    threads: int | str | None = None,
    comm: Any = None,
) -> History:
    """Train ``model`` on (X, Y) by repeated forward, backward and optimizer steps.

    Args:
        model: the Sequential to train (changed in place).
        X: inputs, shape (m, ...); converted once to the model's dtype.
        Y: targets: (m, n_out), or (m,) for one output or for class ids.
        loss: a Loss; with a matching output activation the fused gradient is used.
        optimizer: an optimizer such as ``SGD(0.1)``.
        epochs: passes over the data (≥ 1).
        batch_size: rows per step; None (default) is full-batch gradient descent and
            1 is per-sample SGD.
        shuffle: draw a new order of the samples every epoch (from ``seed``).
        seed: seed or Generator for the shuffling; the same seed, data and machine
            give bit-identical weights.
        validation_data: (X_val, Y_val), evaluated after each epoch.
        callbacks: Callback objects (EarlyStopping, EveryNSteps, ...), called after
            the built-in ones and before the checkpoint's save.
        verbose: 0 silent, 1 a progress bar with the live loss, 2 one line per epoch.
        clip_norm: if given, dθ is scaled down to this norm whenever its norm exceeds
            it, before each step (``GradientClipping``).
        checkpoint: a file for the whole training state (weights, optimizer state,
            random state, progress; safetensors, written atomically), saved after
            every epoch, every ``checkpoint_every`` steps, and on Ctrl-C or SIGTERM.
        checkpoint_every: steps between checkpoints (default: once per epoch).
        resume: go on from ``checkpoint`` when that file exists, else start afresh.
            The resumed run ends bit-identical to one never interrupted; callbacks
            start afresh.
        threads: BLAS threads for the products: None leaves them as they are, an
            int fixes them for the fit, "auto" follows the machine's load
            (``glassnet.threads``; the last bits of large products may then differ
            from run to run).
        comm: an mpi4py communicator: train data-parallel over its processes
            (``glassnet.distributed.fit``, started by ``mpiexec -n N``); every
            process then ends with the same weights.

    Returns:
        The History of losses and accuracies per epoch.

    Raises:
        DivergenceError: the loss, a gradient or a weight became NaN or inf; the
            weights are restored to those at the start of the epoch.
        KeyboardInterrupt: Ctrl-C (or SIGTERM while checkpointing) stopped training
            between two steps, after saving the checkpoint if one was asked for.

    Per-sample SGD, 3 epochs of 2 steps (``model.fit(X, Y, ...)`` is the same call):

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> gn.fit(model, X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=3,
    ...        batch_size=1, seed=0, verbose=0)
    History(3 epochs, 6 steps; last: loss 0.8112)
    """
    if comm is not None:  # data-parallel over MPI: the same loop on every process
        if threads is not None:
            raise ValueError(
                "fit's threads does not apply with comm: each MPI process keeps BLAS "
                "as it is (start them with OMP_NUM_THREADS/OPENBLAS_NUM_THREADS)."
            )
        from glassnet.distributed import fit as distributed_fit

        return distributed_fit(
            model, X, Y, comm=comm, loss=loss, optimizer=optimizer, epochs=epochs,
            batch_size=batch_size, shuffle=shuffle, seed=seed,
            validation_data=validation_data, callbacks=callbacks, verbose=verbose,
            clip_norm=clip_norm, checkpoint=checkpoint,
            checkpoint_every=checkpoint_every, resume=resume,
        )  # fmt: skip
    run = start(model, X, Y, loss, optimizer, epochs, batch_size, shuffle, seed)
    hooks = thread_callbacks(threads, model) + all_callbacks(
        run, callbacks, validation_data, verbose, clip_norm, checkpoint,
        checkpoint_every, resume,
    )  # fmt: skip
    return train(run, hooks)


# Overflow on the way to a divergence is expected (see fit).
@np.errstate(over="ignore", invalid="ignore")
def train(run: Run, hooks: list[Callback]) -> History:
    """The loop of ``fit`` on a started Run, calling ``hooks`` in their order.

    For each epoch, for each batch: forward, loss and backward (the gradients in
    dθ), the hooks' ``on_backward_end``, the optimizer's step, the record, the hooks'
    ``on_step_end``. ``fit`` is ``start`` + ``all_callbacks`` + ``train``; a variant
    of fit (``glassnet.distributed``) changes the Run or the hooks, not the loop.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> run = start(model, X, 3 * X, gn.MSE(), gn.SGD(0.1), 3, None, False, 0)
    >>> history = train(run, [gn.DivergenceGuard()])  # only the guard: no epoch records
    >>> history, [round(L, 2) for L in history.step_loss]
    (History(0 epochs, 3 steps), [11.25, 6.33, 3.56])
    """
    model, loss, optimizer = run.model, run.loss, run.optimizer
    for cb in hooks:
        cb.set_run(run)
    try:
        with model.reusing_outputs(), loss.checked_targets():
            for cb in hooks:
                cb.on_train_begin(model)
            while run.epoch <= run.epochs and not run.stop:
                run.begin_epoch()
                for cb in hooks:
                    cb.on_epoch_begin(run.epoch, model)
                for Xb, Yb in run.batches():
                    L, Y_hat = model.loss_and_gradients(Xb, Yb, loss)  # forward,
                    logs = {"loss": L}  # loss and backward: the gradients are in dθ
                    run.measure(Y_hat, Yb)
                    for cb in hooks:
                        cb.on_backward_end(run.step + 1, model, logs)
                    optimizer.step(model)  # θ from dθ, by the optimizer's rule
                    run.record(logs["loss"])  # with what the hooks added
                    for cb in hooks:
                        cb.on_step_end(run.step, model, logs)
                    if run.interrupted is not None:  # Ctrl-C: save, then stop
                        notes = [cb.on_interrupt(model) for cb in hooks]
                        raise KeyboardInterrupt(run.interrupt_message(notes))
                logs = run.epoch_logs()
                for cb in hooks:  # the guard, validation, history, progress, ...
                    run.stop = bool(cb.on_epoch_end(run.epoch, model, logs)) or run.stop
                run.next_epoch()
        for cb in hooks:
            cb.on_train_end(model, run.history)
    finally:
        for cb in hooks:
            cb.on_exit(model)
    return run.history


def start(
    model: Sequential,
    X: ArrayLike,
    Y: ArrayLike,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None,
    shuffle: bool,
    seed: int | np.random.Generator | None,
) -> Run:
    """A Run at step 0 with every argument checked: the checks of ``fit``, once."""
    _check_objects(model, loss, optimizer)
    X, Y = check_data(model, X, Y, "fit's")
    epochs = positive_int(epochs, "fit's epochs")
    Y = checked_targets(model, loss, X, Y)
    return Run(
        model=model,
        loss=loss,
        optimizer=optimizer,
        X=X,
        Y=Y,
        epochs=epochs,
        batch_size=positive_batch(batch_size, X.shape[0]),
        shuffle=shuffle,
        rng=np.random.default_rng(seed),
        seed=seed,
    )


def all_callbacks(
    run: Run,
    callbacks: Iterable[Callback],
    validation_data: tuple[ArrayLike, ArrayLike] | None,
    verbose: int,
    clip_norm: float | None,
    checkpoint: str | os.PathLike[str] | None,
    checkpoint_every: int | None,
    resume: bool,
) -> list[Callback]:
    """The user's ``callbacks`` among those fit's arguments ask for, in run order.

    Interrupts first (it marks the step), then the guard and clipping (before the
    update), validation (adds val_* to the epoch's logs), the user's callbacks in
    their order, the History (it records the logs every callback before it has
    added to, as in Keras), progress, and checkpoints last, the user's
    ``BackupAndRestore`` too: they save what the others recorded and changed (a
    schedule's new learning rate, say).
    """
    if checkpoint is None and (checkpoint_every is not None or resume):
        raise ValueError("fit's checkpoint_every and resume need a checkpoint path.")
    hooks: list[Callback] = [Interrupts(catch_term=checkpoint is not None)]
    hooks.append(DivergenceGuard())
    if clip_norm is not None:
        hooks.append(GradientClipping(clip_norm))
    if validation_data is not None:
        if not (
            isinstance(validation_data, (tuple, list)) and len(validation_data) == 2
        ):
            got = type(validation_data).__name__
            if isinstance(validation_data, (tuple, list)):
                got = f"a {got} of {len(validation_data)} items"
            raise TypeError(
                f"fit's validation_data must be a pair (X_val, Y_val); got {got}. "
                "Pass validation_data=(X_val, Y_val)."
            )
        Xv, Yv = validation_data
        Xv, Yv = check_data(run.model, Xv, Yv, "validation_data's")
        Yv = checked_targets(run.model, run.loss, Xv, Yv)
        hooks.append(Validation(Xv, Yv))
        run.validation = (Xv, Yv)
    callbacks = list(callbacks)
    saves = [cb for cb in callbacks if isinstance(cb, BackupAndRestore)]
    hooks += [cb for cb in callbacks if not isinstance(cb, BackupAndRestore)]
    hooks.append(_RecordHistory())
    hooks.append(ProgressBar(verbose))
    if checkpoint is not None:
        hooks.append(BackupAndRestore(checkpoint, checkpoint_every, resume, clip_norm))
    return hooks + saves


class _RecordHistory(Callback):
    """Append each epoch's logs to the run's History."""

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Record the epoch."""
        self.run.history.record(dict(logs))


def _check_objects(model: Sequential, loss: Any, optimizer: Any) -> None:
    """TypeErrors that name the right call for a loss or optimizer that is not one."""
    for what, value, base, example in (
        ("loss", loss, Loss, "gn.BinaryCrossEntropy()"),
        ("optimizer", optimizer, Optimizer, "gn.Adam(0.01)"),
    ):
        if isinstance(value, base):
            continue
        if isinstance(value, type) and issubclass(value, base):
            got = f"the class {value.__name__}; call it: {what}=gn.{value.__name__}()"
        else:
            got = f"{value!r} ({type(value).__name__})"
        raise TypeError(f"fit's {what} must be an object such as {example}; got {got}.")
    loss.check_output(model.layers[-1])
