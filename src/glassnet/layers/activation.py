"""Activation layers: g applied to every number of the batch, and g' in the backward.

Each keeps the shape of its input, has no parameters, and caches whichever of Z or A
makes its derivative cheaper (the table in STYLE.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet import activations
from glassnet.activations import constant
from glassnet.layers.base import Layer, Shape

__all__ = ["Identity", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Tanh"]

Array = NDArray[Any]


class ReLU(Layer):
    """Rectified linear unit applied elementwise.

    Forward::   A = max(Z, 0)
    Backward::  dZ = dA * (Z > 0)      (the kink Z = 0 gets derivative 0)

    Shapes: Z, A, dA, dZ all (m, ...).
    Caches: the mask Z > 0 — all that the derivative needs — as booleans, a quarter
    of the memory of numbers. Which is faster is close: on 64 × 50, the comparison
    takes 0.5 µs into booleans against 1.4 µs into numbers of Z's dtype (a cast),
    and dA * mask 1.4 µs against 0.6 (the cast moves to the backward). In one
    process, alternating, the boolean mask took 0.978–0.981 × the time of a circles
    epoch, 0.987 × a CNN step and 0.999 × an MNIST 784-512-256-10 epoch
    (2026-12-02), with the same bits.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> relu = gn.ReLU()
    >>> relu.forward(np.array([[-2.0, 0.0, 3.0]])).tolist()     # A = max(Z, 0)
    [[0.0, 0.0, 3.0]]
    >>> relu.backward(np.array([[10.0, 20.0, 30.0]])).tolist()  # dZ = dA · (Z > 0)
    [[0.0, 0.0, 30.0]]
    """

    def __init__(self) -> None:
        super().__init__()
        self.mask: Array | None = None
        self._zeros: Array = np.zeros(0, np.float32)  # zeros of Z's shape, see below

    def forward(self, Z: Array, training: bool = False) -> Array:
        """A = max(Z, 0); caches the mask Z > 0."""
        # NumPy's maximum against the scalar 0 (or a broadcast row of zeros) runs a
        # slower loop than against an array of Z's shape (0.8 against 1.7 µs for
        # 64 × 50), so zeros of Z's shape are kept; they are only ever read.
        zeros = self._zeros
        if zeros.shape != Z.shape or zeros.dtype != Z.dtype:
            zeros = self._zeros = np.zeros(Z.shape, dtype=Z.dtype)
        self.mask = np.greater(Z, zeros, out=self.out("mask", Z.shape, np.bool_))
        return np.maximum(Z, zeros, out=self.out("A", Z.shape, Z.dtype))

    def backward(self, dA: Array, need_dX: bool = True) -> Array:
        """DZ = dA * (Z > 0)."""
        mask = self._cache_like("mask", dA)
        return np.multiply(dA, mask, out=self.out("dZ", dA.shape, dA.dtype))


class LeakyReLU(Layer):
    """Leaky ReLU: lets a small slope α through for negative inputs.

    Forward::   A = where(Z > 0, Z, α Z)
    Backward::  dZ = dA * where(Z > 0, 1, α)

    Shapes: Z, A, dA, dZ all (m, ...).
    Caches: the slope where(Z > 0, 1, α).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> leaky = gn.LeakyReLU(alpha=0.1)
    >>> leaky.forward(np.array([[-2.0, 3.0]])).tolist()    # A: 0.1 · (−2), 3
    [[-0.2, 3.0]]
    >>> leaky.backward(np.array([[10.0, 10.0]])).tolist()  # dZ = dA · (0.1, 1)
    [[1.0, 10.0]]
    """

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"LeakyReLU needs a finite alpha ≥ 0; got {alpha!r}.")
        self.alpha = float(alpha)
        self.slope: Array | None = None

    def forward(self, Z: Array, training: bool = False) -> Array:
        """A = where(Z > 0, Z, α Z); caches the slope."""
        self.slope = activations.leaky_relu_derivative(Z, self.alpha)
        return Z * self.slope

    def backward(self, dA: Array, need_dX: bool = True) -> Array:
        """DZ = dA * slope."""
        slope = self._cache_like("slope", dA)
        return np.multiply(dA, slope, out=self.out("dZ", dA.shape, dA.dtype))

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(Layer):
    """Logistic function σ(z) = 1 / (1 + e^(−z)) applied elementwise.

    Forward::   A = σ(Z)
    Backward::  dZ = dA * A * (1 − A)

    Shapes: Z, A, dA, dZ all (m, ...).
    Caches: A — σ'(Z) written with the output is A(1 − A).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> sigmoid = gn.Sigmoid()
    >>> sigmoid.forward(np.array([[0.0, 2.0]])).round(4).tolist()    # A = σ(Z)
    [[0.5, 0.8808]]
    >>> sigmoid.backward(np.array([[1.0, 2.0]])).round(4).tolist()   # 1·0.25, 2·0.105
    [[0.25, 0.21]]
    """

    def __init__(self) -> None:
        super().__init__()
        self.A: Array | None = None

    def forward(self, Z: Array, training: bool = False) -> Array:
        """A = σ(Z); caches A."""
        self.A = activations.sigmoid(Z, out=self.out("A", Z.shape, Z.dtype))
        return self.A

    def backward(self, dA: Array, need_dX: bool = True) -> Array:
        """DZ = dA * A * (1 − A)."""
        A = self._cache_like("A", dA)
        dZ = np.multiply(dA, A, out=self.out("dZ", A.shape, A.dtype))
        dZ *= np.subtract(constant(1, A.dtype), A)  # (dA * A) * (1 − A)
        return dZ


class Tanh(Layer):
    """Hyperbolic tangent applied elementwise.

    Forward::   A = tanh(Z)
    Backward::  dZ = dA * (1 − A²)

    Shapes: Z, A, dA, dZ all (m, ...).
    Caches: A — tanh'(Z) written with the output is 1 − A².

    >>> import numpy as np
    >>> import glassnet as gn
    >>> tanh = gn.Tanh()
    >>> tanh.forward(np.array([[0.0, 1.0]])).round(4).tolist()    # A = tanh(Z)
    [[0.0, 0.7616]]
    >>> tanh.backward(np.array([[3.0, 1.0]])).round(4).tolist()   # 3·1, 1·(1 − 0.7616²)
    [[3.0, 0.42]]
    """

    def __init__(self) -> None:
        super().__init__()
        self.A: Array | None = None

    def forward(self, Z: Array, training: bool = False) -> Array:
        """A = tanh(Z); caches A."""
        self.A = np.tanh(Z, out=self.out("A", Z.shape, Z.dtype))
        return self.A

    def backward(self, dA: Array, need_dX: bool = True) -> Array:
        """DZ = dA * (1 − A²)."""
        A = self._cache_like("A", dA)
        dZ = np.multiply(A, A, out=self.out("dZ", A.shape, A.dtype))
        np.subtract(constant(1, A.dtype), dZ, out=dZ)
        dZ *= dA  # (1 − A²) * dA, computed in one array
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

    >>> import numpy as np
    >>> import glassnet as gn
    >>> softmax = gn.Softmax()
    >>> softmax.forward(np.array([[0.0, np.log(3.0)]])).round(4).tolist()  # 1:3, sum 1
    [[0.25, 0.75]]
    >>> dZ = softmax.backward(np.array([[1.0, 0.0]]))   # A · (dA − Σ dA · A), Σ = 0.25
    >>> dZ.round(4).tolist()                            # 0.25 · 0.75, 0.75 · (−0.25)
    [[0.1875, -0.1875]]
    """

    def __init__(self) -> None:
        super().__init__()
        self.A: Array | None = None

    def forward(self, Z: Array, training: bool = False) -> Array:
        """A = softmax(Z) row by row; caches A."""
        if Z.ndim != 2:
            raise ValueError(f"Softmax expected Z of shape (m, k); got {Z.shape}.")
        self.A = activations.softmax(Z)
        return self.A

    def backward(self, dA: Array, need_dX: bool = True) -> Array:
        """DZ = A * (dA − Σ_k dA * A)."""
        A = self._cache_like("A", dA)
        return A * (dA - (dA * A).sum(axis=1, keepdims=True))  # type: ignore[no-any-return]

    def output_shape(self, in_shape: Shape) -> Shape:
        """(k,) for (k,): softmax is taken over one axis of classes."""
        if len(in_shape) != 1:
            raise ValueError(
                f"Softmax takes samples of shape (k,) (class scores); got {in_shape}."
            )
        return in_shape


class Identity(Layer):
    """No activation: A = Z (seed B's neurons "without activation", regression outputs).

    Forward::   A = Z
    Backward::  dZ = dA

    Caches: nothing but Z's shape — the derivative is 1.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> identity = gn.Identity()
    >>> Z = np.array([[-1.5, 2.0]])
    >>> identity.forward(Z) is Z                              # A = Z, the same array
    True
    >>> identity.backward(np.array([[0.3, -0.7]])).tolist()   # dZ = dA
    [[0.3, -0.7]]
    """

    def __init__(self) -> None:
        super().__init__()
        self.shape: tuple[int, ...] | None = None

    def forward(self, Z: Array, training: bool = False) -> Array:
        """A = Z."""
        self.shape = Z.shape
        return Z

    def backward(self, dA: Array, need_dX: bool = True) -> Array:
        """DZ = dA."""
        shape: tuple[int, ...] = self._cached("shape")
        self._check_dY(dA, shape)
        return dA
