"""Convolution, pooling and Flatten on images (m, C, H, W), PyTorch's layouts.

A convolution is a Dense map applied to every k×k window of the image, with the same
weights at every place. ``Conv2D`` copies the windows into the columns of one matrix
(im2col), so the forward is one matrix product; its backward runs the copy in reverse
(col2im), adding where windows overlap. ``docs/derivations.md`` ("Convolution")
derives both.

NumPy's cost for a strided copy or add is per contiguous run, not per number, so the
layouts are chosen for long runs. im2col copies every window out of a padded copy
of X in one ``np.copyto`` from a sliding-window view, channels first (runs of OW
pixels) or channels last (runs of kw·c_in numbers), whichever run is longer (see
``Conv2D._im2col``); the product comes out as (c_out, m, OH, OW), which one
transposing copy turns into the layer's (m, c_out, OH, OW). The backward's col2im
puts the samples last instead, (c_in, H, W, m), so that each of its strided adds runs
over rows of OW·m numbers, and computes the column gradients one kernel row at a time
(see ``Conv2D._input_gradient``).

>>> import numpy as np
>>> conv = Conv2D(1, 2, 3, padding=1, rng=0)
>>> conv.forward(np.zeros((4, 1, 8, 8), dtype=np.float32)).shape
(4, 2, 8, 8)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, DTypeLike, NDArray

from glassnet import init as initializers
from glassnet._validate import positive_int
from glassnet.layers.spatial import (
    Pair,
    _buffer,
    _pair,
    _Spatial,
    _window,
)

__all__ = ["Conv2D"]

Array = NDArray[Any]


class Conv2D(_Spatial):
    """2-D convolution (cross-correlation, as in PyTorch) of a batch of images.

    Forward, with X padded by p zeros on each side::

        Z[n, o, y, x] = b[o] + Σ_{c,i,j} W[o, c, i, j] · X[n, c, y·s + i, x·s + j]

    computed as one product: cols = im2col(X), (c_in·kh·kw, m·OH·OW), whose column
    (n, y, x) holds window (y, x) of image n; Z = W.reshape(c_out, −1) @ cols + b.

    Backward, given dZ = dL/dZ as dZ2 = (c_out, m·OH·OW)::

        dW = dZ2 @ cols.T                  (c_out, c_in, kh, kw) after reshape
        db = dZ2.sum(axis=1)               (c_out,)
        dX = col2im(W2.T @ dZ2)            (m, c_in, H, W)

    col2im adds every column back onto the pixels of its window; where windows
    overlap (stride < kernel) a pixel receives the sum of its contributions, because
    it took part in every one of those outputs (docs/derivations.md, "Convolution").

    Shapes: X (m, c_in, H, W), W (c_out, c_in, kh, kw) like ``nn.Conv2d.weight``,
    b (c_out,), Z (m, c_out, OH, OW) with OH = ⌊(H + 2p − kh) / s⌋ + 1.
    Caches: cols — the dW product reads it; dX needs only W. (Not in an inference
    forward bigger than ``INFERENCE_COLS``: see ``forward``.)

    Args:
        c_in: input channels.
        c_out: output channels (filters).
        kernel_size: k or (kh, kw).
        stride: s or (sh, sw).
        padding: p or (ph, pw) zeros added on each side.
        bias: whether the layer has a bias b.
        init: "he" (default), "xavier", "normal", "uniform", "zeros", an initializer
            from ``glassnet.init`` (fan-in c_in·kh·kw), or the weights themselves as a
            (c_out, c_in, kh, kw) array.
        rng: seed or ``numpy.random.Generator`` for the initial weights.
        dtype: float32 (default) or float64.

    >>> import numpy as np
    >>> conv = Conv2D(1, 1, 2, init=np.ones((1, 1, 2, 2)), bias=False)
    >>> conv.forward(np.arange(9.0).reshape(1, 1, 3, 3))[0, 0]   # sums of 2×2 windows
    array([[ 8., 12.],
           [20., 24.]], dtype=float32)
    """

    # the most entries of cols an inference forward builds at once (64 MiB float32)
    INFERENCE_COLS = 2**24

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel_size: int | Pair,
        *,
        stride: int | Pair = 1,
        padding: int | Pair = 0,
        bias: bool = True,
        init: str | initializers.Initializer | ArrayLike = "he",
        rng: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.c_in = positive_int(c_in, "Conv2D's c_in")
        self.c_out = positive_int(c_out, "Conv2D's c_out")
        self.channels = self.c_in
        self.kernel_size = _pair(kernel_size, "Conv2D's kernel_size")
        self.stride = _pair(stride, "Conv2D's stride")
        self.padding = _pair(padding, "Conv2D's padding", minimum=0)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Conv2D needs a floating dtype; got {dtype}.")
        shape = (self.c_out, self.c_in, *self.kernel_size)
        # an initializer sees (fan_out, fan_in): a filter's fan-in is c_in·kh·kw
        W = initializers.initial_weights(
            init, shape, rng, f"{self!r} (c_out, c_in, kh, kw)"
        )
        self.params["W"] = np.array(W, dtype=dtype, order="C")
        self.grads["W"] = np.zeros(shape, dtype=dtype)
        if bias:
            self.params["b"] = np.zeros(self.c_out, dtype=dtype)
            self.grads["b"] = np.zeros(self.c_out, dtype=dtype)
        self.cols: Array | None = None
        self._in_shape: tuple[int, ...] | None = None
        self._kernel_axes = (0, 1, 2, 3)  # W's axes in the order of cols' rows
        self._ones: Array = np.ones(0, dtype=dtype)  # for db = dZ2 @ ones

    @property
    def W(self) -> Array:
        """The kernels, (c_out, c_in, kh, kw)."""
        return self.params["W"]

    @property
    def b(self) -> Array | None:
        """The bias, (c_out,), or None for a layer without one."""
        return self.params.get("b")

    def _channels_out(self, C: int | None) -> int | None:
        return self.c_out

    def forward(self, X: Array, training: bool = False) -> Array:
        """Z = W2 @ im2col(X) + b, returned as (m, c_out, OH, OW); caches cols.

        An inference pass (``training=False``) whose cols would exceed
        ``INFERENCE_COLS`` entries runs a slice of the batch at a time and keeps no
        cols: ``predict`` on 10 000 images then needs 64 MiB of windows, not
        gigabytes. A backward after such a pass is refused.
        """
        W = self.params["W"]
        X = self._check_input(X, W.dtype)
        m, _, H, Wd = X.shape
        out_hw = self._out_hw(H, Wd)
        per_sample = W[0].size * out_hw[0] * out_hw[1]
        rows = max(1, self.INFERENCE_COLS // per_sample)
        if training or m <= rows:
            return self._forward(X, out_hw)
        Y = np.empty((m, self.c_out, *out_hw), dtype=W.dtype)
        for start in range(0, m, rows):
            Y[start : start + rows] = self._forward(X[start : start + rows], out_hw)
        self.cols = None
        self._in_shape = X.shape  # remembered for backward's message
        return Y

    def _forward(self, X: Array, out_hw: Pair) -> Array:
        W = self.params["W"]
        m = X.shape[0]
        cols = self._im2col(X, out_hw)
        self.cols, self._in_shape = cols, X.shape
        K, N = cols.shape
        # W's axes in the order of cols' rows: a view, or a small copy
        W2 = W.transpose(self._kernel_axes).reshape(self.c_out, K)
        Z = _buffer(self, "Z", (self.c_out, m, *out_hw), W.dtype)
        Z2 = Z.reshape(self.c_out, N)
        np.dot(W2, cols, out=Z2)
        b = self.params.get("b")
        if b is not None:
            # on Z2's rows of m·OH·OW numbers: about half the time of adding b
            # inside the transposing copy below
            Z2 += b[:, None]
        Y = _buffer(self, "Y", (m, self.c_out, *out_hw), W.dtype)
        np.copyto(Y, Z.transpose(1, 0, 2, 3))
        return Y

    def _im2col(self, X: Array, out_hw: Pair) -> Array:
        """The windows of X as the columns of cols, (c_in·kh·kw, m·OH·OW).

        Column (n, y, x) is window (y, x) of image n. X is copied once, padded, and
        the windows are copied out of it in one ``np.copyto`` from a sliding-window
        view. NumPy's cost for a strided copy is per contiguous run, not per number,
        so the layer takes whichever of two layouts gives the longer runs:

        - channels first: X padded as (c_in, m, H', W'), cols stored (c_in, kh, kw,
          m, OH, OW); a run is one row of OW pixels (with stride 1; single numbers
          with a larger stride). cols' rows are in W's order (c, i, j).
        - channels last: X padded as (m, H', W', c_in), cols stored (m, OH, OW, kh,
          kw, c_in) — cols is the transpose of that (N, K) array; a run is one row of
          a window, kw pixels × c_in channels. cols' rows are in the order (i, j, c),
          so the product takes W.transpose(0, 2, 3, 1).

        ``self._kernel_axes`` records which. In the benchmark CNN, conv 1 (c_in = 1,
        OW = 28) copies runs of 28 channels first rather than 5 (3.6 × faster), conv
        2 (c_in = 16, OW = 14) runs of 80 channels last rather than 14 (2.3–3.9 ×).
        """
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        m, c, H, Wd = X.shape
        run_first = out_hw[1] if sw == 1 else 1
        channels_last = kw * c > run_first
        # either way Xp is a view (m, c_in, H', W') of the padded image
        shape = (
            (m, H + 2 * ph, Wd + 2 * pw, c)
            if channels_last
            else (c, m, H + 2 * ph, Wd + 2 * pw)
        )
        Xp = _buffer(self, "Xp", shape, X.dtype)
        Xp = Xp.transpose(0, 3, 1, 2) if channels_last else Xp.transpose(1, 0, 2, 3)
        if ph or pw:
            Xp.fill(0)
        np.copyto(Xp[:, :, ph : ph + H, pw : pw + Wd], X)
        # windows[n, c, y, x, i, j] = Xp[n, c, y·sh + i, x·sw + j]: a view, no copy
        windows = sliding_window_view(Xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        if channels_last:
            cols = _buffer(self, "cols", (m, *out_hw, kh, kw, c), X.dtype)
            np.copyto(cols, windows.transpose(0, 2, 3, 4, 5, 1))
            self._kernel_axes = (0, 2, 3, 1)
            return cols.reshape(-1, kh * kw * c).T
        cols = _buffer(self, "cols", (c, kh, kw, m, *out_hw), X.dtype)
        np.copyto(cols, windows.transpose(1, 4, 5, 0, 2, 3))
        self._kernel_axes = (0, 1, 2, 3)
        return cols.reshape(c * kh * kw, -1)

    def backward(self, dZ: Array, need_dX: bool = True) -> Array | None:
        """Write dW = dZ2 @ cols.T, db = dZ2.sum(1); return dX = col2im(W2.T @ dZ2)."""
        in_shape: tuple[int, ...] = self._cached("_in_shape")
        if self.cols is None:
            raise RuntimeError(
                f"{self!r}.backward after an inference forward of {in_shape[0]} "
                "samples, run in slices without keeping the windows; call "
                "forward(X, training=True) before backward."
            )
        cols, W = self.cols, self.params["W"]
        m, out_hw = in_shape[0], self._out_hw(*in_shape[2:])
        self._check_dY(dZ, (m, self.c_out, *out_hw))
        K, N = cols.shape
        # dZ2 (c_out, N): column (n, y, x) is output pixel (y, x) of image n, in the
        # order of cols' columns; a copy of contiguous runs of OH·OW numbers
        dZ2 = _buffer(self, "dZ2", (self.c_out, m, *out_hw), W.dtype)
        np.copyto(dZ2, dZ.transpose(1, 0, 2, 3))
        dZ2 = dZ2.reshape(self.c_out, N)
        dW2 = _buffer(self, "dW2", (self.c_out, K), W.dtype)
        np.dot(dZ2, cols.T, out=dW2)
        # dW2's columns are in cols' row order: W's axes permuted as in the forward
        dW = self.grads["W"].transpose(self._kernel_axes)
        np.copyto(dW, dW2.reshape(dW.shape))
        db = self.grads.get("b")
        if db is not None:
            if self._ones.shape != (N,) or self._ones.dtype != W.dtype:
                self._ones = np.ones(N, dtype=W.dtype)
            np.dot(dZ2, self._ones, out=db)  # = dZ2.sum(axis=1), at BLAS speed
        if not need_dX:
            return None
        return self._input_gradient(dZ, in_shape, out_hw)

    def _input_gradient(
        self, dZ: Array, in_shape: tuple[int, ...], out_hw: Pair
    ) -> Array:
        """The input gradient dX = col2im(W2.T @ dZ2), one kernel row at a time.

        The rows of W2.T @ dZ2 for kernel row i are W[:, :, i, :] (as kw·c_in rows)
        times dZ2: the gradient of every window's pixels in that row, one block of
        c_in rows per offset (i, j). They are added onto the pixels they came from
        right after their product, so the whole (c_in·kh·kw, N) matrix of column
        gradients is never built (20 MB for conv 2 of the benchmark, which does not
        stay in the cache). In the benchmark's CNN step, kh products of 4 MB
        blocks took 0.97–0.98 × the time of k·k products of 0.8 MB (2026-12-02),
        which took 0.88–0.91 × the time of one product plus col2im.

        col2im's cost is per contiguous run of each strided add. With the samples
        last — dZ as (c_out, OH, OW, m), the padded dX as (c_in, H + 2ph, W + 2pw,
        m) — a run is a row of OW·m numbers (m with a stride) instead of OW (1 with
        a stride), and the whole dX path was measured about 20 % faster (conv 16→32
        5×5, 14×14, batch 64), the two extra transposing copies included.
        """
        W = self.params["W"]
        (kh, kw), (ph, pw), (m, _, H, Wd) = self.kernel_size, self.padding, in_shape
        N = m * out_hw[0] * out_hw[1]
        dZ_last = _buffer(self, "dZ_last", (self.c_out, *out_hw, m), W.dtype)
        np.copyto(dZ_last, dZ.transpose(1, 2, 3, 0))
        dZ2 = dZ_last.reshape(self.c_out, N)
        # W_rows[i] (kw·c_in, c_out): row (j, c) is W[:, c, i, j], a row of W2.T
        W_rows = np.ascontiguousarray(W.transpose(2, 3, 1, 0))
        W_rows = W_rows.reshape(kh, kw * self.c_in, self.c_out)
        dcols = _buffer(self, "dcols", (kw, self.c_in, *out_hw, m), W.dtype)  # one row
        dX_last = _buffer(
            self, "dX_last", (self.c_in, H + 2 * ph, Wd + 2 * pw, m), W.dtype
        )
        dX_last.fill(0)
        for i in range(kh):
            np.dot(W_rows[i], dZ2, out=dcols.reshape(-1, N))
            for j in range(kw):
                # col2im: each pixel gets back the sum over every window it was in;
                # _window's rows and columns, without its batch axis in front
                dX_last[_window(i, j, out_hw, self.stride)[1:]] += dcols[j]
        dX = _buffer(self, "dX", in_shape, W.dtype)
        np.copyto(dX, dX_last[:, ph : ph + H, pw : pw + Wd].transpose(3, 0, 1, 2))
        return dX

    def astype(self, dtype: DTypeLike) -> Conv2D:
        """Convert W, b and their gradients to ``dtype`` (a layer outside a model)."""
        super().astype(dtype)
        self.cols = None
        return self

    def __repr__(self) -> str:
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        extra = (
            ""
            if (sh, sw) == (1, 1)
            else f", stride {sh}"
            if sh == sw
            else (f", stride ({sh}, {sw})")
        )
        if (ph, pw) != (0, 0):
            extra += f", padding {ph}" if ph == pw else f", padding ({ph}, {pw})"
        return f"Conv2D({self.c_in} → {self.c_out}, {kh}×{kw}{extra})"
