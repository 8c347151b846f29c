"""Preparing data: train/test split, one-hot labels, standardization, mini-batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Standardizer", "batches", "one_hot", "train_test_split"]

Array = NDArray[Any]
Seed = int | np.random.Generator | None


def train_test_split(
    X: ArrayLike,
    y: ArrayLike,
    test_size: float | int = 0.2,
    seed: Seed = None,
    stratify: bool = False,
) -> tuple[Array, Array, Array, Array]:
    """Shuffle and split into training and test sets (scikit-learn's order of results).

    Args:
        X: inputs, one sample per row.
        y: targets, one per row of X.
        test_size: a fraction in (0, 1) (rounded up to whole samples) or a count.
        seed: seed or Generator for the shuffle.
        stratify: keep each class's share of y the same in both parts (class labels).

    Returns:
        X_train, X_test, y_train, y_test.

    >>> X = np.arange(10).reshape(5, 2); y = np.arange(5)
    >>> [a.shape for a in train_test_split(X, y, test_size=2, seed=0)]
    [(3, 2), (2, 2), (3,), (2,)]
    """
    X, y = np.asarray(X), np.asarray(y)
    m = X.shape[0] if X.ndim else 0
    if y.ndim == 0 or y.shape[0] != m:
        raise ValueError(
            f"train_test_split needs one target per row of X; got {m} rows in X and "
            f"{y.shape[0] if y.ndim else 'no rows'} in y."
        )
    if isinstance(test_size, (float, np.floating)):
        if not 0 < test_size < 1:
            raise ValueError(
                f"train_test_split's test_size as a fraction must be in (0, 1); got "
                f"{test_size}."
            )
        n_test = int(np.ceil(test_size * m))
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise TypeError(
            f"train_test_split's test_size must be a float or an int; got "
            f"{test_size!r}."
        )
    if not 0 < n_test < m:
        raise ValueError(
            f"train_test_split would put {n_test} of {m} samples in the test set; both "
            "parts need at least one. Change test_size or use more data."
        )
    rng = np.random.default_rng(seed)
    if stratify:
        classes, inverse = np.unique(y, return_inverse=True)
        if y.ndim != 1 or len(classes) > m // 2:
            raise ValueError(
                "train_test_split(stratify=True) needs y as a 1-D array of class "
                f"labels; got shape {y.shape} with {len(classes)} distinct values."
            )
        test_parts = []
        for c in range(len(classes)):
            idx = rng.permutation(np.flatnonzero(inverse == c))
            test_parts.append(idx[: round(n_test * idx.size / m)])
        test_idx = np.concatenate(test_parts)
        mask = np.zeros(m, dtype=bool)
        mask[test_idx] = True
        test_idx = rng.permutation(test_idx)
        train_idx = rng.permutation(np.flatnonzero(~mask))
    else:
        order = rng.permutation(m)
        test_idx, train_idx = order[:n_test], order[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def one_hot(labels: ArrayLike, k: int | None = None) -> Array:
    """Rows T (m, k) of float32 with T[i, labels[i]] = 1 and zeros elsewhere.

    Args:
        labels: integer class ids in [0, k), shape (m,).
        k: number of classes; default max(labels) + 1.

    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iub":
        raise ValueError(
            "one_hot expected a 1-D array of integer class ids; got shape "
            f"{labels.shape}, dtype {labels.dtype}."
        )
    if k is None:
        k = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(
            f"one_hot expected class ids in [0, {k}); got values from {labels.min()} "
            f"to {labels.max()}."
        )
    T = np.zeros((labels.shape[0], k), dtype=np.float32)
    T[np.arange(labels.shape[0]), labels] = 1.0
    return T


class Standardizer:
    """Per-column standardization fitted on the training set: (X − mean) / std.

    Fit on the training data only, then transform training and test data with the same
    mean and std; ``inverse`` maps standardized values (e.g. predicted targets) back.

    >>> s = Standardizer.fit(np.array([[1.0], [3.0]]))
    >>> s.mean, s.std
    (array([2.]), array([1.]))
    >>> s.transform(np.array([[5.0]])), s.inverse(np.array([[3.0]]))
    (array([[3.]]), array([[5.]]))
    """

    def __init__(self, mean: ArrayLike, std: ArrayLike) -> None:
        self.mean: Array = np.asarray(mean, dtype=np.float64)
        self.std: Array = np.asarray(std, dtype=np.float64)
        if self.mean.shape != self.std.shape or np.any(self.std <= 0):
            raise ValueError(
                "Standardizer needs mean and std of the same shape with std > 0; got "
                f"shapes {self.mean.shape} and {self.std.shape}."
            )

    @classmethod
    def fit(cls, X: ArrayLike) -> Standardizer:
        """Mean and std of each column of X (axis 0); a constant column gets std 1."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 0 or X.shape[0] == 0:
            raise ValueError(f"Standardizer.fit needs at least one row; got {X.shape}.")
        std = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(std > 0, std, 1.0))

    def transform(self, X: ArrayLike) -> Array:
        """(X − mean) / std, in X's floating dtype (float32 stays float32)."""
        X = np.asarray(X)
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        return ((X - self.mean) / self.std).astype(dtype, copy=False)

    def inverse(self, Z: ArrayLike) -> Array:
        """Z · std + mean: undo ``transform``."""
        Z = np.asarray(Z)
        dtype = Z.dtype if Z.dtype.kind == "f" else np.dtype(np.float64)
        return (Z * self.std + self.mean).astype(dtype, copy=False)


def batches(
    X: ArrayLike,
    Y: ArrayLike,
    batch_size: int,
    shuffle: bool = False,
    rng: Seed = None,
) -> Iterator[tuple[Array, Array]]:
    """Yield (X_batch, Y_batch) pairs of ``batch_size`` rows (the last may be smaller).

    Args:
        X: inputs, one sample per row.
        Y: targets, one per row of X.
        batch_size: rows per batch (≥ 1).
        shuffle: visit the rows in a random order drawn from ``rng``.
        rng: seed or Generator for the order.

    >>> [xb.tolist() for xb, _ in batches(np.arange(5), np.arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batches' batch_size must be an integer; got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batches' batch_size must be ≥ 1; got {batch_size}.")
    if X.ndim == 0 or Y.ndim == 0 or X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"batches needs X and Y with the same number of rows; got shapes {X.shape} "
            f"and {Y.shape}."
        )
    m = X.shape[0]
    order = np.random.default_rng(rng).permutation(m) if shuffle else None
    for start in range(0, m, batch_size):
        if order is None:
            yield X[start : start + batch_size], Y[start : start + batch_size]
        else:
            idx = order[start : start + batch_size]
            yield X[idx], Y[idx]
