"""Pooling and Flatten on images (m, C, H, W).

``MaxPool2D`` keeps the largest value of each window (ties go to the first, as in
PyTorch) and sends the gradient back to it; ``AvgPool2D`` keeps the mean and shares
the gradient equally; ``Flatten`` makes each sample one row, in PyTorch's order, so a
Dense layer can follow.

>>> MaxPool2D(2).output_shape((2, 8, 8)), Flatten().output_shape((2, 4, 4))
((2, 4, 4), (32,))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers.base import Layer, Shape
from glassnet.layers.spatial import (
    Pair,
    _buffer,
    _float_dtype,
    _pair,
    _Spatial,
    _window,
)

__all__ = ["AvgPool2D", "Flatten", "MaxPool2D"]

Array = NDArray[Any]


class _Pool2D(_Spatial):
    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _pair(kernel_size, f"{name}'s kernel_size")
        # PyTorch's default: stride = kernel, windows side by side
        self.stride = (
            self.kernel_size if stride is None else _pair(stride, f"{name}'s stride")
        )
        self._in_shape: tuple[int, ...] | None = None

    def _offsets(self) -> list[Pair]:
        """The kernel offsets (i, j), row-major (the order PyTorch scans a window)."""
        kh, kw = self.kernel_size
        return [(i, j) for i in range(kh) for j in range(kw)]

    def _overlapping(self) -> bool:
        """Whether windows share pixels (a stride smaller than the kernel)."""
        return any(s < k for s, k in zip(self.stride, self.kernel_size, strict=True))

    def _tiles(self, in_shape: tuple[int, ...], out_hw: Pair) -> bool:
        """Whether each pixel is in exactly one window (stride = kernel, no rest)."""
        return self.stride == self.kernel_size and in_shape[2:] == (
            out_hw[0] * self.kernel_size[0],
            out_hw[1] * self.kernel_size[1],
        )

    def __repr__(self) -> str:
        (kh, kw), stride = self.kernel_size, self.stride
        extra = (
            ""
            if stride == self.kernel_size
            else f", stride {stride[0]}"
            if (stride[0] == stride[1])
            else f", stride {stride}"
        )
        size = str(kh) if kh == kw else f"({kh}, {kw})"
        return f"{type(self).__name__}({size}{extra})"


class MaxPool2D(_Pool2D):
    """The largest value of each k×k window, channel by channel.

    Forward::

        Y[n, c, y, x] = max_{i,j} X[n, c, y·s + i, x·s + j]
        argmax[n, c, y, x] = the offset i·kw + j of that maximum (the first one on ties)

    Backward, given dY::

        dX[n, c, y·s + i, x·s + j] += dY[n, c, y, x]   where (i, j) is the argmax

    Only the winner of each window moved the output, so only it gets the gradient;
    with overlapping windows (stride < kernel) a pixel that wins several windows adds
    their gradients.

    Shapes: X (m, C, H, W), Y and dY (m, C, OH, OW), OH = ⌊(H − kh) / s⌋ + 1.
    Caches: argmax (uint8 for kernels up to 16×16, the shape of Y), the input's shape.

    Args:
        kernel_size: k or (kh, kw).
        stride: s or (sh, sw); default the kernel size (windows side by side).

    >>> import numpy as np
    >>> MaxPool2D(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    def __init__(
        self, kernel_size: int | Pair, stride: int | Pair | None = None
    ) -> None:
        super().__init__(kernel_size, stride)
        self.argmax: Array | None = None

    def forward(self, X: Array, training: bool = False) -> Array:
        """Y = the max of each window; caches the argmax."""
        X = self._check_input(X, _float_dtype(X))
        m, C, H, W = X.shape
        out_hw = self._out_hw(H, W)
        offsets = self._offsets()
        Y = _buffer(self, "Y", (m, C, *out_hw), X.dtype)
        # offsets are numbered 0, 1, ... in scan order; uint8 holds up to 16×16
        index = np.min_scalar_type(len(offsets) - 1)
        argmax = _buffer(self, "argmax", Y.shape, index)
        better = _buffer(self, "better", Y.shape, np.bool_)
        o_if_better = _buffer(self, "o_if_better", Y.shape, index)
        np.copyto(Y, X[_window(*offsets[0], out_hw, self.stride)])
        argmax.fill(0)
        for o, (i, j) in enumerate(offsets[1:], start=1):
            values = X[_window(i, j, out_hw, self.stride)]
            np.greater(values, Y, out=better)  # strictly: the first maximum stays
            np.maximum(Y, values, out=Y)
            # the argmax is the last offset that beat the running maximum, so the
            # largest o with better == True: arithmetic, faster than a masked copy
            np.multiply(better, index.type(o), out=o_if_better)
            np.maximum(argmax, o_if_better, out=argmax)
        self.argmax, self._in_shape = argmax, X.shape
        return Y

    def backward(self, dY: Array, need_dX: bool = True) -> Array:
        """DX: each window's dY routed to the pixel that was its maximum."""
        argmax: Array = self._cached("argmax")
        in_shape: tuple[int, ...] = self._cached("_in_shape")
        self._check_dY(dY, argmax.shape)
        out_hw = argmax.shape[2:]
        dX = _buffer(self, "dX", in_shape, dY.dtype)
        won = _buffer(self, "won", dY.shape, np.bool_)
        if self._overlapping():
            dX.fill(0)
            routed = _buffer(self, "routed", dY.shape, dY.dtype)
            for o, (i, j) in enumerate(self._offsets()):
                np.equal(argmax, o, out=won)
                np.multiply(dY, won, out=routed)
                dX[_window(i, j, out_hw, self.stride)] += routed
            return dX
        # windows side by side (or apart): each pixel is in one window at most, so
        # its gradient is written where it lies, with nothing to add
        if not self._tiles(in_shape, out_hw):
            dX.fill(0)  # the pixels of no window (the rows a floor division drops)
        for o, (i, j) in enumerate(self._offsets()):
            np.equal(argmax, o, out=won)
            np.multiply(dY, won, out=dX[_window(i, j, out_hw, self.stride)])
        return dX


class AvgPool2D(_Pool2D):
    """The mean of each k×k window, channel by channel.

    Forward::

        Y[n, c, y, x] = 1/(kh·kw) Σ_{i,j} X[n, c, y·s + i, x·s + j]

    Backward, given dY::

        dX[n, c, y·s + i, x·s + j] += dY[n, c, y, x] / (kh·kw)   for every (i, j)

    Every pixel of a window moved its mean by 1/(kh·kw); a pixel in several windows
    (stride < kernel) adds their shares, one in none (the rows a floor division
    drops) gets 0.

    Shapes: X (m, C, H, W), Y and dY (m, C, OH, OW), OH = ⌊(H − kh) / s⌋ + 1.
    Caches: the input's shape only — the derivative is a constant.

    Args:
        kernel_size: k or (kh, kw).
        stride: s or (sh, sw); default the kernel size (windows side by side).

    >>> import numpy as np
    >>> AvgPool2D(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    def forward(self, X: Array, training: bool = False) -> Array:
        """Y = the mean of each window; caches the input's shape."""
        X = self._check_input(X, _float_dtype(X))
        m, C, H, W = X.shape
        out_hw = self._out_hw(H, W)
        Y = _buffer(self, "Y", (m, C, *out_hw), X.dtype)
        Y.fill(0)
        for i, j in self._offsets():
            Y += X[_window(i, j, out_hw, self.stride)]
        Y *= X.dtype.type(1.0 / (self.kernel_size[0] * self.kernel_size[1]))
        self._in_shape = X.shape
        return Y

    def backward(self, dY: Array, need_dX: bool = True) -> Array:
        """DX: each window's dY / (kh·kw) added onto every pixel of the window."""
        in_shape: tuple[int, ...] = self._cached("_in_shape")
        m, C, H, W = in_shape
        out_hw = self._out_hw(H, W)
        self._check_dY(dY, (m, C, *out_hw))
        share = _buffer(self, "share", dY.shape, dY.dtype)
        np.multiply(
            dY,
            dY.dtype.type(1.0 / (self.kernel_size[0] * self.kernel_size[1])),
            out=share,
        )
        dX = _buffer(self, "dX", in_shape, dY.dtype)
        dX.fill(0)
        for i, j in self._offsets():
            dX[_window(i, j, out_hw, self.stride)] += share
        return dX


class Flatten(Layer):
    """Each sample's array as one row: (m, C, H, W) → (m, C·H·W), like ``nn.Flatten``.

    Forward::   Y = X.reshape(m, −1)
    Backward::  dX = dY.reshape(X.shape)

    The order is C order (channel, then row, then column), PyTorch's, so a Dense
    layer after it takes the weights of the matching ``nn.Linear``.

    Shapes: X (m, d1, d2, ...), Y (m, d1·d2·...).
    Caches: the input's shape.

    >>> import numpy as np
    >>> Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    def __init__(self) -> None:
        super().__init__()
        self._in_shape: tuple[int, ...] | None = None

    def forward(self, X: Array, training: bool = False) -> Array:
        """Y = X.reshape(m, −1) (a view of X when X is contiguous)."""
        X = np.asarray(X)
        if X.ndim < 2:
            raise ValueError(
                f"Flatten expected a batch X of shape (m, ...); got {X.shape}. A "
                "single sample needs a batch of one: X[None]."
            )
        self._in_shape = X.shape
        return X.reshape(X.shape[0], -1)

    def backward(self, dY: Array, need_dX: bool = True) -> Array:
        """DX = dY.reshape(X.shape)."""
        in_shape: tuple[int, ...] = self._cached("_in_shape")
        self._check_dY(dY, (in_shape[0], int(np.prod(in_shape[1:]))))
        return dY.reshape(in_shape)

    def output_shape(self, in_shape: Shape) -> Shape:
        """(d1·d2·...,) for (d1, d2, ...); (?,) when a size is not known."""
        if any(n is None for n in in_shape):
            return (None,)
        return (math.prod(n for n in in_shape if n is not None),)
