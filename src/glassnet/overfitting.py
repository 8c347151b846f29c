"""Seed C's lesson on generalisation: over-fitting a small training set, and its cures.

``overfitting`` trains one network four times on a small subset of MNIST — plain,
with L2 (the optimizer's ``weight_decay``), with dropout (``Dropout`` layers on the
inputs and after the hidden ReLU) and with L1 (``L1Penalty``) — and records
after every epoch the *data* loss and accuracy on the training subset and on held-out
test images. Trained plain, the network soon fits its 1 000 images perfectly: the
training loss goes on falling towards 0 while the test loss turns and rises — the gap
opens, the network learns its training set rather than digits. A penalty on large
weights, or dropping random hidden units at every step (so that no unit can rely on
another to memorise an image), keeps the test loss down and the gap smaller.
``glassnet demo overfitting``
prints the table (and, with ``--plots``, draws the curves side by side).

The recorded losses are data losses (cross-entropy only) in inference mode (no units
dropped), so the runs compare: the L1 run's history "loss" also holds its penalty,
and the dropout run's the loss of its thinned networks; these curves hold neither.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet.callbacks import Callback
from glassnet.layers import Dense, Dropout, Layer, ReLU, Softmax
from glassnet.losses import CrossEntropy
from glassnet.model import Sequential
from glassnet.optimizers import Momentum
from glassnet.penalty import L1Penalty
from glassnet.run import evaluate

if TYPE_CHECKING:
    from glassnet.run import History

__all__ = ["REGULARISERS", "Curves", "OverfittingRun", "overfitting"]

Array = NDArray[Any]

# name → (weight decay (L2) of the optimizer, λ of the L1 penalty, dropout's p of
# the inputs and of the hidden units); found by trying a few values on the default
# subset: the strongest that still fits it (≥ 99 %). Dropout's pair is Hinton et
# al.'s usual one: on the hidden units alone (p 0.5) the gap narrowed less (0.55
# against plain's 0.65; with the inputs' 0.2 too, 0.42–0.48 by the masks' seed).
REGULARISERS: dict[str, tuple[float, float, float, float]] = {
    "plain": (0.0, 0.0, 0.0, 0.0),
    "L2": (1e-2, 0.0, 0.0, 0.0),
    "dropout": (0.0, 0.0, 0.2, 0.5),
    "L1": (0.0, 3e-4, 0.0, 0.0),
}


class Curves(Callback):
    """Data loss and accuracy of the training set and the test set after each epoch.

    Evaluated in inference mode (``evaluate``), the same way for every run, so a
    penalty never enters these numbers.
    """

    def __init__(self, train: tuple[Array, Array], test: tuple[Array, Array]) -> None:
        self.train, self.test = train, test
        self.values: dict[str, list[float]] = {
            k: []
            for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
        }

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Evaluate both sets."""
        for name, (X, y) in (("train", self.train), ("test", self.test)):
            result = evaluate(model, X, y, loss=CrossEntropy())
            self.values[f"{name}_loss"].append(result["loss"])
            self.values[f"{name}_accuracy"].append(result["accuracy"])


@dataclass
class OverfittingRun:
    """One of the trainings: its settings, curves and final numbers."""

    name: str
    weight_decay: float
    l1: float
    dropout: tuple[float, float] = (0.0, 0.0)  # p of the inputs, of the hidden units
    curves: dict[str, list[float]] = field(default_factory=dict)
    history: History | None = None
    seconds: float = 0.0

    @property
    def gap(self) -> float:
        """Final test loss − final training loss: how much worse unseen data does."""
        return self.curves["test_loss"][-1] - self.curves["train_loss"][-1]


