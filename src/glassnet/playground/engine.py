"""The network of a playground run and its training step, on glassnet's public API.

One step is the seeds' loop plus the regularisation penalty, which the playground
applies to the weights W only (TensorFlow Playground's choice; biases are free)::

    L, Ŷ = model.loss_and_gradients(X_batch, Y_batch, loss)
    dW  += λ · sign(W)     (L1, penalty λ · Σ|W|)
    dW  += λ · W           (L2, penalty λ/2 · Σ W²)
    optimizer.step(model)

The penalty is added here rather than through an optimizer's ``weight_decay``
because weight decay would also shrink the biases, and because the same code then
serves every optimizer. The exported script writes the same lines out.

>>> model, loss = build_model("tanh", [3], n_in=2, n_out=1, task="binary", seed=0)
>>> [type(layer).__name__ for layer in model.layers]
['Dense', 'Tanh', 'Dense', 'Sigmoid']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers import Dense, Identity, Layer, ReLU, Sigmoid, Softmax, Tanh
from glassnet.losses import MSE, BinaryCrossEntropy, CrossEntropy, Loss
from glassnet.model import Sequential
from glassnet.optimizers import SGD, Adam, Momentum, Optimizer, RMSProp

__all__ = [
    "ACTIVATION_LAYERS",
    "OPTIMIZER_CLASSES",
    "build_model",
    "dense_layers",
    "make_optimizer",
    "penalize",
    "penalty",
]

Array = NDArray[Any]
ACTIVATION_LAYERS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "linear": Identity,
}
OPTIMIZER_CLASSES: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def build_model(
    activation: str,
    hidden: Sequence[int],
    *,
    n_in: int,
    n_out: int,
    task: str,
    seed: int,
) -> tuple[Sequential, Loss]:
    """The MLP n_in → hidden… → n_out and its loss; Xavier weights drawn from ``seed``.

    Args:
        activation: a key of ``ACTIVATION_LAYERS``, for every hidden layer.
        hidden: the widths of the hidden layers.
        n_in: the number of input features.
        n_out: 1 for "binary" and "regression", the number of classes for "multiclass".
        task: "binary" (Sigmoid + BinaryCrossEntropy), "multiclass" (Softmax +
            CrossEntropy) or "regression" (Identity + MSE).
        seed: one Generator from it draws every layer's weights, first to last.
    """
    rng = np.random.default_rng(seed)
    widths = [n_in, *hidden]
    layers: list[Layer] = []
    for a, b in itertools.pairwise(widths):
        layers += [Dense(a, b, init="xavier", rng=rng), ACTIVATION_LAYERS[activation]()]
    layers.append(Dense(widths[-1], n_out, init="xavier", rng=rng))
    if task == "binary":
        return Sequential([*layers, Sigmoid()]), BinaryCrossEntropy()
    if task == "multiclass":
        return Sequential([*layers, Softmax()]), CrossEntropy()
    return Sequential([*layers, Identity()]), MSE()


def dense_layers(model: Sequential) -> list[Dense]:
    """The model's Dense layers, first to last."""
    return [layer for layer in model.layers if isinstance(layer, Dense)]


def make_optimizer(name: str, lr: float) -> Optimizer:
    """A new optimizer of the given name (a key of ``OPTIMIZER_CLASSES``)."""
    return OPTIMIZER_CLASSES[name](lr=lr)


def penalty(model: Sequential, kind: str, rate: float) -> float:
    """The regularisation term of the loss: λ Σ|W| (l1), λ/2 Σ W² (l2), or 0."""
    if kind == "none" or rate == 0:
        return 0.0
    total = 0.0
    for layer in dense_layers(model):
        W = layer.W.astype(np.float64)
        total += float(np.abs(W).sum()) if kind == "l1" else 0.5 * float((W * W).sum())
    return rate * total


def penalize(model: Sequential, kind: str, rate: float) -> None:
    """Add the penalty's gradient to every weight gradient dW, in place (not to db)."""
    if kind == "none" or rate == 0:
        return
    for name, W, dW in model.parameters():
        if name.endswith(".W"):
            dW += rate * (np.sign(W) if kind == "l1" else W)
