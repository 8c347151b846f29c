"""What the image layers share: pairs of sizes, output sizes, windows, buffers.

Images are batches of shape (m, C, H, W), PyTorch's layout. ``_Spatial`` is the base
of Conv2D and the pooling layers: kernel, stride and padding as (rows, columns)
pairs, and the output size of each axis, ⌊(n + 2p − k) / s⌋ + 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validate import positive_int
from glassnet.layers.base import Layer, Shape, as_float_array

__all__: list[str] = []

Array = NDArray[Any]
Pair = tuple[int, int]


def _pair(value: Any, what: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints (PyTorch's convention) as (rows, columns)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what} must be an int or a pair of ints; got {value!r}.")
        return (
            positive_int(value[0], what, minimum=minimum),
            positive_int(value[1], what, minimum=minimum),
        )
    n = positive_int(value, what, minimum=minimum)
    return (n, n)


def _show(shape: Shape) -> str:
    """(3, None) as "(3, ?)"."""
    inner = ", ".join("?" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _size_out(n: int, k: int, s: int, p: int) -> int:
    """Windows along one axis: ⌊(n + 2p − k) / s⌋ + 1 (PyTorch's floor mode)."""
    return (n + 2 * p - k) // s + 1


def _window(i: int, j: int, out_hw: Pair, stride: Pair) -> tuple[Any, ...]:
    """The entries that kernel offset (i, j) meets in every window, as a slice.

    Window (y, x) starts at (y·sh, x·sw), so its offset (i, j) is the pixel
    (i + y·sh, j + x·sw): for all windows at once, rows i, i + sh, ..., columns
    j, j + sw, ...
    """
    (oh, ow), (sh, sw) = out_hw, stride
    rows = slice(i, i + sh * (oh - 1) + 1, sh)
    cols = slice(j, j + sw * (ow - 1) + 1, sw)
    return (slice(None), slice(None), rows, cols)


def _float_dtype(X: Any) -> Any:
    """The dtype a parameter-free layer computes in: X's own float dtype, or float32."""
    return X.dtype if isinstance(X, np.ndarray) and X.dtype.kind == "f" else np.float32


def _buffer(layer: Layer, name: str, shape: tuple[int, ...], dtype: Any) -> Array:
    """``layer.out(...)``, or a new array outside ``fit``."""
    array = layer.out(name, shape, dtype)
    return np.empty(shape, dtype=dtype) if array is None else array


class _Spatial(Layer):
    """What Conv2D and the pools share: a kernel slid with a stride over (H, W)."""

    kernel_size: Pair
    stride: Pair
    padding: Pair = (0, 0)
    channels: int | None = None  # the input channels the layer needs (None: any)

    def _out_hw(self, H: int, W: int) -> Pair:
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        if H + 2 * ph < kh or W + 2 * pw < kw:
            raise ValueError(
                f"{self!r} needs images of at least {kh - 2 * ph}×{kw - 2 * pw} pixels "
                f"(its {kh}×{kw} kernel with padding {ph}, {pw}); got {H}×{W}. Use a "
                "smaller kernel, more padding, or fewer pooling layers before it."
            )
        return _size_out(H, kh, sh, ph), _size_out(W, kw, sw, pw)

    def _expected(self) -> str:
        c = "C" if self.channels is None else str(self.channels)
        return f"({c}, H, W)"

    def _check_input(self, X: Array, dtype: Any) -> Array:
        if not (isinstance(X, np.ndarray) and X.dtype == dtype):
            X = as_float_array(X, dtype, f"{self!r} input X")
        if X.ndim != 4 or self.channels not in (None, X.shape[1]):
            raise ValueError(
                f"{self!r} expected X of shape (m, {self._expected()[1:]}; got "
                f"{X.shape}. Images are (samples, channels, rows, columns): reshape "
                "flat images with X.reshape(m, C, H, W)."
            )
        return X

    def output_shape(self, in_shape: Shape) -> Shape:
        """(C', H', W') for (C, H, W), with H' = ⌊(H + 2p − k) / s⌋ + 1."""
        if len(in_shape) != 3 or self.channels not in (None, in_shape[0]):
            fix = (
                " Give the model the shape of one image: Sequential(layers, "
                "input_shape=(C, H, W))."
                if in_shape == (None,)
                else " Images are (channels, rows, columns)."
            )
            raise ValueError(
                f"{self!r} expects samples of shape {self._expected()}; the layers "
                f"before it give {_show(in_shape)}.{fix}"
            )
        C, H, W = in_shape
        if H is None or W is None:
            return (self._channels_out(C), None, None)
        return (self._channels_out(C), *self._out_hw(H, W))

    def _channels_out(self, C: int | None) -> int | None:
        return C
