"""The seeds' experiments as settings for the ``glassnet`` command; two narrations.

``EXPERIMENTS`` holds the reference settings of each data set (what ``glassnet demo
NAME`` and, for any option not given, ``glassnet train --data NAME`` use). ``chain`` and
``descent`` print seed D's and seed B's worked examples step by step, with the
backpropagated gradients beside central differences.

>>> EXPERIMENTS["circles"].sizes(2, 1)
[2, 25, 50, 50, 25, 1]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from glassnet.descent import gradient_descent
from glassnet.gradcheck import numerical_gradient
from glassnet.layers import Dense
from glassnet.losses import MSE
from glassnet.model import Sequential
from glassnet.optimizers import SGD

__all__ = [
    "DESCENT_RUNS",
    "DESCENT_STEPS",
    "EXPERIMENTS",
    "MNIST_PRESETS",
    "Experiment",
    "chain",
    "chain_model",
    "cnn",
    "cnn_model",
    "descent",
]


@dataclass
class Experiment:
    """Everything that defines one training run (data, network, optimisation).

    ``hidden`` are the hidden layers' widths; the input and output widths follow from
    the data. ``architecture``, when set, is a seed-A style list of layers
    (``{"input_dim", "output_dim", "activation"}``) that replaces hidden/activation/
    output. ``standardize`` scales inputs (and regression targets) with statistics of
    the training set. ``clip_norm`` caps the global norm of the gradients (``fit``'s
    clip_norm).
    """

    data: str
    title: str = ""
    n_samples: int | None = None
    noise: float | None = None
    hidden: list[int] = field(default_factory=list)
    activation: str = "relu"
    output: str = "sigmoid"
    loss: str = "bce"
    optimizer: str = "adam"
    lr: float = 0.01
    lr_decay: float = 1.0
    epochs: int = 100
    batch_size: int | None = 64
    init: str = "he"
    alpha: float = 0.01
    test_size: float = 0.2
    validation: float = 0.0
    seed: int = 0
    standardize: bool = False
    clip_norm: float | None = None
    threads: int | str = "auto"
    architecture: list[dict[str, Any]] | None = None

    def sizes(self, n_in: int, n_out: int) -> list[int]:
        """Widths of every layer, input first: [n_in, *hidden, n_out]."""
        if self.architecture is not None:
            dims = [int(spec["input_dim"]) for spec in self.architecture]
            return [*dims, int(self.architecture[-1]["output_dim"])]
        return [n_in, *self.hidden, n_out]

    def replace(self, **changes: Any) -> Experiment:
        """A copy with ``changes`` applied (None values are ignored)."""
        return dataclasses.replace(
            self, **{k: v for k, v in changes.items() if v is not None}
        )


EXPERIMENTS: dict[str, Experiment] = {
    "circles": Experiment(
        "circles",
        "seed A: two concentric circles, the 2-25-50-50-25-1 network",
        n_samples=1000,
        noise=0.1,
        hidden=[25, 50, 50, 25],
        epochs=50,
        test_size=0.2,
    ),
    "moons": Experiment(
        "moons",
        "two interleaving half moons",
        n_samples=1000,
        noise=0.1,
        hidden=[25, 50, 50, 25],
        epochs=50,
    ),
    "spirals": Experiment(
        "spirals",
        "three interleaved spiral arms, one class per arm (softmax output)",
        n_samples=900,
        noise=0.2,
        hidden=[64, 64],
        output="softmax",
        loss="ce",
        epochs=300,
    ),
    "xor": Experiment(
        "xor",
        "the XOR problem: no straight line separates the classes",
        n_samples=1000,
        noise=0.0,
        hidden=[16, 16],
        activation="tanh",
        init="xavier",
        epochs=100,
        batch_size=32,
    ),
    "area": Experiment(
        "area",
        "seed E: regression of a table's area a·b from its length a and width b",
        n_samples=1000,
        noise=0.0,
        hidden=[32, 32],
        output="identity",
        loss="mse",
        epochs=100,
        batch_size=32,
        standardize=True,
    ),
}

MNIST_PRESETS: dict[str, Experiment] = {
    "twolayer": Experiment(
        "mnist",
        "seed C's TwoLayerNet: 784-50-10, sigmoid, N(0, 0.01²) weights, SGD lr 0.1, "
        "batch 100, 17 epochs × 600 = 10 200 iterations (seed C: 10 000)",
        hidden=[50],
        activation="sigmoid",
        output="softmax",
        loss="ce",
        optimizer="sgd",
        lr=0.1,
        epochs=17,
        batch_size=100,
        init="normal",
    ),
    "best": Experiment(
        "mnist",
        "the best preset: 784-512-256-10 ReLU MLP, Adam, lr × 0.6 after each epoch",
        hidden=[512, 256],
        activation="relu",
        output="softmax",
        loss="ce",
        optimizer="adam",
        lr=1e-3,
        lr_decay=0.6,
        epochs=6,
        batch_size=128,
    ),
}
EXPERIMENTS["mnist"] = MNIST_PRESETS["twolayer"]


# ---- seed D: the chain of three weights ---------------------------------------------
def chain_model(w: Sequence[float]) -> Sequential:
    """Seed D's network: three 1 → 1 Dense maps without bias, weights w, float64."""
    return Sequential(
        [Dense(1, 1, bias=False, init=[[wi]], dtype=np.float64) for wi in w]
    )


