"""Dropout: each unit dropped with probability p while training, seeded (seed C).

Inverted dropout scales the kept units by 1/(1 − p) while training, so that the
expected output equals the input and inference is the identity: the network that
predicts is the one that was trained, with nothing to rescale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers.base import Layer

__all__ = ["Dropout"]

Array = NDArray[Any]


class Dropout(Layer):
    """Inverted dropout: zero each entry with probability p while training.

    Forward, training (``training=True``, as inside ``fit``)::

        M = (U >= p) / (1 − p)        U uniform on [0, 1), one draw per entry
        Y = X * M

    Forward, inference (``training=False``)::   Y = X

    Backward, given dY::   dX = dY * M     (dX = dY after an inference forward)

    E[Y] = X because each entry survives with probability 1 − p and is then scaled by
    1 / (1 − p). The draws come from the layer's own generator (``rng``), so a seeded
    model drops the same units run after run; a checkpoint does not store the
    generator's state, so a resumed run draws other masks.

    Shapes: X, Y, dY, dX all (m, ...), any number of axes.
    Caches: M (None after an inference forward).

    Args:
        p: the probability of dropping an entry, 0 ≤ p < 1 (0: the identity).
        rng: seed or ``numpy.random.Generator`` for the masks.

    >>> import numpy as np
    >>> layer = Dropout(0.5, rng=0)
    >>> X = np.ones((2, 4), dtype=np.float32)
    >>> layer.forward(X) is X                      # inference: the identity
    True
    >>> sorted(set(layer.forward(X, training=True).ravel().tolist()))  # 0 or 1/(1−p)
    [0.0, 2.0]
    """

    def __init__(self, p: float, *, rng: int | np.random.Generator | None = None):
        super().__init__()
        if (
            isinstance(p, bool)
            or not isinstance(p, (int, float, np.floating))
            or not (0 <= p < 1)
        ):
            raise ValueError(
                f"Dropout's p is the probability of dropping a unit, 0 ≤ p < 1; got "
                f"{p!r}. (p = 1 would drop everything: remove the layer instead.)"
            )
        self.p = float(p)
        self.rng = np.random.default_rng(rng)
        self.mask: Array | None = None
        self._in_shape: tuple[int, ...] | None = None

    def forward(self, X: Array, training: bool = False) -> Array:
        """Y = X * M while training (a new mask M each call); Y = X otherwise."""
        X = np.asarray(X)
        self._in_shape = X.shape
        if not training or self.p == 0:
            self.mask = None
            return X
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)
        U = self.out("U", X.shape, dtype)
        U = self.rng.random(X.shape, dtype=dtype, out=U)
        kept = np.greater_equal(
            U, dtype.type(self.p), out=self.out("kept", X.shape, bool)
        )
        M = np.multiply(
            kept, dtype.type(1 / (1 - self.p)), out=self.out("M", X.shape, dtype)
        )
        self.mask = M
        return np.multiply(X, M, out=self.out("Y", X.shape, dtype))

    def backward(self, dY: Array, need_dX: bool = True) -> Array:
        """DX = dY * M (dY itself after an inference forward)."""
        in_shape: tuple[int, ...] = self._cached("_in_shape")
        self._check_dY(dY, in_shape)
        if self.mask is None:
            return dY
        return np.multiply(dY, self.mask, out=self.out("dX", dY.shape, dY.dtype))

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"
