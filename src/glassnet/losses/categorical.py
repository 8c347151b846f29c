"""CrossEntropy over k classes, and its fusion with a Softmax output."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.activations import constant
from glassnet.layers import Layer, Sigmoid, Softmax
from glassnet.losses.base import Loss, _as_targets, _check_predictions

__all__ = ["CrossEntropy"]

Array = NDArray[Any]


class CrossEntropy(Loss):
    """Cross-entropy of class probabilities Ŷ = softmax(Z) against targets T.

    Targets are integer class ids y of shape (m,), or one-hot (or probability) rows T
    of shape (m, k) that sum to 1; T[i, y[i]] = 1 for ids.

    Forward::   L = −(T * log(Y_hat)).sum() / m
    Backward::  dY_hat = −T / Y_hat / m

    Fused with a Softmax output (from the logits Z)::

        L  = (logsumexp(Z, axis=1) − (T * Z).sum(axis=1)).sum() / m
        dZ = (softmax(Z) − T) / m

    Shapes: Y_hat, Z, T (m, k); y (m,) integers in [0, k).
    Caches: Ŷ and T (as ids or rows, whichever was given).
    """

    def __init__(self) -> None:
        self.cache: tuple[Array, Array] | None = None
        self._starts: Array = np.arange(0)  # see _row_starts
        self._starts_for = (0, 0)
        self._ones_cache: Array = np.ones(0)
        self._ids: Array = np.arange(0)  # the forward's flat positions i·k + y[i]

    def targets(
        self, Y: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any]
    ) -> Array:
        """Class ids in [0, k) as intp (also from an (m, 1) column), or one-hot rows."""
        Y = np.asarray(Y)
        m, k = shape
        if Y.ndim == 2 and Y.shape[1] == 1 and k > 1:  # a column of class ids
            Y = Y[:, 0]
        if Y.ndim == 1:
            if Y.dtype.kind not in "iu":
                if (
                    Y.dtype.kind == "f"
                    and np.all(np.isfinite(Y))
                    and np.all(np.round(Y) == Y)
                ):
                    Y = Y.astype(np.int64)
                else:
                    raise TypeError(
                        "CrossEntropy expected integer class ids of shape (m,) or "
                        "one-hot "
                        f"rows of shape (m, {k}); got a 1-D array of dtype {Y.dtype}."
                    )
            if Y.shape[0] != m:
                raise ValueError(
                    f"CrossEntropy expected {m} class ids (one per row of the "
                    f"predictions); got {Y.shape[0]}."
                )
            if m and (
                np.minimum.reduce(Y, None) < 0 or np.maximum.reduce(Y, None) >= k
            ):
                raise ValueError(
                    f"CrossEntropy expected class ids in [0, {k}) for {k} outputs; got "
                    f"values from {Y.min()} to {Y.max()}."
                )
            return Y.astype(np.intp, copy=False)  # indices, as take and put want them
        T = _as_targets(Y, shape, dtype, "CrossEntropy")
        row_sums = T.sum(axis=1)
        if np.isnan(T).any() or T.min() < 0 or not np.allclose(row_sums, 1, atol=1e-4):
            raise ValueError(
                "CrossEntropy expected one-hot (or probability) rows: entries ≥ 0 that "
                "sum to 1 in every row. For class ids pass a 1-D integer array."
            )
        return T

    def _row_starts(self, m: int, k: int) -> Array:
        """Where each row i starts in P.ravel(), i · k, kept between calls.

        Entry (i, j) of an (m, k) array is element i · k + j of its C-order ravel, and
        a 1-D ``take`` (or index) with those flat positions costs a fraction of the
        2-D fancy index P[arange(m), j] for the few columns of a classifier.
        """
        if self._starts_for != (m, k):
            self._starts = np.arange(m) * k
            self._starts_for = (m, k)
        return self._starts

    def _flat_ids(self, P: Array, y: Array) -> Array:
        """The flat positions i · k + y[i] of each row's target entry in P.ravel()."""
        m, k = P.shape
        return np.add(self._row_starts(m, k), y)  # both intp (see targets)

    def _pick(self, P: Array, T: Array) -> Array:
        """Σ_k T * P per row: P[i, y[i]] for ids, (T * P).sum(1) for rows.

        For ids, the flat positions are kept for the backward (``_ids``).
        """
        if T.ndim == 1:
            self._ids = self._flat_ids(P, T)
            return P.take(self._ids)  # take reads P in C order
        return (T * P).sum(axis=1)  # type: ignore[no-any-return]

    def _minus_targets(self, P: Array, T: Array, out: Array | None = None) -> Array:
        """P − T, in ``out`` when given, else as a new array."""
        if T.ndim == 1:
            if out is None:
                D = P.copy()
            else:
                D = out
                np.copyto(D, P)
            # D[i, y[i]] −= 1, through the flat positions of the forward: take and
            # put read and write D in C order, and cost less than a fancy-indexed −=
            ids = self._ids
            picked = D.take(ids)
            picked -= constant(1, D.dtype)
            D.put(ids, picked)
            return D
        return np.subtract(P, T, out=out)

    def forward(self, Y_hat: Array, Y: ArrayLike) -> float:
        """L = −Σ T log Ŷ / m (Ŷ clipped to the smallest positive float)."""
        Y_hat = _check_predictions(Y_hat, "CrossEntropy")
        T = self.batch_targets(Y, Y_hat.shape, Y_hat.dtype)
        self.cache = (Y_hat, T)
        log_p = np.log(np.maximum(Y_hat, np.finfo(Y_hat.dtype).tiny))
        return -float(self._pick(log_p, T).sum()) / Y_hat.shape[0]

    def backward(self) -> Array:
        """dŶ = −T / Ŷ / m."""
        Y_hat, T = self._cached()
        m = Y_hat.shape[0]
        P = np.maximum(Y_hat, np.finfo(Y_hat.dtype).tiny)
        if T.ndim == 1:
            dY = np.zeros_like(Y_hat)
            rows = np.arange(m)
            dY[rows, T] = -1 / (P[rows, T] * m)
            return dY
        return -T / P / m  # type: ignore[no-any-return]

    def forward_logits(self, Z: Array, Y: ArrayLike) -> float:
        """Fused softmax + CE: L = Σ [logsumexp(Z) − Σ_k T Z] / m; caches A, T."""
        Z = _check_predictions(Z, "CrossEntropy")
        T = self.batch_targets(Y, Z.shape, Z.dtype)
        m, k = Z.shape
        # Each row's maximum, read at its argmax (for rows of a few classes that is
        # faster than Z.max(axis=1)); S = Z − max ≤ 0, so exp(S) cannot overflow.
        top = Z.argmax(axis=1)
        top += self._row_starts(m, k)  # flat positions, see _row_starts
        S = np.subtract(Z, Z.take(top)[:, None])
        picked = self._pick(S, T)  # Σ_k T S per row, read before S becomes E
        A = np.exp(S, out=S)  # E = exp(Z − max)
        # Σ_k E, as a product (faster than a sum; np.dot: see Dense on why not @)
        row_sums = np.dot(A, self._ones(k, A.dtype))
        A /= row_sums[:, None]  # A = E / Σ_k E
        self.cache = (A, T)
        # −Σ_k T log A = log Σ_k E − Σ_k T S per row, since Σ_k T = 1 (summed per
        # sample, not as two sums, so no precision cancels away)
        per_sample = np.log(row_sums, out=row_sums)
        per_sample -= picked
        return float(per_sample.sum()) / m

    def _ones(self, k: int, dtype: np.dtype[Any]) -> Array:
        """ones(k), kept between calls: A @ ones(k) sums each row of A."""
        ones = self._ones_cache
        if ones.shape[0] != k or ones.dtype != dtype:
            ones = self._ones_cache = np.ones(k, dtype=dtype)
        return ones

    def backward_logits(self) -> Array:
        """DZ = (A − T) / m."""
        A, T = self._cached()
        D = self._minus_targets(A, T)
        D /= A.shape[0]
        return D

    def fuses_with(self, layer: Layer) -> bool:
        """True after a Softmax."""
        return isinstance(layer, Softmax)

    def check_output(self, layer: Layer) -> None:
        """CE reads class probabilities: the model must end with Softmax()."""
        if not isinstance(layer, Softmax):
            hint = (
                " For two classes with one Sigmoid output use BinaryCrossEntropy()."
                if isinstance(layer, Sigmoid)
                else ""
            )
            raise ValueError(
                f"CrossEntropy needs class probabilities, but the model ends with "
                f"{layer!r}. End the model with Softmax(); glassnet fuses it with "
                f"CrossEntropy, so raw logits are never needed.{hint}"
            )

    @property
    def output(self) -> Array:
        """Ŷ of the last forward (A = softmax(Z) after ``forward_logits``)."""
        return self._cached()[0]
