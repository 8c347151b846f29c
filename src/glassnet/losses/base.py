"""The Loss contract and the target checks every loss shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.layers import Layer

__all__ = ["Loss"]

Array = NDArray[Any]


def _as_targets(
    Y: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any], loss: str
) -> Array:
    """Y with the predictions' shape and dtype; a 1-D Y is one column for (m, 1)."""
    if type(Y) is np.ndarray and Y.shape == shape and Y.dtype == dtype:
        return Y  # already what fit passes batch after batch: nothing to convert
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

    >>> import numpy as np
    >>> import glassnet as gn
    >>> loss = gn.BinaryCrossEntropy()       # forward gives L, backward dL/dŶ
    >>> Y_hat, Y = np.array([[0.5], [0.8]]), [1, 0]
    >>> round(loss.forward(Y_hat, Y), 4)     # −(log 0.5 + log 0.2) / 2
    1.1513
    >>> loss.backward().round(4).tolist()    # (Ŷ − Y) / (Ŷ (1 − Ŷ)) / m
    [[-1.0], [2.5]]
    >>> loss.fuses_with(gn.Sigmoid()), gn.MSE().fuses_with(gn.Sigmoid())
    (True, False)
    """

    # True inside ``checked_targets``: forward then takes its targets as they are
    targets_checked: bool = False

    @contextmanager
    def checked_targets(self) -> Iterator[None]:
        """Within this block, forward takes the targets it is given as checked.

        ``fit`` runs ``targets`` once on all of its targets before the first step
        (a bad value is reported with its place in the whole data set), and every
        batch it then passes is a part of that checked array: checking the values
        again would cost a pass over each batch, every step, for nothing. Outside
        the block every forward checks and converts its targets. Within it, call
        ``targets`` yourself on targets that did not come from fit's data.
        """
        previous = self.targets_checked
        self.targets_checked = True
        try:
            yield
        finally:
            self.targets_checked = previous

    def batch_targets(
        self, Y: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any]
    ) -> Array:
        """``targets(Y, shape, dtype)``, or Y as it is inside ``checked_targets``."""
        if self.targets_checked:
            return Y  # type: ignore[return-value]
        return self.targets(Y, shape, dtype)

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
