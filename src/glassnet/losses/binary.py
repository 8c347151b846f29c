"""BinaryCrossEntropy, and its fusion with a Sigmoid output."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.activations import constant
from glassnet.layers import Layer, Sigmoid, Softmax
from glassnet.losses.base import Loss, _as_targets, _check_predictions

__all__ = ["BinaryCrossEntropy"]

Array = NDArray[Any]


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy of probabilities Ŷ = σ(Z) against targets Y in [0, 1].

    Forward::   L = −(Y * log(Y_hat) + (1 − Y) * log(1 − Y_hat)).sum() / m
    Backward::  dY_hat = (Y_hat − Y) / (Y_hat * (1 − Y_hat)) / m

    Fused with a Sigmoid output (from the logits Z)::

        L  = (softplus(Z) − Y * Z).sum() / m       softplus(z) = log(1 + e^z)
        dZ = (σ(Z) − Y) / m

    Outputs that are exactly 0 or 1 are clipped to the smallest positive float from
    0 and 1 in the unfused form, so the loss stays finite; the fused form needs no clip.
    Several outputs (multi-label) are summed per sample, like the squares of MSE.

    Shapes: Y_hat, Y, Z (m, n_out); a 1-D Y is read as one column when n_out = 1.
    Caches: Ŷ and Y.
    """

    def __init__(self) -> None:
        self.cache: tuple[Array, Array] | None = None

    @staticmethod
    def _check_targets(Y: Array) -> None:
        # written so that a NaN (which fails every comparison) also raises
        # the ufuncs' reduce, not Y.min(): the same value, a µs less per batch
        if Y.size and not (
            np.minimum.reduce(Y, None) >= 0 and np.maximum.reduce(Y, None) <= 1
        ):
            raise ValueError(
                "BinaryCrossEntropy expected targets in [0, 1]; got values from "
                f"{np.nanmin(Y)} to {np.nanmax(Y)}. Use 0/1 labels."
            )

    def targets(
        self, Y: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any]
    ) -> Array:
        """Y of the predictions' shape and dtype, every value in [0, 1]."""
        Y = _as_targets(Y, shape, dtype, "BinaryCrossEntropy")
        self._check_targets(Y)
        return Y

    def forward(self, Y_hat: Array, Y: ArrayLike) -> float:
        """L = −Σ [Y log Ŷ + (1 − Y) log(1 − Ŷ)] / m."""
        Y_hat = _check_predictions(Y_hat, "BinaryCrossEntropy")
        Y = self.batch_targets(Y, Y_hat.shape, Y_hat.dtype)
        self.cache = (Y_hat, Y)
        tiny = np.finfo(Y_hat.dtype).tiny
        log_p = np.log(np.maximum(Y_hat, tiny))
        log_q = np.log(np.maximum(1 - Y_hat, tiny))
        return -float(np.sum(Y * log_p + (1 - Y) * log_q)) / Y_hat.shape[0]

    def backward(self) -> Array:
        """dŶ = (Ŷ − Y) / (Ŷ (1 − Ŷ)) / m, with Ŷ(1 − Ŷ) kept ≥ the smallest float."""
        Y_hat, Y = self._cached()
        tiny = np.finfo(Y_hat.dtype).tiny
        return (Y_hat - Y) / np.maximum(Y_hat * (1 - Y_hat), tiny) / Y_hat.shape[0]

    def forward_logits(self, Z: Array, Y: ArrayLike) -> float:
        """Fused σ + BCE: L = Σ [softplus(Z) − Y Z] / m; caches A = σ(Z) and Y.

        A is computed as exp(Z − softplus(Z)), from the softplus the loss needs
        anyway: no exponent can overflow, so no warning needs silencing.
        """
        Z = _check_predictions(Z, "BinaryCrossEntropy")
        Y = self.batch_targets(Y, Z.shape, Z.dtype)
        # softplus(z) = log(e^0 + e^z), which logaddexp computes without overflow;
        # then σ(z) = exp(z − softplus(z)), an exponent ≤ 0 that cannot overflow
        terms = np.logaddexp(constant(0, Z.dtype), Z)
        self.cache = (np.exp(Z - terms), Y)
        # subtracted per sample (not as two sums) so no precision cancels away
        terms -= np.multiply(Y, Z)
        return float(terms.sum()) / Z.shape[0]

    def backward_logits(self) -> Array:
        """DZ = (A − Y) / m."""
        A, Y = self._cached()
        dZ = np.subtract(A, Y)
        dZ /= A.shape[0]
        return dZ

    def fuses_with(self, layer: Layer) -> bool:
        """True after a Sigmoid."""
        return isinstance(layer, Sigmoid)

    def check_output(self, layer: Layer) -> None:
        """BCE reads probabilities: the model must end with Sigmoid()."""
        if not isinstance(layer, Sigmoid):
            raise ValueError(
                f"BinaryCrossEntropy needs probabilities, but the model ends with "
                f"{layer!r}. End the model with Sigmoid(); glassnet fuses it with "
                "BinaryCrossEntropy, so raw logits are never needed."
                + (
                    " For several classes with a Softmax output use CrossEntropy()."
                    if isinstance(layer, Softmax)
                    else ""
                )
            )

    @property
    def output(self) -> Array:
        """Ŷ of the last forward (A = σ(Z) after ``forward_logits``)."""
        return self._cached()[0]
