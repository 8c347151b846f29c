"""Losses: a scalar L of the predictions Ŷ and targets Y, averaged over the m samples.

Contract: ``forward(Y_hat, Y) -> float`` caches what ``backward() -> dY_hat`` needs;
dY_hat already carries the 1/m of the average.

The two classification losses also have a *fused* form that starts from the logits Z
of the layer before the output activation (sigmoid for BinaryCrossEntropy, softmax for
CrossEntropy): ``forward_logits(Z, Y)`` and ``backward_logits() -> dZ = (A − T) / m``.
That gradient is exact and never divides by a saturated output, and the loss is
computed with log-sum-exp, so a confidently wrong logit of ±500 gives a large finite
loss instead of inf. ``Sequential`` uses the fused form whenever a model ends in the
matching activation.

>>> import numpy as np
>>> loss = MSE()
>>> loss.forward(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]]))  # (1 + 9) / (2·2)
2.5
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.activations import constant, sigmoid
from glassnet.layers import Layer, Sigmoid, Softmax

__all__ = ["MSE", "BinaryCrossEntropy", "CrossEntropy", "Loss"]

Array = NDArray[Any]


def _as_targets(
    Y: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any], loss: str
) -> Array:
    """Y with the predictions' shape and dtype; a 1-D Y is one column for (m, 1)."""
    Y = np.asarray(Y)
    if Y.dtype.kind not in "biuf":
        raise TypeError(
            f"{loss} targets must be numbers; got an array of dtype {Y.dtype}."
        )
    if Y.ndim == 1 and len(shape) == 2 and shape[1] == 1:
        Y = Y.reshape(-1, 1)
    if Y.shape != shape:
        raise ValueError(
            f"{loss} expected targets Y of shape {shape} (the shape of the "
            f"predictions); got {Y.shape}."
        )
    return Y.astype(dtype, copy=False)


def _check_predictions(Y_hat: Array, loss: str) -> Array:
    Y_hat = np.asarray(Y_hat)
    if Y_hat.ndim != 2 or Y_hat.shape[0] == 0:
        raise ValueError(
            f"{loss} expected predictions of shape (m, n_out) with m ≥ 1; "
            f"got {Y_hat.shape}."
        )
    if Y_hat.dtype.kind != "f":
        Y_hat = Y_hat.astype(np.float64)
    return Y_hat


class Loss:
    """The contract every loss fulfils.

    ``forward(Y_hat, Y)`` checks the targets of its batch and caches what
    ``backward()`` reads. ``targets(Y, shape, dtype)`` is that check on its own:
    ``fit`` runs it once on all the targets, so that a bad value is reported before
    any step, with its place in the whole data set.

    A loss that fuses with the model's last activation (``fuses_with``) also has
    ``forward_logits(Z, Y)``, ``backward_logits()`` and ``output``.
    """

    def forward(self, Y_hat: Array, Y: ArrayLike) -> float:
        """Mean loss over the batch; caches what backward needs."""
        raise NotImplementedError

    def targets(
        self, Y: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any]
    ) -> Array:
        """Y checked for predictions of ``shape`` and converted as forward needs it."""
        return np.asarray(Y)

    def fuses_with(self, layer: Layer) -> bool:
        """Whether ``layer``, last in a model, and this loss have a fused gradient."""
        return False

    def check_output(self, layer: Layer) -> None:
        """Raise a ValueError when ``layer`` cannot end a model trained with this loss.

        Any output suits a regression loss; the classification losses need the
        probabilities of their own activation.
        """

    def forward_logits(self, Z: Array, Y: ArrayLike) -> float:
        """The fused loss from the logits Z (only when ``fuses_with`` is True)."""
        raise NotImplementedError(f"{self!r} has no fused form.")

    def backward_logits(self) -> Array:
        """dL/dZ of the fused loss."""
        raise NotImplementedError(f"{self!r} has no fused form.")

    @property
    def output(self) -> Array:
        """Ŷ of the last fused forward."""
        raise NotImplementedError(f"{self!r} has no fused form.")

    def backward(self) -> Array:
        """dL/dŶ for the last forward, shape of Ŷ."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _cached(self) -> tuple[Array, Array]:
        cache = getattr(self, "cache", None)
        if cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward.")
        return cache  # type: ignore[no-any-return]


class MSE(Loss):
    """Squared error with the seeds' convention (seeds C, D, E).

    Forward::   L = ((Y_hat − Y) ** 2).sum() / (2 m)
    Backward::  dY_hat = (Y_hat − Y) / m

    The squares are summed over the outputs and averaged over the m samples; the ½
    cancels the 2 of the derivative. PyTorch's ``MSELoss`` is the plain mean of the
    squares: it equals 2·L / n_out.

    Shapes: Y_hat, Y (m, n_out); a 1-D Y is read as one column when n_out = 1.
    Caches: Y_hat − Y.
    """

    def __init__(self) -> None:
        self.cache: tuple[Array, Array] | None = None

    def forward(self, Y_hat: Array, Y: ArrayLike) -> float:
        """L = Σ (Ŷ − Y)² / (2m)."""
        Y_hat = _check_predictions(Y_hat, "MSE")
        Y = self.targets(Y, Y_hat.shape, Y_hat.dtype)
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
        if Y.size and not (Y.min() >= 0 and Y.max() <= 1):
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
        Y = self.targets(Y, Y_hat.shape, Y_hat.dtype)
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
        """Fused σ + BCE: L = Σ [softplus(Z) − Y Z] / m; caches A = σ(Z) and Y."""
        Z = _check_predictions(Z, "BinaryCrossEntropy")
        Y = self.targets(Y, Z.shape, Z.dtype)
        self.cache = (sigmoid(Z), Y)
        # softplus(z) = log(e^0 + e^z), which logaddexp computes without overflow;
        # subtracted per sample (not as two sums) so no precision cancels away
        terms = np.logaddexp(constant(0, Z.dtype), Z)
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
            if m and (Y.min() < 0 or Y.max() >= k):
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
        T = self.targets(Y, Y_hat.shape, Y_hat.dtype)
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
        T = self.targets(Y, Z.shape, Z.dtype)
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
