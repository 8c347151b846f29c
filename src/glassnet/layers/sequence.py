"""What the recurrent layers share: weights, input checks, the time-major arrays.

``_Recurrent`` is the base of RNN and LSTM (``glassnet.layers.recurrent``): their
weights in ``torch.nn.RNN``/``LSTM``'s layout and names, the check of a batch of
sequences (m, T, n_in), and the steps that do not depend on the cell: X copied
time-major to (T, m, n_in), the input projection of all steps at once (step by
step and gate by gate, (T, G, m, h)), dL/dh_t from dY, the weight gradients as one
product each, and dX.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._validate import positive_int
from glassnet.layers.base import Layer, Shape, as_float_array

__all__: list[str] = []

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
        self.X_tm: Array | None = None  # X, time-major (T, m, n_in)

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

    def _array(self, name: str, shape: tuple[int, ...], dtype: Any) -> Array:
        """``self.out(...)``: a new array outside ``fit``, last step's inside it."""
        array = self.out(name, shape, dtype)
        return np.empty(shape, dtype=dtype) if array is None else array

    def _time_major(self, X: Array) -> Array:
        """X (m, T, n_in) copied to (T, m, n_in): step t is then one block."""
        m, T, n = X.shape
        X_tm = self._array("X_tm", (T, m, n), X.dtype)
        np.copyto(X_tm, X.transpose(1, 0, 2))
        return X_tm

    def _result(self, H_all: Array) -> Array:
        """Y from the states (T + 1, m, h): every h_t as (m, T, h), or h_T."""
        if not self.return_sequences:
            return H_all[-1]
        T, m, h = H_all.shape[0] - 1, H_all.shape[1], H_all.shape[2]
        Y = self._array("Y", (m, T, h), H_all.dtype)
        np.copyto(Y, H_all[1:].transpose(1, 0, 2))
        return Y

    def _upstream(self, dY: Array) -> Array:
        """dL/dh_t from the output, time-major: (T, m, h), or h_T's alone (1, m, h).

        Without return_sequences only h_T is an output, so dH[-1] = dY is the only
        gradient from outside; the loop adds dH[t] to what comes through step t + 1
        only when every h_t is an output.
        """
        T, m = self._cached("X_tm").shape[:2]
        h = self.n_hidden
        if not self.return_sequences:
            self._check_dY(dY, (m, h))
            return dY[None]
        self._check_dY(dY, (m, T, h))
        dH = self._array("dH", (T, m, h), dY.dtype)
        np.copyto(dH, dY.transpose(1, 0, 2))
        return dH

    def _weight_gradients(self, X_tm: Array, H_prev: Array, dZ: Array) -> None:
        """dW_ih, dW_hh, db_ih, db_hh from dZ (T, m, G·h): one product each.

        X_tm (T, m, n_in) and H_prev = [h_0 … h_{T−1}] (T, m, h) are time-major like
        dZ, so each sum over t and the batch is one product of (T·m)-row matrices.
        """
        dZ2 = dZ.reshape(-1, dZ.shape[2])
        g = self.grads
        np.dot(dZ2.T, X_tm.reshape(-1, self.n_in), out=g["weight_ih_l0"])
        np.dot(dZ2.T, H_prev.reshape(-1, self.n_hidden), out=g["weight_hh_l0"])
        ones = self._array("ones", (dZ2.shape[0],), dZ.dtype)
        ones.fill(1)
        np.dot(ones, dZ2, out=g["bias_ih_l0"])  # = dZ2.sum(axis=0), at BLAS speed
        g["bias_hh_l0"][...] = g["bias_ih_l0"]  # both biases enter z_t alike

    def _input_dX(self, dZ: Array, need_dX: bool) -> Array | None:
        """The input gradient dZ @ W_ih of every step, batch first (m, T, n_in)."""
        if not need_dX:
            return None
        T, m, k = dZ.shape
        dX_tm = np.dot(dZ.reshape(T * m, k), self.params["weight_ih_l0"])
        dX = self._array("dX", (m, T, self.n_in), dZ.dtype)
        np.copyto(dX, dX_tm.reshape(T, m, self.n_in).transpose(1, 0, 2))
        return dX

    def _input_projection(
        self, X_tm: Array, out: Array, scale: Array | None = None
    ) -> Array:
        """x_t @ W_ih.T + b_ih + b_hh for every step at once, step-major, gate by gate.

        out (T, G, m, h): out[t, k] is gate block k of step t, one contiguous block
        for the step's elementwise work. One ``matmul`` broadcasts x_t (m, n_in)
        against the G gate blocks of W_ih: T·G small products (with n_in = 16 they
        ran faster than G products of (T·m)-row matrices followed by a transposing
        copy). ``scale`` (G,), if given, multiplies each gate's block (the LSTM's
        −1 and −2 for its exp, see there).
        """
        p, G, h = self.params, self.gates, self.n_hidden
        W = p["weight_ih_l0"].reshape(G, h, self.n_in)  # W[k]: gate k's rows
        b = (p["bias_ih_l0"] + p["bias_hh_l0"]).reshape(G, 1, h)
        if scale is not None:
            W, b = W * scale[:, None, None], b * scale[:, None, None]
        # (T, 1, m, n_in) @ (G, n_in, h) → (T, G, m, h), with W_k.T made contiguous:
        # on the transposed view OpenBLAS's products took almost twice as long
        np.matmul(X_tm[:, None], np.ascontiguousarray(W.transpose(0, 2, 1)), out=out)
        out += b  # (G, 1, h) over every step and sample
        return out

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
