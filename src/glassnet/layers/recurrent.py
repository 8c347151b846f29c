"""Recurrent layers on batch-first sequences (m, T, n_in): the Elman RNN and the LSTM.

Weights are laid out and named as in ``torch.nn.RNN`` / ``torch.nn.LSTM`` (one layer,
batch_first=True): ``weight_ih_l0`` (G·h, n_in), ``weight_hh_l0`` (G·h, h),
``bias_ih_l0`` and ``bias_hh_l0`` (G·h,), with G = 1 for the RNN and G = 4 for the
LSTM, whose gate rows come in the order i, f, g, o. Weights and biases start as
PyTorch's, uniform in [−1/√h, 1/√h]. The initial state is zero. Backpropagation
through time is derived in ``docs/derivations.md``.

Inside, the layer works time-major: X is copied once to (T, m, n_in) and every
array over time is (T, m, ...), so that step t's slice is one contiguous block (the
per-step operations on it ran about twice as fast as on the strided (m, ·) slices of
a batch-first array). The input projection of all T steps is one matrix product
before the loop, and the weight gradients are one product each after it: only
h_{t−1} @ W_hh.T (and its transpose in the backward) has to run step by step. The
hidden states are kept as (T + 1, m, h) with h_0 = 0 in front, so [h_0 … h_{T−1}]
(for dW_hh) is a view, not a copy; the LSTM's cell states likewise. What the two
layers share — weights, checks, the time-major copies, the input projection and the
weight gradients — is in ``glassnet.layers.sequence``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers.sequence import _Recurrent

__all__ = ["LSTM", "RNN"]

Array = NDArray[Any]


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
    Caches, time-major: X (T, m, n_in) and every h_t with h_0 = 0 in front
    (T + 1, m, h): tanh'(z_t) = 1 − h_t², and h_{t−1} for dW_hh.

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
    # what the forward caches for the backward (None before the first forward)
    H_all: Array | None = None  # [h_0 = 0, h_1 … h_T], (T + 1, m, h)

    def forward(self, X: Array, training: bool = False) -> Array:
        """h_t = tanh(x_t @ W_ih.T + b_ih + h_{t−1} @ W_hh.T + b_hh); caches X, H."""
        X = self._check(X)
        m, T, h = X.shape[0], X.shape[1], self.n_hidden
        W_hh_T = self.params["weight_hh_l0"].T
        X_tm = self._time_major(X)
        H_all = self._array("H_all", (T + 1, m, h), X.dtype)  # [h_0, h_1 … h_T]
        H_all[0] = 0
        # z_t without the recurrent term, written where h_t will be
        self._input_projection(X_tm, out=H_all[1:])
        recur = self._array("recur", (m, h), X.dtype)
        for t in range(T):
            z = H_all[t + 1]
            z += np.dot(H_all[t], W_hh_T, out=recur)
            np.tanh(z, out=z)
        self.X_tm, self.H_all = X_tm, H_all
        return self._result(H_all)

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Backpropagation through time: write the four gradients; return dX."""
        dH = self._upstream(dY)
        X_tm, H_all = self._cached("X_tm"), self._cached("H_all")
        T, m, h = dH.shape
        W_hh = self.params["weight_hh_l0"]
        H = H_all[1:]
        tanh_grad = self._array("tanh_grad", H.shape, H.dtype)  # 1 − h_t², all steps
        np.multiply(H, H, out=tanh_grad)
        np.subtract(1, tanh_grad, out=tanh_grad)
        dZ = self._array("dZ", H.shape, H.dtype)
        carry = self._array("carry", (m, h), H.dtype)  # dL/dh_t through h_{t+1}
        carry.fill(0)
        for t in range(T - 1, -1, -1):
            dz = np.add(dH[t], carry, out=dZ[t])
            dz *= tanh_grad[t]
            np.dot(dz, W_hh, out=carry)
        self._weight_gradients(X_tm, H_all[:-1], dZ)
        return self._input_dX(dZ, need_dX)


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
    Caches, time-major: X (T, m, n_in), the gates [i, f, g, o] of every step
    (T, m, 4h), every c_t and h_t with c_0 = h_0 = 0 in front (T + 1, m, h) — c_{t−1}
    and h_{t−1} are then views — and tanh(c_t) (T, m, h).

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
    # what the forward caches for the backward (None before the first forward)
    gate_values: Array | None = None  # [i, f, g, o] of every step
    C_all: Array | None = None  # [c_0 = 0, c_1 … c_T], (T + 1, m, h)
    tanh_C: Array | None = None
    H_all: Array | None = None  # [h_0 = 0, h_1 … h_T], (T + 1, m, h)

    def forward(self, X: Array, training: bool = False) -> Array:
        """The LSTM cell over every step; caches X, the gates, C, tanh(C) and H."""
        X = self._check(X)
        m, T, h = X.shape[0], X.shape[1], self.n_hidden
        dtype = X.dtype
        # σ(z) = (1 + tanh(z/2))/2: all four gates with one tanh over (m, 4h), which
        # never overflows (σ's e^(−z) can): z/2 for i, f, o and z itself for g,
        # tanh, then × 1/2 + 1/2 (i, f, o) or × 1 + 0 (g), per column
        half = np.full(4 * h, 0.5, dtype=dtype)
        half[2 * h : 3 * h] = 1.0
        shift = half.copy()
        shift[2 * h : 3 * h] = 0.0
        # z_t · half = (x_t W_ih.T + b) · half + h_{t−1} (half · W_hh).T: scaling the
        # weights once saves a multiplication per step (× 0.5 is exact)
        W_hh_half_T = (self.params["weight_hh_l0"] * half[:, None]).T
        X_tm = self._time_major(X)
        gates = self._array("gates", (T, m, 4 * h), dtype)  # z_t · half, then gates
        self._input_projection(X_tm, out=gates)
        gates *= half
        C_all = self._array("C_all", (T + 1, m, h), dtype)  # [c_0, c_1 … c_T]
        H_all = self._array("H_all", (T + 1, m, h), dtype)  # [h_0, h_1 … h_T]
        C_all[0] = 0
        H_all[0] = 0
        tanh_C = self._array("tanh_C", (T, m, h), dtype)
        recur = self._array("recur", (m, 4 * h), dtype)
        ig = self._array("ig", (m, h), dtype)
        for t in range(T):
            z = gates[t]
            z += np.dot(H_all[t], W_hh_half_T, out=recur)
            np.tanh(z, out=z)
            z *= half
            z += shift  # [i, f, g, o]
            i, f, g, o = z[:, :h], z[:, h : 2 * h], z[:, 2 * h : 3 * h], z[:, 3 * h :]
            c_t = np.multiply(f, C_all[t], out=C_all[t + 1])
            c_t += np.multiply(i, g, out=ig)
            np.tanh(c_t, out=tanh_C[t])
            np.multiply(o, tanh_C[t], out=H_all[t + 1])
        self.X_tm, self.gate_values = X_tm, gates
        self.C_all, self.tanh_C, self.H_all = C_all, tanh_C, H_all
        return self._result(H_all)

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Backpropagation through time: write the four gradients; return dX."""
        dH = self._upstream(dY)
        X_tm, gates = self._cached("X_tm"), self._cached("gate_values")
        C_all, tanh_C = self._cached("C_all"), self._cached("tanh_C")
        H_all = self._cached("H_all")
        T, m, h = dH.shape
        dtype = dH.dtype
        W_hh = self.params["weight_hh_l0"]
        i, f = gates[..., :h], gates[..., h : 2 * h]
        g, o = gates[..., 2 * h : 3 * h], gates[..., 3 * h :]
        # every factor that does not depend on the carries, for all steps at once:
        # dz_[i,f,g] = dc_t * P[t], dz_o = dh_t * P_o[t], dc_t gets dh_t * B[t]
        # (written into reused arrays: no temporaries of the size of all steps)
        d = self._array("d", gates.shape, dtype)  # each gate's σ' = σ(1 − σ) ...
        np.subtract(1, gates, out=d)
        d *= gates
        d_g = d[..., 2 * h : 3 * h]  # ... and g's tanh' = 1 − g²
        np.multiply(g, g, out=d_g)
        np.subtract(1, d_g, out=d_g)
        P = self._array("P", (T, m, 3, h), dtype)
        np.multiply(g, d[..., :h], out=P[:, :, 0])  # g · i'
        np.multiply(C_all[:-1], d[..., h : 2 * h], out=P[:, :, 1])  # c_{t−1} · f'
        np.multiply(i, d_g, out=P[:, :, 2])  # i · g'
        P_o = self._array("P_o", tanh_C.shape, dtype)
        np.multiply(tanh_C, d[..., 3 * h :], out=P_o)  # tanh(c_t) · o'
        B = self._array("B", tanh_C.shape, dtype)  # o · (1 − tanh²(c_t))
        np.multiply(tanh_C, tanh_C, out=B)
        np.subtract(1, B, out=B)
        B *= o
        dZ = self._array("dZ", gates.shape, dtype)
        dZ3 = dZ[..., : 3 * h].reshape(T, m, 3, h)  # a view: dz_i, dz_f, dz_g
        dh = self._array("dh", (m, h), dtype)
        dc = self._array("dc", (m, h), dtype)  # dL/dc_t, then its carry dc_t * f_t
        carry = self._array("carry", (m, h), dtype)  # dz_{t+1} @ W_hh
        tmp = self._array("tmp", (m, h), dtype)
        dc.fill(0)
        carry.fill(0)
        for t in range(T - 1, -1, -1):
            np.add(dH[t], carry, out=dh)
            dc += np.multiply(dh, B[t], out=tmp)  # dc_{t+1} f_{t+1} + dh o (1 − tanh²)
            np.multiply(dc[:, None, :], P[t], out=dZ3[t])
            np.multiply(dh, P_o[t], out=dZ[t, :, 3 * h :])
            dc *= f[t]  # the carry into step t − 1
            np.dot(dZ[t], W_hh, out=carry)
        self._weight_gradients(X_tm, H_all[:-1], dZ)
        return self._input_dX(dZ, need_dX)