def _loss_of(model: Sequential, X: np.ndarray, T: np.ndarray, loss: MSE) -> Any:
    """L as a function of the (perturbed in place) weights, for numerical_gradient."""
    return lambda _: model.forward_loss(X, T, loss)[0]


def _train_chain(
    w: tuple[float, float, float],
    epochs: int,
    lr: float,
    out: TextIO | None,
    show: set[int] | None = None,
) -> tuple[Sequential, float, list[float]]:
    """Per-sample SGD on seed D's two samples.

    Returns:
        The model, max |backprop − numerical| and the loss of every update.
    """
    model, loss, opt = chain_model(w), MSE(), SGD(lr)
    samples = [(1.0, -1.0), (-1.0, 1.0)]
    worst = 0.0
    losses: list[float] = []
    for epoch in range(1, epochs + 1):
        for x, t in samples:
            X, T = np.array([[x]]), np.array([[t]])
            L, _ = model.loss_and_gradients(X, T, loss)
            losses.append(float(L))
            backprop = [float(dW[0, 0]) for _, _, dW in model.parameters()]

            numeric = [
                float(numerical_gradient(_loss_of(model, X, T, loss), W)[0, 0])
                for _, W, _ in model.parameters()
            ]
            worst = max(
                worst, *(abs(a - b) for a, b in zip(backprop, numeric, strict=True))
            )
            if out is not None and show is not None and epoch in show:
                pairs = "  ".join(
                    f"{a:+.8f} {b:+.8f}" for a, b in zip(backprop, numeric, strict=True)
                )
                print(f"{epoch:5d}  {x:+.0f}  {L:.6f}  {pairs}", file=out)
            opt.step(model)  # every gradient first, then every update (the correction)
    return model, worst, losses


def chain(out: TextIO, epochs: int = 160, lr: float = 0.05) -> dict[str, Any]:
    """Seed D: learn e = −x with y = w1·x, z = w2·y, e = w3·z, L = ½ (e − ê)².

    Prints, for chosen epochs, each sample's loss and every weight's gradient from
    backpropagation beside its central difference (ε = 1e-4); then the weights and the
    predictions sign(e). Returns the final numbers, and in "step_loss" the loss of
    each of the 2 · epochs updates.
    """
    w0 = (0.2333, -0.233, -0.52133)
    n_epochs = f"{epochs} epoch" + ("" if epochs == 1 else "s")
    print(
        "seed D: three weights in a chain, y = w1·x, z = w2·y, e = w3·z, "
        "L = ½ (e − ê)²",
        file=out,
    )
    print(
        f"samples x = +1 → ê = −1 and x = −1 → ê = +1; lr {lr}, {n_epochs}, one "
        f"sample per update; start w = {w0}",
        file=out,
    )
    print(
        "every gradient is computed before any weight changes (the seed's code "
        "updated w3 first),\nso backprop and central differences agree:\n",
        file=out,
    )
    header = "  ".join(f"dL/dw{i} backprop  numerical " for i in (1, 2, 3))
    print(f"epoch   x  loss      {header}".rstrip(), file=out)
    show = {1, 2, 3} | set(range(20, epochs + 1, 20)) | {epochs}
    model, worst, losses = _train_chain(w0, epochs, lr, out, show)
    w = [float(W[0, 0]) for _, W, _ in model.parameters()]
    e_pos = float(model.predict(np.array([[1.0]]))[0, 0])
    e_neg = float(model.predict(np.array([[-1.0]]))[0, 0])
    print(
        f"\nafter {n_epochs}: w1 = {w[0]:+.5f}, w2 = {w[1]:+.5f}, "
        f"w3 = {w[2]:+.5f}  (w1·w2·w3 = {w[0] * w[1] * w[2]:+.5f}, target −1)",
        file=out,
    )
    print(
        f"predict(+1) = sign({e_pos:+.4f}) = {np.sign(e_pos):+.0f}   "
        f"predict(−1) = sign({e_neg:+.4f}) = {np.sign(e_neg):+.0f}",
        file=out,
    )
    print(f"largest |backprop − numerical| over all updates: {worst:.1e}", file=out)
    same, _, _ = _train_chain((0.2333, 0.2333, 0.2333), epochs, lr, None)
    e_same = float(same.predict(np.array([[1.0]]))[0, 0])
    print(
        f"with w1 = w2 = w3 = 0.2333 instead: e(+1) = {e_same:+.4f} after {n_epochs} "
        "— the equal weights stay equal and their gradients ∝ w² vanish, so it "
        "fails to learn.",
        file=out,
    )
    return {
        "w1": w[0],
        "w2": w[1],
        "w3": w[2],
        "e_pos": e_pos,
        "e_neg": e_neg,
        "max_gradient_difference": worst,
        "e_pos_equal_start": e_same,
        "step_loss": losses,
    }


