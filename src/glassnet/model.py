"""Sequential: layers applied in turn, and the chain rule run back through them.

>>> import numpy as np
>>> from glassnet import Dense, ReLU, Sigmoid
>>> model = Sequential([Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1), Sigmoid()])
>>> model.forward(np.zeros((4, 2), dtype=np.float32)).shape
(4, 1)
>>> model.theta.shape           # every W and b, end to end: 2·3 + 3 + 3·1 + 1
(13,)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from glassnet import describe, training
from glassnet.describe import show_shape
from glassnet.layers import Layer, as_float_array
from glassnet.layers.base import Shape
from glassnet.losses import Loss
from glassnet.params import ParameterVector, own_dicts

__all__ = ["Sequential"]

Array = NDArray[Any]


class Sequential:
    """A stack of layers: A[0] = X, A[l] = layer_l(A[l−1]), Ŷ = A[L].

    Forward::   Y_hat = layers[-1].forward(... layers[0].forward(X))
    Backward::  dX = layers[0].backward(... layers[-1].backward(dY_hat))

    Backpropagation is the backward loop: each layer turns dL/d(its output) into
    dL/d(its input), reusing the product of the later layers' derivatives — seed D's
    point — instead of recomputing it for every weight.

    All parameters live in one vector ``theta`` (θ) and all gradients in one vector
    ``dtheta`` (dθ); each layer's arrays are views of their slices (see
    ``glassnet.params``). An optimizer steps θ from dθ in one operation.

    Args:
        layers: the layers, first to last. Each must take the shape the layers before
            it give (checked here, with ``Layer.output_shape``), and all parameters
            must share one dtype.
        input_shape: the shape of one sample, when the first layer does not fix it
            (a Dense layer does: (n_in,)).
    """

    def __init__(
        self, layers: Sequence[Layer], input_shape: tuple[int, ...] | None = None
    ) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("Sequential needs at least one layer; got an empty list.")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                hint = (
                    f" (the class {layer.__name__}: call it, {layer.__name__}(...))"
                    if isinstance(layer, type)
                    else ""
                )
                raise TypeError(
                    "Sequential expected glassnet layers; "
                    f"item {i} is {type(layer).__name__}{hint}."
                )
        self.layers: list[Layer] = layers
        first = getattr(layers[0], "n_in", None)
        start: Shape = input_shape or ((first,) if isinstance(first, int) else (None,))
        self.shapes: list[Shape] = [tuple(start)]  # one sample's shape before each
        for i, layer in enumerate(layers):
            try:
                self.shapes.append(tuple(layer.output_shape(self.shapes[-1])))
            except ValueError as err:
                raise ValueError(f"layer {i}, {layer!r}: {err}") from None
        self._vector = ParameterVector(layers, self._common_dtype())

    def _common_dtype(self) -> np.dtype[Any]:
        """The one dtype of every parameter (float32 when there are none)."""
        found: tuple[int, np.dtype[Any]] | None = None
        for i, layer in enumerate(self.layers):
            try:
                own_dicts(layer)
            except TypeError as err:
                raise TypeError(f"layer {i}: {err}") from None
            if set(layer.params) != set(layer.grads):
                raise ValueError(
                    f"layer {i}, {layer!r}, has params {sorted(layer.params)} but "
                    f"grads {sorted(layer.grads)}; they need the same keys."
                )
            for key, W in layer.params.items():
                if layer.grads[key].shape != W.shape:
                    raise ValueError(
                        f"layer {i}, {layer!r}: grads[{key!r}] has shape "
                        f"{layer.grads[key].shape}, params[{key!r}] {W.shape}."
                    )
                if found is None:
                    found = (i, W.dtype)
                elif W.dtype != found[1]:
                    raise ValueError(
                        f"layer {i}, {layer!r}, has {W.dtype} parameters but layer "
                        f"{found[0]} has {found[1]}: one model has one dtype. Give "
                        "every layer the same dtype=, or convert the whole model "
                        "with model.astype(...)."
                    )
        if found is not None and found[1].kind != "f":
            raise TypeError(f"parameters must be floats; got {found[1]}.")
        return np.dtype(np.float32) if found is None else found[1]

    # ---- parameters ----------------------------------------------------------------
    @property
    def vector(self) -> ParameterVector:
        """θ, dθ and where each parameter lies in them (laid out again if needed).

        A layer put into another model moves into that model's vectors; this model
        takes it back (values kept) the next time it is used.
        """
        if not self._vector.holds():
            self._vector = ParameterVector(self.layers, self._vector.theta.dtype)
        return self._vector

    @property
    def theta(self) -> Array:
        """θ: every parameter of the model, end to end, as one vector."""
        return self.vector.theta

    @property
    def dtheta(self) -> Array:
        """dθ: every gradient, in the order of θ."""
        return self.vector.dtheta

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the parameters (float32 unless converted with ``astype``)."""
        return self._vector.theta.dtype

    @property
    def n_in(self) -> int | None:
        """Input features of a model on vectors (None: unknown, or samples not 1-D)."""
        start = self.shapes[0]
        return start[0] if len(start) == 1 else None

    def parameters(self) -> list[tuple[str, Array, Array]]:
        """(name, value, gradient) for every parameter; names are "<layer index>.<key>".

        The arrays are the views of θ and dθ that the layers use.

        >>> from glassnet import Dense
        >>> [name for name, W, dW in Sequential([Dense(2, 2)]).parameters()]
        ['0.W', '0.b']
        """
        return [
            (p.name, p.layer.params[p.key], p.layer.grads[p.key])
            for p in self.vector.slots
        ]

    def seed_names(self) -> dict[str, str]:
        """Each parameter's name in the seeds' numbering: "2.W" → "W[2]".

        The seeds number the layers that have parameters l = 1..L; the names of
        ``parameters()`` use the position in ``layers`` (0, 2, 4, ... with an
        activation between Dense layers). Tables that show one show the other beside.

        >>> from glassnet import Dense, ReLU
        >>> Sequential([Dense(2, 3), ReLU(), Dense(3, 1)]).seed_names()
        {'0.W': 'W[1]', '0.b': 'b[1]', '2.W': 'W[2]', '2.b': 'b[2]'}
        """
        numbers = self.layer_numbers()
        return {
            p.name: f"{p.key}[{numbers[int(p.name.split('.')[0])]}]"
            for p in self.vector.slots
        }

    def layer_numbers(self) -> list[int]:
        """The seeds' l of each entry of ``layers``: 1..L, and 0 for the input's.

        A layer with parameters opens layer l — except a batch normalisation after
        one, which normalises that layer's Z and so belongs to its l (γ[l], β[l]).
        Layers without parameters belong to the l before them; those before the
        first layer with parameters (a Standardize, a Flatten) prepare the input,
        l = 0. ``summary``, ``seed_names``, ``explain`` and the figures all use it.

        >>> from glassnet import BatchNorm1D, Dense, ReLU
        >>> model = Sequential([Dense(2, 3), BatchNorm1D(3), ReLU(), Dense(3, 1)])
        >>> model.layer_numbers()
        [1, 1, 1, 2]
        """
        return describe.layer_numbers(self.layers)

    def astype(self, dtype: DTypeLike) -> Sequential:
        """Convert every parameter to ``dtype`` (float32 or float64); return self."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Sequential.astype needs a floating dtype; got {dtype}.")
        self._vector = ParameterVector(self.layers, dtype)
        return self

    # ---- forward and backward -------------------------------------------------------
    def check_input(self, X: ArrayLike, what: str = "the model's input X") -> Array:
        """X as an array of the model's dtype, checked against the input shape.

        O(1) unless X has another dtype (then it is converted once). ``what`` names
        X in the message.
        """
        if not (isinstance(X, np.ndarray) and X.dtype == self.dtype):
            X = as_float_array(X, self.dtype, what)
        expected = self.shapes[0]
        if X.shape[1:] != expected and (
            X.ndim != len(expected) + 1
            or any(
                n is not None and n != got
                for n, got in zip(expected, X.shape[1:], strict=True)
            )
        ):
            hint = (
                " A single sample needs a batch of one: use X.reshape(1, -1)."
                if X.ndim == len(expected)
                else " Rows are samples."
            )
            raise ValueError(
                f"{what} must have shape {show_shape(expected)} for the first layer, "
                f"{self.layers[0]!r}; got {X.shape}.{hint}"
            )
        return X

    def forward(self, X: ArrayLike, training: bool = False) -> Array:
        """Ŷ for the batch X; every layer caches what its backward needs.

        ``training`` is passed to every layer (``fit`` passes True).
        """
        A = self.check_input(X)
        for layer in self.layers:
            A = layer.forward(A, training)
        return A

    def backward(self, dY: Array) -> Array:
        """dL/dX for dL/dŶ = dY, writing every parameter's gradient into dθ."""
        dA: Array | None = dY
        for layer in reversed(self.layers):
            dA = layer.backward(dA)  # type: ignore[arg-type]
        return dA  # type: ignore[return-value]

    def loss_and_gradients(
        self, X: ArrayLike, Y: ArrayLike, loss: Loss, training: bool = True
    ) -> tuple[float, Array]:
        """One forward and backward pass: return (L, Ŷ) and leave the gradients in dθ.

        When the last layer and the loss fuse (Sigmoid + BinaryCrossEntropy, Softmax
        + CrossEntropy) the loss takes the logits Z of the last layer's input and the
        backward starts from its exact dZ = (A − T) / m. The first layer's dX is not
        computed: nothing uses it.
        """
        fused = loss.fuses_with(self.layers[-1])
        body = self.layers[:-1] if fused else self.layers
        A = self.check_input(X)
        for layer in body:
            A = layer.forward(A, training)
        if fused:
            L = loss.forward_logits(A, Y)
            Y_hat, dA = loss.output, loss.backward_logits()
        else:
            L = loss.forward(A, Y)
            Y_hat, dA = A, loss.backward()
        for layer in body[:0:-1]:
            dA = layer.backward(dA)  # type: ignore[assignment]
        if body:  # the first layer's dX: nobody reads it
            body[0].backward(dA, need_dX=False)
        return L, Y_hat

    def forward_loss(
        self, X: ArrayLike, Y: ArrayLike, loss: Loss
    ) -> tuple[float, Array]:
        """L and Ŷ for a batch (no backward), with the fused, stable loss if allowed."""
        if loss.fuses_with(self.layers[-1]):
            A = self.check_input(X)
            for layer in self.layers[:-1]:
                A = layer.forward(A)
            return loss.forward_logits(A, Y), loss.output
        Y_hat = self.forward(X)
        return loss.forward(Y_hat, Y), Y_hat

    @contextmanager
    def reusing_outputs(self) -> Iterator[None]:
        """Within this block every layer writes each result into the same array.

        ``fit`` trains inside it (see ``Layer.out``): a large fresh array costs the
        zeroing of its memory pages at every step. Outside, results are new arrays.
        """
        previous = [layer._outputs for layer in self.layers]
        for layer in self.layers:
            layer._outputs = {}
        try:
            yield
        finally:
            for layer, outputs in zip(self.layers, previous, strict=True):
                layer._outputs = outputs

    # predict and evaluate: at most this many bytes of activations in one batch
    INFERENCE_BYTES = 64 * 2**20
    MAX_INFERENCE_BATCH = 8192

    def inference_batch_size(self) -> int:
        """Rows per batch of ``predict`` and ``evaluate`` by default.

        As many as keep one batch's activations — every layer's output, sized from
        the shape chain ``shapes`` — under ``INFERENCE_BYTES`` (64 MiB), and at most
        ``MAX_INFERENCE_BATCH`` (8192; also when a size is not known). A CNN's images
        each have hundreds of kilobytes of activations, an MLP's rows a few.

        >>> from glassnet import Dense
        >>> Sequential([Dense(784, 512), Dense(512, 10)]).inference_batch_size()
        8192
        >>> from glassnet.demos import cnn_model
        >>> cnn_model().inference_batch_size()   # 44 308 numbers a sample, float32
        378
        """
        shapes = self.shapes[1:]
        if any(None in shape for shape in shapes):
            return self.MAX_INFERENCE_BATCH
        per_sample = self.dtype.itemsize * sum(
            int(np.prod([n or 0 for n in shape], dtype=np.int64)) for shape in shapes
        )
        rows = self.INFERENCE_BYTES // max(per_sample, 1)
        return max(1, min(self.MAX_INFERENCE_BATCH, rows))

    def predict(self, X: ArrayLike, batch_size: int | None = None) -> Array:
        """Ŷ for X, computed ``batch_size`` rows at a time (bounds the memory used).

        ``batch_size=None`` takes ``inference_batch_size()``.

        >>> import numpy as np
        >>> from glassnet import Dense
        >>> Sequential([Dense(2, 1, init=[[1.0, 1.0]])]).predict(np.ones((3, 2)))
        array([[2.],
               [2.],
               [2.]], dtype=float32)
        """
        X = self.check_input(X)
        if X.shape[0] == 0:
            raise ValueError(
                f"predict expected X of shape {show_shape(self.shapes[0])} with m ≥ 1; "
                f"got {X.shape}."
            )
        if batch_size is None:
            batch_size = self.inference_batch_size()
        parts = [
            self.forward(X[i : i + batch_size])
            for i in range(0, X.shape[0], batch_size)
        ]
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()

    # ---- description ----------------------------------------------------------------
    def summary(self) -> str:
        """A table of the layers, their output shapes and parameter counts.

        ``#`` is the position in ``layers`` (the names of ``parameters()``); ``l`` is
        the seeds' numbering of the layers with parameters, W[1], W[2], ...
        (``layer_numbers``).

        >>> from glassnet import Dense, ReLU
        >>> print(Sequential([Dense(2, 3), ReLU()]).summary())
        #  l  layer         output   parameters
        0  1  Dense(2 → 3)  (m, 3)   9  (W (3, 2), b (3,))
        1     ReLU()        (m, 3)   0
        total parameters: 9
        """
        return describe.summary(self)

    def explain(self, m: int | None = None, latex: bool = False) -> str:
        """Dimension table and forward/backward equations; see ``glassnet.explain``."""
        from glassnet.explain import explain

        return explain(self, m=m, latex=latex)

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(repr(layer) for layer in self.layers) + "])"

    # ---- training ---------------------------------------------------------------
    fit = training.fit
    evaluate = training.evaluate
