"""Standardization inside the model: frozen per-feature mean μ and std σ.

``Standardize`` maps raw inputs to the units a network trains on, (X − μ)/σ;
``Unstandardize`` maps a network's outputs back to the targets' own units, Y σ + μ.
With the one in front and the other at the end, a saved model takes and returns data
in its own units: ``gn.load(path).predict(X_raw)`` needs no scaler beside it.

μ and σ are learned once from the training data (``Standardize.fit(X_train)``) and
then frozen: they are buffers (saved by ``glassnet.io`` and by checkpoints, never in
θ, never stepped by an optimizer), as BatchNorm's running statistics are.

A feature whose training values are all equal has no spread to divide by: it gets
σ = 1, so it maps to 0 (its value minus its constant mean) and never divides by zero
— the rule of ``datasets.Standardizer`` and of scikit-learn's ``StandardScaler``.

PyTorch has no such module (people standardize outside the model, with a
``torchvision.transforms.Normalize`` or by hand); the file layout follows BatchNorm's
buffers: ``"i.mean"`` and ``"i.std"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from glassnet.layers.base import Layer, Shape, as_float_array

__all__ = ["Standardize", "Unstandardize"]

Array = NDArray[Any]


def _statistics(X: ArrayLike, who: str) -> tuple[Array, Array]:
    """μ and σ of each feature of the batch X (m, ...) over its m samples, float64.

    A feature whose values are all equal gets σ = 1 (it maps to 0).
    """
    X = as_float_array(X, np.float64, f"{who}'s data")
    if X.ndim < 2 or X.shape[0] == 0:
        hint = " For one feature use X.reshape(-1, 1)." if X.ndim == 1 else ""
        raise ValueError(
            f"{who} needs a batch of shape (m, ...) with m ≥ 1 samples, one per row; "
            f"got {X.shape}.{hint}"
        )
    if not np.isfinite(X).all():
        raise ValueError(
            f"{who}'s data hold NaN or inf; the mean and std of a feature need finite "
            "values. Fill in or drop the missing values first."
        )
    mean: Array = X.mean(axis=0)
    std: Array = X.std(axis=0)
    constant = (X.max(axis=0) == X.min(axis=0)) | ~(std > 0)
    return mean, np.where(constant, 1.0, std)


class _Frozen(Layer):
    """What Standardize and Unstandardize share: buffers μ, σ of a sample's shape."""

    def __init__(
        self, mean: ArrayLike, std: ArrayLike, *, dtype: DTypeLike = np.float32
    ) -> None:
        super().__init__()
        name = type(self).__name__
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{name} needs a floating dtype; got {dtype}.")
        mu = as_float_array(mean, np.float64, f"{name}'s mean")
        sigma = as_float_array(std, np.float64, f"{name}'s std")
        if mu.shape != sigma.shape or mu.ndim == 0:
            raise ValueError(
                f"{name} needs mean and std of one feature shape, e.g. (n,); got "
                f"{mu.shape} and {sigma.shape}. Build it from data with "
                f"{name}.fit(X)."
            )
        if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
            raise ValueError(f"{name} needs finite mean and std; got NaN or inf.")
        if not (sigma.astype(dtype) > 0).all():
            raise ValueError(
                f"{name} needs std > 0 for every feature; got {sigma.min()!r}. A "
                "constant feature takes std 1 (as fit gives it)."
            )
        self.mean: Array = mu.astype(dtype)
        self.std: Array = sigma.astype(dtype)
        self._shape: tuple[int, ...] = tuple(mu.shape)

    @property
    def shape(self) -> tuple[int, ...]:
        """One sample's shape: that of μ and σ."""
        return self._shape

    @property
    def n_in(self) -> int | None:
        """The number of features of a vector input, (n,); None for other shapes."""
        return self._shape[0] if len(self._shape) == 1 else None

    @property
    def buffers(self) -> dict[str, Array]:
        """The mean and std, of one sample's shape: saved, never trained."""
        return {"mean": self.mean, "std": self.std}

    def _check(self, X: Array) -> Array:
        if not isinstance(X, np.ndarray) or X.dtype.kind != "f":
            X = as_float_array(X, self.mean.dtype, f"{self!r} input X")
        if X.shape[1:] != self._shape:
            raise ValueError(
                f"{self!r} expected X of shape (m, {_inner(self._shape)}); got "
                f"{X.shape}. Rows are samples."
            )
        if self.mean.dtype != X.dtype:  # follow the model's dtype (astype)
            self.mean = self.mean.astype(X.dtype)
            self.std = self.std.astype(X.dtype)
        return X

    def output_shape(self, in_shape: Shape) -> Shape:
        """The feature shape of μ and σ, for an input of that shape."""
        fits = len(in_shape) == len(self._shape) and all(
            n is None or n == k for n, k in zip(in_shape, self._shape, strict=True)
        )
        if not fits:
            hint = (
                " As a first layer it needs Sequential(..., input_shape="
                f"{self._shape})."
                if in_shape == (None,)
                else ""
            )
            raise ValueError(
                f"{self!r} expects samples of shape {self._shape}; the layers before "
                f"it give {in_shape}.{hint}"
            )
        return self._shape

    def astype(self, dtype: DTypeLike) -> _Frozen:
        """Convert μ and σ to ``dtype``."""
        self.mean = self.mean.astype(dtype)
        self.std = self.std.astype(dtype)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_inner(self._shape)})"


