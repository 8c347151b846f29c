"""Data: the seeds' toy problems, MNIST from its IDX files, and the usual helpers.

NumPy only: ``toy`` generates the problems in the plane (circles, moons, spirals, XOR,
rectangle areas), ``sequences`` the adding problem for recurrent layers, ``prep``
splits, encodes, scales and batches, ``mnist`` reads the digits. Everything
is available from ``glassnet.datasets`` directly.

>>> X, y = make_circles(n_samples=6, noise=0.0, factor=0.5, seed=0)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=2, seed=0)
>>> X_train.shape, X_test.shape
((4, 2), (2, 2))
"""

from glassnet.datasets.csv import CSVData, load_csv
from glassnet.datasets.mnist import (
    MNIST_FILES,
    load_mnist,
    mnist_dir,
    parse_idx,
    read_idx,
)
from glassnet.datasets.prep import Standardizer, batches, one_hot, train_test_split
from glassnet.datasets.sequences import make_adding
from glassnet.datasets.toy import (
    make_area,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)

__all__ = [
    "MNIST_FILES",
    "CSVData",
    "Standardizer",
    "batches",
    "load_csv",
    "load_mnist",
    "make_adding",
    "make_area",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "mnist_dir",
    "one_hot",
    "parse_idx",
    "read_idx",
    "train_test_split",
]
