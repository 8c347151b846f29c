"""Layers: the unit of mathematics.

Each layer owns its forward formula, caches exactly what its backward reads, and owns
its backward formula. A batch has one sample per row: ``X`` is ``(m, n_in)``.

Contract (every layer):

- ``forward(X) -> Y`` computes the output and caches what ``backward`` needs.
- ``backward(dY) -> dX`` takes dL/dY, stores dL/dparam in ``grads`` and returns dL/dX.
  It never changes its argument or the parameters. Writing into the gradient arrays
  (``dW[...] = ...``) is fastest; a layer that stores new arrays instead also trains,
  as ``fit`` then looks its gradients up again at every step.
- ``params`` and ``grads`` are dicts with the same keys and shapes (empty for
  activations).

The math of ``forward`` and ``backward`` sits in private twins, ``_forward_unchecked``
and ``_backward_unchecked``, that the public methods call after their checks. ``fit``
checks the whole data set once and then calls the twins, so no batch pays for the
same checks again. A twin's optional ``out`` array receives its result: ``fit`` passes
the arrays of its previous step with as many rows, so that a step allocates (and the
system zeroes) no fresh memory for large layers. The public methods pass none and
always return fresh arrays.

>>> import numpy as np
>>> layer = Dense(2, 1, init=[[1.0, 2.0]])
>>> layer.forward(np.array([[3.0, 4.0]], dtype=np.float32))
array([[11.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from glassnet import activations
from glassnet import init as initializers
from glassnet._validate import positive_int

__all__ = [
    "Dense",
    "Identity",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]

Array = NDArray[Any]


def as_float_array(X: ArrayLike, dtype: DTypeLike, what: str) -> Array:
    """``X`` as an array of ``dtype``; a TypeError naming ``what`` for non-numbers."""
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} must hold numbers; got an array of dtype {arr.dtype}. "
            "Convert strings or objects to floats first."
        )
    return arr.astype(dtype, copy=False)


class Layer:
    """The contract every layer fulfils; activations inherit it as it is.

    Subclasses implement ``forward`` and ``backward``. A layer without parameters
    keeps the empty ``params`` and ``grads`` defined here.
    """

    @property
    def params(self) -> dict[str, Array]:
        """Trainable parameters by name (empty for a layer without any)."""
        return {}

    @property
    def grads(self) -> dict[str, Array]:
        """dL/dparam by name, same keys and shapes as ``params``."""
        return {}

    def forward(self, X: Array) -> Array:
        """Compute the layer's output for the batch X and cache what backward needs."""
        raise NotImplementedError

    def backward(self, dY: Array) -> Array:
        """Given dL/dY, store parameter gradients and return dL/dX."""
        raise NotImplementedError

    def output_features(self, n_in: int | None) -> int | None:
        """Number of output features for ``n_in`` input features (None: unknown)."""
        return n_in

    def astype(self, dtype: DTypeLike) -> Layer:
        """Convert parameters and gradients to ``dtype`` in place of the old arrays."""
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _cached(self, name: str) -> Any:
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{self!r}.backward called before forward.")
        return value

    def _check_dY(self, dY: Array, expected: tuple[int, ...]) -> None:
        if dY.shape != expected:
            raise ValueError(
                f"{self!r}.backward expected dY of shape {expected} (the shape of its "
                f"last output); got {dY.shape}."
            )


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

    Speed: dW and db are written into the layer's own arrays (no new ones per step),
    and the column sum db is the product ones(m) @ dZ, which BLAS does about twice as
    fast as ``dZ.sum(axis=0)``; a vector of m ones is kept for it. The products are
    taken with ``np.dot`` rather than ``np.matmul`` (``@``): both hand 2-D arrays to
    the same BLAS routine and give the same bits, but ``np.dot`` reaches it about 0.5
    µs sooner per call, which is a tenth of a tiny network's step.

    Args:
        n_in: number of input features.
        n_out: number of neurons (output features).
        bias: whether the layer has a bias b.
        init: "he" (default), "xavier", "normal", "uniform", "zeros", an initializer
            from ``glassnet.init`` (e.g. ``init.normal(0.01)``), or the weights
            themselves as an (n_out, n_in) array.
        rng: seed or ``numpy.random.Generator`` for the initial weights.
        dtype: float32 (default, for speed) or float64.

    >>> import numpy as np
    >>> layer = Dense(3, 2, rng=0)
    >>> layer.W.shape, layer.b.shape
    ((2, 3), (2,))
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
        self.n_in = positive_int(n_in, "Dense's n_in")
        self.n_out = positive_int(n_out, "Dense's n_out")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Dense needs a floating dtype; got {dtype}.")
        shape = (self.n_out, self.n_in)
        if isinstance(init, str):
            init = initializers.get(init)
        if callable(init):
            W = init(shape, np.random.default_rng(rng))
        else:
            W = as_float_array(init, np.float64, f"{self!r} init weights")
            if W.shape != shape:
                raise ValueError(
                    f"{self!r} expected initial weights of shape {shape} "
                    "(n_out, n_in); "
                    f"got {W.shape}."
                )
        self.W: Array = np.array(W, dtype=dtype)
        self.b: Array | None = np.zeros(self.n_out, dtype=dtype) if bias else None
        self.dW: Array = np.zeros_like(self.W)
        self.db: Array | None = None if self.b is None else np.zeros_like(self.b)
        self.X: Array | None = None
        self._ones: Array = np.ones(0, dtype=dtype)  # ones(m) for db = ones @ dZ

    @property
    def params(self) -> dict[str, Array]:
        """{"W": W} plus {"b": b} when the layer has a bias."""
        return {"W": self.W} if self.b is None else {"W": self.W, "b": self.b}

    @property
    def grads(self) -> dict[str, Array]:
        """{"W": dW} plus {"b": db} when the layer has a bias."""
        return {"W": self.dW} if self.db is None else {"W": self.dW, "b": self.db}

    def forward(self, X: Array) -> Array:
        """Z = X @ W.T + b for X of shape (m, n_in); caches X."""
        if not (isinstance(X, np.ndarray) and X.dtype == self.W.dtype):
            X = as_float_array(X, self.W.dtype, f"{self!r} input X")
        if X.ndim != 2 or X.shape[1] != self.n_in:
            hint = (
                f" A single sample needs shape (1, {self.n_in}): use X.reshape(1, -1)."
                if X.ndim == 1
                else " Rows are samples."
            )
            raise ValueError(
                f"{self!r} expected X of shape (m, {self.n_in}); got {X.shape}.{hint}"
            )
        return self._forward_unchecked(X)

    def _forward_unchecked(self, X: Array, out: Array | None = None) -> Array:
        """Forward for an X already known to be (m, n_in) of the weights' dtype."""
        self.X = X
        Z = np.dot(X, self.W.T, out=out)  # W.T is a flag to BLAS, not a copy
        if self.b is not None:
            Z += self.b
        return Z

    # need_dX extends the Layer contract: only Sequential's training step passes it.
    def backward(  # type: ignore[override]
        self, dZ: Array, *, need_dX: bool = True
    ) -> Array | None:
        """Store dW = dZ.T @ X and db = dZ.sum(0); return dX = dZ @ W.

        ``need_dX=False`` skips the product dZ @ W and returns None: the first layer
        of a network has no one to pass dX to.
        """
        X = self._cached("X")
        self._check_dY(dZ, (X.shape[0], self.n_out))
        return self._backward_unchecked(dZ, need_dX=need_dX)

    def _backward_unchecked(
        self, dZ: Array, *, need_dX: bool = True, out: Array | None = None
    ) -> Array | None:
        """Backward after a forward, for a dZ already known to have Z's shape."""
        np.dot(dZ.T, cast(Array, self.X), out=self.dW)
        if self.db is not None:
            ones = self._ones
            if ones.shape[0] != dZ.shape[0] or ones.dtype != dZ.dtype:
                ones = self._ones = np.ones(dZ.shape[0], dtype=dZ.dtype)
            np.dot(ones, dZ, out=self.db)  # = dZ.sum(axis=0)
        return np.dot(dZ, self.W, out=out) if need_dX else None

    def output_features(self, n_in: int | None) -> int | None:
        """n_out."""
        return self.n_out

    def _share(self, theta: Array, dtheta: Array) -> None:
        """Keep W, b in the vector ``theta`` and dW, db in ``dtheta`` (values copied).

        Both vectors hold W.size + b.size numbers: W first, row by row, then b.
        ``Sequential`` lays all its parameters end to end this way, so that an
        elementwise optimizer updates them all in two NumPy calls rather than two per
        array. W, b, dW, db stay arrays of their usual shapes — views into the
        vectors — and every part of glassnet that changes a parameter writes into it
        (``W[...] = ...``), so they remain the model's parameters.
        """
        n = self.W.size
        W = theta[:n].reshape(self.W.shape)
        dW = dtheta[:n].reshape(self.W.shape)
        W[...], dW[...] = self.W, self.dW
        self.W, self.dW = W, dW
        if self.b is not None and self.db is not None:
            b, db = theta[n:], dtheta[n:]
            b[...], db[...] = self.b, self.db
            self.b, self.db = b, db

    def astype(self, dtype: DTypeLike) -> Dense:
        """Convert W, b, dW, db to ``dtype``."""
        self.W = self.W.astype(dtype)
        self.dW = self.dW.astype(dtype)
        if self.b is not None and self.db is not None:
            self.b = self.b.astype(dtype)
            self.db = self.db.astype(dtype)
        self.X = None
        return self

    def __repr__(self) -> str:
        return f"Dense({self.n_in} → {self.n_out})"