class Standardize(_Frozen):
    """Each feature standardized with a frozen mean and std: Y = (X − μ) / σ.

    Forward::

        Y = (X − μ) / σ              X, Y (m, ...); μ, σ (...) broadcast over rows

    Backward, given dY::

        dX = dY / σ                  (no parameter gradients: μ and σ are frozen)

    Shapes: X, Y, dY, dX (m, *shape); μ and σ ``shape``, e.g. (n,) or (1, 28, 28).
    Caches: nothing (the backward reads only σ).

    ``Standardize.fit(X_train)`` takes μ and σ of each feature over the rows (the
    population std, ddof = 0, as ``X.std(axis=0)``); a feature whose values are all
    equal gets σ = 1. μ and σ are buffers: saved with the model, never trained.

    Args:
        mean: μ, one value per feature (any shape: that of one sample).
        std: σ > 0, of the same shape.
        dtype: float32 (default) or float64; the layer follows its input's dtype.

    >>> import numpy as np
    >>> layer = Standardize.fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> layer.mean, layer.std        # column 2 is constant: σ = 1
    (array([2., 5.], dtype=float32), array([1., 1.], dtype=float32))
    >>> layer.forward(np.array([[4.0, 6.0]], dtype=np.float32))   # (4−2)/1, (6−5)/1
    array([[2., 1.]], dtype=float32)
    """

    @classmethod
    def fit(cls, X: ArrayLike, *, dtype: DTypeLike = np.float32) -> Standardize:
        """The layer with μ and σ of each feature of X (m, ...), over its m rows.

        Raises:
            ValueError: X with no rows, no feature axis, or NaN/inf values.
        """
        mean, std = _statistics(X, f"{cls.__name__}.fit")
        return cls(mean, std, dtype=dtype)

    def inverse(self) -> Unstandardize:
        """The layer that undoes this one, X σ + μ, with the same μ and σ."""
        return Unstandardize(self.mean, self.std, dtype=self.mean.dtype)

    def forward(self, X: Array, training: bool = False) -> Array:
        """Y = (X − μ) / σ."""
        X = self._check(X)
        Y: Array = (X - self.mean) / self.std
        return Y

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Return dX = dY / σ."""
        if dY.shape[1:] != self._shape:
            self._check_dY(dY, (dY.shape[0], *self._shape))
        if not need_dX:
            return None
        dX: Array = dY / self.std
        return dX


class Unstandardize(_Frozen):
    """The inverse of Standardize, for outputs: Y = X σ + μ in the targets' units.

    At the end of a regression network trained on standardized targets
    (y − μ)/σ, it turns the network's outputs back into the data's own units.

    Forward::

        Y = X * σ + μ                X, Y (m, ...); μ, σ (...) broadcast over rows

    Backward, given dY::

        dX = dY * σ                  (no parameter gradients: μ and σ are frozen)

    Shapes: X, Y, dY, dX (m, *shape); μ and σ ``shape``, e.g. (k,) for k outputs.
    Caches: nothing.

    Args:
        mean: μ of the targets, one value per output.
        std: σ > 0 of the targets, of the same shape.
        dtype: float32 (default) or float64.

    >>> import numpy as np
    >>> layer = Unstandardize.fit(np.array([[10.0], [20.0]]))   # μ = 15, σ = 5
    >>> layer.forward(np.array([[1.0], [-1.0]], dtype=np.float32))
    array([[20.],
           [10.]], dtype=float32)
    """

    @classmethod
    def fit(cls, Y: ArrayLike, *, dtype: DTypeLike = np.float32) -> Unstandardize:
        """The layer with μ and σ of each column of the targets Y (m, k).

        Raises:
            ValueError: Y with no rows, no output axis (reshape y to (m, 1)), or
                NaN/inf values.
        """
        mean, std = _statistics(Y, f"{cls.__name__}.fit")
        return cls(mean, std, dtype=dtype)

    def inverse(self) -> Standardize:
        """The layer that undoes this one, (X − μ) / σ, with the same μ and σ."""
        return Standardize(self.mean, self.std, dtype=self.mean.dtype)

    def forward(self, X: Array, training: bool = False) -> Array:
        """Y = X σ + μ."""
        X = self._check(X)
        Y: Array = X * self.std + self.mean
        return Y

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Return dX = dY σ."""
        if dY.shape[1:] != self._shape:
            self._check_dY(dY, (dY.shape[0], *self._shape))
        if not need_dX:
            return None
        dX: Array = dY * self.std
        return dX


def _inner(shape: tuple[int | None, ...]) -> str:
    """(3,) as "3", (1, 28, 28) as "1, 28, 28"."""
    return ", ".join("?" if n is None else str(n) for n in shape)
