"""How far back a recurrent layer remembers: RNN against LSTM on the adding problem.

``memory`` trains the same small network twice for each sequence length T — once
with a tanh ``RNN`` and once with an ``LSTM`` as its recurrent layer, with the same
data, settings and seed — on ``make_adding``: the sum of two marked numbers, one of
which lies in the first half of the sequence. On short sequences both learn it. On
long ones the RNN's gradient through T steps of tanh and W_hh fades, it never finds
the first marked number and stays at the baseline (always predicting the mean sum);
the LSTM's cell state carries the number across (c_t = f ⊙ c_{t−1} + i ⊙ g) and it
learns. ``glassnet demo rnn`` prints the table (and, with ``--plots``, the hidden
state over time and the learning curves).

>>> sequence_model("lstm", 10, n_hidden=4).shapes
[(10, 2), (4,), (1,)]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet.callbacks import Callback
from glassnet.datasets.sequences import make_adding
from glassnet.layers import LSTM, RNN, Dense
from glassnet.losses import MSE
from glassnet.model import Sequential
from glassnet.optimizers import Adam
from glassnet.threads import blas_controller

if TYPE_CHECKING:
    from glassnet.run import History

__all__ = ["CELLS", "LENGTHS", "TOLERANCE", "SequenceRun", "memory", "sequence_model"]

Array = NDArray[Any]

CELLS = {"rnn": RNN, "lstm": LSTM}
# T = 10: both cells learn; T = 50: only the LSTM does (RNN at the baseline), with
# the default settings on a few seeds tried.
LENGTHS = (10, 50)
# a prediction within this of the true sum counts as right (for the accuracy)
TOLERANCE = 0.1


@dataclass
class SequenceRun:
    """One training: the cell, the length, its curves and final numbers.

    Losses are glassnet's MSE, ½·mean((ŷ − y)²); ``baseline_loss`` is that of always
    predicting the training targets' mean, the best a network without memory can do.
    """

    cell: str
    length: int
    model: Sequential
    test_loss: list[float] = field(default_factory=list)  # after every epoch
    history: History | None = None
    seconds: float = 0.0
    train_loss: float = 0.0
    accuracy: float = 0.0
    baseline_loss: float = 0.0
    baseline_accuracy: float = 0.0

    @property
    def r2(self) -> float:
        """1 − test loss / baseline loss: the part of the sums' variance explained."""
        return 1.0 - self.test_loss[-1] / self.baseline_loss

    @property
    def learnt(self) -> bool:
        """Whether the network explains more than half of the variance (R² > 0.5)."""
        return self.r2 > 0.5


def sequence_model(
    cell: str, length: int, *, n_hidden: int = 32, seed: int = 0
) -> Sequential:
    """The demo's network: ``cell`` (2 → n_hidden) over T steps, then Dense → 1.

    Args:
        cell: "rnn" (tanh Elman cell) or "lstm".
        length: T, the sequence length the model is told (``input_shape``).
        n_hidden: size of the hidden state.
        seed: seed of the initial weights (the Dense head's is seed + 1).
    """
    if cell not in CELLS:
        raise ValueError(
            f"sequence_model's cell must be one of {', '.join(CELLS)}; got {cell!r}."
        )
    layer = CELLS[cell](2, n_hidden, rng=seed)
    return Sequential(
        [layer, Dense(n_hidden, 1, rng=seed + 1)], input_shape=(length, 2)
    )