class ReLU(Layer):
    """Rectified linear unit applied elementwise.

    Forward::   A = max(Z, 0)
    Backward::  dZ = dA * (Z > 0)      (the kink Z = 0 gets derivative 0)

    Shapes: Z, A, dA, dZ all (m, n).
    Caches: the mask Z > 0 — all that the derivative needs.
    """

    def __init__(self) -> None:
        self.mask: Array | None = None
        self._zeros: Array = np.zeros(0, np.float32)  # a row of zeros, see below

    def forward(self, Z: Array) -> Array:
        """A = max(Z, 0); caches the mask Z > 0."""
        return self._forward_unchecked(Z)

    def _forward_unchecked(self, Z: Array, out: Array | None = None) -> Array:
        # In fit (out given) the last step's mask is reused, as the output is.
        mask = self.mask if out is not None else None
        if mask is not None and mask.shape != Z.shape:
            mask = None
        self.mask = np.greater(Z, activations.constant(0, Z.dtype), out=mask)
        # NumPy's maximum against the scalar 0 is not vectorized; against a row of
        # zeros (broadcast over the rows of Z) it is, and twice as fast for big Z.
        zeros = self._zeros
        if zeros.shape != Z.shape[-1:] or zeros.dtype != Z.dtype:
            zeros = self._zeros = np.zeros(Z.shape[-1:], dtype=Z.dtype)
        return np.maximum(Z, zeros, out=out)

    def backward(self, dA: Array) -> Array:
        """DZ = dA * (Z > 0)."""
        self._check_dY(dA, self._cached("mask").shape)
        return self._backward_unchecked(dA)

    def _backward_unchecked(self, dA: Array, out: Array | None = None) -> Array:
        return np.multiply(dA, cast(Array, self.mask), out=out)


