"""MSE: the seeds' squared error, ½ Σ (ŷ − y)² / m."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.losses.base import Loss, _as_targets, _check_predictions

__all__ = ["MSE"]

Array = NDArray[Any]


class MSE(Loss):
    """Squared error with the seeds' convention (seeds C, D, E).

    Forward::   L = ((Y_hat − Y) ** 2).sum() / (2 m)
    Backward::  dY_hat = (Y_hat − Y) / m

    The squares are summed over the outputs and averaged over the m samples; the ½
    cancels the 2 of the derivative. PyTorch's ``MSELoss`` is the plain mean of the
    squares: it equals 2·L / n_out.

    Shapes: Y_hat, Y (m, n_out); a 1-D Y is read as one column when n_out = 1.
    Caches: Y_hat − Y.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> mse = gn.MSE()
    >>> mse.forward(np.array([[2.0], [4.0]]), [1.0, 1.0])   # (1² + 3²) / (2 · 2)
    2.5
    >>> mse.backward().tolist()                             # (Ŷ − Y) / m
    [[0.5], [1.5]]
    """

    def __init__(self) -> None:
        self.cache: tuple[Array, Array] | None = None

    def forward(self, Y_hat: Array, Y: ArrayLike) -> float:
        """L = Σ (Ŷ − Y)² / (2m)."""
        Y_hat = _check_predictions(Y_hat, "MSE")
        Y = self.batch_targets(Y, Y_hat.shape, Y_hat.dtype)
        E = Y_hat - Y
        self.cache = (E, Y)
        return float(np.vdot(E, E)) / (2 * Y_hat.shape[0])

    def backward(self) -> Array:
        """dŶ = (Ŷ − Y) / m."""
        E, _ = self._cached()
        return E / E.shape[0]

    def targets(
        self, Y: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any]
    ) -> Array:
        """Y with the predictions' shape and dtype."""
        return _as_targets(Y, shape, dtype, "MSE")
