"""The training loop: mini-batches, optimizer steps, history, callbacks, NaN guard.

``fit`` is gradient descent over the data: ``batch_size=None`` takes the whole set per
step (full-batch gradient descent, seed A), ``batch_size=100`` is seed C's mini-batch
SGD, and ``batch_size=1, shuffle=False`` is seed D's per-sample training in order.

>>> import numpy as np
>>> from glassnet import MSE, SGD, Dense, Sequential
>>> X = np.array([[1.0], [2.0]]); Y = 3 * X
>>> model = Sequential([Dense(1, 1, init=[[0.0]], bias=False)])
>>> history = model.fit(X, Y, loss=MSE(), optimizer=SGD(0.1), epochs=50, verbose=0)
>>> round(float(model.layers[0].W[0, 0]), 3)
3.0
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from glassnet._validate import all_finite, positive_int
from glassnet.activations import constant
from glassnet.callbacks import Callback, EarlyStopping, EveryNSteps
from glassnet.checkpoint import Checkpoint, FitState, check_writable, run_settings
from glassnet.layers import as_float_array
from glassnet.losses import BinaryCrossEntropy, CrossEntropy, Loss
from glassnet.optimizers import Optimizer

if TYPE_CHECKING:
    from glassnet.model import Sequential

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
]

Array = NDArray[Any]


class DivergenceError(FloatingPointError):
    """The loss became NaN or infinite; the weights were restored to the last good ones.

    Attributes:
        history: the History up to the last finished epoch.
    """

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """Per-epoch records of a ``fit``.

    ``history`` maps "loss", "accuracy" (classification), "val_loss" and
    "val_accuracy" (with validation data) to one value per epoch; ``step_loss`` holds
    the loss of every optimizer step.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    step_loss: list[float] = field(default_factory=list)
    epochs_run: int = 0

    def record(self, logs: dict[str, float]) -> None:
        """Append one epoch's values."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs_run += 1


def accuracy(Y_hat: Array, Y: ArrayLike, loss: Loss) -> float | None:
    """Fraction of correct predictions; None when ``loss`` is not for classification.

    CrossEntropy: argmax of each row against the class id (or the argmax of a one-hot
    row). BinaryCrossEntropy: Ŷ ≥ 0.5 against Y ≥ 0.5, over every output.

    >>> import numpy as np
    >>> accuracy(np.array([[0.9], [0.2]]), np.array([1, 1]), BinaryCrossEntropy())
    0.5
    """
    if not isinstance(loss, (CrossEntropy, BinaryCrossEntropy)):
        return None
    return _count_correct(Y_hat, np.asarray(Y), loss) / Y_hat.shape[0]


def _count_correct(Y_hat: Array, Y: Array, loss: Loss) -> float:
    """Number of correct predictions in a batch (for BCE: the mean over the outputs).

    A count rather than a mean, so that the training loop can sum it over batches
    without a division and a multiplication per step.
    """
    if isinstance(loss, CrossEntropy):
        labels = Y if Y.ndim == 1 else Y.argmax(axis=1)
        return float(np.count_nonzero(Y_hat.argmax(axis=1) == labels))
    half = constant(0.5, Y_hat.dtype)
    hits = np.count_nonzero((Y_hat >= half) == (Y.reshape(Y_hat.shape) >= half))
    return float(hits) / (Y_hat.size // Y_hat.shape[0])


def _check_data(
    model: Sequential, X: ArrayLike, Y: ArrayLike, what: str
) -> tuple[Array, Array]:
    X = as_float_array(X, model.dtype, f"{what} X")
    Y = np.asarray(Y)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(
            f"{what} X must have shape (m, n_in) with m ≥ 1; got {X.shape}."
        )
    if Y.ndim == 0 or Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{what} X and Y must have one row per sample; got {X.shape[0]} rows "
            "in X and "
            f"{'none' if Y.ndim == 0 else Y.shape[0]} in Y."
        )
    if Y.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} Y must hold numbers; got an array of dtype {Y.dtype}. Encode "
            "labels as integers (or floats for regression targets)."
        )
    all_finite(X, f"{what} X")
    all_finite(Y, f"{what} Y")
    if Y.dtype.kind == "f":  # float targets follow the model's dtype: no silent upcast
        Y = Y.astype(model.dtype, copy=False)
    return X, Y


def _set_weights(model: Sequential, weights: list[Array]) -> None:
    for (_, W, _), saved in zip(model.parameters(), weights, strict=True):
        W[...] = saved


def _batches(
    X: Array, Y: Array, batch_size: int, order: Array | None, first: int = 0
) -> Iterator[tuple[Array, Array]]:
    """Mini-batches in ``order`` (None: in place, as contiguous slices without copies).

    Starts at batch number ``first`` (0-based), where a resumed epoch goes on.

    Shuffled batches are gathered into two reused buffers, so an epoch allocates
    nothing of the data's size and the data set is never copied.
    """
    m = X.shape[0]
    if order is None:
        for start in range(first * batch_size, m, batch_size):
            yield X[start : start + batch_size], Y[start : start + batch_size]
        return
    X_buf = np.empty((batch_size, *X.shape[1:]), dtype=X.dtype)
    Y_buf = np.empty((batch_size, *Y.shape[1:]), dtype=Y.dtype)
    for start in range(first * batch_size, m, batch_size):
        idx = order[start : start + batch_size]
        n = idx.shape[0]
        # mode="clip" skips a bounds check that makes take(out=...) many times slower;
        # the indices come from a permutation of range(m), so none is out of bounds.
        # (The method, not np.take: that adds a Python wrapper per call.)
        Xb = X.take(idx, axis=0, out=X_buf[:n], mode="clip")
        Yb = Y.take(idx, axis=0, out=Y_buf[:n], mode="clip")
        yield Xb, Yb


class _DeferredInterrupts:
    """Holds Ctrl-C (and SIGTERM while checkpointing) until the current step is done.

    A signal arriving in the middle of an optimizer step would leave some parameters
    updated and others not: the handler only records the signal, and ``fit`` reads it
    between steps. A second Ctrl-C stops at once. Python delivers signals to the main
    thread only, so elsewhere this does nothing.
    """

    def __init__(self, catch_term: bool) -> None:
        self.received: int | None = None
        self.previous: dict[int, Any] = {}
        self.signals = [signal.SIGINT] + ([signal.SIGTERM] if catch_term else [])

    def _handler(self, signum: int, frame: Any) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum

    def __enter__(self) -> _DeferredInterrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                self.previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def clip_gradients(model: Sequential, max_norm: float) -> float:
    """Scale every gradient by max_norm / ‖g‖ when the global norm ‖g‖ exceeds max_norm.

    ‖g‖ = √(Σ over all parameters of Σ dW²): all gradients seen as one vector, whose
    direction is kept while its length is capped. Returns ‖g‖ before clipping (inf or
    NaN when some gradient is not finite).
    """
    return _clip([dW for _, _, dW in model.parameters()], max_norm)


def _clip(grads: list[Array], max_norm: float) -> float:
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return norm


def _check_fit_objects(loss: Any, optimizer: Any, validation_data: Any) -> None:
    """TypeError naming the right call for a loss, optimizer or validation_data unfit.

    None, a name, or a class where an instance belongs (``loss=gn.CrossEntropy``)
    would otherwise fail deep inside the first step with an unrelated message.
    """
    checks = (
        ("loss", loss, ("forward", "backward"), "a Loss object such as gn.MSE()"),
        ("optimizer", optimizer, ("step",), "an optimizer object such as gn.SGD(0.1)"),
    )
    for what, obj, needs, example in checks:
        if isinstance(obj, type):
            raise TypeError(
                f"fit's {what} must be {example}; got the class {obj.__name__} — call "
                f"it: {what}=gn.{obj.__name__}()"
            )
        if not all(callable(getattr(obj, name, None)) for name in needs):
            got = "None" if obj is None else f"{obj!r} (a {type(obj).__name__})"
            raise TypeError(f"fit's {what} must be {example}; got {got}.")
    if validation_data is not None and (
        not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2
    ):
        got = (
            f"a {type(validation_data).__name__} of {len(validation_data)} items"
            if isinstance(validation_data, (tuple, list))
            else f"a {type(validation_data).__name__}"
        )
        raise TypeError(
            "fit's validation_data must be a pair (X_val, Y_val); got "
            f"{got}. Pass validation_data=(X_val, Y_val)."
        )


# Overflow on the way to a divergence is expected: the checks below turn it into a
# DivergenceError with the weights restored, instead of a stray RuntimeWarning.
@np.errstate(over="ignore", invalid="ignore")
def fit(
    model: Sequential,
    X: ArrayLike,
    Y: ArrayLike,
    *,
    loss: Loss,
    optimizer: Any,
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
) -> History:
    """Train ``model`` on (X, Y) by repeated forward, backward and optimizer steps.

    Args:
        model: the Sequential to train (changed in place).
        X: inputs, shape (m, n_in); converted once to the model's dtype.
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
        callbacks: Callback objects (EarlyStopping, EveryNSteps, ...).
        verbose: 0 silent, 1 a progress bar with the live loss, 2 one line per epoch.
        clip_norm: if given, gradients whose global norm exceeds it are scaled down to
            it before each step (see ``clip_gradients``).
        checkpoint: a file for the whole training state (weights, optimizer state,
            random state, progress; safetensors, written atomically), saved after
            every epoch, every ``checkpoint_every`` steps, and on Ctrl-C or SIGTERM;
            the losses go to ``checkpoint`` + ".history" (see ``glassnet.checkpoint``).
            Its folder must be writable (checked before the first step).
        checkpoint_every: steps between checkpoints (default: once per epoch).
        resume: go on from ``checkpoint`` when that file exists, else start afresh.
            The resumed run ends bit-identical to one never interrupted; callbacks
            start afresh. A checkpoint made under other settings (data, batch size,
            seed, layers, loss, optimizer: ``checkpoint.run_settings``) or altered
            is refused with a ValueError before anything changes.

    Returns:
        The History of losses and accuracies per epoch.

    Raises:
        DivergenceError: the loss, a gradient or a weight became NaN or inf; the
            weights are restored to those at the start of the epoch.
        TypeError: ``loss``, ``optimizer`` or ``validation_data`` is not usable
            (None, a name, a class instead of an instance).
        ValueError: bad data or arguments, an unwritable checkpoint folder, a
            refused resume.
        KeyboardInterrupt: Ctrl-C (or SIGTERM while checkpointing) stopped training
            between two steps, after saving the checkpoint if one was asked for.
    """
    _check_fit_objects(loss, optimizer, validation_data)
    X, Y = _check_data(model, X, Y, "fit")
    m = X.shape[0]
    epochs = positive_int(epochs, "fit's epochs")
    batch_size = (
        m if batch_size is None else positive_int(batch_size, "fit's batch_size")
    )
    batch_size = min(batch_size, m)
    if clip_norm is not None and not (math.isfinite(clip_norm) and clip_norm > 0):
        raise ValueError(
            f"fit's clip_norm must be a finite number > 0; got {clip_norm!r}."
        )
    if checkpoint is None and (checkpoint_every is not None or resume):
        raise ValueError("fit's checkpoint_every and resume need a checkpoint path.")
    if checkpoint_every is not None:
        checkpoint_every = positive_int(checkpoint_every, "fit's checkpoint_every")
    if checkpoint is not None:
        check_writable(checkpoint)
    val = (
        None
        if validation_data is None
        else _check_data(
            model, validation_data[0], validation_data[1], "validation_data"
        )
    )
    # The data are checked here, once; the batches then skip the checks that the
    # layers' and the loss's public methods repeat on every call. The first sample
    # goes through the checked forward (a wrong X gets the layers' own error), and
    # every target is checked against the shape of its output.
    out_shape = model.forward(X[:1]).shape[1:]
    if isinstance(loss, Loss):
        Y = loss._checked_targets(Y, (m, *out_shape), model.dtype)
    train_step = model._training_step(loss)
    # A built-in optimizer updates all parameters as one vector θ (see
    # Sequential._flat_parameters): its few NumPy calls once a step, not per array.
    flat = (
        model._flat_parameters()
        if isinstance(optimizer, Optimizer) and optimizer._elementwise()
        else None
    )
    # Parameters are updated in place, so this list holds for the whole fit.
    params = model.parameters()
    grads = [dW for _, _, dW in params]
    # A layer's backward may store its gradients in new arrays instead of writing
    # into the old ones; seen at the first step, the gradients are then looked up
    # again at every step, and the optimizer is given the model to read them from.
    rebinds: bool | None = None  # unknown until the first backward
    if flat is not None:
        update = partial(optimizer._step, params, flat)
    elif isinstance(optimizer, Optimizer) and type(optimizer).step is Optimizer.step:
        update = partial(optimizer._step, params)  # = step(model), without the list
    else:
        update = partial(optimizer.step, model)
    rng = np.random.default_rng(seed)
    callbacks = list(callbacks)
    classify = isinstance(loss, (CrossEntropy, BinaryCrossEntropy))
    steps_per_epoch = -(-m // batch_size)
    ckpt = None
    if checkpoint is not None:
        settings = run_settings(
            model, X, Y, loss=loss, optimizer=optimizer, batch_size=batch_size,
            shuffle=shuffle, seed=seed, clip_norm=clip_norm, validation=val,
        )  # fmt: skip
        ckpt = Checkpoint(checkpoint, settings)

    history = History()
    state: FitState | None = None
    if resume and ckpt is not None and Path(ckpt.path).exists():
        state = ckpt.load(model, optimizer, epochs)
        rng.bit_generator.state = state.rng_state
        history = History(
            state.history, state.step_loss, len(state.history.get("loss", []))
        )
    step = 0 if state is None else state.step
    epoch = 1 if state is None else state.epoch

    def save(
        batch: int,
        order: Array | None,
        sums: tuple[float, float],
        epoch_start: list[Array],
    ) -> None:
        """Checkpoint the state after ``batch`` batches of the current epoch."""
        if ckpt is not None:
            ckpt.save(
                model,
                optimizer,
                FitState(
                    epoch=epoch,
                    batch=batch,
                    step=step,
                    rng_state=dict(rng.bit_generator.state),
                    loss_sum=sums[0],
                    correct=sums[1],
                    classify=classify,
                    history=history.history,
                    step_loss=history.step_loss,
                    finished=epoch > epochs,
                    order=order,
                    epoch_start=epoch_start,
                ),
            )

    def restore_and_raise(what: str, weights: list[Array]) -> NoReturn:
        _set_weights(model, weights)
        raise DivergenceError(
            f"training diverged: {what} at step {step + 1} (epoch {epoch}). The "
            f"weights were restored to those at the start of epoch {epoch}. Try a "
            f"smaller learning rate than {getattr(optimizer, 'lr', '?')}, gradient "
            "clipping (clip_norm), or check the data for extreme values.",
            history,
        )

    total = epochs * steps_per_epoch
    bar = tqdm(
        total=total,
        initial=min(step, total),
        disable=verbose != 1,
        file=sys.stderr,
        unit="step",
        dynamic_ncols=True,
        leave=True,
    )
    # tqdm's update costs a µs or two: a few hundred a pass, or none without a bar
    bar_every = max(1, steps_per_epoch // 200) if verbose == 1 else steps_per_epoch
    for cb in callbacks:
        cb.on_train_begin(model)
    with _DeferredInterrupts(catch_term=checkpoint is not None) as interrupts:
        try:
            while epoch <= epochs:
                if state is not None and epoch == state.epoch and state.batch > 0:
                    # resume inside this epoch: same order, same running sums
                    order, done = state.order, state.batch
                    sums = (state.loss_sum, state.correct)
                    epoch_start = state.epoch_start
                else:
                    order = rng.permutation(m) if shuffle and batch_size < m else None
                    done, sums = 0, (0.0, 0.0)
                    epoch_start = [W.copy() for _, W, _ in params]
                loss_sum, correct = sums
                batches = _batches(X, Y, batch_size, order, first=done)
                for batch, (Xb, Yb) in enumerate(batches, start=done + 1):
                    L, Y_hat = train_step(Xb, Yb)
                    if rebinds is not False:
                        now = [dW for _, _, dW in model.parameters()]
                        if rebinds is None:
                            rebinds = any(
                                a is not b for a, b in zip(grads, now, strict=True)
                            )
                            if rebinds:
                                update = partial(optimizer.step, model)
                        grads = now
                    if not math.isfinite(L):
                        restore_and_raise(f"the loss became {L}", epoch_start)
                    if clip_norm is not None:
                        norm = _clip(grads, clip_norm)
                        if not math.isfinite(norm):
                            restore_and_raise(
                                f"the gradient norm became {norm}", epoch_start
                            )
                    update()
                    step += 1
                    loss_sum += L * Xb.shape[0]
                    if classify:
                        correct += _count_correct(Y_hat, Yb, loss)
                    history.step_loss.append(L)
                    if step % bar_every == 0:
                        bar.update(step - bar.n)
                    if callbacks:
                        for cb in callbacks:
                            cb.on_step_end(step, model, {"loss": L, "epoch": epoch})
                    if interrupts.received is not None:
                        save(batch, order, (loss_sum, correct), epoch_start)
                        where = (
                            f"; checkpoint saved to {checkpoint}" if checkpoint else ""
                        )
                        raise KeyboardInterrupt(
                            f"training interrupted after step {step} (epoch {epoch})"
                            + where
                        )
                    if checkpoint_every is not None and step % checkpoint_every == 0:
                        save(batch, order, (loss_sum, correct), epoch_start)
                bar.update(step - bar.n)
                if not all(np.isfinite(W).all() for _, W, _ in params):
                    restore_and_raise("a weight became NaN or inf", epoch_start)
                logs = {"loss": loss_sum / m}
                if classify:
                    logs["accuracy"] = correct / m
                if val is not None:
                    for key, value in evaluate(model, *val, loss=loss).items():
                        logs[f"val_{key}"] = value
                history.record(logs)
                if verbose == 1:
                    bar.set_postfix(
                        {k: f"{v:.4g}" for k, v in logs.items()}, refresh=False
                    )
                elif verbose >= 2:
                    parts = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
                    print(f"epoch {epoch}/{epochs}  {parts}", file=sys.stderr)
                stop = [cb.on_epoch_end(epoch, model, logs) for cb in callbacks]
                epoch += 1
                save(0, None, (0.0, 0.0), [W.copy() for _, W, _ in params])
                if any(stop):
                    break
        finally:
            bar.close()
    for cb in callbacks:
        cb.on_train_end(model, history)
    return history


def evaluate(
    model: Sequential, X: ArrayLike, Y: ArrayLike, *, loss: Loss, batch_size: int = 8192
) -> dict[str, float]:
    """Mean loss over all of (X, Y), and accuracy for a classification loss.

    Computed ``batch_size`` rows at a time, with the fused, stable loss when the model
    ends in the matching activation.
    """
    X, Y = _check_data(model, X, Y, "evaluate")
    m = X.shape[0]
    loss_sum, correct = 0.0, 0.0
    acc: float | None = None
    for start in range(0, m, batch_size):
        Xb, Yb = X[start : start + batch_size], Y[start : start + batch_size]
        L, Y_hat = model.forward_loss(Xb, Yb, loss)
        loss_sum += L * Xb.shape[0]
        acc = accuracy(Y_hat, Yb, loss)
        if acc is not None:
            correct += acc * Xb.shape[0]
    result = {"loss": loss_sum / m}
    if acc is not None:
        result["accuracy"] = correct / m
    return result
