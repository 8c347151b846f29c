"""Recurrent layers on batch-first sequences (m, T, n_in): the Elman RNN and the LSTM.

Weights are laid out and named as in ``torch.nn.RNN`` / ``torch.nn.LSTM`` (one layer,
batch_first=True): ``weight_ih_l0`` (G·h, n_in), ``weight_hh_l0`` (G·h, h),
``bias_ih_l0`` and ``bias_hh_l0`` (G·h,), with G = 1 for the RNN and G = 4 for the
LSTM, whose gate rows come in the order i, f, g, o. Weights and biases start as
PyTorch's, uniform in [−1/√h, 1/√h]. The initial state is zero. Backpropagation
through time is derived in ``docs/derivations.md``.

The input projection of all T steps is one matrix product before the loop, and the
weight gradients are one product each after it: only h_{t−1} @ W_hh.T (and its
transpose in the backward) has to run step by step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._validate import positive_int
from glassnet.layers.base import Layer, Shape, as_float_array

__all__ = ["LSTM", "RNN"]

Array = NDArray[Any]

_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


class _Recurrent(Layer):
    """Shared by RNN and LSTM: weights, input checks, shapes, the output choice."""

    gates = 1  # G: blocks of h rows in each weight

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        *,
        return_sequences: bool = False,
        rng: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.n_in = positive_int(n_in, f"{name}'s n_in")
        self.n_hidden = positive_int(n_hidden, f"{name}'s n_hidden")
        if not isinstance(return_sequences, bool):
            raise TypeError(
                f"{name}'s return_sequences must be True or False; got "
                f"{return_sequences!r}."
            )
        self.return_sequences = return_sequences
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{name} needs a floating dtype; got {dtype}.")
        h, G = self.n_hidden, self.gates
        bound = 1.0 / np.sqrt(h)
        gen = np.random.default_rng(rng)
        shapes = {
            "weight_ih_l0": (G * h, self.n_in),
            "weight_hh_l0": (G * h, h),
            "bias_ih_l0": (G * h,),
            "bias_hh_l0": (G * h,),
        }
        for key in _KEYS:
            value = gen.uniform(-bound, bound, size=shapes[key])
            self.params[key] = value.astype(dtype)
            self.grads[key] = np.zeros(shapes[key], dtype=dtype)
        self.X: Array | None = None

    def _check(self, X: Array) -> Array:
        X = as_float_array(X, self.params["weight_ih_l0"].dtype, f"{self!r} input X")
        if X.ndim != 3 or X.shape[2] != self.n_in or X.shape[1] < 1:
            hint = (
                f" One sequence per sample, batch first: X[i, t] is sample i's "
                f"input at step t; a batch of vectors needs X.reshape(m, 1, "
                f"{self.n_in}) (T = 1)."
                if X.ndim == 2
                else " Batch first: (samples, time steps, features)."
            )
            raise ValueError(
                f"{self!r} expected X of shape (m, T, {self.n_in}) with T ≥ 1; got "
                f"{X.shape}.{hint}"
            )
        return X

    def _upstream(self, dY: Array) -> Array:
        """dL/dH for every step (m, T, h): zeros but the last when only h_T is out."""
        X = self._cached("X")
        m, T, h = X.shape[0], X.shape[1], self.n_hidden
        if self.return_sequences:
            self._check_dY(dY, (m, T, h))
            return dY
        self._check_dY(dY, (m, h))
        dH = np.zeros((m, T, h), dtype=dY.dtype)
        dH[:, -1] = dY
        return dH

    def _weight_gradients(self, X: Array, H_prev: Array, dZ: Array) -> None:
        """dW_ih, dW_hh, db_ih, db_hh from dZ (m, T, G·h): one product each."""
        k = dZ.shape[2]
        dZ2 = dZ.reshape(-1, k)
        g = self.grads
        np.dot(dZ2.T, X.reshape(-1, self.n_in), out=g["weight_ih_l0"])
        np.dot(dZ2.T, H_prev.reshape(-1, self.n_hidden), out=g["weight_hh_l0"])
        np.sum(dZ2, axis=0, out=g["bias_ih_l0"])
        g["bias_hh_l0"][...] = g["bias_ih_l0"]  # both biases enter z_t alike

    def _input_projection(self, X: Array) -> Array:
        """X @ W_ih.T + b_ih + b_hh for every step at once, (m, T, G·h)."""
        p = self.params
        m, T = X.shape[0], X.shape[1]
        XW = np.dot(X.reshape(m * T, self.n_in), p["weight_ih_l0"].T)
        XW += p["bias_ih_l0"] + p["bias_hh_l0"]
        return XW.reshape(m, T, -1)

    def output_shape(self, in_shape: Shape) -> Shape:
        """(T, h) with return_sequences, else (h,), for an input of (T, n_in)."""
        if len(in_shape) != 2 or in_shape[1] not in (None, self.n_in):
            shown = "(" + ", ".join("?" if n is None else str(n) for n in in_shape)
            shown += ",)" if len(in_shape) == 1 else ")"
            raise ValueError(
                f"{self!r} expects samples of shape (T, {self.n_in}) (T time steps "
                f"of {self.n_in} features); the layers before it give {shown}. Give "
                f"the model input_shape=(T, {self.n_in}) when it starts with "
                f"{type(self).__name__}."
            )
        T = in_shape[0]
        return (T, self.n_hidden) if self.return_sequences else (self.n_hidden,)

    def __repr__(self) -> str:
        seq = ", return_sequences=True" if self.return_sequences else ""
        return f"{type(self).__name__}({self.n_in} → {self.n_hidden}{seq})"


class RNN(_Recurrent):
    """Elman recurrent layer with tanh (``torch.nn.RNN``, one layer, batch first).

    Forward, for t = 1 … T with h_0 = 0::

        z_t = x_t @ W_ih.T + b_ih + h_{t−1} @ W_hh.T + b_hh      (m, h)
        h_t = tanh(z_t)
        Y = H = [h_1 … h_T] (m, T, h) with return_sequences, else Y = h_T (m, h)

    Backward through time, given dY, for t = T … 1 (no carry into step T)::

        dh_t = dH[:, t] + dz_{t+1} @ W_hh       (the carry from step t + 1)
        dz_t = dh_t * (1 − h_t²)
        dW_ih = Σ_t dz_t.T @ x_t    dW_hh = Σ_t dz_t.T @ h_{t−1}
        db_ih = db_hh = Σ_t dz_t.sum(axis=0)
        dx_t = dz_t @ W_ih                                       dX (m, T, n_in)

    dH is dY with return_sequences, else zeros but dH[:, T] = dY.

    Shapes: X (m, T, n_in); W_ih = weight_ih_l0 (h, n_in); W_hh = weight_hh_l0
    (h, h); b_ih, b_hh (h,).
    Caches: X and H (every h_t): tanh'(z_t) = 1 − h_t², and h_{t−1} for dW_hh.

    Args:
        n_in: features per time step.
        n_hidden: h, the size of the hidden state.
        return_sequences: output every h_t (m, T, h) rather than the last (m, h).
        rng: seed or Generator for the initial weights.
        dtype: float32 (default) or float64.

    >>> import numpy as np
    >>> rnn = RNN(3, 5, rng=0)
    >>> rnn.forward(np.zeros((2, 7, 3), dtype=np.float32)).shape
    (2, 5)
    >>> sorted(rnn.params)
    ['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0']
    """

    gates = 1

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        *,
        return_sequences: bool = False,
        rng: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__(
            n_in, n_hidden, return_sequences=return_sequences, rng=rng, dtype=dtype
        )
        self.H: Array | None = None

    def forward(self, X: Array, training: bool = False) -> Array:
        """h_t = tanh(x_t @ W_ih.T + b_ih + h_{t−1} @ W_hh.T + b_hh); caches X, H."""
        X = self._check(X)
        W_hh = self.params["weight_hh_l0"]
        H = self._input_projection(X)  # z_t without the recurrent term, then h_t
        h = np.zeros((X.shape[0], self.n_hidden), dtype=X.dtype)
        for t in range(X.shape[1]):
            z = H[:, t]
            z += np.dot(h, W_hh.T)
            h = np.tanh(z, out=z)
        self.X, self.H = X, H
        return H if self.return_sequences else H[:, -1]

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Backpropagation through time: write the four gradients; return dX."""
        dH = self._upstream(dY)
        X, H = self._cached("X"), self._cached("H")
        W_hh = self.params["weight_hh_l0"]
        dZ = np.empty_like(H)
        carry = np.zeros_like(H[:, 0])  # dL/dh_t through h_{t+1}
        for t in range(X.shape[1] - 1, -1, -1):
            dz = dZ[:, t]
            np.add(dH[:, t], carry, out=dz)
            dz *= 1 - H[:, t] ** 2
            carry = np.dot(dz, W_hh)
        H_prev = np.zeros_like(H)
        H_prev[:, 1:] = H[:, :-1]
        self._weight_gradients(X, H_prev, dZ)
        if not need_dX:
            return None
        dX: Array = np.dot(dZ, self.params["weight_ih_l0"])
        return dX