# ---- seed B: descent on f(x, y) = x² + y² -------------------------------------------
# (learning rate, steps) of the three descents that ``descent`` prints, from (−5, −5).
DESCENT_RUNS: tuple[tuple[float, int], ...] = ((0.5, 5), (0.1, 8), (1.05, 5))
# the steps of a descent at a learning rate the user chose (``demo descent --lr``)
DESCENT_STEPS = 10


def _f(p: np.ndarray) -> float:
    return float(p[0] ** 2 + p[1] ** 2)


def _descent_table(out: TextIO, lr: float, path: np.ndarray) -> None:
    print(
        f"\nlr {lr}: step  (x, y)                 f(x, y)     "
        "∇f = (2x, 2y)            numerical ∇f",
        file=out,
    )
    for k, p in enumerate(path):
        num = numerical_gradient(_f, p.copy())
        print(
            f"      {k:4d}  ({p[0]:+8.4f}, {p[1]:+8.4f})  {_f(p):10.4f}  "
            f"({2 * p[0]:+8.4f}, {2 * p[1]:+8.4f})  ({num[0]:+8.4f}, {num[1]:+8.4f})",
            file=out,
        )


def descent(
    out: TextIO, runs: Sequence[tuple[float, int]] = DESCENT_RUNS
) -> dict[str, list[float]]:
    """Seed B: gradient descent on f(x, y) = x² + y² from (−5, −5), step by step.

    With lr 0.5 one step lands on the minimum (0, 0), where the gradient is the zero
    vector and descent stops; lr 0.1 creeps towards it; lr 1.05 overshoots and
    diverges (seed A: too large a learning rate does not converge). ``runs`` replaces
    these three (lr, steps) pairs; each step multiplies (x, y) by 1 − 2·lr.

    Returns:
        The end point of each run, keyed "lr <lr>".
    """
    # every path first: a descent that fails (DescentError) prints nothing
    paths = [
        gradient_descent(_f, [-5.0, -5.0], lr=lr, steps=steps, grad=lambda p: 2 * p)
        for lr, steps in runs
    ]
    print("seed B: gradient descent on f(x, y) = x² + y², start (−5, −5)", file=out)
    print("update (x, y) := (x, y) − lr · ∇f(x, y)", file=out)
    ends = {}
    for (lr, _), path in zip(runs, paths, strict=True):
        _descent_table(out, lr, path)
        ends[f"lr {lr}"] = path[-1].tolist()
    if tuple(runs) == DESCENT_RUNS:
        print(
            "\nlr 0.5 reaches (0, 0) in one step and stops (zero gradient); lr 0.1 "
            "shrinks the distance by 0.8 a step; lr 1.05 multiplies it by −1.1 and "
            "diverges.",
            file=out,
        )
    else:
        for lr, _ in runs:
            factor = 1 - 2 * lr
            verdict = (
                "reaches (0, 0) in one step"
                if factor == 0
                else "converges"
                if abs(factor) < 1
                else "never moves closer"
                if abs(factor) == 1
                else "diverges"
            )
            print(
                f"\nlr {lr:g}: each step multiplies the distance to (0, 0) by "
                f"1 − 2·lr = {factor:+g}, so the descent {verdict}.",
                file=out,
            )
    return ends


