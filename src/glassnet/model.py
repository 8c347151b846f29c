"""Sequential: layers applied in turn, and the chain rule run back through them.

>>> import numpy as np
>>> from glassnet import Dense, ReLU, Sigmoid
>>> model = Sequential([Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1), Sigmoid()])
>>> model.forward(np.zeros((4, 2), dtype=np.float32)).shape
(4, 1)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from glassnet import training
from glassnet.layers import Dense, Layer, Sigmoid, Softmax, as_float_array
from glassnet.losses import BinaryCrossEntropy, CrossEntropy, Loss

__all__ = ["Sequential"]

Array = NDArray[Any]

# An output activation and the loss that fuses with it: their combined gradient with
# respect to the logits is (A − T) / m, exact and free of divisions by A.
_FUSED: tuple[tuple[type[Layer], type[Loss]], ...] = (
    (Sigmoid, BinaryCrossEntropy),
    (Softmax, CrossEntropy),
)


class Sequential:
    """A stack of layers: A[0] = X, A[l] = layer_l(A[l−1]), Ŷ = A[L].

    Forward::   Y_hat = layers[-1].forward(... layers[0].forward(X))
    Backward::  dX = layers[0].backward(... layers[-1].backward(dY_hat))

    Backpropagation is the backward loop: each layer turns dL/d(its output) into
    dL/d(its input), reusing the product of the later layers' derivatives — seed D's
    point — instead of recomputing it for every weight.

    Args:
        layers: the layers, first to last. Consecutive Dense layers must agree on their
            widths (activations keep the width).
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("Sequential needs at least one layer; got an empty list.")
        n: int | None = None
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    "Sequential expected glassnet layers; "
                    f"item {i} is {type(layer).__name__}."
                )
            if isinstance(layer, Dense) and n is not None and layer.n_in != n:
                raise ValueError(
                    f"layer {i}, {layer!r}, expects {layer.n_in} input features but "
                    "the "
                    f"layers before it output {n}."
                )
            n = layer.output_features(n)
        self.layers: list[Layer] = layers
        self._flat: tuple[Array, Array] | None = None  # see _flat_parameters

    # ---- shapes and parameters -------------------------------------------------
    @property
    def n_in(self) -> int | None:
        """Input features, from the first Dense layer (None without one)."""
        for layer in self.layers:
            if isinstance(layer, Dense):
                return layer.n_in
        return None

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the parameters (float32 unless converted with ``astype``)."""
        for layer in self.layers:
            for W in layer.params.values():
                return W.dtype
        return np.dtype(np.float32)

    def parameters(self) -> list[tuple[str, Array, Array]]:
        """(name, value, gradient) for every parameter; names are "<layer index>.<key>".

        >>> from glassnet import Dense
        >>> [name for name, W, dW in Sequential([Dense(2, 2)]).parameters()]
        ['0.W', '0.b']
        """
        out = []
        for i, layer in enumerate(self.layers):
            grads = layer.grads
            for key, W in layer.params.items():
                out.append((f"{i}.{key}", W, grads[key]))
        return out

    def _flat_parameters(self) -> tuple[Array, Array] | None:
        """(θ, dθ): all parameters of the model in one vector, all gradients in another.

        The Dense layers' W, b, dW, db become views into the two vectors (see
        ``Dense._share``), layer after layer, in the order of ``parameters()``; an
        elementwise optimizer then updates the whole model in two NumPy calls. The
        vectors are made on first use and made again whenever a parameter array was
        replaced since (``astype``, an assignment, a layer packed into another
        model's vectors). None when some layer with parameters is not a Dense (or
        has parameters of its own beyond W and b), the dtypes differ, or a layer
        appears twice.
        """
        owners = [layer for layer in self.layers if layer.params]
        if (
            not owners
            or not all(
                isinstance(layer, Dense)
                and type(layer).params is Dense.params
                and type(layer).grads is Dense.grads
                for layer in owners
            )
            or len({id(layer) for layer in owners}) != len(owners)
        ):
            return None
        arrays = [(W, dW) for _, W, dW in self.parameters()]
        dtype = arrays[0][0].dtype
        if any(W.dtype != dtype or dW.dtype != dtype for W, dW in arrays):
            return None
        flat = self._flat
        if flat is not None and all(
            W.base is flat[0] and dW.base is flat[1] for W, dW in arrays
        ):
            return flat
        size = sum(W.size for W, _ in arrays)
        theta, dtheta = np.empty(size, dtype), np.empty(size, dtype)
        start = 0
        for layer in owners:
            n = sum(W.size for W in layer.params.values())
            stop = start + n
            cast(Dense, layer)._share(theta[start:stop], dtheta[start:stop])
            start = stop
        self._flat = (theta, dtheta)
        return self._flat

    def astype(self, dtype: DTypeLike) -> Sequential:
        """Convert every parameter to ``dtype`` (float32 or float64); return self."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Sequential.astype needs a floating dtype; got {dtype}.")
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def summary(self) -> str:
        """A table of the layers, their output shapes and parameter counts.

        >>> from glassnet import Dense, ReLU
        >>> print(Sequential([Dense(2, 3), ReLU()]).summary())
        #  layer         output   parameters
        0  Dense(2 → 3)  (m, 3)   9  (W (3, 2), b (3,))
        1  ReLU()        (m, 3)   0
        total parameters: 9
        """
        rows = [("#", "layer", "output", "parameters")]
        n: int | None = self.n_in
        total = 0
        for i, layer in enumerate(self.layers):
            n = layer.output_features(n)
            count = sum(W.size for W in layer.params.values())
            total += count
            shapes = ", ".join(f"{k} {W.shape}" for k, W in layer.params.items())
            rows.append(
                (
                    str(i),
                    repr(layer),
                    f"(m, {n if n is not None else '?'})",
                    f"{count}  ({shapes})" if shapes else str(count),
                )
            )
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        lines = [
            "  ".join(r[c].ljust(widths[c]) for c in range(3)) + "   " + r[3]
            for r in rows
        ]
        lines.append(f"total parameters: {total}")
        return "\n".join(line.rstrip() for line in lines)

    def explain(self, m: int | None = None, latex: bool = False) -> str:
        """Dimension table and forward/backward equations; see ``glassnet.explain``."""
        from glassnet.explain import explain

        return explain(self, m=m, latex=latex)

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(repr(layer) for layer in self.layers) + "])"

    # ---- forward and backward ----------------------------------------------------
    def forward(self, X: ArrayLike) -> Array:
        """Ŷ for the batch X (m, n_in); every layer caches what its backward needs."""
        A = as_float_array(X, self.dtype, "the model's input X")
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, dY: Array) -> Array:
        """dL/dX for dL/dŶ = dY, storing every parameter's gradient on the way."""
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return dY

    def predict(self, X: ArrayLike, batch_size: int = 8192) -> Array:
        """Ŷ for X, computed ``batch_size`` rows at a time (bounds the memory used).

        >>> import numpy as np
        >>> from glassnet import Dense
        >>> Sequential([Dense(2, 1, init=[[1.0, 1.0]])]).predict(np.ones((3, 2)))
        array([[2.],
               [2.],
               [2.]], dtype=float32)
        """
        X = as_float_array(X, self.dtype, "the model's input X")
        if X.ndim != 2 or X.shape[0] == 0:
            hint = (
                " A single sample needs shape (1, n_in): use X.reshape(1, -1)."
                if X.ndim == 1
                else ""
            )
            raise ValueError(
                "predict expected X of shape (m, n_in) with m ≥ 1; "
                f"got {X.shape}.{hint}"
            )
        parts = [
            self.forward(X[i : i + batch_size])
            for i in range(0, X.shape[0], batch_size)
        ]
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()

    def fuses_with(self, loss: Loss) -> bool:
        """Whether the last layer and ``loss`` fuse (Sigmoid+BCE, Softmax+CE)."""
        last = self.layers[-1]
        return any(
            isinstance(last, act) and isinstance(loss, lss) for act, lss in _FUSED
        )

    def forward_loss(
        self, X: ArrayLike, Y: ArrayLike, loss: Loss
    ) -> tuple[float, Array]:
        """L and Ŷ for a batch, using the fused, stable loss when the model allows it.

        With a fused pair the last activation is applied inside the loss, from the
        logits, so a saturated output still gives a finite loss.
        """
        if self.fuses_with(loss):
            A = as_float_array(X, self.dtype, "the model's input X")
            for layer in self.layers[:-1]:
                A = layer.forward(A)
            L = loss.forward_logits(A, Y)  # type: ignore[attr-defined]
            return L, loss.output  # type: ignore[attr-defined]
        Y_hat = self.forward(X)
        return loss.forward(Y_hat, Y), Y_hat

    def loss_and_gradients(
        self, X: ArrayLike, Y: ArrayLike, loss: Loss
    ) -> tuple[float, Array]:
        """One forward and backward pass: return (L, Ŷ); leave dL/dparam in ``grads``.

        With a fused pair the backward starts from dZ = (A − T) / m at the logits. The
        first layer's dX is not computed: nothing uses it.
        """
        X = as_float_array(X, self.dtype, "the model's input X")
        return _TrainingStep(self, loss, checked=True)(X, Y)

    def _training_step(self, loss: Loss) -> _TrainingStep:
        """The step of ``loss_and_gradients`` without its checks, for ``fit``."""
        return _TrainingStep(self, loss, checked=False)

    # ---- training ----------------------------------------------------------------
    def fit(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        *,
        loss: Loss,
        optimizer: Any,
        epochs: int,
        batch_size: int | None = None,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        callbacks: Iterable[training.Callback] = (),
        verbose: int = 1,
        clip_norm: float | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int | None = None,
        resume: bool = False,
    ) -> training.History:
        """Train the model; see ``glassnet.training.fit`` for every argument."""
        return training.fit(
            self,
            X,
            Y,
            loss=loss,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            validation_data=validation_data,
            callbacks=callbacks,
            verbose=verbose,
            clip_norm=clip_norm,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            resume=resume,
        )

    def evaluate(
        self, X: ArrayLike, Y: ArrayLike, *, loss: Loss, batch_size: int = 8192
    ) -> dict[str, float]:
        """``{"loss": L}`` over all of X, plus ``"accuracy"`` when classifying."""
        return training.evaluate(self, X, Y, loss=loss, batch_size=batch_size)