class LSTM(_Recurrent):
    """Long short-term memory layer (``torch.nn.LSTM``, one layer, batch first).

    Forward, for t = 1 … T with h_0 = c_0 = 0 (gate blocks of h columns, i f g o)::

        z_t = x_t @ W_ih.T + b_ih + h_{t−1} @ W_hh.T + b_hh      (m, 4h)
        i = σ(z_t[:, 0:h])    f = σ(z_t[:, h:2h])
        g = tanh(z_t[:, 2h:3h])    o = σ(z_t[:, 3h:4h])
        c_t = f * c_{t−1} + i * g
        h_t = o * tanh(c_t)
        Y = H = [h_1 … h_T] (m, T, h) with return_sequences, else Y = h_T (m, h)

    Backward through time, for t = T … 1, with the carries dh, dc from step t + 1
    (zero at t = T)::

        dh_t = dH[:, t] + dz_{t+1} @ W_hh
        dc_t = dc_{t+1} * f_{t+1} + dh_t * o * (1 − tanh(c_t)²)
        di = dc_t * g    df = dc_t * c_{t−1}    dg = dc_t * i    do = dh_t * tanh(c_t)
        dz_t = [di * i(1 − i), df * f(1 − f), dg * (1 − g²), do * o(1 − o)]
        dW_ih = Σ_t dz_t.T @ x_t    dW_hh = Σ_t dz_t.T @ h_{t−1}
        db_ih = db_hh = Σ_t dz_t.sum(axis=0)
        dx_t = dz_t @ W_ih                                       dX (m, T, n_in)

    Shapes: X (m, T, n_in); weight_ih_l0 (4h, n_in); weight_hh_l0 (4h, h); biases
    (4h,); rows in PyTorch's gate order i, f, g, o. σ is computed as
    (1 + tanh(z/2))/2, the same function, so that one tanh serves all four gates.
    Caches: X, the gates [i, f, g, o] of every step (m, T, 4h), every c_t and
    tanh(c_t) (m, T, h), and H for h_{t−1}.

    Args:
        n_in: features per time step.
        n_hidden: h, the size of the hidden and cell states.
        return_sequences: output every h_t (m, T, h) rather than the last (m, h).
        rng: seed or Generator for the initial weights.
        dtype: float32 (default) or float64.

    >>> import numpy as np
    >>> lstm = LSTM(3, 4, return_sequences=True, rng=0)
    >>> lstm.forward(np.zeros((2, 6, 3), dtype=np.float32)).shape
    (2, 6, 4)
    >>> lstm.params["weight_hh_l0"].shape
    (16, 4)
    """

    gates = 4

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        *,
        return_sequences: bool = False,
        rng: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__(
            n_in, n_hidden, return_sequences=return_sequences, rng=rng, dtype=dtype
        )
        self.gate_values: Array | None = None
        self.C: Array | None = None
        self.tanh_C: Array | None = None
        self.H: Array | None = None

    def forward(self, X: Array, training: bool = False) -> Array:
        """The LSTM cell over every step; caches X, the gates, C, tanh(C) and H."""
        X = self._check(X)
        m, T, h = X.shape[0], X.shape[1], self.n_hidden
        W_hh_T = self.params["weight_hh_l0"].T
        # σ(z) = (1 + tanh(z/2))/2: all four gates with one tanh over (m, 4h), which
        # never overflows (σ's e^(−z) can), scaled by these per-column constants
        half = np.full(4 * h, 0.5, dtype=X.dtype)
        half[2 * h : 3 * h] = 1.0  # the g block is tanh itself
        shift = half.copy()
        shift[2 * h : 3 * h] = 0.0
        gates = self._input_projection(X)  # z_t without h_{t−1} @ W_hh.T, then gates
        C = np.empty((m, T, h), dtype=X.dtype)
        tanh_C = np.empty_like(C)
        H = np.empty_like(C)
        recur = np.empty((m, 4 * h), dtype=X.dtype)
        ig = np.empty((m, h), dtype=X.dtype)
        h_t = np.zeros((m, h), dtype=X.dtype)
        c_t = np.zeros((m, h), dtype=X.dtype)
        for t in range(T):
            z = gates[:, t]
            z += np.dot(h_t, W_hh_T, out=recur)
            z *= half
            np.tanh(z, out=z)
            z *= half
            z += shift  # [i, f, g, o]
            i, f, g, o = z[:, :h], z[:, h : 2 * h], z[:, 2 * h : 3 * h], z[:, 3 * h :]
            c_t = np.multiply(f, c_t, out=C[:, t])
            c_t += np.multiply(i, g, out=ig)
            np.tanh(c_t, out=tanh_C[:, t])
            h_t = np.multiply(o, tanh_C[:, t], out=H[:, t])
        self.X, self.gate_values, self.C, self.tanh_C, self.H = X, gates, C, tanh_C, H
        return H if self.return_sequences else H[:, -1]

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Backpropagation through time: write the four gradients; return dX."""
        dH = self._upstream(dY)
        X, gates = self._cached("X"), self._cached("gate_values")
        C, tanh_C, H = self._cached("C"), self._cached("tanh_C"), self._cached("H")
        m, T, h = H.shape
        W_hh = self.params["weight_hh_l0"]
        i, f = gates[..., :h], gates[..., h : 2 * h]
        g, o = gates[..., 2 * h : 3 * h], gates[..., 3 * h :]
        C_prev = np.zeros_like(C)
        C_prev[:, 1:] = C[:, :-1]
        # every factor that does not depend on the carries, for all steps at once:
        # dz_[i,f,g] = dc_t * P[:, t], dz_o = dh_t * P_o, dc_t gets dh_t * B
        P = np.empty((m, T, 3, h), dtype=H.dtype)
        P[:, :, 0] = g * i * (1 - i)
        P[:, :, 1] = C_prev * f * (1 - f)
        P[:, :, 2] = i * (1 - g * g)
        P_o = tanh_C * o * (1 - o)
        B = o * (1 - tanh_C * tanh_C)
        dZ = np.empty_like(gates)
        dZ3 = dZ[..., : 3 * h].reshape(m, T, 3, h)  # a view: dz_i, dz_f, dz_g
        dh = np.empty((m, h), dtype=H.dtype)
        dc = np.zeros((m, h), dtype=H.dtype)  # dL/dc_t, and then its carry dc_t * f_t
        carry = np.zeros((m, h), dtype=H.dtype)  # dz_{t+1} @ W_hh
        tmp = np.empty((m, h), dtype=H.dtype)
        for t in range(T - 1, -1, -1):
            np.add(dH[:, t], carry, out=dh)
            dc += np.multiply(
                dh, B[:, t], out=tmp
            )  # dc_{t+1} f_{t+1} + dh o (1 − tanh²)
            np.multiply(dc[:, None, :], P[:, t], out=dZ3[:, t])
            np.multiply(dh, P_o[:, t], out=dZ[:, t, 3 * h :])
            dc *= f[:, t]  # the carry into step t − 1
            np.dot(dZ[:, t], W_hh, out=carry)
        H_prev = np.zeros_like(H)
        H_prev[:, 1:] = H[:, :-1]
        self._weight_gradients(X, H_prev, dZ)
        if not need_dX:
            return None
        dX: Array = np.dot(dZ, self.params["weight_ih_l0"])
        return dX
