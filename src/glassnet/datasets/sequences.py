"""Sequence problems generated from a seed, for recurrent networks.

``make_adding`` is the adding problem (Hochreiter and Schmidhuber's LSTM paper): a
network must remember one number of a long sequence until its end, so how far back a
recurrent layer's memory reaches decides whether it can learn the task at all.

>>> X, y = make_adding(n_samples=3, length=8, seed=0)
>>> X.shape, y.shape, X.dtype
((3, 8, 2), (3,), dtype('float32'))
>>> X[:, :, 1].sum(axis=1).tolist()   # two marked steps per sequence
[2.0, 2.0, 2.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.datasets.toy import MAX_SAMPLES, _check_samples

__all__ = ["make_adding"]

Array = NDArray[Any]


def make_adding(
    n_samples: int = 1000,
    length: int = 50,
    *,
    seed: int | np.random.Generator | None = None,
) -> tuple[Array, Array]:
    """The adding problem: the sum of the two marked numbers of each sequence.

    Each sample is a sequence of ``length`` steps with two features: a number drawn
    uniformly from [0, 1), and a marker that is 1 at exactly two steps and 0
    elsewhere. One marked step lies in the first half of the sequence, the other in
    the second half, so the first number has to be carried for length/2 steps or
    more. The target is the sum of the two marked numbers, in [0, 2): always
    predicting its mean, 1, gives a mean squared error of Var = 2/12 = 1/6.

    Args:
        n_samples: sequences m (1 … 10 000 000).
        length: time steps T (≥ 2).
        seed: seed or Generator of the numbers and the positions.

    Returns:
        (X, y): X (m, T, 2) float32 — X[i, t] = (number, marker) — and y (m,) float32.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X, y = gn.datasets.make_adding(n_samples=2, length=6, seed=0)
    >>> X.shape, y.shape
    ((2, 6, 2), (2,))
    >>> marked_sum = (X[:, :, 0] * X[:, :, 1]).sum(axis=1)   # number × marker, summed
    >>> bool(np.allclose(marked_sum, y))
    True
    """
    n = _check_samples(n_samples, 1, "make_adding")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise TypeError(f"make_adding's length must be an integer; got {length!r}.")
    if not 2 <= length <= MAX_SAMPLES:
        raise ValueError(
            f"make_adding needs length ≥ 2 (one marked step in each half); got "
            f"{length}."
        )
    T = int(length)
    rng = np.random.default_rng(seed)
    X = np.zeros((n, T, 2), dtype=np.float32)
    X[:, :, 0] = rng.uniform(0.0, 1.0, size=(n, T))
    rows = np.arange(n)
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    X[rows, first, 1] = 1.0
    X[rows, second, 1] = 1.0
    y = X[rows, first, 0] + X[rows, second, 0]
    return X, y
