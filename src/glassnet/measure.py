"""Data checked once for a model, and a model measured on data: loss and accuracy.

``check_data`` and ``checked_targets`` are the O(data) checks made once at the
model's boundary (``fit``, ``evaluate``); ``count_correct`` and ``accuracy`` count
right answers; ``evaluate`` is the loss and accuracy over a whole data set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validate import all_finite
from glassnet.activations import constant
from glassnet.layers import as_float_array
from glassnet.losses import BinaryCrossEntropy, CrossEntropy, Loss

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["accuracy", "check_data", "checked_targets", "count_correct", "evaluate"]

Array = NDArray[Any]


def check_data(
    model: Sequential, X: ArrayLike, Y: ArrayLike, what: str
) -> tuple[Array, Array]:
    """X converted to the model's dtype and Y, both checked: the O(data) checks, once.

    ``what`` names the data in messages ("fit's X", "validation_data's X", ...).

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    >>> X, Y = check_data(model, [[1, 2], [3, 4]], [0.5, 1.5], "fit's")
    >>> X.dtype, Y.dtype  # float targets follow the model's dtype too
    (dtype('float32'), dtype('float32'))
    >>> check_data(model, [1, 2], [0.5], "fit's")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: fit's X must have one sample per row, ... needs X.reshape(1, -1).
    """
    X = as_float_array(X, model.dtype, f"{what} X")
    Y = np.asarray(Y)
    if X.ndim < 2 or X.shape[0] == 0:
        raise ValueError(
            f"{what} X must have one sample per row, shape (m, ...) with m ≥ 1; "
            f"got {X.shape}."
            + (" A single sample needs X.reshape(1, -1)." if X.ndim == 1 else "")
        )
    if Y.ndim == 0 or Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{what} X and Y must have one row per sample; got {X.shape[0]} rows "
            f"in X and {'none' if Y.ndim == 0 else Y.shape[0]} in Y."
        )
    if Y.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} Y must hold numbers; got an array of dtype {Y.dtype}. Encode "
            "labels as integers (or floats for regression targets)."
        )
    model.check_input(X, f"{what} X")  # the shape the first layer takes
    all_finite(X, f"{what} X")
    all_finite(Y, f"{what} Y")
    if Y.dtype.kind == "f":  # float targets follow the model's dtype: no silent upcast
        Y = Y.astype(model.dtype, copy=False)
    return X, Y


def checked_targets(model: Sequential, loss: Loss, X: Array, Y: Array) -> Array:
    """Y checked and converted by ``loss.targets`` for the model's output on X.

    Once for a whole data set, before its batches go through the loss (see
    ``Loss.checked_targets``): an error then names the data set, not a batch.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X = np.zeros((2, 2), np.float32)
    >>> regressor = gn.Sequential([gn.Dense(2, 1, rng=0)])
    >>> checked_targets(regressor, gn.MSE(), X, np.array([0.5, 2.0])).tolist()
    [[0.5], [2.0]]
    >>> classifier = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Softmax()])
    >>> checked_targets(classifier, gn.CrossEntropy(), X, np.array([0, 3]))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: CrossEntropy expected class ids in [0, 3) for 3 outputs; got ...
    """
    sample = model.shapes[-1]
    if None in sample:  # a size only a forward pass tells
        sample = model.forward(X[:1]).shape[1:]
    return loss.targets(Y, (X.shape[0], *sample), model.dtype)  # type: ignore[arg-type]


def accuracy(Y_hat: Array, Y: ArrayLike, loss: Loss) -> float | None:
    """Fraction of correct predictions; None when ``loss`` is not for classification.

    CrossEntropy: argmax of each row against the class id (or the argmax of a one-hot
    row). BinaryCrossEntropy: Ŷ ≥ 0.5 against Y ≥ 0.5, over every output.

    >>> import numpy as np
    >>> accuracy(np.array([[0.9], [0.2]]), np.array([1, 1]), BinaryCrossEntropy())
    0.5
    """
    if not isinstance(loss, (CrossEntropy, BinaryCrossEntropy)):
        return None
    return count_correct(Y_hat, np.asarray(Y), loss) / Y_hat.shape[0]


def count_correct(Y_hat: Array, Y: Array, loss: Loss) -> float:
    """Number of correct predictions in a batch (for BCE: the mean over the outputs).

    A count rather than a mean, so that an epoch sums it over batches without a
    division and a multiplication per step.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> Y_hat = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])  # argmax: 1, 0, 1
    >>> count_correct(Y_hat, np.array([1, 1, 1]), gn.CrossEntropy())
    2.0
    """
    if isinstance(loss, CrossEntropy):
        labels = Y if Y.ndim == 1 else Y.argmax(axis=1)
        return float(np.count_nonzero(Y_hat.argmax(axis=1) == labels))
    half = constant(0.5, Y_hat.dtype)
    hits = np.count_nonzero((Y_hat >= half) == (Y.reshape(Y_hat.shape) >= half))
    return float(hits) / (Y_hat.size // Y_hat.shape[0])


def evaluate(
    model: Sequential,
    X: ArrayLike,
    Y: ArrayLike,
    *,
    loss: Loss,
    batch_size: int | None = None,
) -> dict[str, float]:
    """Mean loss over all of (X, Y), and accuracy for a classification loss.

    Computed ``batch_size`` rows at a time (None: ``model.inference_batch_size()``,
    which bounds a batch's activations), with the fused, stable loss when the model
    ends in the matching activation.

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[1.0]], bias=False), gn.Sigmoid()])
    >>> result = gn.evaluate(model, [[-2.0], [1.0], [3.0]], [0, 1, 0],
    ...                      loss=gn.BinaryCrossEntropy())
    >>> {key: round(value, 3) for key, value in result.items()}
    {'loss': 1.163, 'accuracy': 0.667}
    """
    X, Y = check_data(model, X, Y, "evaluate's")
    Y = checked_targets(model, loss, X, Y)
    if batch_size is None:
        batch_size = model.inference_batch_size()
    m = X.shape[0]
    loss_sum, correct = 0.0, 0.0
    classify = isinstance(loss, (CrossEntropy, BinaryCrossEntropy))
    for start in range(0, m, batch_size):
        Xb, Yb = X[start : start + batch_size], Y[start : start + batch_size]
        L, Y_hat = model.forward_loss(Xb, Yb, loss)
        loss_sum += L * Xb.shape[0]
        if classify:
            correct += count_correct(Y_hat, np.asarray(Yb), loss)
    result = {"loss": loss_sum / m}
    if classify:
        result["accuracy"] = correct / m
    return result