def network(seed: int, dropout: tuple[float, float] = (0.0, 0.0)) -> Sequential:
    """The lesson's network: 784 → 128 ReLU → 10 softmax, seeded.

    ``dropout`` = (p_in, p_hidden): a Dropout(p_in) layer before the first Dense and
    a Dropout(p_hidden) after the ReLU, each where its p > 0. The masks have seeds of
    their own, so the weights start the same with and without them.
    """
    rng = np.random.default_rng(seed)
    p_in, p_hidden = dropout
    layers: list[Layer] = []
    if p_in:
        layers.append(Dropout(p_in, rng=np.random.default_rng([seed, 1])))
    layers += [Dense(784, 128, rng=rng), ReLU()]
    if p_hidden:
        layers.append(Dropout(p_hidden, rng=np.random.default_rng([seed, 2])))
    return Sequential([*layers, Dense(128, 10, rng=rng), Softmax()])


def overfitting(
    X_train: Array,
    y_train: Array,
    X_test: Array,
    y_test: Array,
    *,
    n_train: int = 1000,
    n_test: int = 2000,
    epochs: int = 40,
    seed: int = 0,
    out: TextIO | None = None,
) -> list[OverfittingRun]:
    """Train plain, with L2, dropout and L1 on ``n_train`` images; return the runs.

    Args:
        X_train: MNIST's training images (m, 784), pixels in [0, 1].
        y_train: their labels (m,).
        X_test: the test images.
        y_test: their labels.
        n_train: the size of the training subset (drawn with ``seed``).
        n_test: test images evaluated after every epoch (the first ``n_test``).
        epochs: passes over the subset (SGD with momentum 0.9, lr 0.05, batch 50).
        seed: seed of the subset, the initial weights (the same for every run) and
            the shuffling.
        out: where to print the table (None: nothing printed).

    Returns:
        One OverfittingRun per entry of ``REGULARISERS``, in its order.
    """
    rng = np.random.default_rng(seed)
    pick = rng.permutation(X_train.shape[0])[:n_train]
    train = (X_train[pick], y_train[pick])
    test = (X_test[:n_test], y_test[:n_test])
    runs = []
    for name, (wd, lam, p_in, p_hidden) in REGULARISERS.items():
        run = OverfittingRun(name, wd, lam, (p_in, p_hidden))
        curves = Curves(train, test)
        callbacks: list[Callback] = [curves]
        if lam:
            callbacks.insert(0, L1Penalty(lam))
        start = time.perf_counter()
        run.history = network(seed, run.dropout).fit(
            *train, loss=CrossEntropy(), optimizer=Momentum(0.05, 0.9, weight_decay=wd),
            epochs=epochs, batch_size=50, seed=seed, callbacks=callbacks, verbose=0,
        )  # fmt: skip
        run.seconds = time.perf_counter() - start
        run.curves = curves.values
        runs.append(run)
        if out is not None:
            _print_run(run, out, first=len(runs) == 1, n=(n_train, n_test))
    return runs


def _print_run(
    run: OverfittingRun, out: TextIO, first: bool, n: tuple[int, int]
) -> None:
    c = run.curves
    best = int(np.argmin(c["test_loss"]))
    if first:
        print(
            f"{n[0]} training images, {n[1]} test images; data losses (cross-entropy, "
            "no penalty) after the last epoch",
            file=out,
        )
        print(
            "run     setting              train loss  test loss (best, epoch)  gap    "
            "train acc  test acc  time",
            file=out,
        )
    setting = (
        f"weight_decay={run.weight_decay:g}" if run.weight_decay
        else f"L1Penalty({run.l1:g})" if run.l1
        else "Dropout {:g} / {:g}".format(*run.dropout) if any(run.dropout)
        else "—"
    )  # fmt: skip
    print(
        f"{run.name:<7} {setting:<20} {c['train_loss'][-1]:<11.4f} "
        f"{c['test_loss'][-1]:.4f} ({c['test_loss'][best]:.4f}, {best + 1:>2})      "
        f"{run.gap:<6.3f} {c['train_accuracy'][-1]:<10.2%} "
        f"{c['test_accuracy'][-1]:<9.2%} {run.seconds:.1f} s",
        file=out,
    )
