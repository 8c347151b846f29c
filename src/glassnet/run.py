"""The state of one ``fit``: where it stands and what it has measured.

``fit`` keeps everything a training run knows in one ``Run``: the model, loss and
optimizer, the data (checked once, here), the epoch, batch and step reached, the
epoch's sample order and running sums, the History. Callbacks read and change it
(a resumed run is a Run put back where a checkpoint left it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from glassnet._validate import positive_int
from glassnet.fit_settings import steps_per_epoch
from glassnet.losses import BinaryCrossEntropy, CrossEntropy, Loss
from glassnet.measure import (
    accuracy,
    check_data,
    checked_targets,
    count_correct,
    evaluate,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "DivergenceError",
    "History",
    "Run",
    "Shard",
    "accuracy",
    "check_data",
    "checked_targets",
    "count_correct",
    "evaluate",
]

Array = NDArray[Any]


class DivergenceError(FloatingPointError):
    """Training stopped: the loss, a weight or the gradient became NaN or infinite.

    The weights were restored to those at the start of the epoch (the last good ones).

    Attributes:
        history: the History up to the last finished epoch.

    ``fit`` raises it; here a learning rate far too large overflows the loss:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(10.0), epochs=100,
    ...           verbose=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.run.DivergenceError: training diverged: the loss became inf at step 15 ...
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

    >>> History({"loss": [0.5, 0.25]}, [0.6, 0.4, 0.3, 0.2], 2)
    History(2 epochs, 4 steps; last: loss 0.25)
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    step_loss: list[float] = field(default_factory=list)
    epochs_run: int = 0

    def record(self, logs: dict[str, float]) -> None:
        """Append one epoch's values."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs_run += 1

    def __repr__(self) -> str:
        last = ", ".join(f"{k} {v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History({self.epochs_run} epochs, {len(self.step_loss)} steps" + (
            f"; last: {last})" if last else ")"
        )


def _no_other_process(values: Array) -> Array:
    """The sum over processes when there is one process: the values themselves."""
    return values


@dataclass(frozen=True)
class Shard:
    """Process ``index`` of ``count`` computes its part of every batch.

    A batch of k rows is cut into ``count`` contiguous parts whose sizes differ by at
    most one (the first k mod count parts have one row more); process ``index`` takes
    part ``index``. ``total`` adds a vector of per-process sums over all processes
    (an all-reduce); with one process it is the identity. Data-parallel training
    (``glassnet.distributed``) gives the Run a Shard; the order of the samples still
    comes from the seed, so every process cuts the same batches.

    >>> [Shard(i, 3).rows(7) for i in range(3)]
    [(0, 3), (3, 5), (5, 7)]
    """

    index: int
    count: int
    total: Callable[[Array], Array] = _no_other_process

    def rows(self, k: int) -> tuple[int, int]:
        """This process's rows [lo, hi) of a batch of ``k`` rows."""
        q, r = divmod(k, self.count)
        lo = self.index * q + min(self.index, r)
        return lo, lo + q + (self.index < r)


