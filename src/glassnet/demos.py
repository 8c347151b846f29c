"""The seeds' experiments as settings for the ``glassnet`` command.

``EXPERIMENTS`` holds the reference settings of each data set (what ``glassnet demo
NAME`` and, for any option not given, ``glassnet train --data NAME`` use). The other
demos live beside it and are re-exported here: ``chain`` and ``descent``, seed D's and
seed B's worked examples printed step by step (``glassnet._narrations``), and ``cnn``,
a LeNet-like network on MNIST (``glassnet._cnn_demo``).

>>> EXPERIMENTS["circles"].sizes(2, 1)
[2, 25, 50, 50, 25, 1]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from glassnet._cnn_demo import cnn, cnn_model
from glassnet._narrations import (
    DESCENT_RUNS,
    DESCENT_STEPS,
    chain,
    chain_model,
    descent,
)

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
