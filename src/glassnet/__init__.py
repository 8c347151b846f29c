"""glassnet: a neural-network engine on NumPy; every formula of learning is visible.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Dense(2, 4, rng=0), gn.ReLU(), gn.Dense(4, 1, rng=1),
...                        gn.Sigmoid()])
>>> model.forward(np.zeros((3, 2))).shape
(3, 1)
"""

from __future__ import annotations

import importlib
from typing import Any

from glassnet import activations, init
from glassnet.callbacks import (
    Callback,
    DivergenceGuard,
    EarlyStopping,
    EveryNSteps,
    GradientClipping,
    LearningRateSchedule,
    ProgressBar,
    Validation,
    clip_gradients,
)
from glassnet.descent import gradient_descent
from glassnet.explain import explain
from glassnet.gradcheck import (
    GradientCheckError,
    check_gradients,
    numerical_gradient,
    relative_error,
)
from glassnet.io import load, save
from glassnet.layers import (
    LSTM,
    RNN,
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Sigmoid,
    Softmax,
    Standardize,
    Tanh,
    Unstandardize,
)
from glassnet.losses import MSE, BinaryCrossEntropy, CrossEntropy, Loss
from glassnet.model import Sequential
from glassnet.optimizers import SGD, Adam, Momentum, Optimizer, RMSProp
from glassnet.penalty import L1Penalty
from glassnet.recovery import BackupAndRestore, Interrupts
from glassnet.run import DivergenceError, History, Run, accuracy, evaluate
from glassnet.training import fit

__version__ = "0.1.0"

__all__ = [
    "LSTM",
    "MSE",
    "RNN",
    "SGD",
    "Adam",
    "AvgPool2D",
    "BackupAndRestore",
    "BatchNorm1D",
    "BatchNorm2D",
    "BinaryCrossEntropy",
    "Callback",
    "Conv2D",
    "CrossEntropy",
    "Dense",
    "DivergenceError",
    "DivergenceGuard",
    "Dropout",
    "EarlyStopping",
    "EveryNSteps",
    "Flatten",
    "GradientCheckError",
    "GradientClipping",
    "History",
    "Identity",
    "Interrupts",
    "L1Penalty",
    "Layer",
    "LeakyReLU",
    "LearningRateSchedule",
    "Loss",
    "MaxPool2D",
    "Momentum",
    "Optimizer",
    "ProgressBar",
    "RMSProp",
    "ReLU",
    "Run",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Standardize",
    "Tanh",
    "Unstandardize",
    "Validation",
    "accuracy",
    "activations",
    "check_gradients",
    "clip_gradients",
    "evaluate",
    "explain",
    "fit",
    "gradient_descent",
    "init",
    "load",
    "numerical_gradient",
    "relative_error",
    "save",
]

# Submodules loaded on first use: plots pulls in matplotlib, which most runs never need
# (distributed imports mpi4py only when it is called).
_LAZY = ("datasets", "plots", "io", "distributed")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"glassnet.{name}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