class LeakyReLU(Layer):
    """Leaky ReLU: lets a small slope α through for negative inputs.

    Forward::   A = where(Z > 0, Z, α Z)
    Backward::  dZ = dA * where(Z > 0, 1, α)

    Shapes: Z, A, dA, dZ all (m, n).
    Caches: the slope where(Z > 0, 1, α).
    """

    def __init__(self, alpha: float = 0.01) -> None:
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"LeakyReLU needs a finite alpha ≥ 0; got {alpha!r}.")
        self.alpha = float(alpha)
        self.slope: Array | None = None

    def forward(self, Z: Array) -> Array:
        """A = where(Z > 0, Z, α Z); caches the slope."""
        self.slope = activations.leaky_relu_derivative(Z, self.alpha)
        return Z * self.slope

    def backward(self, dA: Array) -> Array:
        """DZ = dA * slope."""
        self._check_dY(dA, self._cached("slope").shape)
        return self._backward_unchecked(dA)

    def _backward_unchecked(self, dA: Array, out: Array | None = None) -> Array:
        return np.multiply(dA, cast(Array, self.slope), out=out)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(Layer):
    """Logistic function σ(z) = 1 / (1 + e^(−z)) applied elementwise.

    Forward::   A = σ(Z)
    Backward::  dZ = dA * A * (1 − A)

    Shapes: Z, A, dA, dZ all (m, n).
    Caches: A — σ'(Z) written with the output is A(1 − A).
    """

    def __init__(self) -> None:
        self.A: Array | None = None

    def forward(self, Z: Array) -> Array:
        """A = σ(Z); caches A."""
        self.A = activations.sigmoid(Z)
        return self.A

    def _forward_unchecked(self, Z: Array, out: Array | None = None) -> Array:
        # fit already silences the overflow of e^(−z) that sigmoid expects
        self.A = activations._sigmoid(Z, out)
        return self.A

    def backward(self, dA: Array) -> Array:
        """DZ = dA * A * (1 − A)."""
        self._check_dY(dA, self._cached("A").shape)
        return self._backward_unchecked(dA)

    def _backward_unchecked(self, dA: Array, out: Array | None = None) -> Array:
        A = cast(Array, self.A)
        dZ = np.multiply(dA, A, out=out)
        dZ *= np.subtract(activations.constant(1, A.dtype), A)  # (dA * A) * (1 − A)
        return dZ