# ---- issue 12: a LeNet-like convolutional network on MNIST --------------------------
def cnn_model(seed: int = 0) -> Sequential:
    """The ``demo cnn`` network: two 5×5 convolutions, max-pooling, a Dense head.

    conv 1→16 5×5 pad 2, ReLU, max-pool 2 → (16, 14, 14); conv 16→32 5×5 pad 2,
    ReLU, max-pool 2 → (32, 7, 7); Flatten → 1568; Dense 1568→128, ReLU, Dropout
    0.25; Dense 128→10, softmax. He initialisation, float32.

    >>> cnn_model().shapes[-1], cnn_model().shapes[7]   # the output, after Flatten
    ((10,), (1568,))
    """
    from glassnet.layers import Conv2D, Dropout, Flatten, MaxPool2D, ReLU, Softmax

    return Sequential(
        [
            Conv2D(1, 16, 5, padding=2, rng=seed),
            ReLU(),
            MaxPool2D(2),
            Conv2D(16, 32, 5, padding=2, rng=seed + 1),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(32 * 7 * 7, 128, rng=seed + 2),
            ReLU(),
            Dropout(0.25, rng=seed + 3),
            Dense(128, 10, rng=seed + 4),
            Softmax(),
        ],
        input_shape=(1, 28, 28),
    )


def cnn(
    out: TextIO,
    *,
    epochs: int = 4,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    data_dir: str | None = None,
    verbose: int = 1,
    subset: int | None = None,
    plots: str | None = None,
    dpi: float = 100,
) -> dict[str, Any]:
    """Train ``cnn_model`` on MNIST with Adam (lr × 0.6 after each epoch) and report.

    The images are used as (m, 1, 28, 28) views of the loaded pixels (no copy).
    Prints the network, the test accuracy after each epoch and at the end, and the
    training time. The test set is evaluated 500 images at a time: a CNN's
    activations for a batch of thousands take gigabytes.

    Args:
        out: where the report goes.
        epochs: passes over the training images.
        batch_size: images per step.
        lr: Adam's initial learning rate.
        seed: seed of the initial weights, the dropout masks and the order.
        data_dir: the folder with the MNIST files (default ``mnist_dir()``).
        verbose: fit's progress bar (1) or nothing (0).
        subset: train and test on the first ``subset`` images of each set only (a
            quick look, or a test); None uses them all.
        plots: a folder for the figures of the trained network (its first kernels,
            the first test digit's feature maps); None draws none.
        dpi: the figures' resolution.

    Returns:
        {"model", "test_accuracy", "test_loss", "seconds", "history"}, and
        "figures" (the paths written) with ``plots``.
    """
    import time

    from glassnet.callbacks import Callback, LearningRateSchedule
    from glassnet.datasets import load_mnist
    from glassnet.losses import CrossEntropy
    from glassnet.optimizers import Adam

    (X_train, y_train), (X_test, y_test) = load_mnist(data_dir, flatten=False)
    X_train = X_train[:subset].reshape(-1, 1, 28, 28)
    X_test = X_test[:subset].reshape(-1, 1, 28, 28)
    y_train, y_test = y_train[:subset], y_test[:subset]
    model = cnn_model(seed)
    loss = CrossEntropy()

    class TestAccuracy(Callback):
        """After each epoch: the test accuracy, on its own line."""

        def on_epoch_end(self, epoch: int, model: Sequential, logs: Any) -> None:
            test = model.evaluate(X_test, y_test, loss=loss, batch_size=500)
            print(
                f"epoch {epoch}: test accuracy {100 * test['accuracy']:.2f} %",
                file=out,
                flush=True,
            )

    print(
        f"demo cnn — a LeNet-like network on MNIST: {X_train.shape[0]} training and "
        f"{X_test.shape[0]} test images, Adam lr {lr:g} × 0.6 per epoch, batch "
        f"{batch_size}, {epochs} epochs, seed {seed}",
        file=out,
    )
    print(model.summary(), file=out)
    start = time.perf_counter()
    history = model.fit(
        X_train,
        y_train,
        loss=loss,
        optimizer=Adam(lr),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        callbacks=[LearningRateSchedule.exponential(0.6), TestAccuracy()],
        verbose=verbose,
        threads="auto",  # as the MLP demos: one BLAS thread while a core is busy
    )
    seconds = time.perf_counter() - start
    test = model.evaluate(X_test, y_test, loss=loss, batch_size=500)
    print(
        f"test accuracy {100 * test['accuracy']:.2f} %  (loss {test['loss']:.4f})   "
        f"time {seconds:.1f} s for {epochs} epochs (test accuracy after each "
        "epoch included)",
        file=out,
    )
    result: dict[str, Any] = {
        "model": model,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "seconds": seconds,
        "history": history,
    }
    if plots is not None:  # matplotlib only when figures are asked for
        from glassnet.plots.conv import write_conv_figures

        result["figures"] = write_conv_figures(model, X_test[0], plots, dpi=dpi)
        for path in result["figures"]:
            print(f"wrote     {path}", file=out)
    return result