class _TestLoss(Callback):
    """The test loss after every epoch (inference mode)."""

    def __init__(self, X: Array, y: Array, values: list[float]) -> None:
        self.X, self.y, self.values = X, y, values

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Evaluate the test set."""
        self.values.append(model.evaluate(self.X, self.y, loss=MSE())["loss"])


def _scores(model: Sequential, X: Array, y: Array, mean: float) -> tuple[float, ...]:
    """(loss, accuracy) of the model and (loss, accuracy) of predicting ``mean``."""
    error = model.predict(X)[:, 0].astype(np.float64) - y
    base = mean - y.astype(np.float64)
    return (
        float(0.5 * np.mean(error**2)),
        float(np.mean(np.abs(error) < TOLERANCE)),
        float(0.5 * np.mean(base**2)),
        float(np.mean(np.abs(base) < TOLERANCE)),
    )


def memory(
    *,
    lengths: Sequence[int] = LENGTHS,
    cells: Sequence[str] = ("rnn", "lstm"),
    n_train: int = 4000,
    n_test: int = 1000,
    epochs: int = 10,
    n_hidden: int = 32,
    lr: float = 0.01,
    batch_size: int = 50,
    seed: int = 0,
    out: TextIO | None = None,
) -> list[SequenceRun]:
    """Train each cell on the adding problem of each length; return the runs.

    Every run of one length sees the same data (drawn from ``seed``), the same
    initial Dense head, Adam with the same ``lr``, the same batches: only the
    recurrent cell differs.

    Args:
        lengths: the sequence lengths T to try.
        cells: "rnn", "lstm" or both, in the order trained and printed.
        n_train: training sequences per length.
        n_test: test sequences per length (drawn apart from the training ones).
        epochs: passes over the training sequences.
        n_hidden: size of the hidden state of both cells.
        lr: Adam's learning rate.
        batch_size: sequences per step.
        seed: seed of the data, the initial weights and the shuffling.
        out: where to print the table (None: nothing printed).

    Returns:
        One SequenceRun per (length, cell), lengths outer.
    """
    # one BLAS thread: the products of a step are tiny ((m, h) @ (h, 4h)), and on a
    # busy machine two threads waiting on each other made an epoch 6× slower
    blas = blas_controller()
    with nullcontext() if blas is None else blas.limit(limits=1):
        return _train_all(
            lengths, cells, n_train, n_test, epochs, n_hidden, lr, batch_size, seed,
            out,
        )  # fmt: skip


def _train_all(
    lengths: Sequence[int],
    cells: Sequence[str],
    n_train: int,
    n_test: int,
    epochs: int,
    n_hidden: int,
    lr: float,
    batch_size: int,
    seed: int,
    out: TextIO | None,
) -> list[SequenceRun]:
    """The loop of ``memory``, which documents the arguments."""
    runs = []
    for k, T in enumerate(lengths):
        rng = np.random.default_rng([seed, k])
        X, y = make_adding(n_train, T, seed=rng)
        X_test, y_test = make_adding(n_test, T, seed=rng)
        mean = float(y.mean())
        for cell in cells:
            model = sequence_model(cell, T, n_hidden=n_hidden, seed=seed)
            run = SequenceRun(cell, T, model)
            start = time.perf_counter()
            run.history = model.fit(
                X, y, loss=MSE(), optimizer=Adam(lr), epochs=epochs,
                batch_size=batch_size, seed=seed, verbose=0,
                callbacks=[_TestLoss(X_test, y_test, run.test_loss)],
            )  # fmt: skip
            run.seconds = time.perf_counter() - start
            run.train_loss = model.evaluate(X, y, loss=MSE())["loss"]
            (_, run.accuracy, run.baseline_loss, run.baseline_accuracy) = _scores(
                model, X_test, y_test, mean
            )
            runs.append(run)
            if out is not None:
                _print_run(run, out, first=len(runs) == 1)
    return runs


def _print_run(run: SequenceRun, out: TextIO, first: bool) -> None:
    if first:
        print(
            f"test losses ½·mean((ŷ − y)²); R² = 1 − loss / baseline loss; accuracy: "
            f"|ŷ − y| < {TOLERANCE:g}; baseline: always the mean sum",
            file=out,
        )
        print(
            "   T  cell  train loss  test loss  R²      accuracy  baseline loss  "
            "baseline acc  time",
            file=out,
        )
    print(
        f"{run.length:>4}  {run.cell:<4}  {run.train_loss:<10.4f}  "
        f"{run.test_loss[-1]:<9.4f}  {run.r2:<+6.3f}  {run.accuracy:<8.1%}  "
        f"{run.baseline_loss:<13.4f}  {run.baseline_accuracy:<12.1%}  "
        f"{run.seconds:.1f} s",
        file=out,
        flush=True,
    )