def _unchecked(obj: object, name: str) -> tuple[Callable[..., Any], bool]:
    """(``obj``'s twin ``_<name>_unchecked``, True), or (its ``name``, False).

    The twin is taken only when the class that supplies ``name`` also defines it: a
    subclass that overrides ``name`` (a variant, or a test's planted bug) keeps its
    own method, checks and all.
    """
    twin = f"_{name}_unchecked"
    for cls in type(obj).__mro__:
        if name in vars(cls):
            if twin in vars(cls):
                return getattr(obj, twin), True
            break
    return getattr(obj, name), False


class _TrainingStep:
    """One forward and backward pass of a model with a loss, set up once.

    ``step(X, T)`` returns (L, Ŷ) and leaves dL/dparam in every layer's ``grads``,
    exactly as ``Sequential.loss_and_gradients``, which is this with ``checked=True``.

    With ``checked=False`` the layers and the loss skip the checks of their public
    methods (the ``_*_unchecked`` twins are called): ``fit`` uses it after checking
    the whole data set once — X converted and finite, the targets T passed through
    ``loss._checked_targets`` — so that no batch pays for those checks again. The
    twins also write their results into the arrays they returned at the last step
    with as many rows (``out=``): layers then allocate nothing new from step to step.
    Each such array is read only within its step (by the next layer, or by a cache
    that the backward of the same step uses), so overwriting it at the next step
    changes nothing.
    """

    def __init__(self, model: Sequential, loss: Loss, *, checked: bool) -> None:
        self.loss = loss
        self.fused = model.fuses_with(loss)
        body = model.layers[:-1] if self.fused else model.layers

        def method(obj: object, name: str) -> tuple[Callable[..., Any], bool]:
            return (getattr(obj, name), False) if checked else _unchecked(obj, name)

        self.forwards = [method(layer, "forward") for layer in body]
        backwards = [method(layer, "backward") for layer in body]
        # The first layer's dX is not computed: nothing uses it.
        if body and isinstance(body[0], Dense):
            backwards[0] = (partial(backwards[0][0], need_dX=False), False)
        self.backwards = backwards[::-1]
        if self.fused:
            # the fused twins write A and dZ into the arrays of the last step, too
            self.loss_forward = method(loss, "forward_logits")
            self.loss_backward = method(loss, "backward_logits")
        else:
            self.loss_forward = (method(loss, "forward")[0], False)
            self.loss_backward = (loss.backward, False)
        # rows → the arrays the layers (and a fused loss: the last two) returned at
        # the last step with that many rows
        self.outputs: dict[int, list[Array | None]] = {}

    def __call__(self, X: Array, T: ArrayLike) -> tuple[float, Array]:
        """(L, Ŷ) for the batch X with targets T; the gradients land in ``grads``."""
        n = len(self.forwards)
        outs = self.outputs.get(X.shape[0])
        if outs is None:
            outs = self.outputs[X.shape[0]] = [None] * (2 * n + 2)
        A = X
        for i, (forward, takes_out) in enumerate(self.forwards):
            if takes_out:
                A = outs[i] = forward(A, out=outs[i])
            else:
                A = forward(A)
        loss_forward, takes_out = self.loss_forward
        if takes_out:
            L = loss_forward(A, T, out=outs[-2])
            Y_hat = outs[-2] = self.loss.output  # type: ignore[attr-defined]
        else:
            L = loss_forward(A, T)
            Y_hat = self.loss.output if self.fused else A  # type: ignore[attr-defined]
        loss_backward, takes_out = self.loss_backward
        if takes_out:
            dA = outs[-1] = loss_backward(out=outs[-1])
        else:
            dA = loss_backward()
        for i, (backward, takes_out) in enumerate(self.backwards, start=n):
            if takes_out:
                dA = outs[i] = backward(dA, out=outs[i])
            else:
                dA = backward(dA)
        return L, Y_hat