class Tanh(Layer):
    """Hyperbolic tangent applied elementwise.

    Forward::   A = tanh(Z)
    Backward::  dZ = dA * (1 − A²)

    Shapes: Z, A, dA, dZ all (m, n).
    Caches: A — tanh'(Z) written with the output is 1 − A².
    """

    def __init__(self) -> None:
        self.A: Array | None = None

    def forward(self, Z: Array) -> Array:
        """A = tanh(Z); caches A."""
        return self._forward_unchecked(Z)

    def _forward_unchecked(self, Z: Array, out: Array | None = None) -> Array:
        self.A = np.tanh(Z, out=out)
        return self.A

    def backward(self, dA: Array) -> Array:
        """DZ = dA * (1 − A²)."""
        self._check_dY(dA, self._cached("A").shape)
        return self._backward_unchecked(dA)

    def _backward_unchecked(self, dA: Array, out: Array | None = None) -> Array:
        A = cast(Array, self.A)
        dZ = np.multiply(A, A, out=out)
        np.subtract(activations.constant(1, A.dtype), dZ, out=dZ)
        dZ *= dA  # (1 − A²) * dA, computed in one new array
        return dZ


class Softmax(Layer):
    """Softmax of each row: probabilities over k classes that sum to 1.

    Forward::   A = exp(Z) / exp(Z).sum(axis=1, keepdims=True)
    Backward::  dZ = A * (dA − (dA * A).sum(axis=1, keepdims=True))

    The backward is the Jacobian-vector product of diag(a) − a aᵀ, one row at a time,
    without building the (k, k) Jacobian. Followed by ``CrossEntropy``, training skips
    this backward and uses the fused, exact dZ = (A − T) / m instead.

    Shapes: Z, A, dA, dZ all (m, k).
    Caches: A.
    """

    def __init__(self) -> None:
        self.A: Array | None = None

    def forward(self, Z: Array) -> Array:
        """A = softmax(Z) row by row; caches A."""
        if Z.ndim != 2:
            raise ValueError(f"Softmax expected Z of shape (m, k); got {Z.shape}.")
        self.A = activations.softmax(Z)
        return self.A

    def backward(self, dA: Array) -> Array:
        """DZ = A * (dA − Σ_k dA * A)."""
        A = self._cached("A")
        self._check_dY(dA, A.shape)
        return A * (dA - (dA * A).sum(axis=1, keepdims=True))


class Identity(Layer):
    """No activation: A = Z (seed B's neurons "without activation", regression outputs).

    Forward::   A = Z
    Backward::  dZ = dA

    Caches: nothing — the derivative is 1.
    """

    def __init__(self) -> None:
        self.shape: tuple[int, ...] | None = None

    def forward(self, Z: Array) -> Array:
        """A = Z."""
        self.shape = Z.shape
        return Z

    def backward(self, dA: Array) -> Array:
        """DZ = dA."""
        shape: tuple[int, ...] = self._cached("shape")
        self._check_dY(dA, shape)
        return dA
