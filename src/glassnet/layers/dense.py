"""Dense: the affine map of each sample, the seeds' W[l] and b[l]."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from glassnet import init as initializers
from glassnet._validate import positive_int
from glassnet.layers.base import Layer, Shape, as_float_array

__all__ = ["Dense"]

Array = NDArray[Any]


class Dense(Layer):
    """Affine map of each row (sample) of a batch.

    Forward::

        Z = X @ W.T + b

    Backward, given dZ = dL/dZ::

        dW = dZ.T @ X            (n_out, n_in)
        db = dZ.sum(axis=0)      (n_out,)
        dX = dZ @ W              (m, n_in)

    Shapes: X (m, n_in), W (n_out, n_in) as the seeds' W[l], b (n_out,), Z (m, n_out).
    Caches: X — the only forward value the backward reads.

    Speed: the column sum db is the product ones(m) @ dZ, which BLAS does about twice
    as fast as ``dZ.sum(axis=0)``; a vector of m ones is kept for it. The products are
    taken with ``np.dot`` rather than ``@``: both hand 2-D arrays to the same BLAS
    routine and give the same bits, but ``np.dot`` reaches it about 0.5 µs sooner per
    call, a tenth of a tiny network's step.

    Args:
        n_in: number of input features.
        n_out: number of neurons (output features).
        bias: whether the layer has a bias b.
        init: "he" (default), "xavier", "normal", "uniform", "zeros", an initializer
            from ``glassnet.init`` (e.g. ``init.normal(0.01)``), or the weights
            themselves as an (n_out, n_in) array (copied, C-ordered).
        rng: seed or ``numpy.random.Generator`` for the initial weights.
        dtype: float32 (default, for speed) or float64.

    >>> import numpy as np
    >>> layer = Dense(3, 2, rng=0)
    >>> layer.W.shape, layer.b.shape
    ((2, 3), (2,))
    >>> layer.forward(np.ones((4, 3), dtype=np.float32)).shape
    (4, 2)
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        bias: bool = True,
        init: str | initializers.Initializer | ArrayLike = "he",
        rng: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.n_in = positive_int(n_in, "Dense's n_in")
        self.n_out = positive_int(n_out, "Dense's n_out")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Dense needs a floating dtype; got {dtype}.")
        shape = (self.n_out, self.n_in)
        W = initializers.initial_weights(init, shape, rng, f"{self!r} (n_out, n_in)")
        self.params["W"] = np.array(W, dtype=dtype, order="C")
        self.grads["W"] = np.zeros(shape, dtype=dtype)
        if bias:
            self.params["b"] = np.zeros(self.n_out, dtype=dtype)
            self.grads["b"] = np.zeros(self.n_out, dtype=dtype)
        self.X: Array | None = None
        self._ones: Array = np.ones(0, dtype=dtype)  # ones(m) for db = ones @ dZ

    # W, b, dW, db: the entries of params and grads (assigning writes into them)
    @property
    def W(self) -> Array:
        """The weights, (n_out, n_in)."""
        return self.params["W"]

    @W.setter
    def W(self, value: ArrayLike) -> None:
        self.params["W"] = value

    @property
    def b(self) -> Array | None:
        """The bias, (n_out,), or None for a layer without one."""
        return self.params.get("b")

    @b.setter
    def b(self, value: ArrayLike) -> None:
        self.params["b"] = value

    @property
    def dW(self) -> Array:
        """dL/dW of the last backward, (n_out, n_in)."""
        return self.grads["W"]

    @dW.setter
    def dW(self, value: ArrayLike) -> None:
        self.grads["W"] = value

    @property
    def db(self) -> Array | None:
        """dL/db of the last backward, (n_out,), or None without a bias."""
        return self.grads.get("b")

    @db.setter
    def db(self, value: ArrayLike) -> None:
        self.grads["b"] = value

    def forward(self, X: Array, training: bool = False) -> Array:
        """Z = X @ W.T + b for X of shape (m, n_in); caches X."""
        W = self.params["W"]
        if not (isinstance(X, np.ndarray) and X.dtype == W.dtype):
            X = as_float_array(X, W.dtype, f"{self!r} input X")
        if X.ndim != 2 or X.shape[1] != self.n_in:
            hint = (
                f" A single sample needs shape (1, {self.n_in}): use X.reshape(1, -1)."
                if X.ndim == 1
                else " Rows are samples."
            )
            raise ValueError(
                f"{self!r} expected X of shape (m, {self.n_in}); got {X.shape}.{hint}"
            )
        self.X = X
        Z = np.dot(X, W.T, out=self.out("Z", (X.shape[0], self.n_out), W.dtype))
        b = self.params.get("b")
        if b is not None:
            Z += b
        return Z

    def backward(self, dZ: Array, need_dX: bool = True) -> Array | None:
        """Write dW = dZ.T @ X and db = dZ.sum(0); return dX = dZ @ W.

        ``need_dX=False`` skips the product dZ @ W and returns None: the first layer
        of a network has no one to pass dX to.
        """
        X = self.X
        if X is None or dZ.shape != (X.shape[0], self.n_out):
            X = self._cached("X")
            self._check_dY(dZ, (X.shape[0], self.n_out))
        np.dot(dZ.T, X, out=self.grads["W"])
        db = self.grads.get("b")
        if db is not None:
            ones = self._ones
            if ones.shape[0] != dZ.shape[0] or ones.dtype != dZ.dtype:
                ones = self._ones = np.ones(dZ.shape[0], dtype=dZ.dtype)
            np.dot(ones, dZ, out=db)  # = dZ.sum(axis=0)
        if not need_dX:
            return None
        W = self.params["W"]
        return np.dot(dZ, W, out=self.out("dX", X.shape, W.dtype))

    def output_shape(self, in_shape: Shape) -> Shape:
        """(n_out,) for an input of (n_in,)."""
        if len(in_shape) != 1 or in_shape[0] not in (None, self.n_in):
            raise ValueError(
                f"{self!r} expects samples of shape ({self.n_in},); the layers before "
                f"it give {_show(in_shape)}."
            )
        return (self.n_out,)

    def astype(self, dtype: DTypeLike) -> Dense:
        """Convert W, b, dW, db to ``dtype`` (a layer outside a model)."""
        super().astype(dtype)
        self.X = None
        return self

    def __repr__(self) -> str:
        return f"Dense({self.n_in} → {self.n_out})"


def _show(shape: Shape) -> str:
    """(3, None) as "(3, ?)"."""
    inner = ", ".join("?" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
