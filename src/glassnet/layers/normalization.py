"""Batch normalisation: each feature (or channel) rescaled by its batch statistics.

``BatchNorm1D(n)`` normalises each of the n features of an (m, n) batch over the m
samples; ``BatchNorm2D(c)`` normalises each of the c channels of an (m, c, H, W)
batch over the m·H·W values it holds. Both follow ``torch.nn.BatchNorm1d``/``2d``:
batch statistics while training, running statistics (momentum 0.1, unbiased running
variance) otherwise, γ = 1 and β = 0 to start. γ and β are parameters (views of θ);
the running statistics are buffers: saved by ``glassnet.io`` and by checkpoints,
never stepped by an optimizer. The backward is derived in ``docs/derivations.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._validate import positive_int
from glassnet.layers.base import Layer, Shape, as_float_array

__all__ = ["BatchNorm1D", "BatchNorm2D"]

Array = NDArray[Any]


class _BatchNorm(Layer):
    """What BatchNorm1D and BatchNorm2D share; they differ in the axes reduced."""

    axes: tuple[int, ...] = (0,)
    sample: str = "(n,)"  # the sample shape, for messages

    def __init__(
        self,
        n: int,
        *,
        eps: float = 1e-5,
        momentum: float = 0.1,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.n = positive_int(n, f"{name}'s number of features")
        if not (np.isfinite(eps) and eps > 0):
            raise ValueError(f"{name} needs eps > 0 (finite); got {eps!r}.")
        if not (np.isfinite(momentum) and 0 <= momentum <= 1):
            raise ValueError(
                f"{name} needs momentum in [0, 1] (PyTorch's default is 0.1); got "
                f"{momentum!r}."
            )
        self.eps, self.momentum = float(eps), float(momentum)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{name} needs a floating dtype; got {dtype}.")
        self.params["gamma"] = np.ones(self.n, dtype=dtype)
        self.params["beta"] = np.zeros(self.n, dtype=dtype)
        self.grads["gamma"] = np.zeros(self.n, dtype=dtype)
        self.grads["beta"] = np.zeros(self.n, dtype=dtype)
        self.running_mean: Array = np.zeros(self.n, dtype=dtype)
        self.running_var: Array = np.ones(self.n, dtype=dtype)
        self.num_batches_tracked: Array = np.zeros((), dtype=np.int64)
        self.X_hat: Array | None = None  # caches, see the class docstrings
        self.inv_std: Array | None = None
        self.batch_stats = False

    # γ and β: the entries of params (assigning writes into them)
    @property
    def gamma(self) -> Array:
        """γ, the scale of each feature, (n,)."""
        return self.params["gamma"]

    @property
    def beta(self) -> Array:
        """β, the shift of each feature, (n,)."""
        return self.params["beta"]

    @property
    def buffers(self) -> dict[str, Array]:
        """running_mean, running_var (n,) and num_batches_tracked (), as in PyTorch."""
        return {
            "running_mean": self.running_mean,
            "running_var": self.running_var,
            "num_batches_tracked": self.num_batches_tracked,
        }

    def _shaped(self, v: Array) -> Array:
        """A per-feature vector (n,) shaped to broadcast against X."""
        return v

    def _check(self, X: Array) -> Array:
        raise NotImplementedError

    def forward(self, X: Array, training: bool = False) -> Array:
        """Y = γ X̂ + β; batch statistics when ``training``, running ones otherwise."""
        X = self._check(X)
        if self.running_mean.dtype != X.dtype:  # follow the model's dtype (astype)
            self.running_mean = self.running_mean.astype(X.dtype)
            self.running_var = self.running_var.astype(X.dtype)
        if training:
            N = X.size // self.n  # values per feature: m, or m·H·W
            if N < 2:
                raise ValueError(
                    f"{self!r} in training needs more than one value per feature to "
                    f"take batch statistics; got X of shape {X.shape}. Train with "
                    "batches of at least 2 samples (a batch_size that leaves no last "
                    "batch of 1), or call forward with training=False."
                )
            mu = X.mean(axis=self.axes)
            var = X.var(axis=self.axes)  # biased: 1/N, as the normalisation uses
            keep = 1.0 - self.momentum
            self.running_mean *= keep
            self.running_mean += self.momentum * mu
            self.running_var *= keep
            self.running_var += (self.momentum * N / (N - 1)) * var  # unbiased
            self.num_batches_tracked += 1
        else:
            mu, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        X_hat = (X - self._shaped(mu)) * self._shaped(inv_std)
        self.X_hat, self.inv_std, self.batch_stats = X_hat, inv_std, training
        gamma, beta = self.params["gamma"], self.params["beta"]
        Y: Array = X_hat * self._shaped(gamma) + self._shaped(beta)
        return Y

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Write dγ and dβ; return dX (through the batch statistics if used)."""
        X_hat = self._cached("X_hat")
        self._check_dY(dY, X_hat.shape)
        inv_std: Array = self._cached("inv_std")
        np.sum(dY * X_hat, axis=self.axes, out=self.grads["gamma"])
        np.sum(dY, axis=self.axes, out=self.grads["beta"])
        if not need_dX:
            return None
        dX_hat = dY * self._shaped(self.params["gamma"])
        if not self.batch_stats:  # μ and σ² are constants: X̂ is affine in X
            return dX_hat * self._shaped(inv_std)  # type: ignore[no-any-return]
        N = X_hat.size // self.n
        mean_dX_hat = dX_hat.sum(axis=self.axes) / N
        mean_dX_hat_X_hat = (dX_hat * X_hat).sum(axis=self.axes) / N
        dX: Array = (
            dX_hat - self._shaped(mean_dX_hat) - X_hat * self._shaped(mean_dX_hat_X_hat)
        ) * self._shaped(inv_std)
        return dX

    def astype(self, dtype: DTypeLike) -> _BatchNorm:
        """Convert γ, β, their gradients and the running statistics to ``dtype``."""
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        self.X_hat = self.inv_std = None
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n})"


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of each feature of an (m, n) batch (``nn.BatchNorm1d``).

    Forward, training (statistics of the batch, over its m rows)::

        μ = X.mean(axis=0)                 σ² = X.var(axis=0)          (n,)
        X̂ = (X − μ) / √(σ² + ε)           Y = γ X̂ + β                (m, n)
        running_mean = (1 − p)·running_mean + p·μ
        running_var  = (1 − p)·running_var  + p·σ²·m/(m − 1)           (p = momentum)

    Forward, inference: μ = running_mean, σ² = running_var, the same X̂ and Y.

    Backward, given dY (m, n), with dX̂ = dY γ and 1/√(σ² + ε) = inv_std::

        dγ = (dY * X̂).sum(axis=0)          dβ = dY.sum(axis=0)         (n,)
        dX = inv_std · (dX̂ − mean(dX̂) − X̂ · mean(dX̂ * X̂))            (m, n)
                                        (means over axis 0; training mode)
        dX = inv_std · dX̂                (inference mode: μ, σ² are constants)

    Shapes: X, X̂, Y (m, n); γ, β, running statistics (n,).
    Caches: X̂ and inv_std (and whether batch statistics were used).

    A batch of one sample has no variance to normalise by: training with m = 1 is
    refused, as PyTorch refuses it.

    Args:
        n: number of features.
        eps: ε, added to the variance (PyTorch's 1e-5).
        momentum: p, the weight of the new batch in the running statistics (0.1).
        dtype: float32 (default) or float64.

    >>> import numpy as np
    >>> bn = BatchNorm1D(2, dtype=np.float64)
    >>> bn.forward(np.array([[1.0, 10.0], [3.0, 30.0]]), training=True).round(3)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean, bn.running_var   # 0.1·(2, 20); 0.9 + 0.1·(1, 100)·2/1
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """

    axes = (0,)

    def _check(self, X: Array) -> Array:
        X = as_float_array(X, self.params["gamma"].dtype, f"{self!r} input X")
        if X.ndim != 2 or X.shape[1] != self.n:
            hint = (
                " For images (m, c, H, W) use BatchNorm2D(c)."
                if X.ndim == 4
                else " Rows are samples."
            )
            raise ValueError(
                f"{self!r} expected X of shape (m, {self.n}); got {X.shape}.{hint}"
            )
        return X

    def output_shape(self, in_shape: Shape) -> Shape:
        """(n,) for an input of (n,)."""
        if len(in_shape) != 1 or in_shape[0] not in (None, self.n):
            hint = (
                f" For images use BatchNorm2D({in_shape[0]})."
                if len(in_shape) == 3
                else f" Use BatchNorm1D({in_shape[0]})."
                if len(in_shape) == 1
                else ""
            )
            raise ValueError(
                f"{self!r} expects samples of shape ({self.n},); the layers before "
                f"it give {_show(in_shape)}.{hint}"
            )
        return in_shape


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of each channel of (m, c, H, W) images (``nn.BatchNorm2d``).

    The formulas of ``BatchNorm1D`` with the statistics of each channel taken over
    the N = m·H·W values it holds (axes 0, 2, 3) and γ, β, μ, σ² (c,) broadcast as
    (1, c, 1, 1)::

        μ = X.mean(axis=(0, 2, 3))         σ² = X.var(axis=(0, 2, 3))      (c,)
        X̂ = (X − μ) / √(σ² + ε)           Y = γ X̂ + β                    (m, c, H, W)
        running_var = (1 − p)·running_var + p·σ²·N/(N − 1)
        dγ = (dY * X̂).sum(axis=(0, 2, 3))  dβ = dY.sum(axis=(0, 2, 3))
        dX = inv_std · (dX̂ − mean(dX̂) − X̂ · mean(dX̂ * X̂))   (means over N values)

    Shapes: X, X̂, Y (m, c, H, W); γ, β, running statistics (c,).
    Caches: X̂ and inv_std (and whether batch statistics were used).
    Training needs N > 1 (a single sample of a 1 × 1 image is refused).

    Args:
        c: number of channels.
        eps: as for ``BatchNorm1D``.
        momentum: as for ``BatchNorm1D``.
        dtype: as for ``BatchNorm1D``.

    >>> import numpy as np
    >>> bn = BatchNorm2D(3)
    >>> bn.forward(np.ones((2, 3, 4, 4), dtype=np.float32), training=True).shape
    (2, 3, 4, 4)
    """

    axes = (0, 2, 3)

    def __init__(
        self,
        c: int,
        *,
        eps: float = 1e-5,
        momentum: float = 0.1,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__(c, eps=eps, momentum=momentum, dtype=dtype)

    def _shaped(self, v: Array) -> Array:
        return v.reshape(1, -1, 1, 1)

    def _check(self, X: Array) -> Array:
        X = as_float_array(X, self.params["gamma"].dtype, f"{self!r} input X")
        if X.ndim != 4 or X.shape[1] != self.n:
            hint = (
                " For (m, n) features use BatchNorm1D(n)."
                if X.ndim == 2
                else " Channels come second: (m, c, H, W)."
            )
            raise ValueError(
                f"{self!r} expected X of shape (m, {self.n}, H, W); got {X.shape}."
                f"{hint}"
            )
        return X

    def output_shape(self, in_shape: Shape) -> Shape:
        """(c, H, W) for an input of (c, H, W)."""
        if len(in_shape) != 3 or in_shape[0] not in (None, self.n):
            hint = (
                f" For (m, n) features use BatchNorm1D({in_shape[0]})."
                if len(in_shape) == 1
                else f" Use BatchNorm2D({in_shape[0]})."
                if len(in_shape) == 3
                else ""
            )
            raise ValueError(
                f"{self!r} expects samples of shape ({self.n}, H, W); the layers "
                f"before it give {_show(in_shape)}.{hint}"
            )
        return in_shape


def _show(shape: Shape) -> str:
    """(3, None) as "(3, ?)"."""
    inner = ", ".join("?" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
