"""Layers: the unit of mathematics, one module per family.

Each layer owns its forward formula, caches exactly what its backward reads, and owns
its backward formula; the contract is in ``glassnet.layers.base``. A batch has one
sample per row: ``X`` is ``(m, n_in)`` for a Dense layer.

>>> import numpy as np
>>> layer = Dense(2, 1, init=[[1.0, 2.0]])
>>> layer.forward(np.array([[3.0, 4.0]], dtype=np.float32))
array([[11.]], dtype=float32)
"""

from glassnet.layers.activation import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from glassnet.layers.base import Layer, ParameterDict, as_float_array
from glassnet.layers.conv import Conv2D
from glassnet.layers.dense import Dense
from glassnet.layers.dropout import Dropout
from glassnet.layers.normalization import BatchNorm1D, BatchNorm2D
from glassnet.layers.pooling import AvgPool2D, Flatten, MaxPool2D
from glassnet.layers.recurrent import LSTM, RNN
from glassnet.layers.standardize import Standardize, Unstandardize

__all__ = [
    "LSTM",
    "RNN",
    "AvgPool2D",
    "BatchNorm1D",
    "BatchNorm2D",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "Layer",
    "LeakyReLU",
    "MaxPool2D",
    "ParameterDict",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Standardize",
    "Tanh",
    "Unstandardize",
    "as_float_array",
]
