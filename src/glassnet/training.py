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
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from glassnet._validate import all_finite, positive_int
from glassnet.layers import as_float_array
from glassnet.losses import BinaryCrossEntropy, CrossEntropy, Loss

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "Callback",
    "DivergenceError",
    "EarlyStopping",
    "EveryNSteps",
    "History",
    "accuracy",
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
            _set_weights(model, self.best_weights)


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
    hits = np.count_nonzero((Y_hat >= 0.5) == (Y.reshape(Y_hat.shape) >= 0.5))
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
    X: Array, Y: Array, batch_size: int, order: Array | None
) -> Iterator[tuple[Array, Array]]:
    """Mini-batches in ``order`` (None: in place, as contiguous slices without copies).

    Shuffled batches are gathered into two reused buffers, so an epoch allocates
    nothing of the data's size and the data set is never copied.
    """
    m = X.shape[0]
    if order is None:
        for start in range(0, m, batch_size):
            yield X[start : start + batch_size], Y[start : start + batch_size]
        return
    X_buf = np.empty((batch_size, *X.shape[1:]), dtype=X.dtype)
    Y_buf = np.empty((batch_size, *Y.shape[1:]), dtype=Y.dtype)
    for start in range(0, m, batch_size):
        idx = order[start : start + batch_size]
        n = idx.shape[0]
        # mode="clip" skips a bounds check that makes take(out=...) many times slower;
        # the indices come from a permutation of range(m), so none is out of bounds.
        Xb = np.take(X, idx, axis=0, out=X_buf[:n], mode="clip")
        Yb = np.take(Y, idx, axis=0, out=Y_buf[:n], mode="clip")
        yield Xb, Yb


# Overflow on the way to a divergence is expected: the loss check below turns it into
# a DivergenceError with the weights restored, instead of a stray RuntimeWarning.
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

    Returns:
        The History of losses and accuracies per epoch.

    Raises:
        DivergenceError: the loss became NaN or inf; the weights are restored to those
            at the start of the epoch in which it happened.
    """
    X, Y = _check_data(model, X, Y, "fit")
    m = X.shape[0]
    epochs = positive_int(epochs, "fit's epochs")
    batch_size = (
        m if batch_size is None else positive_int(batch_size, "fit's batch_size")
    )
    batch_size = min(batch_size, m)
    val = (
        None
        if validation_data is None
        else _check_data(
            model, validation_data[0], validation_data[1], "validation_data"
        )
    )
    rng = np.random.default_rng(seed)
    callbacks = list(callbacks)
    history = History()
    steps_per_epoch = -(-m // batch_size)
    bar = tqdm(
        total=epochs * steps_per_epoch,
        disable=verbose != 1,
        file=sys.stderr,
        unit="step",
        dynamic_ncols=True,
        leave=True,
    )
    classify = isinstance(loss, (CrossEntropy, BinaryCrossEntropy))
    step = 0
    for cb in callbacks:
        cb.on_train_begin(model)
    try:
        for epoch in range(1, epochs + 1):
            good_weights = [W.copy() for _, W, _ in model.parameters()]
            order = rng.permutation(m) if shuffle and batch_size < m else None
            loss_sum, correct = 0.0, 0.0
            for Xb, Yb in _batches(X, Y, batch_size, order):
                L, Y_hat = model.loss_and_gradients(Xb, Yb, loss)
                if not math.isfinite(L):
                    _set_weights(model, good_weights)
                    raise DivergenceError(
                        f"training diverged: the loss became {L} at step {step + 1} "
                        f"(epoch {epoch}). The weights were restored to those at the "
                        f"start of epoch {epoch}. Try a smaller learning rate than "
                        f"{getattr(optimizer, 'lr', '?')}, or check the data for "
                        "NaN/inf.",
                        history,
                    )
                optimizer.step(model)
                step += 1
                n = Xb.shape[0]
                loss_sum += L * n
                if classify:
                    correct += _count_correct(Y_hat, Yb, loss)
                history.step_loss.append(L)
                bar.update(1)
                for cb in callbacks:
                    cb.on_step_end(step, model, {"loss": L, "epoch": epoch})
            logs = {"loss": loss_sum / m}
            if classify:
                logs["accuracy"] = correct / m
            if val is not None:
                for key, value in evaluate(model, *val, loss=loss).items():
                    logs[f"val_{key}"] = value
            history.record(logs)
            if verbose == 1:
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
            elif verbose >= 2:
                parts = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
                print(f"epoch {epoch}/{epochs}  {parts}", file=sys.stderr)
            stop = [cb.on_epoch_end(epoch, model, logs) for cb in callbacks]
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