@dataclass(eq=False)
class Run:
    """Where a fit stands, between two optimizer steps.

    Attributes:
        model, loss, optimizer: what is trained, on what, by which rule.
        X, Y: the training data, checked and converted once.
        epochs, batch_size, shuffle: the settings of the fit.
        rng: the generator of the epochs' sample orders.
        epoch: the current epoch (1-based); batch: batches of it already done;
        step: optimizer steps done in the whole run.
        order: this epoch's sample order (None: batches taken in place).
        loss_sum, correct: Σ batch loss × batch size and Σ correct over this epoch.
        epoch_start: θ at the start of this epoch (what a divergence restores).
        epoch_buffers: each layer buffer with its values at the epoch's start.
        history: the History so far.
        stop: set by a callback to end training after this epoch.
        interrupted: the signal (Ctrl-C, SIGTERM) received during the step, if any.
        seed: the ``seed`` fit was given (a checkpoint records it).
        validation: the checked validation data, if any.
        shard: this process's part of each batch in data-parallel training
            (None: the whole batch); see ``Shard``.
        measured: the current step's (rows of its batch, correct count), taken
            by ``measure`` and added by ``record`` with the step's loss.

    A callback reads it as ``self.run``:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> class Where(gn.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, model, logs):
    ...         print(f"epoch {epoch}: {self.run.step} steps, {len(self.run.X)} rows")
    >>> X = np.linspace(-1, 1, 8).reshape(8, 1)
    >>> model = gn.Sequential([gn.Dense(1, 1, rng=0)])
    >>> _ = model.fit(X, 2 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
    ...               batch_size=4, seed=0, verbose=0, callbacks=[Where()])
    epoch 1: 2 steps, 8 rows
    epoch 2: 4 steps, 8 rows
    """

    model: Sequential
    loss: Loss
    optimizer: Any
    X: Array
    Y: Array
    epochs: int
    batch_size: int
    shuffle: bool
    rng: np.random.Generator
    epoch: int = 1
    batch: int = 0
    step: int = 0
    order: Array | None = None
    loss_sum: float = 0.0
    correct: float = 0.0
    epoch_start: Array | None = None
    # (buffer, its values at the epoch's start): BatchNorm's running statistics
    epoch_buffers: list[tuple[Array, Array]] = field(default_factory=list)
    history: History = field(default_factory=History)
    stop: bool = False
    interrupted: int | None = None
    seed: Any = None
    validation: tuple[Array, Array] | None = None
    shard: Shard | None = None
    measured: tuple[int, float] = (0, 0.0)

    @property
    def m(self) -> int:
        """Samples in the training data."""
        return int(self.X.shape[0])

    @property
    def steps_per_epoch(self) -> int:
        """Batches per epoch (the last one may be smaller)."""
        return steps_per_epoch(self.m, self.batch_size)

    @property
    def classify(self) -> bool:
        """Whether the loss is a classification loss (accuracy is recorded)."""
        return isinstance(self.loss, (CrossEntropy, BinaryCrossEntropy))

    def begin_epoch(self) -> None:
        """Draw the epoch's order and reset its sums (unless resumed part way)."""
        if self.batch > 0:
            return
        shuffled = self.shuffle and self.batch_size < self.m
        self.order = self.rng.permutation(self.m) if shuffled else None
        self.loss_sum = self.correct = 0.0
        self.epoch_start = self.model.theta.copy()
        self.epoch_buffers = [
            (value, value.copy())
            for layer in self.model.layers
            for value in layer.buffers.values()
        ]

    def batches(self) -> Iterator[tuple[Array, Array]]:
        """The epoch's remaining mini-batches, in ``order`` (None: in place).

        Batches in place are slices, no copies. Shuffled batches are gathered into
        two reused buffers, so an epoch allocates nothing of the data's size and the
        data set is never copied. With a ``shard``, each batch is this process's
        part of it.
        """
        X, Y, n, order = self.X, self.Y, self.batch_size, self.order
        spans = self._spans()
        if order is None:
            for start, stop in spans:
                yield X[start:stop], Y[start:stop]
            return
        X_buf = np.empty((n, *X.shape[1:]), dtype=X.dtype)
        Y_buf = np.empty((n, *Y.shape[1:]), dtype=Y.dtype)
        for start, stop in spans:
            idx = order[start:stop]
            k = idx.shape[0]
            # mode="clip" skips a bounds check that makes take(out=...) many times
            # slower; the indices are a permutation of range(m), none out of bounds
            yield (
                X.take(idx, axis=0, out=X_buf[:k], mode="clip"),
                Y.take(idx, axis=0, out=Y_buf[:k], mode="clip"),
            )

    def _spans(self) -> Iterator[tuple[int, int]]:
        """[start, stop) of each remaining batch in the epoch (this shard's part)."""
        n, m = self.batch_size, self.m
        for start in range(self.batch * n, m, n):
            stop = min(start + n, m)
            if self.shard is not None:
                lo, hi = self.shard.rows(stop - start)
                start, stop = start + lo, start + hi
            yield start, stop

    def measure(self, Y_hat: Array, Yb: Array) -> None:
        """Take the step's counts: the rows of its batch and its correct predictions.

        They are added by ``record`` after the update; in between a callback may
        replace them (``glassnet.distributed`` puts the counts of the whole batch).
        """
        correct = count_correct(Y_hat, Yb, self.loss) if self.classify else 0.0
        self.measured = (Yb.shape[0], correct)

    def record(self, L: float) -> None:
        """Count one step of loss L (its ``logs["loss"]``) with the measured counts.

        L is the loss after the ``on_backward_end`` hooks: what a callback adds to
        ``logs["loss"]`` there (a penalty, the mean over all processes) is recorded.
        """
        rows, correct = self.measured
        self.step += 1
        self.batch += 1
        self.loss_sum += L * rows
        self.correct += correct
        self.history.step_loss.append(L)

    def epoch_logs(self) -> dict[str, float]:
        """The finished epoch's mean loss (and accuracy)."""
        logs = {"loss": self.loss_sum / self.m}
        if self.classify:
            logs["accuracy"] = self.correct / self.m
        return logs

    def next_epoch(self) -> None:
        """Move to the start of the next epoch."""
        self.epoch += 1
        self.batch = 0

    def evaluate(self, X: Array, Y: Array) -> dict[str, float]:
        """The model's loss (and accuracy) on checked data.

        With a ``shard``, each process evaluates its part of the rows and the sums
        are added over the processes: the mean over all of X, weighted by samples.
        """
        if self.shard is None:
            return evaluate(self.model, X, Y, loss=self.loss)
        lo, hi = self.shard.rows(X.shape[0])
        sums = np.zeros(2)
        if hi > lo:
            part = evaluate(self.model, X[lo:hi], Y[lo:hi], loss=self.loss)
            sums[:] = part["loss"], part.get("accuracy", 0.0)
            sums *= hi - lo
        loss_sum, correct = self.shard.total(sums) / X.shape[0]
        result = {"loss": float(loss_sum)}
        if self.classify:
            result["accuracy"] = float(correct)
        return result

    def interrupt_message(self, notes: list[str | None]) -> str:
        """What KeyboardInterrupt says: where the run stopped, and what was saved."""
        where = f"training interrupted after step {self.step} (epoch {self.epoch})"
        return "; ".join([where, *(note for note in notes if note)])

    def diverged(self, what: str) -> NoReturn:
        """Restore θ (and buffers) of the epoch's start; raise DivergenceError."""
        if self.epoch_start is not None:
            self.model.theta[...] = self.epoch_start
        for value, start in self.epoch_buffers:  # a NaN batch poisons running stats
            value[...] = start
        lr = getattr(self.optimizer, "lr", "?")
        raise DivergenceError(
            f"training diverged: {what} at step {self.step + 1} (epoch {self.epoch}). "
            f"The weights were restored to those at the start of epoch {self.epoch}. "
            f"Try a smaller learning rate than {lr}, gradient clipping (clip_norm), "
            "or check the data for extreme values.",
            self.history,
        )


def positive_batch(batch_size: int | None, m: int) -> int:
    """The batch size of a fit: m for None (full batch), never more than m."""
    return (
        m
        if batch_size is None
        else min(positive_int(batch_size, "fit's batch_size"), m)
    )
