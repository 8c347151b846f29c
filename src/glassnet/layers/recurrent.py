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
        # a contiguous copy: BLAS would otherwise copy the transposed view every step
        W_hh_T = np.ascontiguousarray(self.params["weight_hh_l0"].T)
        X_tm = self._time_major(X)
        H_all = self._array("H_all", (T + 1, m, h), X.dtype)  # [h_0, h_1 … h_T]
        H_all[0] = 0
        # z_t without the recurrent term, written where h_t will be (one gate: G = 1)
        self._input_projection(X_tm, out=H_all[1:, None])
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
        W_hh = self.params["weight_hh_l0"]
        H = H_all[1:]
        T = H.shape[0]
        tanh_grad = self._array("tanh_grad", H.shape, H.dtype)  # 1 − h_t², all steps
        np.multiply(H, H, out=tanh_grad)
        np.subtract(1, tanh_grad, out=tanh_grad)
        dZ = self._array("dZ", H.shape, H.dtype)  # dL/dh_t, then dz_t in place
        np.copyto(dZ[-1], dH[-1])  # dL/dh_T comes from the output alone
        for t in range(T - 1, -1, -1):
            dz = np.multiply(dZ[t], tanh_grad[t], out=dZ[t])
            if t > 0:  # dL/dh_{t−1}: through step t, plus the output's own
                np.dot(dz, W_hh, out=dZ[t - 1])
                if self.return_sequences:
                    dZ[t - 1] += dH[t - 1]
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
    (4h,); rows in PyTorch's gate order i, f, g, o. σ(z) is computed as
    1/(1 + e^(−z)) and g as tanh(z) = 2σ(2z) − 1, so that one exp call serves all
    four gates of a step (a step is latency-bound: fewer NumPy calls is what pays).
    Caches, time-major: X (T, m, n_in); the gates step by step, (T, 4, m, h) —
    gates[t] is step t's [i, f, g, o], one contiguous block for the step's
    elementwise work (on the strided (4, m, h) slice of a gate-major array each
    call took 2–3 × as long); every c_t and h_t with c_0 = h_0 = 0 in front
    (T + 1, m, h) — c_{t−1} and h_{t−1} are then views — and tanh(c_t) (T, m, h).
    The backward copies the gates once to gate-major (4, T, m, h) for its products
    over all steps, which run about twice as fast on whole blocks.

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
    gate_values: Array | None = None  # [i, f, g, o] of every step, (T, 4, m, h)
    C_all: Array | None = None  # [c_0 = 0, c_1 … c_T], (T + 1, m, h)
    tanh_C: Array | None = None
    H_all: Array | None = None  # [h_0 = 0, h_1 … h_T], (T + 1, m, h)

    def forward(self, X: Array, training: bool = False) -> Array:
        """The LSTM cell over every step; caches X, the gates, C, tanh(C) and H."""
        X = self._check(X)
        m, T, h = X.shape[0], X.shape[1], self.n_hidden
        dtype = X.dtype
        # One exp for all four gates: with k = −1 (i, f, o) and −2 (g) per gate,
        # 1/(1 + e^(k·z)) is σ(z) for i, f, o and σ(2z) for g, then g = 2σ(2z) − 1.
        # k goes into the weights once (k·z_t = x_t (kW_ih).T + kb + h_{t−1}
        # (kW_hh).T), so a step is the product, exp, +1 and 1/x. Where e^(k·z)
        # overflows to inf, 1/(1 + inf) = 0 is σ's limit: the warning is silenced.
        k = np.array([-1.0, -1.0, -2.0, -1.0], dtype=dtype)
        # (4, h, h), W_k.T of each gate, contiguous: one matmul gives the four blocks
        W_hh_k_T = self.params["weight_hh_l0"].reshape(4, h, h) * k[:, None, None]
        W_hh_k_T = np.ascontiguousarray(W_hh_k_T.transpose(0, 2, 1))
        X_tm = self._time_major(X)
        gates = self._array("gates", (T, 4, m, h), dtype)  # k·z, then the gates
        self._input_projection(X_tm, out=gates, scale=k)
        C_all = self._array("C_all", (T + 1, m, h), dtype)  # [c_0, c_1 … c_T]
        H_all = self._array("H_all", (T + 1, m, h), dtype)  # [h_0, h_1 … h_T]
        C_all[0] = 0
        H_all[0] = 0
        tanh_C = self._array("tanh_C", (T, m, h), dtype)
        ig = self._array("ig", (m, h), dtype)
        recur = self._array("recur", (4, m, h), dtype)
        with np.errstate(over="ignore"):
            for t in range(T):
                z = gates[t]  # step t's four gate blocks (4, m, h), contiguous
                z += np.matmul(H_all[t], W_hh_k_T, out=recur)
                np.exp(z, out=z)
                z += 1
                np.divide(1, z, out=z)
                i, f, g, o = z
                g *= 2
                g -= 1  # tanh(z_g) = 2σ(2 z_g) − 1
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
        T, m, h = tanh_C.shape
        dtype = tanh_C.dtype
        W_hh = self.params["weight_hh_l0"]
        # gate by gate for the products over all steps below: each gate one block
        by_gate = self._array("by_gate", (4, T, m, h), dtype)
        np.copyto(by_gate, gates.transpose(1, 0, 2, 3))
        i, f, g, o = by_gate  # each (T, m, h)
        # every factor that does not depend on the carries, for all steps at once:
        # dz_[i,f,g] = dc_t * P[t], dz_o = dh_t * P_o[t], dc_t gets dh_t * B[t]
        # (written into reused arrays: no temporaries of the size of all steps)
        u = self._array("u", (T, m, h), dtype)  # each gate's σ' or tanh', in turn
        P = self._array("P", (T, m, 3, h), dtype)  # laid out as dz_t's [i f g] part
        np.subtract(1, i, out=u)
        u *= i
        np.multiply(g, u, out=P[:, :, 0])  # g · i(1 − i)
        np.subtract(1, f, out=u)
        u *= f
        np.multiply(C_all[:-1], u, out=P[:, :, 1])  # c_{t−1} · f(1 − f)
        np.multiply(g, g, out=u)
        np.subtract(1, u, out=u)
        np.multiply(i, u, out=P[:, :, 2])  # i · (1 − g²)
        P_o = self._array("P_o", tanh_C.shape, dtype)
        np.subtract(1, o, out=u)
        u *= o
        np.multiply(tanh_C, u, out=P_o)  # tanh(c_t) · o(1 − o)
        B = self._array("B", tanh_C.shape, dtype)  # o · (1 − tanh²(c_t))
        np.multiply(tanh_C, tanh_C, out=B)
        np.subtract(1, B, out=B)
        B *= o
        # dz_t (T, m, 4h): each step's row [dz_i dz_f dz_g dz_o] for dz_t @ W_hh
        dZ = self._array("dZ", (T, m, 4 * h), dtype)
        dZ3 = dZ[..., : 3 * h].reshape(T, m, 3, h)  # a view: dz_i, dz_f, dz_g
        dh = self._array("dh", (m, h), dtype)  # dL/dh_t
        dc = self._array("dc", (m, h), dtype)  # dL/dc_t, then its carry dc_t * f_t
        tmp = self._array("tmp", (m, h), dtype)
        np.copyto(dh, dH[-1])  # dL/dh_T comes from the output alone
        dc.fill(0)
        for t in range(T - 1, -1, -1):
            dc += np.multiply(dh, B[t], out=tmp)  # dc_{t+1} f_{t+1} + dh o (1 − tanh²)
            np.multiply(dc[:, None, :], P[t], out=dZ3[t])
            np.multiply(dh, P_o[t], out=dZ[t, :, 3 * h :])
            if t > 0:  # the carries into step t − 1
                dc *= f[t]
                np.dot(dZ[t], W_hh, out=dh)  # through step t, plus the output's own
                if self.return_sequences:
                    dh += dH[t - 1]
        self._weight_gradients(X_tm, H_all[:-1], dZ)
        return self._input_dX(dZ, need_dX)
