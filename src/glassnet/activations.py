"""Activation functions g(z) and their derivatives g'(z), as pure functions.

Every function takes an array ``Z`` of any shape and returns a new array of the same
shape and dtype; none changes its argument. All are stable for |z| up to 1e4 and far
beyond: no overflow warning, no NaN.

>>> import numpy as np
>>> z = np.array([-1.0, 0.0, 2.0])
>>> relu(z)
array([0., 0., 2.])
>>> sigmoid(np.array([0.0]))
array([0.5])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "leaky_relu",
    "leaky_relu_derivative",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "softmax_jacobian",
    "tanh",
    "tanh_derivative",
]

Array = NDArray[np.floating]


def sigmoid(Z: Array, out: Array | None = None) -> Array:
    """Logistic function σ(z) = 1 / (1 + e^(−z)).

    Computed as written, in one new array (or in ``out``, when given). For very
    negative z (below about −88 in float32, −709 in float64) e^(−z) overflows to inf
    and 1 / (1 + inf) = 0, which is the correctly rounded value (σ(z) < e^z is below
    the smallest normal float there); that overflow is expected, so its warning is
    silenced. Everywhere else the formula keeps full relative precision on both tails.

    >>> import numpy as np
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    Z = np.asarray(Z)
    if Z.dtype.kind != "f":
        Z = Z.astype(np.float64)
    with np.errstate(over="ignore"):
        return _sigmoid(Z, out)


def _sigmoid(Z: Array, out: Array | None = None) -> Array:
    """σ(Z) for a float array Z, in Z's dtype; the caller silences the overflow.

    ``fit`` runs under ``np.errstate(over="ignore")`` already, and entering that
    context again costs more than the four operations on a small batch.
    """
    one = constant(1, Z.dtype)
    A = np.negative(Z, out=out)
    np.exp(A, out=A)
    np.add(A, one, out=A)
    return np.divide(one, A, out=A)  # np.reciprocal's bits, faster on large arrays


_CONSTANTS: dict[tuple[float, np.dtype[Any]], Array] = {}


def constant(value: float, dtype: np.dtype[Any]) -> Array:
    """``value`` as a read-only 0-d array of ``dtype``, made once and then reused.

    NumPy converts a Python number in a ufunc call to the array's dtype on every
    call, which costs about as much as the operation itself on a small array; a 0-d
    array of that dtype gives the same bits without the conversion.

    >>> import numpy as np
    >>> constant(1, np.dtype(np.float32))
    array(1., dtype=float32)
    """
    key = (value, dtype)
    c = _CONSTANTS.get(key)
    if c is None:
        c = _CONSTANTS[key] = np.array(value, dtype=dtype)
        c.flags.writeable = False
    return c


def sigmoid_derivative(Z: Array) -> Array:
    """σ'(z) = σ(z)(1 − σ(z)).

    >>> import numpy as np
    >>> sigmoid_derivative(np.array([0.0]))
    array([0.25])
    """
    A = sigmoid(Z)
    return A * (1.0 - A)


def tanh(Z: Array) -> Array:
    """Hyperbolic tangent: (e^z − e^(−z)) / (e^z + e^(−z)).

    >>> import numpy as np
    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(Z)


def tanh_derivative(Z: Array) -> Array:
    """tanh'(z) = 1 − tanh(z)².

    >>> import numpy as np
    >>> tanh_derivative(np.array([0.0]))
    array([1.])
    """
    A = np.tanh(Z)
    return 1.0 - A * A


def relu(Z: Array) -> Array:
    """Rectified linear unit, max(0, z).

    >>> import numpy as np
    >>> relu(np.array([-2.0, 3.0]))
    array([0., 3.])
    """
    return np.maximum(Z, 0)


def relu_derivative(Z: Array) -> Array:
    """relu'(z) = 1 for z > 0, else 0 (the derivative at the kink z = 0 is taken as 0).

    >>> import numpy as np
    >>> relu_derivative(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    Z = np.asarray(Z)
    return (Z > 0).astype(Z.dtype)


def leaky_relu(Z: Array, alpha: float = 0.01) -> Array:
    """Leaky ReLU: z for z > 0, α·z otherwise.

    >>> import numpy as np
    >>> leaky_relu(np.array([-2.0, 3.0]), alpha=0.1)
    array([-0.2,  3. ])
    """
    Z = np.asarray(Z)
    return np.where(Z > 0, Z, alpha * Z).astype(Z.dtype, copy=False)


def leaky_relu_derivative(Z: Array, alpha: float = 0.01) -> Array:
    """Leaky ReLU's derivative: 1 for z > 0, α otherwise (α at the kink z = 0).

    >>> import numpy as np
    >>> leaky_relu_derivative(np.array([-2.0, 3.0]), alpha=0.1)
    array([0.1, 1. ])
    """
    Z = np.asarray(Z)
    return np.where(Z > 0, 1.0, alpha).astype(Z.dtype)


def softmax(Z: Array) -> Array:
    """Softmax of each row: A[i, j] = exp(Z[i, j]) / Σ_k exp(Z[i, k]).

    Seed E prints softmax as z_j / Σ z_k; the exponentials are the correct form.
    Subtracting each row's maximum first changes nothing mathematically (the factor
    e^(−max) cancels) and keeps every exponential ≤ 1, so nothing overflows.

    Shapes: Z (m, k) → A (m, k); a 1-D Z is one row.

    >>> import numpy as np
    >>> softmax(np.array([[0.0, 0.0], [1e4, 0.0]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    Z = np.asarray(Z)
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def softmax_jacobian(Z: Array) -> Array:
    """Jacobian of softmax for each row: J[i] = diag(a) − a aᵀ with a = softmax(Z[i]).

    Shapes: Z (m, k) → J (m, k, k), where J[i, j, l] = ∂A[i, j] / ∂Z[i, l]. Layers
    never build this matrix (the Softmax layer's backward uses the product formula);
    it is here to state and test the derivative.

    >>> import numpy as np
    >>> softmax_jacobian(np.array([[0.0, 0.0]]))
    array([[[ 0.25, -0.25],
            [-0.25,  0.25]]])
    """
    A = softmax(np.atleast_2d(Z))
    return (
        A[:, :, None] * np.eye(A.shape[1], dtype=A.dtype)
        - A[:, :, None] * A[:, None, :]
    )
